"""Dataset and split statistics against hand-computed cases and pandas/scipy references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import scipy.stats

from recsys_core.data import stats
from recsys_core.data.dataset import Dataset
from recsys_core.data.protocols import PROTOCOLS, protocol_parts
from recsys_core.data.splits import SplitSpec, split_rows
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import DataError

DAY = 86_400


def _dataset(
    users: list[int],
    items: list[int],
    timestamps: list[int] | None = None,
    ratings: list[float] | None = None,
    n_users: int | None = None,
    n_items: int | None = None,
) -> Dataset:
    """A Dataset built in memory (no store): rows in the order given, row_id 0..N-1."""
    n = len(users)
    n_users = n_users if n_users is not None else max(users) + 1
    n_items = n_items if n_items is not None else max(items) + 1
    interactions = pd.DataFrame(
        {
            "row_id": np.arange(n),
            "user_idx": np.asarray(users, dtype=np.int64),
            "item_idx": np.asarray(items, dtype=np.int64),
            "rating": np.asarray(ratings if ratings else [np.nan] * n, dtype=np.float64),
            "timestamp": pd.array(timestamps if timestamps else [pd.NA] * n, dtype="Int64"),
            "session_id": pd.array([pd.NA] * n, dtype="Int64"),
        }
    )
    user_frame = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(n_users)],
            "age": pd.array([pd.NA] * n_users, dtype="Int64"),
            "gender": pd.array([pd.NA] * n_users, dtype="str"),
            "occupation": pd.array([pd.NA] * n_users, dtype="str"),
        }
    )
    item_frame = pd.DataFrame(
        {"item_id": [f"i{i}" for i in range(n_items)], "genres": [""] * n_items}
    )
    return Dataset("toy", interactions, user_frame, item_frame, None, "fp")


def _synthetic_dataset(**overrides: int) -> Dataset:
    """The synthetic generator's frames indexed in memory the way the store indexes them."""
    frames = generate_synthetic(n_users=300, n_items=200, n_interactions=6000, seed=3, **overrides)
    user_idx = {uid: i for i, uid in enumerate(frames.users["user_id"])}
    item_idx = {iid: i for i, iid in enumerate(frames.items["item_id"])}
    inter = frames.interactions
    interactions = pd.DataFrame(
        {
            "row_id": np.arange(len(inter)),
            "user_idx": inter["user_id"].map(user_idx).to_numpy(np.int64),
            "item_idx": inter["item_id"].map(item_idx).to_numpy(np.int64),
            "rating": inter["rating"].to_numpy(np.float64),
            "timestamp": inter["timestamp"],
            "session_id": inter["session_id"],
        }
    )
    impressions = frames.impressions.assign(
        user_idx=frames.impressions["user_id"].map(user_idx),
        item_idx=frames.impressions["item_id"].map(item_idx),
    )
    return Dataset(
        "synthetic",
        interactions,
        frames.users.reset_index(drop=True),
        frames.items.reset_index(drop=True),
        impressions,
        "fp",
    )


@pytest.fixture(scope="module")
def synthetic() -> Dataset:
    return _synthetic_dataset()


# --- dataset statistics ---------------------------------------------------------------------------


def test_gini_matches_hand_cases_and_mean_difference_definition() -> None:
    assert stats.gini(np.array([1, 1, 1, 1])) == 0.0
    assert stats.gini(np.array([0, 0, 0, 10])) == pytest.approx(0.75)
    assert stats.gini(np.array([1, 2, 3, 4])) == pytest.approx(0.25)
    counts = np.random.default_rng(0).integers(0, 50, 300)
    mean_abs_diff = np.abs(counts[:, None] - counts[None, :]).mean()
    assert stats.gini(counts) == pytest.approx(mean_abs_diff / (2 * counts.mean()))


