"""The 0/1 rows a split carries of its own, for training and evaluating ranking models.

A ranking model learns and is measured on labelled (user, item) rows. A split has them when the
protocol defines a label on ratings (``TrainSplit.label``: rating >= the protocol's threshold) or
when the dataset logs impressions (the synthetic catalogue: shown items, clicked or not). Without
either, the rows are implicit positives only, and the caller draws negatives (and says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys_core.data.dataset import TrainSplit
from recsys_core.types import FloatArray, IntArray


@dataclass(frozen=True)
class LabelledRows:
    """N labelled rows of a split.

    Attributes:
        user_idx: (N,) users.
        item_idx: (N,) items.
        label: (N,) float32 0/1 targets.
        source: where the labels come from, worded for a results caption.
    """

    user_idx: IntArray
    item_idx: IntArray
    label: FloatArray
    source: str


def split_labels(split: TrainSplit) -> LabelledRows | None:
    """The split's rated rows with their labels, else its impressions (clicked = 1), else None.

    Rows of one class only do not count as labels (nothing to rank against); the caller then
    falls back to sampled negatives.
    """
    if split.label is not None and _both_classes(split.label):
        return LabelledRows(
            split.user_idx,
            split.item_idx,
            np.asarray(split.label, dtype=np.float32),
            "rated rows, label = rating at or above the protocol's threshold",
        )
    shown = split.impressions
    if shown is not None and len(shown):
        clicked = shown["clicked"].to_numpy(dtype=np.float32, na_value=0.0)
        if _both_classes(clicked):
            return LabelledRows(
                shown["user_idx"].to_numpy(dtype=np.int64),
                shown["item_idx"].to_numpy(dtype=np.int64),
                clicked,
                "logged impressions, label = clicked",
            )
    return None


def _both_classes(labels: FloatArray) -> bool:
    positives = float(np.sum(labels))
    return 0 < positives < len(labels)
