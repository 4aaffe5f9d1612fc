"""The re-ranking controls: sliders (help, source, availability), options, the URL's text."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from recsys_core.errors import ConfigError
from recsys_core.rerank import get_reranker_class, list_rerankers
from recsys_core.rerank.base import RerankContext
from recsys_core.rerank.controls import (
    RerankOptions,
    fit_to_run,
    option_help,
    parse_item_ids,
    parse_weights,
    rerank_text,
    slider_specs,
    weights_text,
)


def test_weights_round_trip_through_the_url_text() -> None:
    choice = parse_weights("fairness=0.3, mmr=0.5")
    assert choice.error is None
    assert choice.text == "mmr=0.5,fairness=0.3"  # pipeline order
    assert set(choice.weights) == set(list_rerankers())
    assert choice.weights["mmr"] == 0.5 and choice.weights["freshness"] == 0.0
    assert weights_text(choice.weights) == choice.text
    assert weights_text({"mmr": 0.6000000000000001, "fairness": 0.0}) == "mmr=0.6"
    assert parse_weights("").text == "" and parse_weights(None).error is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope=0.3", "unknown re-ranker 'nope'"),
        ("mmr=2", "above its maximum 1.0"),
        ("mmr", "not NAME=WEIGHT"),
        ("mmr=abc", "not a valid float"),
    ],
)
def test_an_invalid_url_text_turns_everything_off_and_says_why(text: str, message: str) -> None:
    choice = parse_weights(text)
    assert choice.error is not None and message in choice.error
    assert choice.text == "" and set(choice.weights.values()) == {0.0}


def test_every_weight_only_reranker_gets_a_slider_with_its_help_and_source() -> None:
    specs = slider_specs()
    assert [s.name for s in specs] == [
        n for n in list_rerankers() if not get_reranker_class(n).needs_options
    ]
    mmr = next(s for s in specs if s.name == "mmr")
    assert mmr.label == "Diversity (MMR)"
    assert "MMR's lambda" in mmr.help and "Carbonell & Goldstein" in mmr.help
    assert all("Source: " in s.help for s in specs)


def test_rerankers_that_need_options_get_no_slider() -> None:
    names = [spec.name for spec in slider_specs()]
    assert "blocklist" not in names and "mmr" in names
    assert names == [n for n in list_rerankers() if not get_reranker_class(n).needs_options]


def test_a_reranker_unavailable_on_the_run_s_data_says_why(
    make_context: Callable[..., RerankContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    context = make_context(n_items=3)
    plain = {spec.name: spec for spec in slider_specs(context)}
    assert plain["fairness"].unavailable is None and plain["mmr"].unavailable is None
    fairness = get_reranker_class("fairness")
    monkeypatch.setattr(
        fairness,
        "unavailable_reason",
        classmethod(lambda cls, ctx: None if ctx.extras.get("groups") else "needs groups"),
    )
    specs = {spec.name: spec for spec in slider_specs(context)}
    assert specs["fairness"].unavailable == "needs groups"
    assert specs["mmr"].unavailable is None
    grouped = make_context(n_items=3, extras={"groups": True})
    assert {spec.name: spec for spec in slider_specs(grouped)}["fairness"].unavailable is None
    assert all(s.unavailable is None for s in slider_specs())  # no context: nothing is checked


def test_options_are_read_from_the_url_text_and_written_back() -> None:
    choice = parse_weights(
        "freshness=0.4,freshness.half_life_years=2,blocklist=1,blocklist.genres=A"
    )
    assert choice.error is None
    assert choice.weights["freshness"] == 0.4 and choice.weights["blocklist"] == 1.0
    assert choice.options["freshness"] == {"half_life_years": 2.0}
    assert choice.options["blocklist"] == {"items": (), "genres": ("A",)}
    assert choice.options["blend"] == {"runs": (), "run_weights": ()}  # defaults where not named
    assert weights_text(choice.weights, choice.options) == choice.text
    assert choice.text == "blocklist=1,blocklist.genres=A,freshness=0.4,freshness.half_life_years=2"
    # Options of a re-ranker at weight 0 are kept for its widgets but leave the text.
    off = parse_weights("freshness.half_life_years=3")
    assert off.options["freshness"]["half_life_years"] == 3.0 and off.text == ""
    refused = parse_weights("freshness.half_life=3")
    assert "its options are: half_life_years" in (refused.error or "")
    assert refused.options["freshness"]["half_life_years"] == 5.0  # the default


def test_what_the_run_cannot_use_is_dropped_with_a_notice() -> None:
    choice = parse_weights(
        "blocklist=1,blocklist.genres=A|Western,blend=0.5,blend.runs=r1|r2,blend.run_weights=3|1"
    )
    fitted, notice = fit_to_run(choice, genre_names=("A", "B"), blend_runs=["r2", "r3"])
    assert fitted.options["blocklist"]["genres"] == ("A",)
    assert fitted.options["blend"] == {"runs": ("r2",), "run_weights": (1.0,)}
    assert notice is not None and "Western" in notice and "r1" in notice
    same, none = fit_to_run(choice, genre_names=("A", "Western"), blend_runs=["r1", "r2"])
    assert same is choice and none is None


def test_option_help_comes_from_the_config_and_unknown_options_are_refused() -> None:
    assert option_help("freshness", "half_life_years") == (
        "Age in years at which an item's boost has halved."
    )
    with pytest.raises(ConfigError, match="its options are: items, genres"):
        option_help("blocklist", "colour")


def test_the_options_give_the_block_list_and_blend_weights_and_their_text() -> None:
    assert not RerankOptions().changed
    assert rerank_text({"mmr": 0.5}, RerankOptions()) == "mmr=0.5"
    blocked = RerankOptions(block_genres=("A",), block_items=parse_item_ids(" i1, ,i2 "))
    assert blocked.changed and blocked.block_items == ("i1", "i2")
    assert blocked.weights() == {"blocklist": 1.0, "blend": 0.0}
    assert rerank_text({}, blocked) == "blocklist=1,blocklist.items=i1|i2,blocklist.genres=A"
    # A share without runs blends nothing, so it stays off; equal run weights are the default.
    assert RerankOptions(blend_share=0.5).weights()["blend"] == 0.0
    blend = RerankOptions(blend_runs=("r1", "r2"), blend_weights=(1.0, 1.0), blend_share=0.5)
    assert rerank_text({}, blend) == "blend=0.5,blend.runs=r1|r2"
    uneven = RerankOptions(blend_runs=("r1", "r2"), blend_weights=(3.0, 1.0), blend_share=0.5)
    assert rerank_text({}, uneven) == "blend=0.5,blend.runs=r1|r2,blend.run_weights=3|1"
    slow = RerankOptions(half_life_years=2.0)
    assert rerank_text({"freshness": 0.4}, slow) == "freshness=0.4,freshness.half_life_years=2"
    assert rerank_text({}, slow) == ""  # freshness off: its half-life changes nothing
    # A link's options come back as the same options and the same text.
    link = "blocklist=1,blocklist.genres=A,blend=0.3,blend.runs=r1|r2,blend.run_weights=2|1"
    again = RerankOptions.from_choice(parse_weights(link))
    assert again.blend_weights == (2.0, 1.0) and again.run_weights() == (2.0, 1.0)
    assert rerank_text({}, again) == link
    zeros = RerankOptions(blend_runs=("r1", "r2"), blend_weights=(0.0, 0.0), blend_share=1.0)
    with pytest.raises(ConfigError, match="run_weights are all 0"):
        rerank_text({}, zeros)