def test_long_tail_head_share_and_curve_against_pandas() -> None:
    counts = np.random.default_rng(1).zipf(1.5, 5_000) % 1_000
    tail = stats.long_tail(counts)
    ranked = pd.Series(counts).sort_values(ascending=False).reset_index(drop=True)
    assert tail.head_items == 1_000
    assert tail.head_item_share == pytest.approx(0.2)
    assert tail.head_share == pytest.approx(ranked.iloc[:1_000].sum() / ranked.sum())
    assert tail.cold_items == int((counts == 0).sum())
    curve = tail.curve
    assert len(curve) <= stats.MAX_CURVE_POINTS
    assert curve["rank"].iloc[0] == 1 and curve["rank"].iloc[-1] == 5_000
    assert 1_000 in set(curve["rank"])  # the head marker lies on the curve
    expected = ranked.cumsum().to_numpy()[curve["rank"].to_numpy() - 1] / ranked.sum()
    np.testing.assert_allclose(curve["cumulative_share"], expected)
    assert (np.diff(curve["cumulative_share"]) >= 0).all()
    assert curve["cumulative_share"].iloc[-1] == pytest.approx(1.0)


def test_long_tail_of_a_million_items_stays_small() -> None:
    tail = stats.long_tail(np.random.default_rng(2).poisson(3.0, 1_000_000))
    assert len(tail.curve) <= stats.MAX_CURVE_POINTS


def test_log_bins_cover_every_value_once() -> None:
    edges = stats.log_bin_edges(3, 1_000, n_bins=10)
    assert edges[0] == 3 and edges[-1] == 1_001
    assert (np.diff(edges) > 0).all() and len(edges) <= 11
    widths = np.diff(edges)
    assert widths[-1] > widths[0]  # wider bins for larger counts


def test_user_activity_histogram_counts_users_per_bin() -> None:
    counts = np.array([0, 1, 1, 2, 3, 5, 8, 40, 40, 100])
    hist = stats.user_activity_histogram(counts, n_bins=4)
    assert hist["low"].iloc[0] == 1 and hist["high"].iloc[-1] == 100
    assert hist["users"].sum() == 9  # the user without interactions is left out
    for row in hist.itertuples():
        in_bin = ((counts >= row.low) & (counts <= row.high)).sum()
        assert row.users == in_bin, row.label
    assert hist["share"].sum() == pytest.approx(1.0)
    assert (hist["low"].iloc[1:].to_numpy() == hist["high"].iloc[:-1].to_numpy() + 1).all()


def test_rating_distribution_counts_values_or_bins() -> None:
    ratings = np.array([1, 2, 2, 4.5, 4.5, 4.5, 5.0])
    dist = stats.rating_distribution(ratings)
    assert dist["label"].tolist() == ["1", "2", "4.5", "5"]
    assert dist["interactions"].tolist() == [1, 2, 3, 1]
    continuous = np.random.default_rng(3).normal(size=1_000)
    binned = stats.rating_distribution(continuous)
    assert len(binned) == stats.RATING_BINS
    assert binned["interactions"].sum() == 1_000
    with pytest.raises(DataError, match="no ratings"):
        stats.rating_distribution(np.array([]))


def test_timeline_by_day_fills_gaps_and_counts_distinct_users() -> None:
    start = 1_704_067_200  # 2024-01-01 00:00 UTC, a Monday
    stamps = np.array([start, start + 100, start + 100, start + 3 * DAY, start + 3 * DAY + 5])
    users = np.array([0, 0, 1, 2, 2])
    timeline = stats.interaction_timeline(stamps, users)
    assert timeline.granularity == "day"
    frame = timeline.frame
    assert frame["period"].tolist() == list(pd.date_range("2024-01-01", periods=4, freq="D"))
    assert frame["interactions"].tolist() == [3, 0, 0, 2]
    assert frame["active_users"].tolist() == [2, 0, 0, 1]


