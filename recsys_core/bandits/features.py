"""Context features ``phi(u, i, position)`` of logged impressions and candidates, for bandits.

Blocks, in column order (G genres, P positions):

* bias (1);
* position one-hot (P): a linear click model learns position bias from them, and candidates are
  scored at position 1, where every item is examined;
* log training popularity of the item, ``log1p(count) / log1p(max count)`` (1);
* item genres, multi-hot (G);
* the user's training genre shares outer the item's genres (G * G): how much of the user's
  history lies in each genre, crossed with the genres of the item, so the model learns taste.

Everything user-side comes from the training window only (the same inputs the re-ranking context
holds), so no test behaviour leaks into the features. Built for (N,) rows at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys_core.errors import DataError
from recsys_core.types import FloatArray, IntArray


@dataclass(frozen=True)
class FeatureMap:
    """The inputs of ``phi`` for one catalogue and training window.

    Attributes:
        item_log_popularity: (I,) ``log1p(training count)`` scaled to [0, 1].
        item_genres: (I, G) multi-hot genres, or None (the genre blocks are then left out).
        user_genres: (U, G) genre shares of each user's training history (rows sum to 1, zero
            rows without history), or None.
        n_positions: P, the positions given a one-hot column; later positions share the last.
    """

    item_log_popularity: FloatArray
    item_genres: FloatArray | None
    user_genres: FloatArray | None
    n_positions: int

    @classmethod
    def build(
        cls,
        item_popularity: FloatArray,
        item_genres: FloatArray | None,
        user_genres: FloatArray | None,
        n_positions: int,
    ) -> FeatureMap:
        """From training counts per item (I,), genres (I, G) and user genre shares (U, G)."""
        if n_positions < 1:
            raise DataError(f"a feature map needs at least one position, got {n_positions}")
        log_count = np.log1p(np.asarray(item_popularity, dtype=np.float64))
        top = log_count.max() if len(log_count) else 0.0
        genres = None if item_genres is None else np.asarray(item_genres, dtype=np.float64)
        shares = None if user_genres is None else np.asarray(user_genres, dtype=np.float64)
        if (genres is None) != (shares is None):
            genres = shares = None  # the cross needs both sides; keep the map consistent
        return cls(log_count / top if top > 0 else log_count, genres, shares, n_positions)

    @property
    def n_genres(self) -> int:
        return 0 if self.item_genres is None else self.item_genres.shape[1]

    @property
    def dim(self) -> int:
        """D, the number of features."""
        g = self.n_genres
        return 2 + self.n_positions + g + g * g

    def rows(self, user_idx: IntArray, item_idx: IntArray, position: IntArray) -> FloatArray:
        """(N,) users, items and 1-based positions -> (N, D) float64 features.

        Items and users outside the training window's index space raise ``DataError``.
        """
        user_idx = np.asarray(user_idx, dtype=np.int64)
        item_idx = np.asarray(item_idx, dtype=np.int64)
        n_items = len(self.item_log_popularity)
        if len(item_idx) and (item_idx.min() < 0 or item_idx.max() >= n_items):
            raise DataError(f"item indices must lie in 0..{n_items - 1} to build bandit features")
        out = np.zeros((len(user_idx), self.dim))
        out[:, 0] = 1.0
        slot = np.clip(np.asarray(position, dtype=np.int64), 1, self.n_positions) - 1
        out[np.arange(len(user_idx)), 1 + slot] = 1.0
        start = 1 + self.n_positions
        out[:, start] = self.item_log_popularity[item_idx]
        if self.item_genres is None or self.user_genres is None:
            return out
        g = self.n_genres
        if len(user_idx) and (user_idx.min() < 0 or user_idx.max() >= len(self.user_genres)):
            raise DataError(
                f"user indices must lie in 0..{len(self.user_genres) - 1} to build bandit features"
            )
        genres = self.item_genres[item_idx]
        out[:, start + 1 : start + 1 + g] = genres
        cross = self.user_genres[user_idx][:, :, None] * genres[:, None, :]
        out[:, start + 1 + g :] = cross.reshape(len(user_idx), g * g)
        return out
