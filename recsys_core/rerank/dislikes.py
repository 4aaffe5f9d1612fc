"""Dislikes filter: hide candidates from genres a user rated low in training.

Source: production practice, the negative-feedback filter of deployed recommenders (what a user
signalled dislike for is not shown again); here the dislike is inferred from explicit ratings
aggregated per genre.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

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
from recsys_core.types import BoolArray


@dataclass(frozen=True)
class DislikesConfig(RerankerConfig):
    """Options of the dislikes filter; the weight moves the dislike threshold."""

    weight: float = param(
        0.0,
        "Strictness of the filter (0: off). A genre counts as disliked when the user's mean "
        "rating of it is at most a cut that rises from the lowest training rating (weight near "
        "0: only genres rated at the very bottom) to `threshold` (weight 1).",
        min=0.0,
        max=1.0,
    )
    threshold: float = param(
        2.0,
        "Mean rating (in rating units) at or below which a genre counts as disliked, at weight 1.",
        min=0.0,
    )
    min_ratings: int = param(
        3, "Training ratings a user needs in a genre before it can count as disliked.", min=1
    )


@register_reranker
class Dislikes(Reranker):
    """Drop candidates having a genre whose mean training rating by the user is low.

    User u dislikes genre g when u rated at least ``min_ratings`` training items of g and their
    mean rating is at most t = r_min + weight * (threshold - r_min), r_min being the lowest
    training rating. Without training ratings (implicit data) or item genres it drops nothing.
    """

    name: ClassVar[str] = "dislikes"
    label: ClassVar[str] = "Dislikes filter"
    phase: ClassVar[Phase] = "filter"
    source: ClassVar[str] = (
        "Production practice: negative-feedback filter (dislikes inferred from genre ratings)"
    )
    config_class: ClassVar[type[RerankerConfig]] = DislikesConfig

    _context: RerankContext | None = None
    disliked_: BoolArray | None = None

    def prepare(self, context: RerankContext) -> Self:
        """Find each user's disliked genres from the training ratings: (U, G) bool, or None."""
        self._context = context
        self.disliked_ = None
        ratings, genres = context.train_ratings, context.item_genres
        if ratings is None or genres is None:
            return self
        ratings = ratings.tocsr(copy=True)
        ratings.eliminate_zeros()  # a stored 0 means unrated, as in the context's contract
        if ratings.nnz == 0:
            return self
        in_genre = (np.asarray(genres) > 0).astype(np.float64)
        rated = ratings.copy()
        rated.data = np.ones_like(rated.data, dtype=np.float64)
        counts = np.asarray(rated @ in_genre)  # (U, G) ratings per genre
        sums = np.asarray(ratings @ in_genre)  # (U, G) sum of those ratings
        lowest = float(ratings.data.min())
        cut = lowest + self.config.weight * (self.config.threshold - lowest)
        means = sums / np.maximum(counts, 1.0)
        self.disliked_ = (counts >= self.config.min_ratings) & (means <= cut)
        return self

    def drop(self, candidates: Candidates, context: RerankContext) -> BoolArray:
        """(B, N) True for real candidates with a genre the row's user dislikes."""
        dropped = np.zeros(candidates.item_idx.shape, dtype=bool)
        if not self.active:
            return dropped
        if self._context is not context:
            self.prepare(context)
        if self.disliked_ is None or context.item_genres is None:
            return dropped
        items = candidates.item_idx  # a -1 pad reads the last item; ``valid`` masks it out below
        user_dislikes = self.disliked_[candidates.user_idx]  # (B, G)
        in_genre = np.asarray(context.item_genres) > 0
        for g in np.flatnonzero(user_dislikes.any(axis=0)):  # genres, never users
            dropped |= in_genre[items, g] & user_dislikes[:, g, None]
        return dropped & candidates.valid
