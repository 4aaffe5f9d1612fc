"""Which labelled rows a split offers a ranking model: rated rows, else impressions, else none."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from recsys_core.data.dataset import TrainSplit
from recsys_core.data.labels import split_labels


def rows(label: list[float] | None = None) -> TrainSplit:
    return TrainSplit(
        user_idx=np.array([0, 0, 1, 2]),
        item_idx=np.array([1, 2, 0, 3]),
        rating=np.array([5.0, 2.0, 4.0, 1.0], dtype=np.float32),
        timestamp=None,
        n_users=3,
        n_items=4,
        label=None if label is None else np.array(label, dtype=np.float32),
    )


def impressions(clicked: list[bool]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_idx": [0, 1, 2][: len(clicked)],
            "item_idx": [3, 3, 1][: len(clicked)],
            "clicked": clicked,
        }
    )


def test_rated_rows_with_both_classes_come_first() -> None:
    split = dataclasses.replace(rows([1, 0, 1, 0]), impressions=impressions([True, False]))
    own = split_labels(split)
    assert own is not None and own.source.startswith("rated rows")
    np.testing.assert_array_equal(own.label, [1, 0, 1, 0])
    np.testing.assert_array_equal(own.item_idx, split.item_idx)


def test_impressions_stand_in_when_ratings_give_no_label_or_one_class() -> None:
    for split in (rows(None), rows([1, 1, 1, 1])):
        logged = dataclasses.replace(split, impressions=impressions([True, False, False]))
        own = split_labels(logged)
        assert own is not None and own.source == "logged impressions, label = clicked"
        np.testing.assert_array_equal(own.user_idx, [0, 1, 2])
        np.testing.assert_array_equal(own.label, [1, 0, 0])


def test_no_labels_when_neither_gives_two_classes() -> None:
    assert split_labels(rows(None)) is None
    assert split_labels(dataclasses.replace(rows(None), impressions=impressions([True]))) is None
    assert split_labels(dataclasses.replace(rows(None), impressions=impressions([]))) is None
