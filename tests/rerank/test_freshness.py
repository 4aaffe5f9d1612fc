"""The freshness boost adds weight * 2^(-age / half-life) to relevance, nothing else."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from recsys_core.errors import ConfigError
from recsys_core.rerank.base import Candidates, RerankContext, normalise_scores
from recsys_core.rerank.freshness import Freshness
from recsys_core.rerank.pipeline import RerankPipeline

# Item ages in years: new, one and two half-lives (5 years), unknown, released after the window.
AGES = np.array([0.0, 5.0, 10.0, np.nan, -2.0, 20.0])


@pytest.fixture
def context(make_context: Callable[..., RerankContext]) -> RerankContext:
    return make_context(item_age=AGES)


def test_the_boost_follows_the_half_life_formula(context: RerankContext) -> None:
    boost = Freshness(weight=0.4, half_life_years=5.0).boost(context)
    assert boost is not None
    np.testing.assert_allclose(boost, [0.4, 0.2, 0.1, 0.0, 0.4, 0.4 / 16])
    np.testing.assert_allclose(
        Freshness(weight=1.0, half_life_years=2.5).boost(context)[:3], [1.0, 0.25, 0.0625]
    )


def test_transform_adds_each_real_candidates_boost_and_leaves_padding(
    context: RerankContext,
) -> None:
    # The last item (age 20) is what a -1 pad would wrongly read.
    items = np.array([[0, 1, 2, 3], [5, 4, -1, -1]])
    relevance = np.array([[0.5, 0.5, 0.5, 0.5], [1.0, 0.0, 0.3, -np.inf]])
    candidates = Candidates(np.array([0, 1]), items, relevance.copy())
    before = relevance.copy()
    out = Freshness(weight=0.4).transform(relevance, candidates, context)
    np.testing.assert_allclose(out, [[0.9, 0.7, 0.6, 0.5], [1.025, 0.4, 0.3, -np.inf]])
    np.testing.assert_array_equal(relevance, before)


def test_equal_relevance_items_come_out_newest_first(context: RerankContext) -> None:
    items = np.array([[5, 2, 3, 1, 0]])  # oldest first, unknown age in the middle
    candidates = Candidates(np.array([0]), items, np.full((1, 5), 3.0))
    result = (
        RerankPipeline.from_settings({"freshness": 0.1})
        .prepare(context)
        .apply(candidates, context, 5)
    )
    np.testing.assert_array_equal(result.item_idx, [[0, 1, 2, 5, 3]])
    np.testing.assert_allclose(result.scores, [[1.1, 1.05, 1.025, 1.0 + 0.1 / 16, 1.0]])


def test_the_weight_trades_relevance_for_freshness(context: RerankContext) -> None:
    # Normalised relevance 1.0 (age 20), 0.85 (new), 0.0 (age 5).
    candidates = Candidates(np.array([0]), np.array([[5, 0, 1]]), np.array([[2.0, 1.7, 0.0]]))
    weak = RerankPipeline.from_settings({"freshness": 0.1}).apply(candidates, context, 2)
    strong = RerankPipeline.from_settings({"freshness": 0.2}).apply(candidates, context, 2)
    np.testing.assert_array_equal(weak.item_idx, [[5, 0]])
    np.testing.assert_array_equal(strong.item_idx, [[0, 5]])
    np.testing.assert_allclose(strong.scores, [[1.05, 1.0 + 0.2 / 16]])


def test_weight_zero_or_no_ages_leaves_the_plain_top_k(
    context: RerankContext, make_context: Callable[..., RerankContext]
) -> None:
    items = np.array([[4, 0, 1, 2], [3, 5, -1, -1]])
    scores = np.where(items >= 0, np.array([4.0, 3.0, 2.0, 1.0]), -np.inf)
    candidates = Candidates(np.array([0, 1]), items, scores)
    no_ages = make_context(n_items=6)
    for settings, ctx in (({"freshness": 0.0}, context), ({"freshness": 1.0}, no_ages)):
        result = RerankPipeline.from_settings(settings).prepare(ctx).apply(candidates, ctx, 3)
        np.testing.assert_array_equal(result.item_idx, items[:, :3])
        np.testing.assert_array_equal(result.scores, normalise_scores(scores)[:, :3])
    assert Freshness(weight=1.0).boost(no_ages) is None


def test_a_half_life_below_its_minimum_is_refused() -> None:
    with pytest.raises(ConfigError, match="half_life_years=0.05 is below its minimum 0.1"):
        Freshness(weight=0.5, half_life_years=0.05)
