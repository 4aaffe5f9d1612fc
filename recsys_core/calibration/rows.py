"""The labelled rows a ranking run is calibrated on (validation) and judged on (test).

The rows are those of the pointwise evaluation (``evaluation.protocol.evaluate_pointwise_rows``):
a split part's own 0/1 rows (``data.labels.split_labels``), else its relevant pairs as positives
with ``POINTWISE_NEGATIVES`` unseen items each as negatives, drawn with the evaluation's sampler
over every pair the split knows. With the split's seed the test rows are exactly the ones the
run's AUC and log loss were computed on; the validation rows draw with another seed. Calibrating
on rows with the test rows' negative ratio matters: a calibrator learns the base rate it sees.
Shape legend: N rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from recsys_core.data.dataset import Dataset, TrainSplit
from recsys_core.data.labels import LabelledRows
from recsys_core.data.protocols import Protocol
from recsys_core.data.splits import SplitData
from recsys_core.evaluation.protocol import POINTWISE_NEGATIVES, relevance_matrix
from recsys_core.evaluation.protocol import pointwise_rows as evaluation_rows
from recsys_core.evaluation.scorer import Scorer
from recsys_core.types import FloatArray

#: Columns of a predictions file.
PREDICTION_COLUMNS = ("user_id", "item_id", "label", "score")


def pointwise_rows(
    split: SplitData, part: TrainSplit, protocol: Protocol, seed: int
) -> LabelledRows:
    """The labelled rows of ``part`` (``split.valid`` or ``split.test``).

    Args:
        split: the split the part belongs to (all of its pairs are known, never negatives).
        part: the validation or test view.
        protocol: what counts as relevant when the part has no labels of its own.
        seed: seed of the negative draw (the split's for the test rows, as the evaluation).
    """
    rows, _ = evaluation_rows(
        split, part, relevance_matrix(part, protocol), POINTWISE_NEGATIVES, seed
    )
    return rows


def predictions_frame(dataset: Dataset, rows: LabelledRows, probs: FloatArray) -> pd.DataFrame:
    """user_id, item_id, label, score (a probability) of each row, in dataset ids."""
    return pd.DataFrame(
        {
            "user_id": dataset.users["user_id"].to_numpy()[rows.user_idx],
            "item_id": dataset.items["item_id"].to_numpy()[rows.item_idx],
            "label": rows.label.astype(np.int64),
            "score": np.asarray(probs, dtype=np.float64),
        },
        columns=list(PREDICTION_COLUMNS),
    )


def test_predictions(
    model: Scorer, dataset: Dataset, split: SplitData, protocol: Protocol
) -> pd.DataFrame:
    """Every test row of a ranking model with score = sigmoid(logit), as a predictions frame.

    The probability is the model's own: a model trained on downsampled negatives overstates it
    (``calibrate`` corrects and calibrates it).
    """
    rows = pointwise_rows(split, split.test, protocol, protocol.split.seed)
    return predictions_frame(dataset, rows, expit(model.score(rows.user_idx, rows.item_idx)))
