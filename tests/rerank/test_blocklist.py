"""The block list drops exactly the listed items and the items of listed genres."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from recsys_core.errors import ConfigError
from recsys_core.rerank.base import Candidates, RerankContext, normalise_scores
from recsys_core.rerank.blocklist import Blocklist
from recsys_core.rerank.pipeline import RerankPipeline

NAMES = ("Action", "Comedy", "Horror")
# Six items with raw ids m0..m5; the last one (m5, Horror) is what a -1 pad would wrongly read.
GENRES = np.array(
    [
        [1, 0, 0],
        [0, 1, 0],
        [1, 1, 0],
        [0, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
    ]
)


@pytest.fixture
def context(make_context: Callable[..., RerankContext]) -> RerankContext:
    return make_context(item_genres=GENRES, genre_names=NAMES, item_ids=[f"m{i}" for i in range(6)])


@pytest.fixture
def candidates() -> Candidates:
    items = np.array([[0, 1, 2, 3, 4, 5], [3, 1, 0, -1, -1, -1]])
    scores = np.where(items >= 0, np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0]), -np.inf)
    return Candidates(np.array([0, 1]), items, scores)


def test_listed_ids_and_genres_are_dropped_and_nothing_else(
    candidates: Candidates, context: RerankContext
) -> None:
    by_id = Blocklist(weight=1.0, items=("m1", "m3")).drop(candidates, context)
    np.testing.assert_array_equal(
        by_id, [[False, True, False, True, False, False], [True, True, False, False, False, False]]
    )
    by_genre = Blocklist(weight=1.0, genres=("Comedy",)).drop(candidates, context)
    np.testing.assert_array_equal(
        by_genre,
        [[False, True, True, False, True, False], [False, True, False, False, False, False]],
    )
    either = Blocklist(weight=1.0, genres=("Action", "Horror")).drop(candidates, context)
    np.testing.assert_array_equal(either, np.isin(candidates.item_idx, [0, 2, 5]))
    both = Blocklist(weight=1.0, items=("m0",), genres=("Horror",)).drop(candidates, context)
    np.testing.assert_array_equal(
        both, [[True, False, False, False, False, True], [False, False, True, False, False, False]]
    )


def test_ids_outside_the_catalogue_are_ignored_and_numeric_ids_match_as_text(
    candidates: Candidates, make_context: Callable[..., RerankContext]
) -> None:
    context = make_context(item_ids=np.array([100, 101, 102, 103, 104, 105]))
    dropped = Blocklist(weight=1.0, items=("102", "999")).drop(candidates, context)
    np.testing.assert_array_equal(dropped, candidates.item_idx == 2)


def test_unknown_genres_raise_and_name_the_valid_ones(
    candidates: Candidates, context: RerankContext, make_context: Callable[..., RerankContext]
) -> None:
    pipeline = RerankPipeline.from_settings({"blocklist": {"weight": 1.0, "genres": ["Horor"]}})
    with pytest.raises(ConfigError, match=r"\['Horor'\].*choose from: Action, Comedy, Horror"):
        pipeline.prepare(context)
    with pytest.raises(ConfigError, match="this catalogue has no genres"):
        Blocklist(weight=1.0, genres=("Horror",)).drop(candidates, make_context(n_items=6))


def test_weight_zero_leaves_the_plain_top_k(candidates: Candidates, context: RerankContext) -> None:
    blocklist = Blocklist(items=("m0",), genres=("Comedy",))
    assert not blocklist.active and not blocklist.drop(candidates, context).any()
    settings = {"blocklist": {"weight": 0.0, "items": "m0", "genres": "Comedy"}}
    result = RerankPipeline.from_settings(settings).prepare(context).apply(candidates, context, 4)
    np.testing.assert_array_equal(result.item_idx, candidates.item_idx[:, :4])
    np.testing.assert_array_equal(result.scores, normalise_scores(candidates.scores)[:, :4])


def test_the_pipeline_parses_text_lists_and_keeps_the_survivors_in_order(
    candidates: Candidates, context: RerankContext
) -> None:
    settings = {"blocklist": {"weight": 0.3, "items": "m3, m4", "genres": "Action"}}
    pipeline = RerankPipeline.from_settings(settings)
    assert pipeline.settings()["blocklist"] == {
        "weight": 0.3,
        "items": ("m3", "m4"),
        "genres": ("Action",),
    }
    result = pipeline.prepare(context).apply(candidates, context, 3)
    np.testing.assert_array_equal(result.item_idx, [[1, 5, -1], [1, -1, -1]])
    np.testing.assert_array_equal(
        result.scores[0, :2], normalise_scores(candidates.scores)[0, [1, 5]]
    )
    assert np.isneginf(result.scores[result.item_idx < 0]).all()


def test_a_new_context_is_resolved_afresh(
    candidates: Candidates, context: RerankContext, make_context: Callable[..., RerankContext]
) -> None:
    blocklist = Blocklist(weight=1.0, items=("m1",)).prepare(context)
    other = make_context(item_ids=[f"m{5 - i}" for i in range(6)])  # m1 is now item 4
    np.testing.assert_array_equal(blocklist.drop(candidates, other), candidates.item_idx == 4)
