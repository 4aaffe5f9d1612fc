"""The dislikes filter drops exactly the candidates in genres a user rated low in training."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import scipy.sparse as sp

from recsys_core.errors import ConfigError
from recsys_core.rerank.base import Candidates, RerankContext, normalise_scores
from recsys_core.rerank.dislikes import Dislikes
from recsys_core.rerank.pipeline import RerankPipeline

HORROR, COMEDY, DRAMA = 0, 1, 2
# Items 0-2 Horror and 3-5 Comedy are rated in training; 6-10 are the candidates.
GENRES = np.zeros((11, 3))
GENRES[[0, 1, 2, 6, 9], HORROR] = 1
GENRES[[3, 4, 5, 7, 10], COMEDY] = 1
GENRES[[8, 9, 10], DRAMA] = 1


def ratings_matrix() -> sp.csr_matrix:
    """(4, 11) training ratings with a known dislike per user.

    u0: Horror mean 5/3 (disliked at threshold 2), Comedy liked. u1: Comedy mean exactly 2
    (disliked: the bound is inclusive), Horror rated only twice (below min_ratings 3).
    u2: no ratings. u3: Horror rated 1, 1, 1 (the lowest rating: disliked at any weight).
    """
    dense = np.zeros((4, 11))
    dense[0, :6] = [1, 2, 2, 5, 5, 4]
    dense[1, [0, 1, 3, 4, 5]] = [1, 1, 2, 2, 2]
    dense[3, :3] = 1
    return sp.csr_matrix(dense)


@pytest.fixture
def context(make_context: Callable[..., RerankContext]) -> RerankContext:
    return make_context(
        item_genres=GENRES,
        genre_names=("Horror", "Comedy", "Drama"),
        train_ratings=ratings_matrix(),
    )


@pytest.fixture
def candidates() -> Candidates:
    """Four users' candidates, best first; -1 pads (and must not be read as the last item, 10)."""
    items = np.array(
        [
            [6, 7, 8, 9, 10],
            [7, 8, 10, 6, -1],
            [8, 6, -1, -1, -1],
            [9, 8, 6, 7, 10],
        ]
    )
    scores = np.where(items >= 0, np.array([5.0, 4.0, 3.0, 2.0, 1.0]), -np.inf)
    return Candidates(np.arange(4), items, scores)


def test_drops_exactly_the_candidates_of_disliked_genres(
    candidates: Candidates, context: RerankContext
) -> None:
    dropped = Dislikes(weight=1.0).drop(candidates, context)
    expected = np.array(
        [
            [True, False, False, True, False],  # u0 dislikes Horror: items 6 and 9
            [True, False, True, False, False],  # u1 dislikes Comedy: 7 and 10, never padding
            [False, False, False, False, False],  # u2 rated nothing
            [True, False, True, False, False],  # u3 dislikes Horror: 9 and 6
        ]
    )
    np.testing.assert_array_equal(dropped, expected)


def test_the_weight_raises_the_cut_from_the_lowest_rating_to_the_threshold(
    candidates: Candidates, context: RerankContext
) -> None:
    # cut = 1 + 0.5 * (2 - 1) = 1.5: u0's Horror (5/3) and u1's Comedy (2) now pass.
    for weight in (0.5, 0.001):
        dropped = Dislikes(weight=weight).drop(candidates, context)
        assert dropped[:3].sum() == 0
        np.testing.assert_array_equal(dropped[3], [True, False, True, False, False])
    # cut = 1 + 1.0 * (1.7 - 1) = 1.7 takes in u0's Horror mean 5/3 but not u1's Comedy 2.
    dropped = Dislikes(weight=1.0, threshold=1.7).drop(candidates, context)
    assert dropped[0].tolist() == [True, False, False, True, False] and not dropped[1].any()


def test_min_ratings_decides_how_much_evidence_a_dislike_needs(
    candidates: Candidates, context: RerankContext
) -> None:
    dropped = Dislikes(weight=1.0, min_ratings=2).drop(candidates, context)
    # u1's two Horror ratings of 1 now count: item 6 goes too.
    np.testing.assert_array_equal(dropped[1], [True, False, True, True, False])
    assert not Dislikes(weight=1.0, min_ratings=4).drop(candidates, context).any()


def test_a_stored_zero_is_unrated_not_a_rating_of_zero(
    candidates: Candidates, make_context: Callable[..., RerankContext]
) -> None:
    ratings = ratings_matrix().tolil()
    ratings[2, [0, 1, 2]] = 1.0
    ratings = ratings.tocsr()
    ratings.data[ratings.indptr[2] : ratings.indptr[3]] = 0.0  # u2: three explicit Horror zeros
    context = make_context(item_genres=GENRES, train_ratings=ratings)
    assert context.train_ratings is not None and context.train_ratings.nnz == ratings.nnz
    dropped = Dislikes(weight=1.0).drop(candidates, context)
    assert not dropped[2].any() and context.train_ratings.nnz == ratings.nnz  # left unchanged
    np.testing.assert_array_equal(dropped[0], [True, False, False, True, False])


def test_a_new_context_is_prepared_afresh(
    candidates: Candidates, context: RerankContext, make_context: Callable[..., RerankContext]
) -> None:
    dislikes = Dislikes(weight=1.0).prepare(make_context(item_genres=GENRES))
    assert dislikes.disliked_ is None
    np.testing.assert_array_equal(
        dislikes.drop(candidates, context), Dislikes(weight=1.0).drop(candidates, context)
    )
    assert dislikes.drop(candidates, context).any()


def test_without_ratings_or_genres_nothing_is_dropped(
    candidates: Candidates, make_context: Callable[..., RerankContext]
) -> None:
    only_zeros = sp.csr_matrix((np.zeros(2), ([0, 1], [0, 3])), shape=(4, 11))
    for context in (
        make_context(item_genres=GENRES),
        make_context(train_ratings=ratings_matrix()),
        make_context(item_genres=GENRES, train_ratings=only_zeros),
    ):
        assert not Dislikes(weight=1.0).drop(candidates, context).any()


def test_weight_zero_drops_nothing_and_the_pipeline_gives_the_plain_top_k(
    candidates: Candidates, context: RerankContext
) -> None:
    assert not Dislikes().drop(candidates, context).any()
    result = (
        RerankPipeline.from_settings({"dislikes": 0.0})
        .prepare(context)
        .apply(candidates, context, 3)
    )
    np.testing.assert_array_equal(result.item_idx, candidates.item_idx[:, :3])
    np.testing.assert_array_equal(result.scores, normalise_scores(candidates.scores)[:, :3])


def test_the_pipeline_keeps_the_survivors_in_score_order(
    candidates: Candidates, context: RerankContext
) -> None:
    pipeline = RerankPipeline.from_settings({"dislikes": {"weight": 1.0, "threshold": 2.0}})
    result = pipeline.prepare(context).apply(candidates, context, 3)
    np.testing.assert_array_equal(result.item_idx, [[7, 8, 10], [8, 6, -1], [8, 6, -1], [8, 7, 10]])
    assert np.isneginf(result.scores[result.item_idx < 0]).all()
    assert pipeline.settings()["dislikes"] == {"weight": 1.0, "threshold": 2.0, "min_ratings": 3}


def test_bad_options_are_refused() -> None:
    with pytest.raises(ConfigError, match="threshold=-1.0 is below its minimum"):
        Dislikes(weight=1.0, threshold=-1)
    with pytest.raises(ConfigError, match="min_ratings=0 is below its minimum"):
        Dislikes(min_ratings=0)
