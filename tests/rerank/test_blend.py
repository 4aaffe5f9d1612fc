"""The blend mixes this run's relevance with other runs' per-user normalised scores."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from recsys_core.errors import ConfigError
from recsys_core.rerank.base import Candidates, RerankContext, normalise_scores
from recsys_core.rerank.blend import Blend
from recsys_core.rerank.pipeline import RerankPipeline
from recsys_core.types import FloatArray, IntArray

N_USERS, N_ITEMS = 3, 8
RNG = np.random.default_rng(0)
# Full (U, I) score tables of two other runs; a scorer looks the candidate pairs up.
TABLE_A = RNG.normal(size=(N_USERS, N_ITEMS)) * 10.0
TABLE_B = RNG.normal(size=(N_USERS, N_ITEMS)) + 5.0


def scorer(table: np.ndarray) -> Callable[[IntArray, IntArray], FloatArray]:
    def score(user_idx: IntArray, item_idx: IntArray) -> FloatArray:
        return table[user_idx[:, None], item_idx]  # a -1 pad reads the last item: ignored

    return score


@pytest.fixture
def context(make_context: Callable[..., RerankContext]) -> RerankContext:
    return make_context(
        n_items=N_ITEMS, extras={"blend_scores": {"a": scorer(TABLE_A), "b": scorer(TABLE_B)}}
    )


@pytest.fixture
def candidates() -> Candidates:
    """Three users' candidates, best first by this run; the last row is padded."""
    items = np.array([[0, 1, 2, 3, 4, 5], [7, 6, 5, 4, 3, 2], [2, 4, 6, 1, -1, -1]])
    scores = np.where(items >= 0, np.arange(6, 0, -1, dtype=float), -np.inf)
    return Candidates(np.arange(3), items, scores)


def other_norm(table: np.ndarray, candidates: Candidates) -> FloatArray:
    """(B, N) another run's scores of the candidates, normalised per user over real ones."""
    raw = table[candidates.user_idx[:, None], candidates.item_idx]
    return normalise_scores(np.where(candidates.valid, raw, -np.inf))


def test_weight_one_with_one_run_gives_that_runs_normalised_order(
    candidates: Candidates, context: RerankContext
) -> None:
    pipeline = RerankPipeline.from_settings({"blend": {"weight": 1.0, "runs": ["a"]}})
    result = pipeline.prepare(context).apply(candidates, context, 4)
    norm = other_norm(TABLE_A, candidates)
    order = np.argsort(-norm, axis=1, kind="stable")[:, :4]
    expected = np.take_along_axis(candidates.item_idx, order, axis=1)
    np.testing.assert_array_equal(result.item_idx, expected)
    np.testing.assert_allclose(result.scores, np.take_along_axis(norm, order, axis=1))
    assert result.scores[:, 0].tolist() == [1.0, 1.0, 1.0] and result.scores[0, 3] > 0


def test_weight_zero_is_the_identity(candidates: Candidates, context: RerankContext) -> None:
    relevance = normalise_scores(candidates.scores)
    out = Blend(weight=0.0, runs=("a",)).transform(relevance, candidates, context)
    np.testing.assert_array_equal(out, relevance)
    pipeline = RerankPipeline.from_settings({"blend": {"weight": 0.0, "runs": ["a"]}})
    result = pipeline.prepare(context).apply(candidates, context, 3)
    np.testing.assert_array_equal(result.item_idx, candidates.item_idx[:, :3])
    np.testing.assert_array_equal(result.scores, relevance[:, :3])


