"""The re-ranking controls of the Recommendations page as plain data (no Streamlit).

Each weight-only re-ranker gets a slider (``slider_specs``: label, help, source, and why it is
unavailable on a run's data); the block list, freshness's half-life and the blend are set in the
page's Options (``RerankOptions``). Both round-trip through the URL's text, the pipeline's text
form (``RerankPipeline.from_text``): ``parse_weights`` reads a link, ``fit_to_run`` drops what a
run cannot use, ``rerank_text`` writes the canonical text that keys the caches and the link.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from recsys_core.errors import ConfigError
from recsys_core.rerank.base import RerankContext, get_reranker_class, list_rerankers
from recsys_core.rerank.pipeline import RerankPipeline, option_names


@dataclass(frozen=True)
class SliderSpec:
    """One re-ranker's weight slider.

    Attributes:
        name: the re-ranker's registry name (the URL key).
        label: what a person reads.
        help: what the weight does for this re-ranker, then its source.
        phase: "filter", "score" or "list".
        unavailable: why the re-ranker cannot act on this run's data (its slider is then
            disabled, with this as its caption), or None.
    """

    name: str
    label: str
    help: str
    phase: str
    unavailable: str | None = None


def slider_specs(context: RerankContext | None = None) -> list[SliderSpec]:
    """A slider per registered re-ranker, in pipeline order, its help from the ``weight`` field.

    Re-rankers that need options besides their weight (``needs_options``: the block list, the
    blend) get no slider here; the page sets them in its options. With a ``context``, each spec
    says whether its re-ranker can act on that run's data (``Reranker.unavailable_reason``).
    """
    specs = []
    for name in list_rerankers():
        cls = get_reranker_class(name)
        if cls.needs_options:
            continue
        reason = None if context is None else cls.unavailable_reason(context)
        specs.append(SliderSpec(name, cls.label, weight_help(name), cls.phase, reason))
    return specs


def weight_help(name: str) -> str:
    """What a re-ranker's weight does (its ``weight`` field's help), then the re-ranker's source."""
    cls = get_reranker_class(name)
    weight = next(f for f in dataclasses.fields(cls.config_class) if f.name == "weight")
    return f"{weight.metadata['help']}\n\nSource: {cls.source}."


def option_help(name: str, option: str) -> str:
    """The help of one option of a re-ranker's config (``ConfigError`` for an unknown one)."""
    cls = get_reranker_class(name)
    if option not in option_names(cls.config_class):
        raise ConfigError(
            f"re-ranker {name!r} has no option {option!r}; its options are: "
            f"{', '.join(option_names(cls.config_class)) or 'none'}"
        )
    return next(f for f in dataclasses.fields(cls.config_class) if f.name == option).metadata[
        "help"
    ]


@dataclass(frozen=True)
class WeightChoice:
    """Weights and options read from the URL's text.

    Attributes:
        weights: re-ranker name -> weight, every registered re-ranker (0 where not named).
        text: the canonical text of those settings (``RerankPipeline.to_text``).
        error: why the text was refused (the ``ConfigError`` message), None when it was read;
            a refused text leaves every weight at 0 and every option at its default.
        options: re-ranker name -> option -> value (tuples for list options), every registered
            re-ranker and every option besides the weight (defaults where not named).
    """

    weights: dict[str, float]
    text: str
    error: str | None = None
    options: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)


def default_options() -> dict[str, dict[str, Any]]:
    """Every registered re-ranker's options besides its weight, at their defaults."""
    out = {}
    for name in list_rerankers():
        config = get_reranker_class(name).config_class()
        out[name] = {option: getattr(config, option) for option in option_names(type(config))}
    return out


def parse_weights(text: str | None) -> WeightChoice:
    """Read ``"mmr=0.5,freshness.half_life_years=2"`` (the pipeline's text form); an invalid
    text turns every re-ranker off, leaves every option at its default and says why."""
    off, options = dict.fromkeys(list_rerankers(), 0.0), default_options()
    try:
        pipeline = RerankPipeline.from_text(text or "")
    except ConfigError as exc:
        return WeightChoice(off, "", str(exc), options)
    for reranker in pipeline.rerankers:
        named = reranker.config.to_dict()
        options[reranker.name] = {option: named[option] for option in options[reranker.name]}
    return WeightChoice({**off, **pipeline.weights()}, pipeline.to_text(), None, options)


def weights_text(
    weights: Mapping[str, float], options: Mapping[str, Mapping[str, Any]] | None = None
) -> str:
    """The canonical text of slider weights and options (pipeline order, re-rankers at 0 and
    options at their defaults dropped), the cache key and the URL's value.

    Raises:
        ConfigError: an option value its re-ranker refuses.
    """
    options = options or {}
    settings = {
        name: {**options.get(name, {}), "weight": float(weight)}
        for name, weight in weights.items()
        if weight > 0
    }
    return RerankPipeline.from_settings(settings).to_text()


