"""Most-popular baseline: every user gets the items with the most training interactions.

The floor every personalised model must beat; popularity counts come from the training rows only,
so a temporal split never leaks future popularity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np

from recsys_core.data.dataset import TrainSplit
from recsys_core.models.base import Callback, ModelConfig, RetrievalModel, param, register
from recsys_core.models.saved_state import expect_array
from recsys_core.types import FloatArray, IntArray


@dataclass(frozen=True)
class PopularityConfig(ModelConfig):
    """Options of the popularity baseline."""

    min_rating: float = param(
        0.0, "Count only interactions rated at least this (0 counts every interaction).", min=0.0
    )


@register
class Popularity(RetrievalModel):
    """Scores every item by its number of training interactions (the same list for every user)."""

    name = "popularity"
    label = "Most popular"
    requires = frozenset({"ids"})
    personalised = False
    config_class = PopularityConfig
    config: PopularityConfig

    def fit(
        self,
        train: TrainSplit,
        *,
        valid: TrainSplit | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> Self:
        self._start_fit(train)
        keep = np.ones(len(train), dtype=bool)
        if train.rating is not None and self.config.min_rating > 0:
            keep = train.rating >= self.config.min_rating
        counts = np.bincount(train.item_idx[keep], minlength=train.n_items).astype(np.float32)
        self.item_scores_ = counts
        return self

    def _score_users(self, user_idx: IntArray) -> FloatArray:
        return np.broadcast_to(self.item_scores_, (len(user_idx), self.n_items_))

    def _state(self) -> dict[str, np.ndarray]:
        return {"item_scores": self.item_scores_}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.item_scores_ = expect_array(state, "item_scores", (self.n_items_,))
