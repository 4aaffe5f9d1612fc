"""The pipeline: fixed phase order whatever the order of settings, round trips, identity at 0."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from recsys_core.errors import ConfigError
from recsys_core.rerank import Candidates, RerankContext, RerankPipeline, list_rerankers
from recsys_core.rerank.base import LIST_ORDER, get_reranker_class, normalise_scores

MakeContext = Callable[..., RerankContext]


def candidates() -> Candidates:
    """Two users, five candidates each (the second row padded), best first."""
    return Candidates(
        user_idx=np.array([0, 1]),
        item_idx=np.array([[4, 3, 2, 1, 0], [0, 1, 2, -1, -1]]),
        scores=np.array([[5.0, 4.0, 3.0, 2.0, 1.0], [3.0, 2.0, 1.0, -np.inf, -np.inf]]),
    )


def test_registry_lists_filters_then_score_transforms_then_list_builders_in_list_order() -> None:
    names = list_rerankers()
    phases = [get_reranker_class(n).phase for n in names]
    assert phases == sorted(phases, key=["filter", "score", "list"].index)
    builders = [n for n in names if get_reranker_class(n).phase == "list"]
    assert builders == [n for n in LIST_ORDER if n in builders]
    assert {"dislikes", "blocklist", "freshness", "mmr", "genre_calibration", "fairness"} <= set(
        names
    )


def test_settings_round_trip_through_json_text_and_keep_pipeline_order() -> None:
    pipeline = RerankPipeline.from_settings({"fairness": 0.3, "mmr": 0.5, "freshness": 0.0})
    assert list(pipeline.weights()) == ["freshness", "mmr", "fairness"]
    assert pipeline.to_text() == "mmr=0.5,fairness=0.3"
    again = RerankPipeline.from_settings(pipeline.settings())
    assert again.settings() == pipeline.settings()
    assert RerankPipeline.from_text(pipeline.to_text()).weights() == {"mmr": 0.5, "fairness": 0.3}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mmr=2", "weight=2.0 is above its maximum 1.0"),
        ("popular=0.5", "unknown re-ranker 'popular'; choose one of: "),
        ("mmr", "is not NAME=WEIGHT"),
    ],
)
def test_bad_weights_are_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        RerankPipeline.from_text(text)
    assert message in str(error.value)


def test_a_pipeline_takes_each_reranker_once() -> None:
    mmr = get_reranker_class("mmr")
    with pytest.raises(ConfigError, match="each re-ranker once"):
        RerankPipeline([mmr(weight=0.5), mmr(weight=0.2)])


def test_all_weights_zero_gives_the_runs_own_top_k(make_context: MakeContext) -> None:
    context = make_context(n_items=5, item_genres=np.eye(5), item_age=np.arange(5.0))
    pipeline = RerankPipeline.from_settings({name: 0.0 for name in list_rerankers()})
    out = pipeline.prepare(context).apply(candidates(), context, k=3)
    np.testing.assert_array_equal(out.item_idx, [[4, 3, 2], [0, 1, 2]])
    short = pipeline.apply(candidates(), context, k=4)
    np.testing.assert_array_equal(short.item_idx[1], [0, 1, 2, -1])
    assert np.isneginf(short.scores[1, 3])


def test_filters_apply_before_list_builders_so_a_dropped_item_never_returns(
    make_context: MakeContext,
) -> None:
    context = make_context(
        n_items=5,
        item_genres=np.array([[1, 0], [1, 0], [0, 1], [1, 0], [0, 1]]),
        genre_names=("Action", "Drama"),
        long_tail=np.array([False, False, True, False, True]),
    )
    settings = {"fairness": 1.0, "blocklist": {"weight": 1.0, "genres": ["Drama"]}}
    out = RerankPipeline.from_settings(settings).prepare(context).apply(candidates(), context, 3)
    assert not np.isin(out.item_idx, [2, 4]).any()  # the Drama items, though fairness wants them
    np.testing.assert_array_equal(out.item_idx, [[3, 1, 0], [0, 1, -1]])


def test_normalised_scores_span_zero_to_one_per_user_and_keep_padding() -> None:
    scaled = normalise_scores(np.array([[10.0, 5.0, 0.0], [2.0, 2.0, -np.inf]]))
    np.testing.assert_allclose(scaled[0], [1.0, 0.5, 0.0])
    np.testing.assert_array_equal(scaled[1], [1.0, 1.0, -np.inf])


def test_options_round_trip_through_the_text_form_in_canonical_order() -> None:
    text = (
        "blocklist.genres=Horror|Film-Noir, freshness=0.4,mmr=0.5,blocklist=1,"
        "freshness.half_life_years=2,blocklist.items=a%2Cb|c%7Cd|50%25"
    )
    pipeline = RerankPipeline.from_text(text)
    settings = pipeline.settings()
    assert settings["blocklist"]["genres"] == ("Horror", "Film-Noir")
    assert settings["blocklist"]["items"] == ("a,b", "c|d", "50%")  # escaped separators
    assert settings["freshness"] == {"weight": 0.4, "half_life_years": 2.0}
    canonical = pipeline.to_text()
    assert canonical == (
        "blocklist=1,blocklist.items=a%2Cb|c%7Cd|50%25,blocklist.genres=Horror|Film-Noir,"
        "freshness=0.4,freshness.half_life_years=2,mmr=0.5"
    )
    again = RerankPipeline.from_text(canonical)
    assert again.settings() == settings and again.to_text() == canonical
    blend = RerankPipeline.from_text("blend=0.3,blend.runs=bpr-1|knn-2,blend.run_weights=2|1")
    assert blend.settings()["blend"] == {
        "weight": 0.3,
        "runs": ("bpr-1", "knn-2"),
        "run_weights": (2.0, 1.0),
    }
    assert blend.to_text() == "blend=0.3,blend.runs=bpr-1|knn-2,blend.run_weights=2|1"


def test_defaults_and_inactive_rerankers_leave_the_text() -> None:
    # Options at their default, and those of a re-ranker at weight 0, change nothing: not written.
    pipeline = RerankPipeline.from_text(
        "freshness=0.4,freshness.half_life_years=5,mmr.similarity=genres,blocklist.genres="
    )
    assert pipeline.to_text() == "freshness=0.4"
    assert pipeline.settings()["blocklist"]["genres"] == ()  # an empty value: an empty list
    assert pipeline.settings()["mmr"]["weight"] == 0.0


def test_the_weight_only_form_is_still_read() -> None:
    pipeline = RerankPipeline.from_text("fairness=0.3, mmr=0.5")
    assert pipeline.weights() == {"mmr": 0.5, "fairness": 0.3}
    assert pipeline.to_text() == "mmr=0.5,fairness=0.3"
    assert RerankPipeline.from_text("").to_text() == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "freshness.half_life=2",
            "re-ranker 'freshness' has no option 'half_life'; its options are: half_life_years",
        ),
        ("blocklist.colour=red", "its options are: items, genres"),
        ("nope.x=1", "unknown re-ranker 'nope'; choose one of: "),
        ("mmr=0.5,mmr=0.2", "mmr.weight is given twice"),
        ("freshness.=2", "is not NAME=WEIGHT or NAME.OPTION=VALUE"),
        ("freshness.half_life_years=0", "half_life_years=0.0 is below its minimum 0.1"),
        ("blend.runs=a|b,blend.run_weights=1", "has 1 value(s) for 2 run(s)"),
    ],
)
def test_bad_options_are_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        RerankPipeline.from_text(text)
    assert message in str(error.value)
