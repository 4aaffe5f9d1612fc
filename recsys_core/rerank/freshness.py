"""Freshness boost: raise the relevance of newer items with an exponential time decay.

Source: Ding & Li, "Time Weight Collaborative Filtering", CIKM 2005 (an exponential decay of
weight with age, parameterised by its half-life), applied here to items at re-ranking time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from recsys_core.config import param
from recsys_core.rerank.base import (
    Candidates,
    Phase,
    RerankContext,
    Reranker,
    RerankerConfig,
    register_reranker,
)
from recsys_core.types import FloatArray


@dataclass(frozen=True)
class FreshnessConfig(RerankerConfig):
    """Options of the freshness boost: its weight and the half-life of the decay."""

    weight: float = param(
        0.0,
        "Boost a brand-new item gets, added to relevance in [0, 1] (0: off); an item one "
        "half-life old gets half of it.",
        min=0.0,
        max=1.0,
    )
    half_life_years: float = param(
        5.0, "Age in years at which an item's boost has halved.", min=0.1
    )


@register_reranker
class Freshness(Reranker):
    """Add ``weight * 2 ** (-age / half_life_years)`` to each candidate's relevance.

    Relevance is the run's score normalised per user to [0, 1], so the weight is on the same
    scale for every run: at weight 0.2 a brand-new item beats an old one whose relevance is up to
    0.2 higher. Age is ``context.item_age`` in years at the end of the training window; negative
    ages (released after the window) count as 0, so no boost exceeds the weight; an unknown (NaN)
    age gets no boost. Without item ages nothing changes.
    """

    name: ClassVar[str] = "freshness"
    label: ClassVar[str] = "Freshness boost"
    phase: ClassVar[Phase] = "score"
    source: ClassVar[str] = (
        'Ding & Li, "Time Weight Collaborative Filtering", CIKM 2005 (half-life decay)'
    )
    config_class: ClassVar[type[RerankerConfig]] = FreshnessConfig

    def boost(self, context: RerankContext) -> FloatArray | None:
        """(I,) boost of every item (0 where its age is unknown), or None without item ages."""
        if context.item_age is None:
            return None
        age = np.maximum(np.asarray(context.item_age, dtype=np.float64), 0.0)
        decay = np.exp2(-age / self.config.half_life_years)
        return self.config.weight * np.nan_to_num(decay, nan=0.0)

    def transform(
        self, relevance: FloatArray, candidates: Candidates, context: RerankContext
    ) -> FloatArray:
        """(B, N) relevance plus each real candidate's boost; padding is left as it is."""
        boost = self.boost(context)
        if boost is None:
            return relevance
        # A -1 pad reads the last item's boost; ``valid`` replaces it with 0.
        return relevance + np.where(candidates.valid, boost[candidates.item_idx], 0.0)
