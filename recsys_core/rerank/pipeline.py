"""A re-ranking pipeline: registered re-rankers with their settings, run in one documented order.

The order is fixed, whatever order the settings come in: filters (drop items), then score
transforms (change relevance), then list builders in ``LIST_ORDER`` (objectives such as MMR
first, constraints such as fairness last, so a constraint holds in the final list). Relevance is
the run's score normalised per user to [0, 1] (``normalise_scores``), so one weight means the
same for every run. The settings are plain data (``{"mmr": 0.5, "fairness": {"weight": 0.3}}``)
and round-trip through JSON, the URL (``"mmr=0.5,fairness=0.3"``) and the run registry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from recsys_core.errors import ConfigError
from recsys_core.rerank.base import (
    Candidates,
    RerankContext,
    Reranker,
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
        """Parse ``"mmr=0.5,fairness=0.3"`` (the URL and CLI form of weights)."""
        settings: dict[str, float | Mapping[str, Any]] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = part.partition("=")
            if not sep:
                raise ConfigError(f"re-ranker weight {part!r} is not NAME=WEIGHT, e.g. mmr=0.5")
            settings[name.strip()] = {"weight": value.strip()}
        return cls.from_settings(settings)

    def settings(self) -> dict[str, dict[str, Any]]:
        """The settings of every re-ranker, JSON-ready (``from_settings`` rebuilds the pipeline)."""
        return {r.name: r.config.to_dict() for r in self.rerankers}

    def weights(self) -> dict[str, float]:
        """Each re-ranker's weight, pipeline order."""
        return {r.name: float(r.config.weight) for r in self.rerankers}

    def to_text(self) -> str:
        """The active weights as ``"mmr=0.5,fairness=0.3"`` (inverse of ``from_text``)."""
        return ",".join(f"{name}={w:g}" for name, w in self.weights().items() if w > 0)

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
