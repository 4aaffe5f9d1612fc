"""Splits: sizes, disjointness, determinism, the no-future rule, the msr-100k reference counts,
and the materialised views: labels and the division of impressions among the parts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.data import store
from recsys_core.data.dataset import Dataset, TrainSplit
from recsys_core.data.protocols import (
    PROTOCOLS,
    custom_protocol,
    filter_rows,
    get_protocol,
    k_core,
    protocol_parts,
)
from recsys_core.data.splits import (
    SplitData,
    SplitSpec,
    materialise_split,
    parse_split_spec,
    split_rows,
)
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import ConfigError, DataError


def _frame(n_users: int = 50, n_items: int = 40, n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pairs = np.unique(rng.integers(0, [n_users, n_items], size=(n, 2)), axis=0)
    return pd.DataFrame(
        {
            "row_id": np.arange(len(pairs)),
            "user_idx": pairs[:, 0],
            "item_idx": pairs[:, 1],
            "rating": rng.integers(1, 6, len(pairs)).astype(float),
            "timestamp": rng.integers(0, 10_000, len(pairs)),
        }
    )


def _check_partition(frame: pd.DataFrame, parts: dict[str, np.ndarray]) -> None:
    joined = np.concatenate(list(parts.values()))
    assert len(joined) == len(np.unique(joined)), "parts overlap"
    assert set(joined) <= set(frame["row_id"])


@pytest.mark.parametrize("kind", ["random", "user", "item", "temporal"])
def test_split_partitions_rows_with_requested_shares(kind: str) -> None:
    frame = _frame()
    parts = split_rows(frame, SplitSpec(kind=kind, test=0.2, valid=0.1, seed=3))
    _check_partition(frame, parts)
    assert sum(len(p) for p in parts.values()) == len(frame)
    assert len(parts["test"]) / len(frame) == pytest.approx(0.2, abs=0.04)
    assert len(parts["valid"]) / len(frame) == pytest.approx(0.1, abs=0.04)


def test_split_is_deterministic_by_seed() -> None:
    frame = _frame()
    a = split_rows(frame, SplitSpec(kind="user", seed=1))
    b = split_rows(frame, SplitSpec(kind="user", seed=1))
    c = split_rows(frame, SplitSpec(kind="user", seed=2))
    assert np.array_equal(a["test"], b["test"])
    assert not np.array_equal(a["test"], c["test"])


def test_user_stratified_split_cuts_each_user_at_rounded_share() -> None:
    frame = _frame()
    parts = split_rows(frame, SplitSpec(kind="user", test=0.25, seed=5))
    per_user = frame.groupby("user_idx").size()
    train_users = frame.set_index("row_id").loc[parts["train"], "user_idx"].value_counts()
    expected = np.round(0.75 * per_user)
    assert (train_users.reindex(per_user.index, fill_value=0) == expected).all()


def test_temporal_split_never_trains_on_the_future() -> None:
    frame = _frame()
    parts = split_rows(frame, SplitSpec(kind="temporal", test=0.2, valid=0.1))
    ts = frame.set_index("row_id")["timestamp"]
    assert ts.loc[parts["train"]].max() < ts.loc[parts["valid"]].min()
    assert ts.loc[parts["valid"]].max() < ts.loc[parts["test"]].min()


def test_leave_last_out_holds_out_each_users_latest_rows() -> None:
    frame = _frame()
    parts = split_rows(frame, SplitSpec(kind="leave-last-out", test=0.1, valid=0.1))
    indexed = frame.set_index("row_id")
    test, valid = indexed.loc[parts["test"]], indexed.loc[parts["valid"]]
    assert test["user_idx"].is_unique and valid["user_idx"].is_unique
    latest = frame.sort_values(["timestamp", "row_id"]).groupby("user_idx").tail(1)
    assert set(test.index) == set(latest["row_id"])
    train_last = indexed.loc[parts["train"]].groupby("user_idx")["timestamp"].max()
    assert (train_last <= valid.set_index("user_idx")["timestamp"].reindex(train_last.index)).all()


def test_time_based_split_without_timestamps_says_what_to_do() -> None:
    frame = _frame()
    frame["timestamp"] = pd.array([None] * len(frame), dtype="Int64")
    with pytest.raises(DataError, match="needs timestamps"):
        split_rows(frame, SplitSpec(kind="temporal"))


def test_parse_split_spec() -> None:
    spec = parse_split_spec("user:test=0.3,valid=0.1,seed=7")
    assert spec == SplitSpec(kind="user", test=0.3, valid=0.1, seed=7)
    assert parse_split_spec("leave-last-out").kind == "leave-last-out"
    with pytest.raises(ConfigError, match="unknown split kind"):
        parse_split_spec("weird")
    with pytest.raises(ConfigError, match="bad split option"):
        parse_split_spec("user:tset=0.2")
    with pytest.raises(ConfigError, match="must be in"):
        parse_split_spec("random:test=0.7,valid=0.4")


def test_k_core_leaves_every_user_and_item_with_enough_rows() -> None:
    cored = k_core(_frame(n=900), 10)
    assert cored.groupby("user_idx").size().min() >= 10
    assert cored.groupby("item_idx").size().min() >= 10


def test_recbole_ctr_drops_rating_three() -> None:
    kept = filter_rows(_frame(), get_protocol("recbole-ctr"))
    assert 3.0 not in set(kept["rating"])


def test_unknown_protocol_lists_presets() -> None:
    with pytest.raises(ConfigError, match="msr-100k"):
        get_protocol("nope")


@pytest.mark.needs_movielens
def test_msr_100k_split_matches_microsoft_recommenders_sizes(ml100k_frame: pd.DataFrame) -> None:
    """python_stratified_split(df, ratio=0.75, filter_by="item", seed=42) gives 75,066 / 24,934."""
    parts = protocol_parts(ml100k_frame, PROTOCOLS["msr-100k"])
    assert len(parts["train"]) == 75_066
    assert len(parts["test"]) == 24_934
    assert "valid" not in parts


# --- materialised views: labels and impressions ---------------------------------------------------


def _dataset(
    interactions: pd.DataFrame, impressions: pd.DataFrame | None, n_users: int, n_items: int
) -> Dataset:
    interactions = interactions.assign(
        row_id=np.arange(len(interactions)),
        timestamp=pd.array(interactions["timestamp"], dtype="Int64"),
        session_id=pd.array([pd.NA] * len(interactions), dtype="Int64"),
    )
    users = pd.DataFrame({"user_id": [f"u{u}" for u in range(n_users)]})
    items = pd.DataFrame({"item_id": [f"i{i}" for i in range(n_items)]})
    return Dataset("toy", interactions, users, items, impressions, "fp")


def _impressions(rows: list[tuple[int, int, int]]) -> pd.DataFrame:
    """(user, item, timestamp) rows; request_id numbers them so each can be traced."""
    user, item, ts = (list(col) for col in zip(*rows, strict=True))
    return pd.DataFrame(
        {
            "request_id": np.arange(len(rows)),
            "user_idx": user,
            "item_idx": item,
            "position": 1,
            "clicked": True,
            "relevance": 0.5,
            "examination": 1.0,
            "timestamp": ts,
        }
    )


#: rows 0..5 as (user, item, rating, timestamp)
TOY_ROWS = pd.DataFrame(
    [(0, 0, 5.0, 10), (0, 1, 2.0, 20), (0, 2, 4.0, 30), (1, 0, 3.0, 15), (1, 2, 1.0, 25),
     (1, 3, 4.5, 35)],
    columns=["user_idx", "item_idx", "rating", "timestamp"],
)  # fmt: skip


def _request_ids(split: SplitData) -> dict[str, list[int]]:
    views = {"train": split.train, "valid": split.valid, "test": split.test}
    return {
        part: sorted(view.impressions["request_id"].tolist())
        for part, view in views.items()
        if view is not None and view.impressions is not None
    }


def test_materialise_split_labels_rows_rated_at_least_the_threshold() -> None:
    dataset = _dataset(TOY_ROWS, None, 2, 4)
    parts = {"train": np.array([0, 1, 3, 4]), "test": np.array([2, 5])}
    spec = custom_protocol(SplitSpec(kind="random"), relevant_min_rating=4.0).to_dict()
    split = materialise_split(dataset, "s", spec, parts)
    assert split.train.label is not None and split.train.label.dtype == np.float32
    assert split.train.label.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert split.test.label is not None and split.test.label.tolist() == [1.0, 1.0]
    assert split.train.impressions is None  # the dataset has none
    no_threshold = materialise_split(dataset, "s", {"kind": "random"}, parts)
    assert no_threshold.train.label is None
    unrated = _dataset(TOY_ROWS.assign(rating=np.nan), None, 2, 4)
    assert materialise_split(unrated, "s", spec, parts).test.label is None


def test_impressions_follow_their_pair_to_the_latest_part_else_train() -> None:
    impressions = _impressions(
        [(0, 2, 1), (1, 3, 2), (0, 0, 3), (1, 1, 99), (0, 1, 4), (1, 2, 5), (1, 2, 50)]
    )
    dataset = _dataset(TOY_ROWS, impressions, 2, 4)
    # test pairs (0, 2), (1, 3); valid pair (0, 1); (1, 1) is in no part.
    parts = {"train": np.array([0, 3, 4]), "valid": np.array([1]), "test": np.array([2, 5])}
    split = materialise_split(dataset, "s", {"kind": "user"}, parts)
    assert _request_ids(split) == {"train": [2, 3, 5, 6], "valid": [4], "test": [0, 1]}
    repeated = _dataset(pd.concat([TOY_ROWS, TOY_ROWS.iloc[[4]]]), impressions, 2, 4)
    parts = {"train": np.array([0, 1, 3, 4]), "test": np.array([2, 5, 6])}  # (1, 2) also in test
    split = materialise_split(repeated, "s", {"kind": "random"}, parts)
    assert _request_ids(split) == {"train": [2, 3, 4], "test": [0, 1, 5, 6]}
    assert split.test.impressions is not None
    assert list(split.test.impressions.columns) == list(impressions.columns)
    assert split.test.impressions.index.tolist() == [0, 1, 2, 3]


def test_temporal_impressions_are_cut_by_time_alone() -> None:
    impressions = _impressions([(0, 2, 5), (1, 0, 29), (1, 3, 30), (0, 0, 31), (1, 1, 40)])
    dataset = _dataset(TOY_ROWS, impressions, 2, 4)
    parts = split_rows(dataset.interactions, SplitSpec(kind="temporal", test=0.2))
    assert parts["test"].tolist() == [2, 5]  # times 30 and 35: the test window starts at 30
    spec = custom_protocol(SplitSpec(kind="temporal", test=0.2)).to_dict()
    split = materialise_split(dataset, "s", spec, parts)
    # (0, 2) is a test pair, but shown at time 5: that is training-window data.
    assert _request_ids(split) == {"train": [0, 1], "test": [2, 3, 4]}


def test_leave_last_out_holds_out_each_users_window() -> None:
    impressions = _impressions([(0, 3, 29), (0, 3, 30), (1, 1, 34), (1, 1, 36), (0, 2, 1)])
    dataset = _dataset(TOY_ROWS, impressions, 2, 4)
    parts = split_rows(dataset.interactions, SplitSpec(kind="leave-last-out", test=0.1))
    assert parts["test"].tolist() == [2, 5]  # user 0 from time 30, user 1 from 35
    split = materialise_split(dataset, "s", {"kind": "leave-last-out"}, parts)
    assert _request_ids(split) == {"train": [0, 2], "test": [1, 3, 4]}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """A small synthetic catalogue with impressions, as the store gives it back."""
    path = tmp_path_factory.mktemp("synthetic") / "recsys.duckdb"
    frames = generate_synthetic(n_users=150, n_items=80, n_interactions=3000, seed=4)
    store.write_dataset(frames, path=path)
    return store.load_dataset("synthetic", path=path)


def _keys(frame: pd.DataFrame | TrainSplit, n_items: int) -> np.ndarray:
    if isinstance(frame, TrainSplit):
        return frame.user_idx * n_items + frame.item_idx
    return frame["user_idx"].to_numpy(np.int64) * n_items + frame["item_idx"].to_numpy(np.int64)


@pytest.mark.parametrize("kind", ["random", "user", "item", "temporal", "leave-last-out"])
def test_synthetic_impressions_land_in_one_part_and_never_leak_held_out_clicks(
    synthetic: Dataset, kind: str
) -> None:
    assert synthetic.impressions is not None
    protocol = custom_protocol(SplitSpec(kind=kind, test=0.2, valid=0.1, seed=1))
    parts = protocol_parts(synthetic.interactions, protocol)
    split = materialise_split(synthetic, "s", protocol.to_dict(), parts)
    assert split.valid is not None
    held_out = (split.valid, split.test)
    frames = {"train": split.train.impressions, "valid": split.valid.impressions}
    frames["test"] = split.test.impressions
    assert all(frame is not None for frame in frames.values())
    key = ["request_id", "position"]
    joined = pd.concat(frames.values()).sort_values(key).reset_index(drop=True)
    expected = synthetic.impressions.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(joined, expected)  # every impression exactly once
    train_imp = frames["train"]
    assert train_imp is not None
    if kind == "temporal":
        window = min(int(view.timestamp.min()) for view in held_out if view.timestamp is not None)
        assert train_imp["timestamp"].max() < window
        return
    n_items = synthetic.n_items
    held_keys = np.concatenate([_keys(view, n_items) for view in held_out])
    assert not np.isin(_keys(train_imp, n_items), held_keys).any()
    test_keys = _keys(split.test, n_items)
    everywhere = np.isin(_keys(synthetic.impressions, n_items), test_keys).sum()
    assert everywhere > 0
    assert np.isin(_keys(frames["test"], n_items), test_keys).sum() == everywhere
    if kind == "leave-last-out":
        first_held = (
            pd.concat([pd.Series(view.timestamp, index=view.user_idx) for view in held_out])
            .groupby(level=0)
            .min()
        )
        start = first_held.reindex(train_imp["user_idx"]).to_numpy()  # NaN: nothing held out
        assert not (train_imp["timestamp"].to_numpy() >= start).any()
