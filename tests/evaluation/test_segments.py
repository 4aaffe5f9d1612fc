"""Activity and demographic segments, and metric means per segment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.errors import DataError
from recsys_core.evaluation import (
    TopKEvaluation,
    activity_segments,
    demographic_segments,
    metrics_by_segment,
)


def test_activity_bins_are_quantiles_of_training_counts() -> None:
    counts = np.arange(1, 101)  # users 0..99 with 1..100 interactions
    users = np.arange(100)
    labels = activity_segments(counts, users, n_bins=4)
    assert labels[0] == "1–25 interactions"
    assert labels[25] == "26–50 interactions"
    assert labels[99] == "76–100 interactions"
    assert pd.Series(labels).value_counts().tolist() == [25, 25, 25, 25]


def test_activity_bins_use_only_the_evaluated_users_and_merge_ties() -> None:
    counts = np.array([5, 5, 5, 5, 9, 1000])
    labels = activity_segments(counts, np.array([0, 1, 2, 3, 4]), n_bins=4)
    assert labels.tolist() == ["5 interactions"] * 4 + ["6–9 interactions"]
    assert activity_segments(np.array([1, 1]), np.array([0, 1])).tolist() == ["1 interaction"] * 2
    assert activity_segments(counts, np.array([], dtype=np.int64)).shape == (0,)


def test_demographics_group_ages_and_mark_missing_values() -> None:
    users_frame = pd.DataFrame(
        {
            "user_id": [str(i) for i in range(8)],
            "age": pd.array([7, 17, 18, 24, 25, 56, 73, None], dtype="Int64"),
            "gender": pd.array(["M", "F", "M", None, "F", "M", "F", "M"], dtype="string"),
            "occupation": pd.array([None] * 8, dtype="string"),
            "zip": ["x"] * 8,
        }
    )
    segments = demographic_segments(users_frame, np.array([0, 1, 2, 3, 4, 5, 6, 7]))
    assert list(segments) == ["gender", "age"]  # occupation has no data
    assert segments["age"].tolist() == [
        "under 18",
        "under 18",
        "18–24",
        "18–24",
        "25–34",
        "56+",
        "56+",
        "unknown",
    ]
    assert segments["gender"].tolist() == [
        "male",
        "female",
        "male",
        "unknown",
        "female",
        "male",
        "female",
        "male",
    ]
    assert demographic_segments(users_frame, np.array([6, 0]))["age"].tolist() == [
        "56+",
        "under 18",
    ]
    with pytest.raises(DataError, match="not in the users frame"):
        demographic_segments(users_frame, np.array([8]))


def test_metrics_by_segment_means_counts_and_order() -> None:
    users = np.arange(6)
    ndcg = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    novelty = np.array([1.0, np.nan, 3.0, 4.0, 5.0, 6.0])
    evaluation = TopKEvaluation(users, {"ndcg@10": ndcg, "novelty@10": novelty}, {"gini@10": 0.5})
    activity = np.array(["26–50 interactions", "1–25 interactions"] * 3, dtype=object)
    age = np.array(["56+", "under 18", "18–24", "under 18", "56+", "18–24"], dtype=object)
    table = metrics_by_segment(evaluation, {"activity": activity, "age": age})
    assert list(table.columns) == ["segment_kind", "segment", "n_users", "ndcg@10", "novelty@10"]
    assert table["segment"].tolist() == [
        "1–25 interactions",
        "26–50 interactions",
        "under 18",
        "18–24",
        "56+",
    ]
    light = table.iloc[0]
    assert (light["n_users"], light["ndcg@10"]) == (3, pytest.approx(0.4))
    assert light["novelty@10"] == pytest.approx((4.0 + 6.0) / 2)  # NaN skipped
    assert table.iloc[2]["ndcg@10"] == pytest.approx(0.3)
    assert table.attrs["protocol"] == "full ranking"
    with pytest.raises(DataError, match="labels"):
        metrics_by_segment(evaluation, {"age": age[:3]})
