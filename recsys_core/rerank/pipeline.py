"""A re-ranking pipeline: registered re-rankers with their settings, run in one documented order.

The order is fixed, whatever order the settings come in: filters (drop items), then score
transforms (change relevance), then list builders in ``LIST_ORDER`` (objectives such as MMR
first, constraints such as fairness last, so a constraint holds in the final list). Relevance is
the run's score normalised per user to [0, 1] (``normalise_scores``), so one weight means the
same for every run. The settings are plain data (``{"mmr": 0.5, "fairness": {"weight": 0.3}}``)
and round-trip through JSON, the run registry and one line of text (the URL and the CLI).

The text form is comma-separated parts, each ``NAME=WEIGHT`` or ``NAME.OPTION=VALUE``, e.g.
``"mmr=0.5,freshness=0.4,freshness.half_life_years=2,blocklist=1,blocklist.genres=Horror|Drama"``
or ``"blend=0.3,blend.runs=bpr-1a2b|itemknn-3c4d,blend.run_weights=2|1"``:

* NAME is a registered re-ranker, OPTION a field of its config other than ``weight``;
* a list option (``blocklist.items``, ``blocklist.genres``, ``blend.runs``, ...) separates its
  values with ``|``; an empty value is an empty list;
* inside a value, ``%``, ``,`` and ``|`` are written ``%25``, ``%2C`` and ``%7C`` (so an item id
  may hold any character);
* each key appears once; a re-ranker named only through options keeps weight 0 (off).

``to_text`` writes the active re-rankers (weight above 0) in pipeline order, each as its weight
followed by the options that differ from their defaults, in field order, so the text is
canonical: equal settings give the same text whatever order they came in and whether defaults
were spelled out. The weight-only form (``"mmr=0.5,fairness=0.3"``) is this form without
options and reads as before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

import numpy as np

from recsys_core.errors import ConfigError
from recsys_core.rerank.base import (
    Candidates,
    RerankContext,
    Reranker,
    RerankerConfig,
    get_reranker_class,
    list_rerankers,
    normalise_scores,
)


class RerankPipeline:
    """Re-rankers in pipeline order; only those with a weight above 0 do anything."""

    def __init__(self, rerankers: Sequence[Reranker]) -> None:
        names = [r.name for r in rerankers]
        if len(set(names)) != len(names):
            raise ConfigError(f"a pipeline takes each re-ranker once, got {names}")
        position = {name: i for i, name in enumerate(list_rerankers())}
        self.rerankers = sorted(rerankers, key=lambda r: position[r.name])

    @classmethod
    def from_settings(cls, settings: Mapping[str, float | Mapping[str, Any]]) -> RerankPipeline:
        """Build from ``{name: weight}`` or ``{name: {option: value, ...}}`` settings."""
        rerankers = []
        for name, value in settings.items():
            reranker_cls = get_reranker_class(name)
            options = dict(value) if isinstance(value, Mapping) else {"weight": value}
            rerankers.append(reranker_cls(**options))
        return cls(rerankers)

    @classmethod
    def from_text(cls, text: str) -> RerankPipeline:
        """Parse the text form (module docstring): ``"mmr=0.5,blocklist.genres=Horror|Drama"``.

        Raises:
            ConfigError: a part is not ``NAME=WEIGHT`` or ``NAME.OPTION=VALUE``, names an
                unknown re-ranker or option (the message lists the valid ones), repeats a key,
                or gives a value the option refuses.
        """
        settings: dict[str, dict[str, Any]] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = part.partition("=")
            name, dot, option = (s.strip() for s in key.partition("."))
            if not sep or not name or (dot and not option):
                raise ConfigError(
                    f"re-ranker setting {part!r} is not NAME=WEIGHT or NAME.OPTION=VALUE, "
                    "e.g. mmr=0.5 or freshness.half_life_years=2"
                )
            option = option or "weight"
            field = _option_field(get_reranker_class(name).config_class, name, option)
            options = settings.setdefault(name, {})
            if option in options:
                raise ConfigError(f"{name}.{option} is given twice in {text!r}; keep one")
            options[option] = _read_value(field, value.strip())
        return cls.from_settings(settings)

    def settings(self) -> dict[str, dict[str, Any]]:
        """The settings of every re-ranker, JSON-ready (``from_settings`` rebuilds the pipeline)."""
        return {r.name: r.config.to_dict() for r in self.rerankers}

    def weights(self) -> dict[str, float]:
        """Each re-ranker's weight, pipeline order."""
        return {r.name: float(r.config.weight) for r in self.rerankers}

    def to_text(self) -> str:
        """The canonical text of the active re-rankers (inverse of ``from_text``): each one's
        weight, then its options that differ from their defaults (module docstring)."""
        parts = []
        for reranker in self.active:
            parts.append(f"{reranker.name}={reranker.config.weight:g}")
            for field in dataclasses.fields(reranker.config):
                value = getattr(reranker.config, field.name)
                if field.name != "weight" and value != field.default:
                    parts.append(f"{reranker.name}.{field.name}={_write_value(value)}")
        return ",".join(parts)

    @property
    def active(self) -> list[Reranker]:
        """The re-rankers that change anything (weight above 0), in pipeline order."""
        return [r for r in self.rerankers if r.active]

    def prepare(self, context: RerankContext) -> RerankPipeline:
        """Let every active re-ranker precompute from the context once; returns self."""
        for reranker in self.active:
            reranker.prepare(context)
        return self

    def apply(self, candidates: Candidates, context: RerankContext, k: int) -> Candidates:
        """The re-ranked top-k of every user: (B, K) items and their final relevance.

        Args:
            candidates: (B, N) candidates of the run, best first.
            context: side information (prepared re-rankers read it too).
            k: list length K (at most N).

        Returns:
            ``Candidates`` with (B, K) items (-1 where fewer than K survive the filters) and
            their relevance after the score transforms (-inf where padded).
        """
        if k < 1:
            raise ConfigError(f"k must be at least 1, got {k}")
        relevance = normalise_scores(candidates.scores)
        dropped = ~candidates.valid
        for reranker in self.active:
            if reranker.phase == "filter":
                dropped |= reranker.drop(candidates, context)
        relevance[dropped] = -np.inf
        for reranker in self.active:
            if reranker.phase == "score":
                relevance = np.where(
                    dropped, -np.inf, reranker.transform(relevance, candidates, context)
                )
        order = np.argsort(-relevance, axis=1, kind="stable")
        current = _permute(candidates, relevance, order)
        relevance = np.take_along_axis(relevance, order, axis=1)
        for reranker in self.active:
            if reranker.phase == "list":
                order = reranker.order(relevance, current, context, k)
                current = _permute(current, relevance, order)
                relevance = np.take_along_axis(relevance, order, axis=1)
        top = relevance[:, :k]
        items = np.where(np.isfinite(top), current.item_idx[:, :k], -1)
        return Candidates(candidates.user_idx, items, np.where(items >= 0, top, -np.inf))