def test_timeline_coarsens_and_starts_weeks_on_monday() -> None:
    rng = np.random.default_rng(4)
    start = 1_704_067_200
    stamps = start + rng.integers(0, 1_000 * DAY, 5_000)
    users = rng.integers(0, 50, 5_000)
    timeline = stats.interaction_timeline(stamps, users)
    assert timeline.granularity == "week"
    frame = timeline.frame
    assert len(frame) <= stats.MAX_TIME_PERIODS
    assert (frame["period"].dt.day_of_week == 0).all()
    dates = pd.to_datetime(stamps, unit="s")
    reference = (
        pd.DataFrame({"week": dates.to_period("W-SUN").start_time, "user": users})
        .groupby("week")
        .agg(interactions=("user", "size"), active_users=("user", "nunique"))
    )
    merged = frame.set_index("period").loc[reference.index]
    assert merged["interactions"].tolist() == reference["interactions"].tolist()
    assert merged["active_users"].tolist() == reference["active_users"].tolist()
    assert frame["interactions"].sum() == 5_000
    decades = stats.interaction_timeline(start + rng.integers(0, 20_000 * DAY, 100), np.zeros(100))
    assert decades.granularity == "quarter"


def test_genre_mix_shares_are_hand_computed() -> None:
    items = pd.DataFrame({"genres": ["Drama", "Comedy|Drama", "", "Comedy"]})
    mix = stats.genre_mix(items, np.array([5, 3, 2, 0]))
    assert mix["genre"].tolist() == ["Drama", "Comedy"]
    assert mix["items"].tolist() == [2, 2]
    assert mix["item_share"].tolist() == [0.5, 0.5]
    assert mix["interactions"].tolist() == [8, 3]
    assert mix["interaction_share"].tolist() == pytest.approx([0.8, 0.3])
    assert stats.genre_mix(pd.DataFrame({"genres": ["", ""]}), np.array([1, 1])) is None


def test_demographic_mix_groups_users_and_interactions() -> None:
    users = pd.DataFrame(
        {
            "age": pd.array([16, 30, 31, pd.NA, 60], dtype="Int64"),
            "gender": pd.array(["F", "M", "F", "F", pd.NA], dtype="str"),
            "occupation": pd.array([pd.NA] * 5, dtype="str"),
        }
    )
    mix = stats.demographic_mix(users, np.array([1, 2, 3, 4, 10]))
    assert set(mix) == {"age", "gender"}  # occupation is all missing
    gender = mix["gender"].set_index("group")
    assert gender.loc["female", "users"] == 3 and gender.loc["female", "interactions"] == 8
    assert gender.loc["unknown", "interactions"] == 10
    assert gender["user_share"].sum() == pytest.approx(1.0)
    age = mix["age"]
    assert age["group"].tolist() == ["under 18", "25–34", "56+", "unknown"]
    assert age["users"].tolist() == [1, 2, 1, 1]
    assert age["interaction_share"].tolist() == pytest.approx([0.05, 0.25, 0.5, 0.2])


def test_demographic_mix_pools_rare_groups() -> None:
    occupations = [f"job{i:02d}" for i in range(40) for _ in range(40 - i)]
    users = pd.DataFrame({"occupation": pd.array(occupations, dtype="str")})
    mix = stats.demographic_mix(users, np.ones(len(occupations), dtype=np.int64))["occupation"]
    assert len(mix) == stats.MAX_GROUPS
    assert mix["group"].iloc[0] == "job00"
    assert mix["group"].iloc[-1] == f"{40 - stats.MAX_GROUPS + 1} other groups"
    assert mix["users"].sum() == len(occupations)


def test_wilson_interval_matches_scipy() -> None:
    clicks, shown = np.array([0, 3, 50, 10]), np.array([10, 10, 100, 10])
    low, high = stats.wilson_interval(clicks, shown)
    for k, n, lo, hi in zip(clicks, shown, low, high, strict=True):
        ref = scipy.stats.binomtest(int(k), int(n)).proportion_ci(method="wilson")
        assert (lo, hi) == pytest.approx((ref.low, ref.high))


