"""Popularity: counts from the training rows only, one list for everyone, rating threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.data.dataset import TrainSplit
from recsys_core.models.retrieval.popularity import Popularity

# item 2: 3 rows, item 0: 2 rows (one rated 1), item 1: 1 row, item 3: none
ROWS = pd.DataFrame(
    {
        "user_idx": [0, 1, 2, 0, 1, 2],
        "item_idx": [2, 2, 2, 0, 0, 1],
        "rating": [5.0, 4.0, 1.0, 5.0, 1.0, 5.0],
    }
)


def train_split() -> TrainSplit:
    return TrainSplit.from_frame(ROWS, 4, 4)


def test_scores_are_training_counts_for_every_user() -> None:
    scores = Popularity().fit(train_split()).score(np.arange(4))
    np.testing.assert_array_equal(scores, np.tile([2.0, 1.0, 3.0, 0.0], (4, 1)))


def test_min_rating_counts_only_good_ratings() -> None:
    scores = Popularity(min_rating=4.0).fit(train_split()).score(np.array([0]))
    np.testing.assert_array_equal(scores[0], [1.0, 1.0, 2.0, 0.0])


def test_lists_are_by_count_minus_each_users_seen_items() -> None:
    top = Popularity().fit(train_split()).recommend(np.array([0, 2, 3]), k=2)
    np.testing.assert_array_equal(top.item_idx, [[1, 3], [0, 3], [2, 0]])
    np.testing.assert_array_equal(top.scores[2], [3.0, 2.0])
