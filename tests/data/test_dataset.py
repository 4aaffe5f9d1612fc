"""TrainSplit's optional fields: defaults for old constructors, session ids from frames and rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.data.dataset import Dataset, TrainSplit


def test_positional_constructor_leaves_the_new_fields_unset() -> None:
    split = TrainSplit(np.array([0, 1]), np.array([1, 0]), None, None, 2, 2)
    assert split.label is None and split.session_id is None and split.impressions is None


def test_from_frame_reads_session_ids_and_marks_missing_ones() -> None:
    frame = pd.DataFrame(
        {
            "user_idx": [0, 0, 1],
            "item_idx": [2, 1, 0],
            "session_id": pd.array([4, pd.NA, 7], dtype="Int64"),
        }
    )
    split = TrainSplit.from_frame(frame, 2, 3)
    assert split.session_id is not None and split.session_id.dtype == np.int64
    assert split.session_id.tolist() == [4, -1, 7]


def test_from_frame_without_session_ids_gives_none() -> None:
    frame = pd.DataFrame({"user_idx": [0], "item_idx": [1]})
    assert TrainSplit.from_frame(frame, 1, 2).session_id is None
    frame["session_id"] = pd.array([pd.NA], dtype="Int64")
    assert TrainSplit.from_frame(frame, 1, 2).session_id is None


def test_dataset_rows_carry_session_ids() -> None:
    interactions = pd.DataFrame(
        {
            "row_id": np.arange(4),
            "user_idx": [0, 0, 1, 1],
            "item_idx": [0, 1, 0, 1],
            "rating": [5.0, 3.0, np.nan, 1.0],
            "timestamp": pd.array([10, 20, 30, 40], dtype="Int64"),
            "session_id": pd.array([0, 0, 1, 2], dtype="Int64"),
        }
    )
    users = pd.DataFrame({"user_id": ["a", "b"]})
    items = pd.DataFrame({"item_id": ["x", "y"]})
    dataset = Dataset("toy", interactions, users, items, None, "fp")
    rows = dataset.rows(np.array([3, 1]))
    assert rows.session_id is not None and rows.session_id.tolist() == [0, 2]
    assert rows.label is None and rows.impressions is None