def test_impression_summary_by_position_against_pandas(synthetic: Dataset) -> None:
    impressions = synthetic.impressions
    summary = stats.summarise_impressions(impressions)
    assert summary is not None
    clicked = impressions["clicked"].astype(bool)
    assert summary.n_impressions == len(impressions)
    assert summary.n_clicks == int(clicked.sum())
    assert summary.ctr == pytest.approx(clicked.mean())
    assert summary.n_requests == impressions["request_id"].nunique()
    reference = (
        impressions.assign(clicked=clicked).groupby("position")["clicked"].agg(["size", "mean"])
    )
    table = summary.by_position.set_index("position")
    assert table.index.tolist() == reference.index.tolist()
    np.testing.assert_allclose(table["impressions"], reference["size"])
    np.testing.assert_allclose(table["ctr"], reference["mean"])
    np.testing.assert_allclose(table["examination"], 1.0 / table.index.to_numpy())  # eta = 1
    assert (table["ctr_low"] <= table["ctr"]).all() and (table["ctr"] <= table["ctr_high"]).all()
    assert stats.summarise_impressions(None) is None


def test_describe_dataset_overview_against_sparse_reference(synthetic: Dataset) -> None:
    profile = stats.describe_dataset(synthetic)
    overview = profile.overview
    frame = synthetic.interactions
    matrix = sp.csr_matrix(
        (np.ones(len(frame)), (frame["user_idx"], frame["item_idx"])), shape=(300, 200)
    )
    matrix.sum_duplicates()
    assert overview.n_interactions == 6000 and overview.n_pairs == matrix.nnz
    assert overview.density == pytest.approx(matrix.nnz / (300 * 200))
    assert overview.sparsity == pytest.approx(1 - matrix.nnz / (300 * 200))
    per_user = frame.groupby("user_idx").size()
    assert overview.active_users == len(per_user)
    assert overview.median_per_user == per_user.median()
    assert overview.first_timestamp == frame["timestamp"].min()
    dates = pd.to_datetime(frame["timestamp"], unit="s").dt.normalize()
    assert overview.days_covered == (dates.max() - dates.min()).days + 1
    assert overview.n_impressions == len(synthetic.impressions)
    assert profile.ratings is not None and profile.ratings["interactions"].sum() == 6000
    assert profile.timeline is not None and profile.timeline.frame["interactions"].sum() == 6000
    assert profile.genres is not None and set(profile.demographics) == {
        "gender",
        "age",
        "occupation",
    }
    assert profile.impressions is not None
    assert profile.user_activity["users"].sum() == overview.active_users


def test_describe_dataset_without_side_information() -> None:
    profile = stats.describe_dataset(_dataset([0, 0, 1], [0, 1, 1], n_items=4))
    assert profile.ratings is None and profile.timeline is None and profile.genres is None
    assert profile.demographics == {} and profile.impressions is None
    assert profile.long_tail.cold_items == 2
    assert not profile.overview.has_ratings and profile.overview.first_timestamp is None
    assert profile.overview.days_covered is None


# --- split statistics -----------------------------------------------------------------------------


def test_split_summary_counts_coverage_and_cold_start() -> None:
    #   row: 0  1  2  3  4  5  6
    users = [0, 0, 1, 1, 2, 3, 0]
    items = [0, 1, 0, 2, 1, 3, 2]
    dataset = _dataset(users, items, n_users=5, n_items=5)
    parts = {"train": np.array([0, 1, 2]), "valid": np.array([], dtype=np.int64)}
    parts["test"] = np.array([3, 4, 5])  # row 6 is in no part (as a protocol filter would do)
    summary = stats.split_summary(dataset, parts)
    assert summary.parts["part"].tolist() == ["train", "test"]  # an empty valid part is left out
    assert summary.n_unassigned == 1 and summary.n_interactions == 7
    train, test = summary.part("train"), summary.part("test")
    assert (train["interactions"], train["users"], train["items"]) == (3, 2, 2)
    assert train["user_coverage"] == pytest.approx(2 / 5) and train["cold_rows"] == 0
    assert (test["interactions"], test["users"], test["items"]) == (3, 3, 3)
    # users 2, 3 never trained; items 2, 3 never trained; rows 3 (item 2), 4 (user 2), 5 (both)
    assert (test["cold_users"], test["cold_items"], test["cold_rows"]) == (2, 2, 3)
    assert test["share"] == pytest.approx(3 / 7)
    with pytest.raises(DataError, match="no 'valid' part"):
        summary.part("valid")
    with pytest.raises(DataError, match="train"):
        stats.split_summary(dataset, {"test": np.array([0])})


