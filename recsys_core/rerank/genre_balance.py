"""Genre balance: no genre may take more than a capped share of a user's list.

A per-category quota, the business rule many production recommenders apply, rather than a method
from one paper; Ziegler et al., "Improving Recommendation Lists Through Topic Diversification",
WWW 2005, diversify over topics softly, this caps them hard. Shape legend: B users, N candidates,
G genres, K list length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from recsys_core.config import param
from recsys_core.rerank.base import (
    Candidates,
    RerankContext,
    Reranker,
    RerankerConfig,
    register_reranker,
)
from recsys_core.rerank.greedy import GreedyList, keep_order
from recsys_core.types import FloatArray, IntArray


@dataclass(frozen=True)
class GenreBalanceConfig(RerankerConfig):
    """Options of the per-genre cap."""

    weight: float = param(
        0.0,
        "How hard genres are capped: the largest share of the list one genre may take is "
        "1 - weight * (1 - min_share), so 0 leaves lists alone and 1 caps every genre at "
        "min_share (an item counts toward each of its genres).",
        min=0.0,
        max=1.0,
    )
    min_share: float = param(
        0.3,
        "The genre cap at weight 1, as a share of the list (a genre may fill at most "
        "ceil(cap * k) positions).",
        min=0.05,
        max=1.0,
    )


@register_reranker
class GenreBalance(Reranker):
    """Greedy list under a per-genre cap (a category quota; practice, not one paper).

    With cap ``1 - weight * (1 - min_share)``, each position takes the best candidate left (the
    earliest in the incoming list: the most relevant, or as an earlier list builder placed it)
    that keeps every genre's count in the list at most ``ceil(cap * k)``; where no candidate
    qualifies, the best one left (so the list is never cut short). Items without genres always
    qualify. Without genres in the catalogue it changes nothing.
    """

    name = "genre_balance"
    label = "Genre balance"
    phase = "list"
    source = "Practice: per-category quota (hard cap; cf. Ziegler et al., WWW 2005)"
    config_class = GenreBalanceConfig
    config: GenreBalanceConfig

    def genre_limit(self, k: int) -> int:
        """The most positions one genre may fill in a list of length k."""
        cap = 1.0 - self.config.weight * (1.0 - self.config.min_share)
        return math.ceil(round(cap * k, 9))

    def order(
        self, relevance: FloatArray, candidates: Candidates, context: RerankContext, k: int
    ) -> IntArray:
        """(B, N) permutation whose first k columns keep every genre within its cap."""
        if context.item_genres is None:
            return keep_order(relevance, candidates.valid, k)
        genres = context.item_genres[np.where(candidates.valid, candidates.item_idx, 0)] > 0
        genre_weights = genres.astype(np.float32)
        greedy = GreedyList(relevance, candidates.valid, k)
        limit = self.genre_limit(greedy.k)
        counts = np.zeros((genres.shape[0], genres.shape[2]), dtype=np.int64)
        for _ in range(greedy.k):
            full = (counts >= limit).astype(np.float32)
            blocked = np.matmul(genre_weights, full[:, :, None])[:, :, 0] > 0
            cols = greedy.take(allowed=~blocked)
            counts += genres[greedy.rows, cols]
        return greedy.order()
