"""Per-user and per-item statistics of the TRAINING interactions only (never valid/test rows).

They are static per user/item: every row of a user, training rows included, sees the same
values, computed once at fit time from the training window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from recsys_core.data.dataset import TrainSplit
from recsys_core.data.features.ragged import Ragged
from recsys_core.data.features.spec import FeatureField
from recsys_core.errors import DataError
from recsys_core.types import FloatArray, IntArray


def entity_rows(source: str, train: TrainSplit) -> tuple[IntArray, int]:
    """The training rows' user (or item) index (N,) and the size of that index space."""
    if source == "user":
        return train.user_idx, train.n_users
    return train.item_idx, train.n_items


def history_values(field: FeatureField, train: TrainSplit) -> FloatArray:
    """(U,) or (I,) float64 "count" or "mean_rating" of the training rows; NaN = no rating.

    Raises:
        DataError: for "mean_rating" when the split has no ratings.
    """
    idx, size = entity_rows(field.source, train)
    if field.column == "count":
        return np.bincount(idx, minlength=size).astype(np.float64)
    if train.rating is None:
        raise DataError(
            f"history feature {field.name!r} needs ratings but the training split has none; "
            "drop it from the spec (FeatureSpec.default_for(..., with_ratings=False))"
        )
    rated = ~np.isnan(train.rating)
    sums = np.bincount(idx[rated], weights=train.rating[rated], minlength=size)
    counts = np.bincount(idx[rated], minlength=size)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def recent_items(train: TrainSplit, max_len: int) -> Ragged:
    """(U rows) each user's last ``max_len`` training items, oldest first, as ids item_idx + 1.

    Time order is by timestamp, ties (and splits without timestamps) by row order. A user without
    training rows gets [0], the padding/OOV id.
    """
    n = len(train)
    stamps = train.timestamp if train.timestamp is not None else np.zeros(n, dtype=np.int64)
    order = np.lexsort((np.arange(n), stamps, train.user_idx))
    users = train.user_idx[order]
    counts = np.bincount(users, minlength=train.n_users)
    from_end = np.cumsum(counts)[users] - np.arange(n)  # 1 = the user's latest row
    keep = from_end <= max_len
    return Ragged.from_pairs(users[keep], train.item_idx[order][keep] + 1, train.n_users)


@dataclass(frozen=True)
class RecentItemsCodec:
    """Ids of ``recent_items``: item_idx + 1 in 1..I, 0 for padding/OOV.

    Attributes:
        n_items: I, the item index space at fit time.
    """

    n_items: int

    @property
    def cardinality(self) -> int:
        return self.n_items + 1

    def state(self) -> dict[str, Any]:
        return {"n_items": self.n_items}
