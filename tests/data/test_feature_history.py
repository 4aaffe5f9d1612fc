"""History features against a hand-built training split: counts, mean ratings, recent items."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from recsys_core.data.dataset import TrainSplit
from recsys_core.data.features import FeatureField
from recsys_core.data.features.history import history_values, recent_items
from recsys_core.data.features.ragged import Ragged
from recsys_core.errors import DataError

# Rows: (user, item, time, rating): (0,2,30,4) (0,0,10,2) (1,1,20,-) (0,1,10,5) (1,2,5,3).
TRAIN = TrainSplit(
    user_idx=np.array([0, 0, 1, 0, 1]),
    item_idx=np.array([2, 0, 1, 1, 2]),
    rating=np.array([4.0, 2.0, np.nan, 5.0, 3.0], dtype=np.float32),
    timestamp=np.array([30, 10, 20, 10, 5]),
    n_users=3,
    n_items=4,
)


def _history(source: str, column: str) -> np.ndarray:
    return history_values(FeatureField("h", source, column, "history"), TRAIN)


def _bags(ragged: Ragged) -> list[list[int]]:
    bounds = zip(ragged.indptr[:-1], ragged.indptr[1:], strict=True)
    return [ragged.values[a:b].tolist() for a, b in bounds]


def test_counts_are_training_rows_per_user_and_item() -> None:
    np.testing.assert_array_equal(_history("user", "count"), [3, 2, 0])
    np.testing.assert_array_equal(_history("item", "count"), [1, 2, 2, 0])  # popularity


def test_mean_ratings_skip_unrated_rows() -> None:
    np.testing.assert_allclose(_history("user", "mean_rating"), [11 / 3, 3.0, np.nan])
    np.testing.assert_allclose(_history("item", "mean_rating"), [2.0, 5.0, 3.5, np.nan])
    with pytest.raises(DataError, match="needs ratings"):
        history_values(
            FeatureField("h", "user", "mean_rating", "history"),
            dataclasses.replace(TRAIN, rating=None),
        )


def test_recent_items_are_the_latest_in_time_order() -> None:
    # User 0 in time order: item 0 (t10, row 1), item 1 (t10, row 3), item 2 (t30); ids = idx + 1.
    assert _bags(recent_items(TRAIN, max_len=2)) == [[2, 3], [3, 2], [0]]
    assert _bags(recent_items(TRAIN, max_len=5)) == [[1, 2, 3], [3, 2], [0]]


def test_recent_items_without_timestamps_follow_row_order() -> None:
    untimed = dataclasses.replace(TRAIN, timestamp=None)
    assert _bags(recent_items(untimed, max_len=2)) == [[1, 2], [2, 3], [0]]