def fit_to_run(
    choice: WeightChoice, genre_names: Sequence[str], blend_runs: Sequence[str]
) -> tuple[WeightChoice, str | None]:
    """The choice with the block list's genres and the blend's runs this run can use, and a
    notice naming what was dropped (None when nothing was).

    A link made on another dataset may name genres this catalogue lacks or runs of another split;
    the page's pickers offer only ``genre_names`` and ``blend_runs``, so the rest is dropped (and
    said) rather than refused. Blend weights follow their runs.
    """
    options = {name: dict(values) for name, values in choice.options.items()}
    dropped = []
    blocklist = options.get("blocklist")
    if blocklist is not None:
        genres = tuple(blocklist.get("genres", ()))
        unknown = [g for g in genres if g not in genre_names]
        if unknown:
            blocklist["genres"] = tuple(g for g in genres if g in genre_names)
            dropped.append(f"block-list genres {', '.join(unknown)} (not genres of this catalogue)")
    blend = options.get("blend")
    if blend is not None:
        runs, weights = tuple(blend.get("runs", ())), tuple(blend.get("run_weights", ()))
        foreign = [run for run in runs if run not in blend_runs]
        if foreign:
            kept = [i for i, run in enumerate(runs) if run in blend_runs]
            blend["runs"] = tuple(runs[i] for i in kept)
            blend["run_weights"] = tuple(weights[i] for i in kept) if weights else ()
            dropped.append(
                f"blend runs {', '.join(foreign)} (not saved runs of this run's dataset and split)"
            )
    if not dropped:
        return choice, None
    notice = "The link's " + "; ".join(dropped) + " were left out."
    return dataclasses.replace(choice, options=options), notice


@dataclass(frozen=True)
class RerankOptions:
    """What the page's Options set: the block list, freshness's half-life and the blend.

    Attributes:
        block_genres: genre names whose items are removed.
        block_items: raw item ids to remove.
        half_life_years: the freshness boost's half-life.
        blend_runs: run ids mixed in by the blend.
        blend_weights: (R,) each run's weight, ``blend_runs`` order (empty: equal weights).
        blend_share: the blend's weight (its share of the other runs).
    """

    block_genres: tuple[str, ...] = ()
    block_items: tuple[str, ...] = ()
    half_life_years: float = dataclasses.field(
        default_factory=lambda: float(default_options()["freshness"]["half_life_years"])
    )
    blend_runs: tuple[str, ...] = ()
    blend_weights: tuple[float, ...] = ()
    blend_share: float = 0.0

    @classmethod
    def from_choice(cls, choice: WeightChoice) -> RerankOptions:
        """The options a link (``parse_weights``, then ``fit_to_run``) sets."""
        block, blend = choice.options["blocklist"], choice.options["blend"]
        return cls(
            block_genres=tuple(block["genres"]),
            block_items=tuple(block["items"]),
            half_life_years=float(choice.options["freshness"]["half_life_years"]),
            blend_runs=tuple(blend["runs"]),
            blend_weights=tuple(float(w) for w in blend["run_weights"]),
            blend_share=float(choice.weights["blend"]),
        )

    @property
    def changed(self) -> bool:
        """Whether any option differs from its default (the page then opens its Options)."""
        return self != RerankOptions()

    def run_weights(self) -> tuple[float, ...]:
        """(R,) the weight of each blended run (1 each when ``blend_weights`` is empty)."""
        return self.blend_weights or (1.0,) * len(self.blend_runs)

    def weights(self) -> dict[str, float]:
        """The block list's weight (on, 1, when it lists anything) and the blend's (its share
        once it has runs to mix in; 0 without any, since a blend of nothing is refused)."""
        listed = bool(self.block_genres or self.block_items)
        return {
            "blocklist": 1.0 if listed else 0.0,
            "blend": self.blend_share if self.blend_runs else 0.0,
        }

    def settings(self) -> dict[str, dict[str, Any]]:
        """The options by re-ranker, as ``RerankPipeline.from_settings`` reads them; equal
        positive blend weights are written as none (equal is their default)."""
        weights = self.blend_weights
        equal = not weights or (len(set(weights)) == 1 and weights[0] > 0)
        return {
            "blocklist": {"items": self.block_items, "genres": self.block_genres},
            "freshness": {"half_life_years": self.half_life_years},
            "blend": {"runs": self.blend_runs, "run_weights": () if equal else self.blend_weights},
        }


def parse_item_ids(text: str) -> tuple[str, ...]:
    """Raw item ids typed comma-separated (blanks around them and empty entries dropped)."""
    return tuple(part for part in (p.strip() for p in text.split(",")) if part)


def rerank_text(weights: Mapping[str, float], options: RerankOptions) -> str:
    """The canonical text of the sliders' weights and the Options (``weights_text``).

    Raises:
        ConfigError: an option value its re-ranker refuses (e.g. every blend weight 0).
    """
    return weights_text({**weights, **options.weights()}, options.settings())