def test_split_summary_refuses_rows_of_another_dataset() -> None:
    dataset = _dataset([0, 1], [0, 1])
    with pytest.raises(DataError, match="re-imported"):
        stats.split_summary(dataset, {"train": np.array([0]), "test": np.array([7])})


def test_leakage_per_user_global_and_none_on_hand_timelines() -> None:
    # user 0 at t=1, 2, 3; user 1 at t=10, 11
    dataset = _dataset([0, 0, 0, 1, 1], [0, 1, 2, 0, 1], timestamps=[1, 2, 3, 10, 11])
    user_leak = stats.leakage_report(
        dataset, {"train": np.array([0, 2, 3]), "test": np.array([1, 4])}
    )
    assert user_leak.level == "user"
    assert user_leak.user_share == pytest.approx(0.5)  # t=2 < user 0's t=3; t=11 is user 1's last
    assert user_leak.global_share == pytest.approx(0.5)  # t=2 < 10
    assert "50.0%" in user_leak.message and "temporal" in user_leak.message
    last_out = stats.leakage_report(
        dataset, {"train": np.array([0, 1, 3]), "test": np.array([2, 4])}
    )
    assert last_out.level == "global"
    assert last_out.user_share == 0.0 and last_out.global_share == pytest.approx(0.5)
    temporal = stats.leakage_report(
        dataset, {"train": np.array([0, 1, 2]), "test": np.array([3, 4])}
    )
    assert temporal.level == "none" and temporal.n_checked == 2
    assert "never sees the future" in temporal.message


def test_leakage_unknown_without_timestamps() -> None:
    dataset = _dataset([0, 0, 1], [0, 1, 1])
    report = stats.leakage_report(dataset, {"train": np.array([0, 2]), "test": np.array([1])})
    assert report.level == "unknown" and report.n_checked == 0
    with pytest.raises(DataError, match="test"):
        stats.leakage_report(dataset, {"train": np.array([0, 1, 2])})


@pytest.mark.parametrize(
    ("spec", "level"),
    [
        (SplitSpec(kind="temporal", test=0.2), "none"),
        (SplitSpec(kind="leave-last-out", test=0.1), "global"),
        (SplitSpec(kind="random", test=0.2), "user"),
        (SplitSpec(kind="user", test=0.2), "user"),
    ],
)
def test_leakage_level_of_each_split_kind(synthetic: Dataset, spec: SplitSpec, level: str) -> None:
    parts = split_rows(synthetic.interactions, spec)
    report = stats.leakage_report(synthetic, parts)
    assert report.level == level
    frame = synthetic.interactions.set_index("row_id")
    train, test = frame.loc[parts["train"]], frame.loc[parts["test"]]
    latest = train.groupby("user_idx")["timestamp"].max()
    user_latest = test["user_idx"].map(latest)
    expected = (test["timestamp"] < user_latest).fillna(False).mean()
    assert report.user_share == pytest.approx(expected)
    assert report.global_share == pytest.approx(
        (test["timestamp"] < train["timestamp"].max()).mean()
    )


def test_split_summary_of_a_filtering_preset(synthetic: Dataset) -> None:
    parts = protocol_parts(synthetic.interactions, PROTOCOLS["recbole-general"])
    summary = stats.split_summary(synthetic, parts)
    kept = sum(len(p) for p in parts.values())
    assert summary.n_unassigned == 6000 - kept > 0
    assert summary.parts["interactions"].sum() == kept
    assert summary.parts["part"].tolist() == ["train", "valid", "test"]
