"""Blend: a weighted hybrid of this run's relevance with other runs' scores of its candidates.

Source: Burke, "Hybrid Recommender Systems: Survey and Experiments", User Modeling and
User-Adapted Interaction 12(4), 2002 (the weighted hybrid: a linear combination of the scores of
several recommenders).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np

from recsys_core.config import param
from recsys_core.errors import ConfigError
from recsys_core.rerank.base import (
    Candidates,
    Phase,
    RerankContext,
    Reranker,
    RerankerConfig,
    normalise_scores,
    register_reranker,
)
from recsys_core.types import FloatArray, IntArray

#: The key of ``RerankContext.extras`` holding the other runs' scorers.
SCORES_KEY = "blend_scores"
#: A run's scorer: (B,) users and their (B, N) candidate items -> (B, N) scores.
RunScorer = Callable[[IntArray, IntArray], FloatArray]


@dataclass(frozen=True)
class BlendConfig(RerankerConfig):
    """Options of the blend: its weight, the runs to mix in and their weights."""

    weight: float = param(
        0.0,
        "Share of the other runs in the blended relevance (0: off, only this run; 1: only the "
        "other runs).",
        min=0.0,
        max=1.0,
    )
    runs: tuple[str, ...] = param((), "Run ids whose scores are mixed in.", element=str)
    run_weights: tuple[float, ...] = param(
        (),
        "Weight of each run in `runs`, same order, scaled to sum to 1 (empty: equal weights).",
        element=float,
        min=0.0,
    )

    def validate(self) -> None:
        super().validate()
        if len(set(self.runs)) != len(self.runs):
            raise ConfigError(f"BlendConfig.runs lists a run twice: {list(self.runs)}")
        if self.run_weights and len(self.run_weights) != len(self.runs):
            raise ConfigError(
                f"BlendConfig.run_weights has {len(self.run_weights)} value(s) for "
                f"{len(self.runs)} run(s); give one per run or leave it empty for equal weights"
            )
        if self.run_weights and sum(self.run_weights) <= 0:
            raise ConfigError("BlendConfig.run_weights are all 0; give at least one positive")


@register_reranker
class Blend(Reranker):
    """relevance' = (1 - w) * relevance + w * sum_r v_r * norm_r (a weighted hybrid).

    ``relevance`` is this run's score normalised per user to [0, 1]; norm_r is run r's score of
    the same candidates normalised the same way (``base.normalise_scores``: min-max per user over
    the row's real candidates, a row of equal scores becoming 1.0). A score that is not finite
    counts as the run's lowest (0). v_r are ``run_weights`` scaled to sum to 1, equal when empty.

    The other runs' scores come from ``context.extras["blend_scores"]``: a mapping run_id ->
    callable(user_idx (B,), item_idx (B, N)) -> (B, N) scores of those pairs. ``item_idx`` is
    the candidates' matrix as it is, -1 where padded; scores there are ignored. A listed run
    missing from the mapping raises ``ConfigError`` naming it, as does a weight above 0 with no
    runs.
    """

    name: ClassVar[str] = "blend"
    label: ClassVar[str] = "Blend with other runs"
    phase: ClassVar[Phase] = "score"
    needs_options: ClassVar[bool] = True
    source: ClassVar[str] = (
        'Burke, "Hybrid Recommender Systems: Survey and Experiments", UMUAI 2002 (weighted hybrid)'
    )
    config_class: ClassVar[type[RerankerConfig]] = BlendConfig

    @property
    def run_weights(self) -> FloatArray:
        """(R,) the per-run weights v_r, summing to 1."""
        given = self.config.run_weights or (1.0,) * len(self.config.runs)
        weights = np.asarray(given, dtype=np.float64)
        return weights / weights.sum()

    def prepare(self, context: RerankContext) -> Self:
        """Check that every listed run has a scorer in the context; returns self."""
        self.scorers(context)
        return self

    def scorers(self, context: RerankContext) -> list[RunScorer]:
        """The scorer of every listed run, in ``runs`` order; missing ones raise ``ConfigError``."""
        runs = list(self.config.runs)
        if not runs:
            raise ConfigError("blend needs at least one run: set its `runs` option to run ids")
        supplied: Mapping[str, Any] = context.extras.get(SCORES_KEY) or {}
        missing = [run for run in runs if run not in supplied]
        if missing:
            available = ", ".join(sorted(map(str, supplied))) or "none"
            raise ConfigError(
                f"blend cannot find the scores of run(s) {missing} (available: {available}); "
                "pick runs of the same dataset and split"
            )
        return [supplied[run] for run in runs]

    def transform(
        self, relevance: FloatArray, candidates: Candidates, context: RerankContext
    ) -> FloatArray:
        """(B, N) the blended relevance; -inf (dropped or padded) stays -inf."""
        valid = candidates.valid
        mixed = np.zeros(relevance.shape, dtype=np.float64)
        for scorer, share in zip(self.scorers(context), self.run_weights, strict=True):
            scores = np.asarray(scorer(candidates.user_idx, candidates.item_idx), np.float64)
            if scores.shape != relevance.shape:
                raise ConfigError(
                    f"a blend scorer returned shape {scores.shape} for candidates of shape "
                    f"{relevance.shape}; it must score every (user, candidate) pair"
                )
            norm = normalise_scores(np.where(valid, scores, -np.inf))
            mixed += share * np.where(np.isfinite(norm), norm, 0.0)
        weight = self.config.weight
        finite = np.isfinite(relevance)
        blended = (1.0 - weight) * np.where(finite, relevance, 0.0) + weight * mixed
        return np.where(finite, blended, -np.inf)
