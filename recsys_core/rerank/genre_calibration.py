"""Calibrated recommendations: make a list's genre mix match the user's training history.

Steck, "Calibrated Recommendations", RecSys 2018. ``genre_kl`` is also the "genre
miscalibration" metric of the evaluation. Shape legend: B users, N candidates, G genres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys_core.config import param
from recsys_core.evaluation.beyond import CALIBRATION_ALPHA, genre_kl, item_genre_shares
from recsys_core.rerank.base import (
    Candidates,
    RerankContext,
    Reranker,
    RerankerConfig,
    register_reranker,
)
from recsys_core.rerank.greedy import GreedyList, keep_order
from recsys_core.types import FloatArray, IntArray

#: Steck's smoothing of the list distribution towards the user's, so that KL stays finite.
ALPHA = CALIBRATION_ALPHA


@dataclass(frozen=True)
class GenreCalibrationConfig(RerankerConfig):
    """Options of Steck's calibration."""

    weight: float = param(
        0.0,
        "Steck's lambda: the list maximises (1 - weight) * (sum of relevance) - weight * "
        "KL(user's training genres || list's genres); 0 keeps relevance order, 1 only matches "
        "the genre mix.",
        min=0.0,
        max=1.0,
    )


@register_reranker
class GenreCalibration(Reranker):
    """Calibrated recommendations (Steck, RecSys 2018), built greedily as in the paper.

    Each position adds the candidate maximising ``(1 - lambda) * sum(rel) - lambda * KL(p || q~)``
    of the list so far plus that candidate, with p the user's training genre distribution, q the
    list's (mean of ``item_genre_shares``, renormalised to sum 1 so that items without genres
    count for nothing) and ``q~ = (1 - ALPHA) * q + ALPHA * p``. Without genres or user genre
    distributions it changes nothing; a user without history gets relevance order.
    """

    name = "genre_calibration"
    label = "Genre calibration"
    phase = "list"
    source = "Steck, Calibrated Recommendations, RecSys 2018"
    config_class = GenreCalibrationConfig
    config: GenreCalibrationConfig

    def order(
        self, relevance: FloatArray, candidates: Candidates, context: RerankContext, k: int
    ) -> IntArray:
        """(B, N) permutation whose first k columns are the calibrated list."""
        if context.item_genres is None or context.user_genres is None:
            return keep_order(relevance, candidates.valid, k)
        has_genre = context.item_genres[np.where(candidates.valid, candidates.item_idx, 0)] > 0
        n_genres = has_genre.sum(axis=2)
        shares = item_genre_shares(has_genre)
        has_genre = has_genre.astype(np.float64)
        p = np.asarray(context.user_genres[candidates.user_idx], dtype=np.float64)
        lam = self.config.weight
        gain = (1.0 - lam) * np.where(np.isfinite(relevance), relevance, 0.0)
        greedy = GreedyList(relevance, candidates.valid, k)
        list_mass = np.zeros_like(p)
        for _ in range(greedy.k):
            kl = _kl_if_added(p, list_mass, has_genre, n_genres)
            cols = greedy.take(gain - lam * kl)
            list_mass += shares[greedy.rows, cols]
        return greedy.order()


def _kl_if_added(
    p: FloatArray, list_mass: FloatArray, has_genre: FloatArray, n_genres: IntArray
) -> FloatArray:
    """(B, N) ``genre_kl`` of each row's list with each candidate added, without (B, N, G) logs.

    An item with n genres adds 1/n to each, so the list's mass grows from T to T + 1 and q moves
    only in the item's genres: with r the smoothed q of the list alone at mass T + 1 and
    c = (1 - ALPHA) / (n (T + 1)), KL = KL(p || r) - sum over the item's genres of
    p log(1 + c / r). Those terms for every n are (B, G, n_max), so one batched product over
    genres prices every candidate. An item without genres leaves q as it is.

    Args:
        p: (B, G) users' genre distributions.
        list_mass: (B, G) summed genre shares of the items chosen so far.
        has_genre: (B, N, G) 0/1 genres of the candidates.
        n_genres: (B, N) number of genres of each candidate.
    """
    total = list_mass.sum(axis=1, keepdims=True)
    grown = total + 1.0
    smoothed = (1.0 - ALPHA) * list_mass / grown + ALPHA * p
    n = np.arange(1, max(int(n_genres.max(initial=0)), 1) + 1)
    step = (1.0 - ALPHA) / (n[None, None, :] * grown[:, :, None])
    safe = np.where(p > 0, smoothed, 1.0)[:, :, None]
    terms = p[:, :, None] * np.log1p(step / safe)
    drops = np.matmul(has_genre, terms)
    drop = np.take_along_axis(drops, (np.maximum(n_genres, 1) - 1)[:, :, None], axis=2)[..., 0]
    with_genres = genre_kl(p, list_mass / grown)[:, None] - drop
    as_is = genre_kl(p, np.divide(list_mass, total, out=np.zeros_like(list_mass), where=total > 0))
    return np.where(n_genres > 0, with_genres, as_is[:, None])