def _permute(candidates: Candidates, relevance: np.ndarray, order: np.ndarray) -> Candidates:
    """Candidates reordered by a (B, N) column permutation; their scores become the relevance."""
    items = np.take_along_axis(candidates.item_idx, order, axis=1)
    scores = np.take_along_axis(relevance, order, axis=1)
    return Candidates(candidates.user_idx, items, scores)


#: Characters a value of the text form escapes: the escape itself and the two separators.
_ESCAPES = {"%": "%25", ",": "%2C", "|": "%7C"}


def option_names(config_class: type[RerankerConfig]) -> list[str]:
    """The options of a re-ranker's config besides its weight, in field order."""
    return [f.name for f in dataclasses.fields(config_class) if f.name != "weight"]


def _option_field(
    config_class: type[RerankerConfig], name: str, option: str
) -> dataclasses.Field[Any]:
    """The config field of ``name.option``; ``ConfigError`` lists the valid options."""
    for field in dataclasses.fields(config_class):
        if field.name == option:
            return field
    valid = ", ".join(option_names(config_class)) or "none (it takes a weight only)"
    raise ConfigError(
        f"re-ranker {name!r} has no option {option!r}; its options are: {valid} "
        f"(set its weight as {name}=WEIGHT)"
    )


def _read_value(field: dataclasses.Field[Any], text: str) -> Any:
    """A value of the text form as the config expects it: a list for tuple options (split on
    ``|``), else the unescaped string (the config coerces and checks it)."""
    if isinstance(field.default, tuple):
        return [unquote(part) for part in text.split("|")] if text else []
    return unquote(text)


def _write_value(value: Any) -> str:
    """A config value in the text form: lists joined by ``|``, reserved characters escaped."""
    if isinstance(value, tuple):
        return "|".join(_write_value(element) for element in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    return "".join(_ESCAPES.get(char, char) for char in str(value))