def test_per_run_weights_mix_as_the_formula_says(
    candidates: Candidates, context: RerankContext
) -> None:
    relevance = normalise_scores(candidates.scores)
    norm_a, norm_b = other_norm(TABLE_A, candidates), other_norm(TABLE_B, candidates)
    # Weights 1 and 3 are scaled to 0.25 and 0.75.
    blend = Blend(weight=0.4, runs=("a", "b"), run_weights=(1.0, 3.0))
    np.testing.assert_allclose(blend.run_weights, [0.25, 0.75])
    out = blend.transform(relevance, candidates, context)
    expected = 0.6 * relevance + 0.4 * (0.25 * norm_a + 0.75 * norm_b)
    np.testing.assert_allclose(out[candidates.valid], expected[candidates.valid])
    assert np.isneginf(out[~candidates.valid]).all()
    equal = Blend(weight=0.4, runs=("a", "b")).transform(relevance, candidates, context)
    expected = 0.6 * relevance + 0.4 * (0.5 * norm_a + 0.5 * norm_b)
    np.testing.assert_allclose(equal[candidates.valid], expected[candidates.valid])
    result = (
        RerankPipeline.from_settings({"blend": blend.config.to_dict()})
        .prepare(context)
        .apply(candidates, context, 6)
    )
    best = np.argsort(-out, axis=1, kind="stable")
    expected_items = np.take_along_axis(candidates.item_idx, best, axis=1)
    np.testing.assert_array_equal(
        result.item_idx,
        np.where(np.isfinite(np.take_along_axis(out, best, axis=1)), expected_items, -1),
    )


def test_dropped_candidates_stay_dropped_and_bad_scores_count_as_lowest(
    candidates: Candidates, make_context: Callable[..., RerankContext]
) -> None:
    table = TABLE_A.copy()
    table[0, 1] = np.nan
    context = make_context(n_items=N_ITEMS, extras={"blend_scores": {"a": scorer(table)}})
    relevance = normalise_scores(candidates.scores)
    relevance[0, 2] = -np.inf  # dropped by a filter
    with np.errstate(invalid="raise"):
        out = Blend(weight=1.0, runs=("a",)).transform(relevance, candidates, context)
    assert np.isneginf(out[0, 2]) and out[0, 1] == 0.0
    np.testing.assert_allclose(out[1], other_norm(table, candidates)[1])


def test_missing_runs_and_bad_options_raise_config_errors(
    candidates: Candidates, context: RerankContext, make_context: Callable[..., RerankContext]
) -> None:
    with pytest.raises(ConfigError, match=r"run\(s\) \['zz'\] \(available: a, b\)"):
        RerankPipeline.from_settings({"blend": {"weight": 0.5, "runs": ["a", "zz"]}}).prepare(
            context
        )
    with pytest.raises(ConfigError, match=r"\['a'\] \(available: none\)"):
        Blend(weight=0.5, runs=("a",)).prepare(make_context(n_items=N_ITEMS))
    with pytest.raises(ConfigError, match="needs at least one run"):
        Blend(weight=0.5).transform(normalise_scores(candidates.scores), candidates, context)
    with pytest.raises(ConfigError, match="has 1 value"):
        Blend(runs=("a", "b"), run_weights=(1.0,))
    with pytest.raises(ConfigError, match="all 0"):
        Blend(runs=("a",), run_weights=(0.0,))
    with pytest.raises(ConfigError, match="below its minimum"):
        Blend(runs=("a", "b"), run_weights=(1.0, -1.0))
    with pytest.raises(ConfigError, match="lists a run twice"):
        Blend(runs="a,a")
    bad = make_context(
        n_items=N_ITEMS, extras={"blend_scores": {"a": lambda u, i: np.zeros((len(u), 2))}}
    )
    with pytest.raises(ConfigError, match="returned shape"):
        Blend(weight=0.5, runs=("a",)).transform(
            normalise_scores(candidates.scores), candidates, bad
        )


def test_settings_round_trip_through_text_values() -> None:
    blend = Blend(weight="0.3", runs="a, b", run_weights="2,2")
    assert blend.config.to_dict() == {
        "weight": 0.3,
        "runs": ("a", "b"),
        "run_weights": (2.0, 2.0),
    }
    np.testing.assert_allclose(blend.run_weights, [0.5, 0.5])
    rebuilt = RerankPipeline.from_settings(RerankPipeline([blend]).settings())
    assert rebuilt.settings() == {"blend": blend.config.to_dict()}
