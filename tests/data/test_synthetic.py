"""The synthetic catalogue: sizes, integrity, planted structure, sessions and the click model."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from recsys_core.data.frames import (
    IMPRESSION_COLUMNS,
    INTERACTION_COLUMNS,
    ITEM_COLUMNS,
    USER_COLUMNS,
    DatasetFrames,
)
from recsys_core.data.ingest import prepare_dataset
from recsys_core.data.synthetic import (
    GENRE_NAMES,
    PlantedTruth,
    SyntheticConfig,
    generate_synthetic,
    planted_truth,
)
from recsys_core.data.synthetic import choices as synthetic
from recsys_core.errors import ConfigError

SMALL = {"n_users": 200, "n_items": 120, "n_interactions": 3_000, "requests_per_user": 3}


@pytest.fixture(scope="module")
def config() -> SyntheticConfig:
    return SyntheticConfig()


@pytest.fixture(scope="module")
def frames(config: SyntheticConfig) -> DatasetFrames:
    return generate_synthetic(config)


@pytest.fixture(scope="module")
def truth(config: SyntheticConfig) -> PlantedTruth:
    return planted_truth(config)


def _idx(ids: pd.Series) -> np.ndarray:
    """'u00042' -> 41: ids are 1-based, zero-padded numbers behind a one-letter prefix."""
    return ids.str.slice(1).astype(np.int64).to_numpy() - 1


# --- determinism, sizes, schema ------------------------------------------------------------------


def test_same_seed_gives_identical_frames_and_another_seed_does_not() -> None:
    first, second = generate_synthetic(**SMALL), generate_synthetic(**SMALL)
    for table in ("interactions", "items", "users", "impressions"):
        pd.testing.assert_frame_equal(
            getattr(first, table), getattr(second, table), check_exact=True
        )
    assert first.meta == second.meta and first.source == second.source == "generator:seed=42"
    other = generate_synthetic(**SMALL, seed=7)
    assert not first.interactions.equals(other.interactions)
    assert not first.impressions.equals(other.impressions)


def test_sizes_are_exact(frames: DatasetFrames, config: SyntheticConfig) -> None:
    assert len(frames.interactions) == config.n_interactions
    assert len(frames.users) == config.n_users and len(frames.items) == config.n_items
    expected = config.n_users * config.requests_per_user * config.slots_per_request
    assert len(frames.impressions) == expected
    odd = generate_synthetic(n_users=150, n_items=80, n_interactions=1_234, requests_per_user=2)
    assert len(odd.interactions) == 1_234 and len(odd.impressions) == 150 * 2 * 10


def test_columns_dtypes_and_ids(frames: DatasetFrames) -> None:
    assert tuple(frames.interactions.columns) == INTERACTION_COLUMNS
    assert tuple(frames.items.columns) == ITEM_COLUMNS
    assert tuple(frames.users.columns) == USER_COLUMNS
    assert tuple(frames.impressions.columns) == IMPRESSION_COLUMNS
    expected = {
        "interactions": {"rating": "float64", "timestamp": "Int64", "session_id": "Int64"},
        "items": {"year": "Int64", "release_ts": "Int64"},
        "users": {"age": "Int64"},
        "impressions": {
            "request_id": "Int64",
            "position": "Int64",
            "clicked": "Int64",
            "relevance": "float64",
            "examination": "float64",
            "timestamp": "Int64",
            "propensity": "float64",
            "explored": "bool",
        },
    }
    for table, dtypes in expected.items():
        frame = getattr(frames, table)
        assert not frame.isna().any().any(), f"{table} has missing values"
        for column in frame.columns:
            want = dtypes.get(column, "str")
            assert str(frame[column].dtype) == want, (table, column, frame[column].dtype)
    assert frames.users["user_id"].iloc[[0, -1]].tolist() == ["u00001", "u02000"]
    assert frames.items["item_id"].iloc[[0, -1]].tolist() == ["i00001", "i01000"]
    assert frames.users["user_id"].is_unique and frames.items["item_id"].is_unique


def test_store_ingest_accepts_the_frames(frames: DatasetFrames) -> None:
    prepared = prepare_dataset(frames)
    assert prepared.interactions.num_rows == len(frames.interactions)
    assert prepared.impressions.num_rows == len(frames.impressions)


def test_meta_records_the_config(frames: DatasetFrames, config: SyntheticConfig) -> None:
    assert SyntheticConfig(**frames.meta["config"]) == config
    assert frames.meta["rating_scale"] == [1.0, 5.0]


# --- interactions --------------------------------------------------------------------------------


def test_no_duplicate_pairs_and_every_referenced_id_exists(frames: DatasetFrames) -> None:
    inter, imp = frames.interactions, frames.impressions
    assert not inter.duplicated(["user_id", "item_id"]).any()
    for table in (inter, imp):
        assert table["user_id"].isin(frames.users["user_id"]).all()
        assert table["item_id"].isin(frames.items["item_id"]).all()


def test_user_activity_has_a_floor_a_cap_and_a_heavy_tail(
    frames: DatasetFrames, config: SyntheticConfig
) -> None:
    counts = frames.interactions.groupby("user_id").size()
    assert len(counts) == config.n_users
    assert counts.min() >= config.min_user_interactions
    assert counts.max() <= config.max_user_interactions
    assert counts.max() > 8 * counts.median()
    assert counts.std() / counts.mean() > 0.8


def _popularity_profile(frames: DatasetFrames) -> tuple[float, float]:
    """(share of interactions on the top 10 % of items, log-log slope of ranks 10..300)."""
    counts = np.sort(frames.interactions["item_id"].value_counts().to_numpy())[::-1]
    top_share = counts[: len(frames.items) // 10].sum() / counts.sum()
    ranks = np.arange(1, len(counts) + 1)
    band = (ranks >= 10) & (ranks <= 300)
    slope = np.polyfit(np.log(ranks[band]), np.log(counts[band]), 1)[0]
    return float(top_share), float(slope)


def test_item_popularity_is_heavy_tailed_and_follows_the_exponent(frames: DatasetFrames) -> None:
    top_share, slope = _popularity_profile(frames)
    assert top_share > 0.3  # uniform would give 0.1
    assert -1.0 < slope < -0.4
    flat_share, flat_slope = _popularity_profile(generate_synthetic(popularity_exponent=0.3))
    assert flat_share < top_share - 0.1 and flat_slope > slope + 0.2


def test_timestamps_fall_in_the_span_and_after_release(
    frames: DatasetFrames, config: SyntheticConfig
) -> None:
    release = frames.items["release_ts"].to_numpy(dtype=np.int64)
    for table in (frames.interactions, frames.impressions):
        ts = table["timestamp"].to_numpy(dtype=np.int64)
        assert (ts >= release[_idx(table["item_id"])]).all()
        assert ts.min() >= config.start_ts
        assert ts.max() < config.start_ts + config.span_days * 86_400
    back_catalogue = release < config.start_ts
    assert 0.55 < back_catalogue.mean() < 0.65  # the rest is released during the span
    years = frames.items["year"].to_numpy(dtype=np.int64)
    assert (years == pd.to_datetime(release, unit="s").year).all()


def test_sessions_follow_the_gap_rule(frames: DatasetFrames, config: SyntheticConfig) -> None:
    inter = frames.interactions
    user = _idx(inter["user_id"])
    ts = inter["timestamp"].to_numpy(dtype=np.int64)
    session = inter["session_id"].to_numpy(dtype=np.int64)
    same_user = user[1:] == user[:-1]
    assert (np.diff(user) >= 0).all() and (np.diff(ts)[same_user] >= 0).all()
    gap = np.diff(ts) > config.session_gap_minutes * 60
    new_session = np.diff(session) == 1
    assert (np.diff(session) >= 0).all() and session[0] == 0
    assert (new_session == (~same_user | gap)).all()
    assert inter.groupby("session_id")["user_id"].nunique().max() == 1
    sizes = np.bincount(session)
    assert 3 < sizes.mean() < 8 and sizes.max() > 10


def test_ratings_are_stars_that_follow_the_planted_affinity(
    frames: DatasetFrames, truth: PlantedTruth
) -> None:
    inter = frames.interactions
    rating = inter["rating"].to_numpy()
    assert set(np.unique(rating)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert 3.2 < rating.mean() < 4.0
    affinity = truth.affinity(_idx(inter["user_id"]), _idx(inter["item_id"]))
    assert stats.spearmanr(rating, affinity).statistic > 0.6


def _hit_rate(scores: np.ndarray, seen: np.ndarray, users: np.ndarray, held: np.ndarray) -> float:
    scores = np.where(seen, -np.inf, scores)
    top = np.argsort(-scores, axis=1)[:, :10]
    return float((top[users] == held[:, None]).any(axis=1).mean())


def test_planted_factors_predict_held_out_items_better_than_popularity(
    frames: DatasetFrames, truth: PlantedTruth, config: SyntheticConfig
) -> None:
    user = _idx(frames.interactions["user_id"])
    item = _idx(frames.interactions["item_id"])
    rng = np.random.default_rng(0)
    order = rng.permutation(len(user))
    held_rows = order[np.unique(user[order], return_index=True)[1]]  # one random row per user
    train = np.ones(len(user), dtype=bool)
    train[held_rows] = False
    seen = np.zeros((config.n_users, config.n_items), dtype=bool)
    seen[user[train], item[train]] = True
    popularity = np.bincount(item[train], minlength=config.n_items).astype(float)
    affinity = truth.user_factors @ truth.item_factors.T
    args = (seen, user[held_rows], item[held_rows])
    hr_popularity = _hit_rate(np.broadcast_to(popularity, seen.shape), *args)
    hr_affinity = _hit_rate(affinity, *args)
    hr_oracle = _hit_rate(affinity / config.temperature + truth.item_log_popularity, *args)
    assert hr_popularity > 0.1  # popularity is a real baseline here, as in real data
    assert hr_affinity > hr_popularity
    assert hr_oracle > 1.8 * hr_popularity


def _held_out_auc(factors: np.ndarray, label: np.ndarray) -> float:
    """AUC on the second half of a linear score fitted on the first (difference of class means)."""
    half = len(label) // 2
    fit, test = slice(None, half), slice(half, None)
    direction = factors[fit][label[fit]].mean(axis=0) - factors[fit][~label[fit]].mean(axis=0)
    return float(roc_auc_score(label[test], factors[test] @ direction))


def test_genres_and_tags_correlate_with_the_item_factors(
    frames: DatasetFrames, truth: PlantedTruth, config: SyntheticConfig
) -> None:
    genres = frames.items["genres"].str.split("|")
    assert genres.map(len).between(1, 3).all()
    assert set(itertools.chain.from_iterable(genres)) == set(GENRE_NAMES[: config.n_genres])
    rng = np.random.default_rng(0)
    aucs, shuffled = [], []
    for name in GENRE_NAMES[: config.n_genres]:
        label = genres.map(lambda g, name=name: name in g).to_numpy(dtype=bool)
        aucs.append(_held_out_auc(truth.item_factors, label))
        shuffled.append(_held_out_auc(truth.item_factors, rng.permutation(label)))
    assert np.mean(aucs) > 0.8 and min(aucs) > 0.65
    assert abs(np.mean(shuffled) - 0.5) < 0.05
    tags = frames.items["tags"]
    assert (tags == "").mean() > 0.1 and tags.str.count(r"\|").max() == 2


def test_titles_and_users_carry_words_and_demographics(frames: DatasetFrames) -> None:
    words = frames.items["title"].str.split()
    assert words.map(len).between(2, 3).all()
    assert frames.items["title"].nunique() > 300
    users = frames.users
    assert users["age"].between(13, 80).all()
    assert set(users["gender"]) == {"F", "M"}
    assert users["zip"].str.fullmatch(r"\d{5}").all()
    assert users["occupation"].nunique() > 10


# --- impressions and the click model --------------------------------------------------------------


def test_impressions_are_slates_of_distinct_items_at_positions_1_to_p(
    frames: DatasetFrames, config: SyntheticConfig
) -> None:
    imp = frames.impressions
    request = imp["request_id"].to_numpy(dtype=np.int64)
    position = imp["position"].to_numpy(dtype=np.int64)
    p = config.slots_per_request
    assert (request == np.repeat(np.arange(len(imp) // p), p)).all()
    assert (position == np.tile(np.arange(1, p + 1), len(imp) // p)).all()
    assert not imp.duplicated(["request_id", "item_id"]).any()
    per_request = imp.groupby("request_id")
    assert (per_request["user_id"].nunique() == 1).all()
    assert (per_request["timestamp"].nunique() == 1).all()
    assert set(imp["clicked"].unique()) == {0, 1}


def test_examination_and_relevance_are_the_stated_click_model(
    frames: DatasetFrames, truth: PlantedTruth, config: SyntheticConfig
) -> None:
    imp = frames.impressions
    position = imp["position"].to_numpy(dtype=np.float64)
    np.testing.assert_allclose(imp["examination"], position**-config.examination_exponent)
    affinity = truth.affinity(_idx(imp["user_id"]), _idx(imp["item_id"])).astype(np.float64)
    logit = affinity / config.temperature + config.relevance_bias
    np.testing.assert_allclose(imp["relevance"], 1 / (1 + np.exp(-logit)), rtol=1e-6)


def test_ctr_per_position_matches_examination_times_relevance(frames: DatasetFrames) -> None:
    imp = frames.impressions
    by_position = imp.assign(p_click=imp["examination"] * imp["relevance"]).groupby("position")
    ctr = by_position["clicked"].mean().to_numpy()
    expected = by_position["p_click"].mean().to_numpy()
    n = by_position.size().to_numpy()
    se = np.sqrt(expected * (1 - expected) / n)
    assert (np.abs(ctr - expected) < 4 * se).all()
    assert (np.diff(ctr)[:5] < 0).all() and (np.diff(ctr) < 0.005).all()
    assert ctr[0] > 3 * ctr[-1]


def test_without_position_bias_ctr_equals_mean_relevance() -> None:
    imp = generate_synthetic(**SMALL, examination_exponent=0.0).impressions
    assert (imp["examination"] == 1.0).all()
    assert imp["clicked"].mean() == pytest.approx(imp["relevance"].mean(), abs=0.03)


# --- the sampler ----------------------------------------------------------------------------------


def _tiny_truth(release: np.ndarray) -> PlantedTruth:
    rng = np.random.default_rng(3)
    log_w = np.log(np.array([0.4, 0.25, 0.15, 0.1, 0.06, 0.04]))
    return PlantedTruth(
        user_factors=rng.standard_normal((1, 2)).astype(np.float32),
        item_factors=rng.standard_normal((6, 2)).astype(np.float32),
        item_log_popularity=log_w,
        item_release_ts=release,
    )


def _triple_probabilities(p: np.ndarray) -> dict[tuple[int, int, int], float]:
    """Exact Plackett-Luce probabilities of every ordered triple of distinct items."""
    out = {}
    for a, b, c in itertools.permutations(np.flatnonzero(p > 0), 3):
        out[(a, b, c)] = p[a] * p[b] / (1 - p[a]) * p[c] / (1 - p[a] - p[b])
    return out


@pytest.mark.parametrize(
    ("personal", "rounds"),
    [(1.0, synthetic._SAMPLING_ROUNDS), (0.3, synthetic._SAMPLING_ROUNDS), (0.6, 0)],
    ids=["users-taste", "mixed-policy", "exact-fallback"],
)
def test_sampler_draws_exact_plackett_luce_slates(
    personal: float, rounds: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synthetic, "_SAMPLING_ROUNDS", rounds)
    release = np.array([0, 0, 0, 0, 0, 50])  # item 5 comes out after every group's limit
    truth = _tiny_truth(release)
    model = synthetic._ChoiceModel(truth, inverse_temperature=1.5)
    n_groups = 30_000
    groups = synthetic._Groups(
        user=np.zeros(n_groups, dtype=np.int64),
        size=np.full(n_groups, 3),
        limit=np.full(n_groups, 10),
        personal=np.full(n_groups, personal),
    )
    group, item = synthetic._sample_distinct(model, groups, np.random.default_rng(0))
    assert (group == np.repeat(np.arange(n_groups), 3)).all()
    slates = item.reshape(n_groups, 3)
    affinity = 1.5 * (truth.user_factors @ truth.item_factors.T)[0]
    taste = np.exp(truth.item_log_popularity + affinity)
    mixed = personal * taste / taste.sum() + (1 - personal) * np.exp(truth.item_log_popularity)
    mixed[5] = 0.0
    expected = _triple_probabilities(mixed / mixed.sum())
    observed = pd.Series(map(tuple, slates)).value_counts()
    assert set(observed.index) <= set(expected)
    keys = list(expected)
    counts = np.array([observed.get(k, 0) for k in keys])
    result = stats.chisquare(counts, np.array([expected[k] for k in keys]) * n_groups)
    assert result.pvalue > 1e-3


def test_heavy_users_get_their_full_activity_through_the_fallback() -> None:
    frames = generate_synthetic(
        n_users=40, n_items=60, n_interactions=1_000, activity_sigma=3.0, requests_per_user=1
    )
    counts = frames.interactions.groupby("user_id").size()
    assert counts.sum() == 1_000 and counts.max() == 30  # the cap: half the catalogue
    assert not frames.interactions.duplicated(["user_id", "item_id"]).any()


# --- configuration --------------------------------------------------------------------------------


def test_planted_truth_is_deterministic_and_independent_of_sizes(truth: PlantedTruth) -> None:
    again = planted_truth(SyntheticConfig())
    np.testing.assert_array_equal(truth.user_factors, again.user_factors)
    np.testing.assert_array_equal(truth.item_release_ts, again.item_release_ts)
    more = planted_truth(SyntheticConfig(n_interactions=150_000, requests_per_user=2))
    np.testing.assert_array_equal(truth.item_factors, more.item_factors)
    np.testing.assert_allclose(np.exp(truth.item_log_popularity).sum(), 1.0)
    pairs = truth.affinity(np.arange(1000) % 2000, np.arange(1000))
    assert 0.7 < pairs.std() < 1.3  # unit variance by construction


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"n_interactions": 999}, "n_interactions=999 is outside"),
        ({"n_interactions": 10_000_001}, "is outside"),
        ({"n_users": 20, "n_items": 100, "n_interactions": 1_001}, "more than the user x item"),
        ({"n_users": 300, "n_interactions": 1_000}, "below n_users x min_user_interactions"),
        ({"min_user_interactions": 30, "n_items": 40}, "exceeds the 20 items a user may have"),
        ({"slots_per_request": 30, "n_items": 40, "n_users": 40}, "slots_per_request=30"),
        ({"n_users": 2_000_000, "n_interactions": 10_000_000}, "impressions exceeds"),
        (
            {
                "n_users": 10**6,
                "n_items": 10**4,
                "n_interactions": 5 * 10**6,
                "requests_per_user": 1,
            },
            "n_users x n_items",
        ),
        ({"temperature": 0.0}, "temperature=0.0 is outside"),
        ({"n_genres": len(GENRE_NAMES) + 1}, "n_genres=19 is outside"),
        ({"start_date": "yesterday"}, "use YYYY-MM-DD"),
        ({"n_users": 1_500.0}, "must be a int"),
        ({"n_users": True}, "must be a int"),
        ({"rating_noise": float("nan")}, "finite"),
    ],
)
def test_invalid_configs_are_refused_with_a_reason(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SyntheticConfig(**overrides)
    with pytest.raises(ConfigError, match=message):
        generate_synthetic(**overrides)


def test_unknown_option_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="no option 'users'.*valid options are: .*n_users"):
        generate_synthetic(users=10)


def test_ints_are_accepted_for_float_options() -> None:
    assert SyntheticConfig(temperature=1).temperature == 1.0
