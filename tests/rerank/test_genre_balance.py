"""Genre balance: per-genre caps on small hand-made lists and on random batches."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_core.rerank.base import Candidates
from recsys_core.rerank.genre_balance import GenreBalance
from recsys_core.rerank.pipeline import RerankPipeline

# Items 0-3 are genre A, 4 is B, 5 is C; relevance falls with the index.
GENRES = np.array([[1, 0, 0]] * 4 + [[0, 1, 0], [0, 0, 1]])
RELEVANCE = np.array([[1.0, 0.9, 0.8, 0.7, 0.6, 0.5]])


def balance_order(context, k, relevance=RELEVANCE, items=None, **options):
    items = np.array(items or [list(range(relevance.shape[1]))])
    cands = Candidates(np.arange(len(items)), items, np.asarray(relevance, float))
    return GenreBalance(**options).order(np.asarray(relevance, float), cands, context, k)


@pytest.mark.parametrize(
    ("weight", "min_share", "k", "limit"),
    [(1.0, 0.3, 10, 3), (0.5, 0.3, 10, 7), (1.0, 0.5, 4, 2), (0.5, 0.3, 4, 3), (0.0, 0.3, 4, 4)],
)
def test_cap_follows_the_documented_mapping(weight, min_share, k, limit) -> None:
    # cap = 1 - weight * (1 - min_share); limit = ceil(cap * k), with 0.3 * 10 counted as 3.
    assert GenreBalance(weight=weight, min_share=min_share).genre_limit(k) == limit


def test_caps_hold_in_a_hand_made_list(make_context) -> None:
    context = make_context(item_genres=GENRES)
    # Limit 2: after two A items the next A items are skipped for B and C.
    order = balance_order(context, 4, weight=1.0, min_share=0.5)
    np.testing.assert_array_equal(order, [[0, 1, 4, 5, 2, 3]])
    # Limit 3 (cap .65 of 4): a third A item fits before B.
    np.testing.assert_array_equal(balance_order(context, 4, weight=0.5), [[0, 1, 2, 4, 3, 5]])


def test_an_item_counts_toward_each_of_its_genres(make_context) -> None:
    genres = [[1, 1], [1, 0], [0, 1], [1, 0], [0, 1], [0, 0]]
    context = make_context(item_genres=genres)
    # Limit 1 of 2 per genre: item 0 (A+B) fills both, so only the genreless item 5 qualifies.
    order = balance_order(context, 2, weight=1.0, min_share=0.5)
    np.testing.assert_array_equal(order[0, :2], [0, 5])


def test_when_nothing_qualifies_the_most_relevant_is_taken(make_context) -> None:
    context = make_context(item_genres=[[1, 0]] * 5)
    order = balance_order(context, 3, RELEVANCE[:, :5], weight=1.0, min_share=0.3)
    np.testing.assert_array_equal(order, [[0, 1, 2, 3, 4]])


def test_caps_hold_on_random_batches(make_context) -> None:
    rng = np.random.default_rng(0)
    n_items, n_genres, k = 200, 5, 10
    genres = np.eye(n_genres)[np.arange(n_items) % n_genres]
    genres[rng.random(n_items) < 0.3, 0] = 1.0  # genre 0 is over-represented
    context = make_context(item_genres=genres)
    items = np.stack([rng.permutation(n_items)[:50] for _ in range(20)])
    relevance = np.sort(rng.random((20, 50)), axis=1)[:, ::-1]
    reranker = GenreBalance(weight=1.0, min_share=0.3)
    order = balance_order(context, k, relevance, items.tolist(), weight=1.0, min_share=0.3)
    listed = np.take_along_axis(items, order[:, :k], axis=1)
    counts = genres[listed].sum(axis=1)
    assert counts.max() <= reranker.genre_limit(k) == 3
    assert genres[items[:, :k]].sum(axis=1).max() > 3  # the cap did bind
    for row in order:
        np.testing.assert_array_equal(row[k:], sorted(row[k:]))


def test_dropped_and_padded_candidates_never_enter_the_list(make_context) -> None:
    context = make_context(item_genres=GENRES)
    # The only B and C items are dropped or padding: A items fill the list despite the cap.
    relevance = np.array([[1.0, 0.9, 0.8, 0.7, -np.inf, -np.inf]])
    items = [[0, 1, 2, 3, 4, -1]]
    order = balance_order(context, 4, relevance, items, weight=1.0, min_share=0.5)
    np.testing.assert_array_equal(order, [[0, 1, 2, 3, 4, 5]])


def test_without_genres_nothing_changes(make_context) -> None:
    relevance = np.array([[0.2, -np.inf, 0.5, 1.0]])
    order = balance_order(make_context(n_items=4), 2, relevance, weight=1.0)
    np.testing.assert_array_equal(order, [[0, 2, 1, 3]])


def test_through_the_pipeline(make_context) -> None:
    context = make_context(item_genres=GENRES)
    cands = Candidates(np.array([7]), np.array([[0, 1, 2, 3, 4, 5]]), RELEVANCE * 10)
    pipeline = RerankPipeline.from_settings({"genre_balance": {"weight": 1.0, "min_share": 0.5}})
    out = pipeline.prepare(context).apply(cands, context, 4)
    np.testing.assert_array_equal(out.item_idx, [[0, 1, 4, 5]])
    np.testing.assert_allclose(out.scores, [[1.0, 0.8, 0.2, 0.0]])
