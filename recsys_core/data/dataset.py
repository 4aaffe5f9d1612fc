"""A stored dataset in memory with contiguous indices, and the training view models fit on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys_core.data.row_ids import row_positions
from recsys_core.types import FloatArray, IntArray


@dataclass(frozen=True)
class Dataset:
    """A dataset as read back from the store.

    Attributes:
        name: its name in the store.
        interactions: columns row_id, user_idx, item_idx, rating (float, NaN if none),
            timestamp (Int64, NA if none), session_id (Int64); sorted by row_id, which is stable
            and is what splits store.
        users: indexed 0..U-1 by user_idx; columns user_id, age, gender, occupation, zip.
        items: indexed 0..I-1 by item_idx; columns item_id, title, genres, year, provider,
            release_ts, tags.
        impressions: request_id, user_idx, item_idx, position, clicked, relevance, examination,
            timestamp
            or None.
        fingerprint: content hash used as a cache key.
    """

    name: str
    interactions: pd.DataFrame
    users: pd.DataFrame
    items: pd.DataFrame
    impressions: pd.DataFrame | None
    fingerprint: str

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def has_ratings(self) -> bool:
        return bool(self.interactions["rating"].notna().any())

    @property
    def has_timestamps(self) -> bool:
        return bool(self.interactions["timestamp"].notna().any())

    def rows(self, row_ids: IntArray) -> TrainSplit:
        """The interactions with these row ids as a ``TrainSplit`` over the full id space."""
        frame = self.interactions
        wanted = np.sort(np.asarray(row_ids, dtype=np.int64))
        positions = row_positions(frame["row_id"].to_numpy(dtype=np.int64), wanted, self.name)
        selected = frame.iloc[positions]
        return TrainSplit.from_frame(selected, self.n_users, self.n_items, self.items, self.users)


@dataclass(frozen=True)
class TrainSplit:
    """The interaction rows a model sees (or is evaluated on), over the dataset's whole index space.

    Attributes:
        user_idx: (N,) user indices.
        item_idx: (N,) item indices.
        rating: (N,) float ratings, or None for implicit data.
        timestamp: (N,) int64 Unix seconds, or None.
        n_users: U, the size of the user index space (not only users present here).
        n_items: I, the size of the item index space.
        items: item side information indexed by item_idx, or None.
        users: user side information indexed by user_idx, or None.
        label: (N,) float32 0/1 targets for ranking models (rating at least the protocol's
            relevance threshold), or None when the protocol has no threshold or there are no
            ratings.
        session_id: (N,) int64 session of each row (-1 where unknown), or None.
        impressions: the impression rows of this part's window (columns as
            ``Dataset.impressions``), or None when the dataset has no impressions.
    """

    user_idx: IntArray
    item_idx: IntArray
    rating: FloatArray | None
    timestamp: IntArray | None
    n_users: int
    n_items: int
    items: pd.DataFrame | None = None
    users: pd.DataFrame | None = None
    label: FloatArray | None = None
    session_id: IntArray | None = None
    impressions: pd.DataFrame | None = None

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        n_users: int,
        n_items: int,
        items: pd.DataFrame | None = None,
        users: pd.DataFrame | None = None,
    ) -> TrainSplit:
        """Build from a frame with user_idx, item_idx and optional rating/timestamp/session_id
        columns; a column that is absent or all missing gives None."""
        rating = None
        if "rating" in frame and frame["rating"].notna().any():
            rating = frame["rating"].to_numpy(dtype=np.float32, na_value=np.nan)
        timestamp = None
        if "timestamp" in frame and frame["timestamp"].notna().any():
            timestamp = frame["timestamp"].to_numpy(dtype=np.int64, na_value=0)
        session_id = None
        if "session_id" in frame and frame["session_id"].notna().any():
            session_id = frame["session_id"].to_numpy(dtype=np.int64, na_value=-1)
        return cls(
            user_idx=frame["user_idx"].to_numpy(dtype=np.int64),
            item_idx=frame["item_idx"].to_numpy(dtype=np.int64),
            rating=rating,
            timestamp=timestamp,
            n_users=n_users,
            n_items=n_items,
            items=items,
            users=users,
            session_id=session_id,
        )

    def __len__(self) -> int:
        return int(self.user_idx.shape[0])

    def csr(self, values: Literal["binary", "rating"] = "binary") -> sp.csr_matrix:
        """(U, I) sparse matrix of the rows: 1.0 per pair, or the rating (duplicates summed)."""
        if values == "rating" and self.rating is not None:
            data = self.rating.astype(np.float32)
        else:
            data = np.ones(len(self), dtype=np.float32)
        matrix = sp.csr_matrix(
            (data, (self.user_idx, self.item_idx)), shape=(self.n_users, self.n_items)
        )
        matrix.sum_duplicates()
        if values == "binary":
            matrix.data[:] = 1.0
        return matrix

    def item_counts(self) -> IntArray:
        """(I,) number of rows per item."""
        return np.bincount(self.item_idx, minlength=self.n_items).astype(np.int64)

    def user_counts(self) -> IntArray:
        """(U,) number of rows per user."""
        return np.bincount(self.user_idx, minlength=self.n_users).astype(np.int64)
