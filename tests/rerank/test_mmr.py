"""MMR (Carbonell & Goldstein, SIGIR 1998) on small hand-made lists with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_core.errors import ConfigError
from recsys_core.rerank.base import Candidates
from recsys_core.rerank.mmr import MMR
from recsys_core.rerank.pipeline import RerankPipeline

# Items 0 and 1 point the same way, 2 is orthogonal to both, 3 lies between (cosine 0.707).
VECTORS = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
RELEVANCE = np.array([[1.0, 0.9, 0.5, 0.4]])


def candidates(items: list[list[int]], relevance: np.ndarray) -> Candidates:
    return Candidates(np.arange(len(items)), np.array(items), np.asarray(relevance, float))


def mmr_order(weight: float, context, relevance=RELEVANCE, items=None, k=4, **options):
    cands = candidates(items or [[0, 1, 2, 3]], relevance)
    return MMR(weight=weight, **options).order(np.asarray(relevance, float), cands, context, k)


def test_mmr_picks_the_diverse_item_by_hand(make_context) -> None:
    context = make_context(item_vectors=VECTORS)
    # After 0: item 1 scores .5*.9 - .5*1 = -.05, item 2 .5*.5 - 0 = .25, item 3 .2 - .354.
    # After 0, 2: item 1 -.05 beats item 3 .2 - .5*.707 = -.154.
    np.testing.assert_array_equal(mmr_order(0.5, context), [[0, 2, 1, 3]])


def test_lambda_zero_keeps_relevance_order_and_one_maximises_novelty(make_context) -> None:
    context = make_context(item_vectors=VECTORS)
    shuffled = np.array([[0.4, 0.9, 1.0, 0.5]])
    np.testing.assert_array_equal(mmr_order(0.0, context, shuffled), [[2, 1, 3, 0]])
    # lambda = 1: the most relevant first, then always the least similar (1 last: a duplicate).
    np.testing.assert_array_equal(mmr_order(1.0, context), [[0, 2, 3, 1]])


def test_genres_serve_when_the_run_has_no_embeddings(make_context) -> None:
    genres = [[1, 0], [1, 0], [0, 1], [1, 1]]
    np.testing.assert_array_equal(mmr_order(0.5, make_context(item_genres=genres)), [[0, 2, 1, 3]])
    # similarity="genres" ignores embeddings that would call item 1 the diverse one.
    context = make_context(item_genres=genres, item_vectors=[[1, 0], [0, 1], [1, 0], [1, 0]])
    np.testing.assert_array_equal(mmr_order(1.0, context, similarity="genres"), [[0, 2, 3, 1]])
    np.testing.assert_array_equal(mmr_order(1.0, context), [[0, 1, 2, 3]])


def test_without_side_information_nothing_changes(make_context) -> None:
    # Incoming order stays, except that the dropped candidate (column 1) leaves the top k.
    relevance = np.array([[0.4, -np.inf, 1.0, 0.5]])
    np.testing.assert_array_equal(
        mmr_order(1.0, make_context(n_items=4), relevance, k=2), [[0, 2, 1, 3]]
    )


def test_a_similarity_without_its_side_information_is_refused(make_context) -> None:
    with pytest.raises(ConfigError, match="similarity='genres' or 'auto'"):
        MMR(weight=0.5, similarity="embeddings").prepare(make_context(n_items=4))
    with pytest.raises(ConfigError, match="not one of"):
        MMR(weight=0.5, similarity="tags")


def test_dropped_and_padded_candidates_never_enter_the_list(make_context) -> None:
    context = make_context(item_vectors=VECTORS)
    # Item 2 (the diverse one) is dropped; column 4 is padding.
    relevance = np.array([[1.0, 0.9, -np.inf, 0.4, -np.inf]])
    order = mmr_order(1.0, context, relevance, items=[[0, 1, 2, 3, -1]], k=3)
    np.testing.assert_array_equal(order, [[0, 3, 1, 2, 4]])
    # Fewer finite candidates than k: they come first, then the rest in incoming order.
    order = mmr_order(1.0, context, relevance, items=[[0, 1, 2, 3, -1]], k=5)
    assert set(order[0, :3]) == {0, 1, 3}
    np.testing.assert_array_equal(order[0, 3:], [2, 4])


def test_rest_of_each_row_stays_in_incoming_order(make_context) -> None:
    rng = np.random.default_rng(0)
    context = make_context(item_vectors=rng.normal(size=(30, 4)))
    items = np.stack([rng.permutation(30)[:12] for _ in range(5)])
    relevance = rng.random((5, 12))
    order = MMR(weight=0.7).order(relevance, candidates(items.tolist(), relevance), context, 4)
    for row in order:
        assert sorted(row) == list(range(12))
        np.testing.assert_array_equal(row[4:], sorted(row[4:]))


def test_batch_rows_are_independent(make_context) -> None:
    rng = np.random.default_rng(1)
    context = make_context(item_vectors=rng.normal(size=(40, 3)))
    items = np.stack([rng.permutation(40)[:15] for _ in range(6)])
    relevance = rng.random((6, 15))
    batch = MMR(weight=0.6).order(relevance, candidates(items.tolist(), relevance), context, 5)
    for b in range(6):
        single = MMR(weight=0.6).order(
            relevance[b : b + 1],
            candidates(items[b : b + 1].tolist(), relevance[b : b + 1]),
            context,
            5,
        )
        np.testing.assert_array_equal(batch[b], single[0])


def test_through_the_pipeline(make_context) -> None:
    context = make_context(item_vectors=VECTORS)
    cands = candidates([[0, 1, 2, 3]], [[5.0, 4.5, 2.5, 2.0]])
    out = RerankPipeline.from_settings({"mmr": 0.5}).prepare(context).apply(cands, context, 2)
    # Normalised relevance [1, .83, .17, 0]: item 2 (.5*.17) beats item 1 (.5*.83 - .5).
    np.testing.assert_array_equal(out.item_idx, [[0, 2]])
    np.testing.assert_allclose(out.scores, [[1.0, 0.5 / 3]])
