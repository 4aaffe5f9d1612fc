"""FA*IR: the ranked group fairness table and prefixes that meet it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from recsys_core.rerank.base import Candidates
from recsys_core.rerank.fairness import Fairness, fair_minimums
from recsys_core.rerank.mmr import MMR  # noqa: F401 - registers "mmr" for the pipeline
from recsys_core.rerank.pipeline import RerankPipeline


def fair_order(context, k, relevance, items=None, **options):
    items = np.array(items or [list(range(relevance.shape[1]))])
    cands = Candidates(np.arange(len(items)), items, np.asarray(relevance, float))
    return Fairness(**options).order(np.asarray(relevance, float), cands, context, k)


def test_table_matches_hand_computed_binomials() -> None:
    # p = .5: CDF(0; 3) = 1/8 >= .1, CDF(0; 4) = 1/16 < .1 <= CDF(1; 4) = 5/16,
    # CDF(2; 10) = 56/1024 < .1 <= CDF(3; 10) = 176/1024.
    table = fair_minimums(10, 0.5, 0.1)
    assert (table[2], table[3], table[9]) == (0, 1, 3)
    np.testing.assert_array_equal(fair_minimums(5, 0.0, 0.1), [0, 0, 0, 0, 0])
    np.testing.assert_array_equal(fair_minimums(5, 1.0, 0.1), [1, 2, 3, 4, 5])


@pytest.mark.parametrize("p", [0.2, 0.5, 0.7, 0.9])
@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.3])
def test_table_is_the_binomial_quantile(p: float, alpha: float) -> None:
    table = fair_minimums(20, p, alpha)
    t = np.arange(1, 21)
    # Smallest m with CDF(m) >= alpha; exact ties (p = .9, t = 1: CDF(0) = .1) may go either way.
    assert (binom.cdf(table, t, p) >= alpha - 1e-12).all()
    assert (binom.cdf(table - 1, t, p) < alpha + 1e-12).all()
    assert (np.diff(table) >= 0).all()


def test_protected_items_are_moved_up_exactly_where_needed(make_context) -> None:
    context = make_context(long_tail=[False] * 6 + [True] * 3)
    relevance = np.linspace(1.0, 0.2, 9)[None, :]
    # p = .5: m = 0, 0, 0, 1, 1, 1, so position 4 takes the best protected item (6).
    order = fair_order(context, 6, relevance, weight=0.5, alpha=0.1)
    np.testing.assert_array_equal(order, [[0, 1, 2, 6, 3, 4, 5, 7, 8]])


@pytest.mark.parametrize("p", [0.3, 0.5, 0.8])
def test_every_prefix_meets_the_table_on_random_batches(make_context, p: float) -> None:
    rng = np.random.default_rng(int(p * 10))
    n_items, n, k = 300, 40, 15
    long_tail = rng.random(n_items) < 0.5
    context = make_context(long_tail=long_tail)
    items = np.stack([rng.permutation(n_items)[:n] for _ in range(25)])
    relevance = np.sort(rng.random((25, n)), axis=1)[:, ::-1]
    order = fair_order(context, k, relevance, items.tolist(), weight=p, alpha=0.1)
    listed = np.take_along_axis(items, order[:, :k], axis=1)
    protected = long_tail[listed]
    assert (protected.cumsum(axis=1) >= fair_minimums(k, p, 0.1)).all()
    for row_protected, row in zip(protected, order, strict=True):
        # Within each group the list keeps incoming (relevance) order, as do the columns left.
        for group in (row_protected, ~row_protected):
            assert (np.diff(row[:k][group]) > 0).all()
        np.testing.assert_array_equal(row[k:], sorted(row[k:]))


def test_without_protected_items_left_the_most_relevant_is_taken(make_context) -> None:
    context = make_context(long_tail=[True, False, False, False])
    relevance = np.array([[0.2, 1.0, 0.8, 0.6]])
    order = fair_order(context, 4, relevance, weight=1.0, alpha=0.1)
    np.testing.assert_array_equal(order, [[0, 1, 2, 3]])


def test_dropped_and_padded_candidates_never_enter_the_list(make_context) -> None:
    context = make_context(long_tail=[False, False, True, True])
    # The protected items are dropped or padding: the list is filled with finite ones.
    relevance = np.array([[1.0, 0.5, -np.inf, -np.inf]])
    order = fair_order(context, 2, relevance, [[0, 1, 2, -1]], weight=1.0, alpha=0.1)
    np.testing.assert_array_equal(order, [[0, 1, 2, 3]])


def test_through_the_pipeline(make_context) -> None:
    context = make_context(long_tail=[False] * 6 + [True] * 3)
    cands = Candidates(np.array([0]), np.arange(9)[None, :], np.linspace(9.0, 1.0, 9)[None, :])
    out = RerankPipeline.from_settings({"fairness": 0.5}).prepare(context).apply(cands, context, 6)
    np.testing.assert_array_equal(out.item_idx, [[0, 1, 2, 6, 3, 4]])
    np.testing.assert_allclose(out.scores[0, 3], (3.0 - 1.0) / 8.0)  # item 6 scored 3 of 1..9


def test_after_mmr_only_what_fairness_demands_moves(make_context) -> None:
    # MMR (lambda .5) turns relevance order 0, 1, 2, 3 into 0, 2, 1, 3 (see test_mmr).
    vectors = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    cands = Candidates(np.array([0]), np.arange(4)[None, :], np.array([[5.0, 4.5, 2.5, 2.0]]))
    fair_already = make_context(item_vectors=vectors, long_tail=[False, True, False, False])
    pipeline = RerankPipeline.from_settings({"fairness": 0.5, "mmr": 0.5})
    out = pipeline.prepare(fair_already).apply(cands, fair_already, 4)
    np.testing.assert_array_equal(out.item_idx, [[0, 2, 1, 3]])  # m(4) = 1 is met: kept
    # p = .7: m = 0, 1, 1, 2 pulls item 3 to position 2; the others keep MMR's order.
    context = make_context(item_vectors=vectors, long_tail=[False, False, False, True])
    pipeline = RerankPipeline.from_settings({"fairness": 0.7, "mmr": 0.5})
    out = pipeline.prepare(context).apply(cands, context, 4)
    np.testing.assert_array_equal(out.item_idx, [[0, 3, 2, 1]])
