"""Popularity concentration of the catalogue: the long-tail curve, its head and the Gini index."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.errors import DataError
from recsys_core.types import IntArray

#: The "head" of the catalogue: this share of items, the most popular first.
HEAD_ITEM_SHARE = 0.2
#: Most points the long-tail curve keeps (linear plus geometric ranks, so both ends stay sharp).
MAX_CURVE_POINTS = 600


@dataclass(frozen=True)
class LongTail:
    """Popularity concentration: items ranked by interactions against the share they take.

    Attributes:
        curve: at most ``MAX_CURVE_POINTS`` rows in rank order; columns rank (1 = most popular),
            item_share (rank / I), interactions (of the item at that rank), cumulative_share
            (share of all interactions taken by the items up to that rank).
        head_items: items in the head (the top ``HEAD_ITEM_SHARE`` of the catalogue, at least 1).
        head_item_share: head_items / I, where the head ends on the curve's x axis.
        head_share: share of interactions those items take.
        gini: Gini coefficient of interactions per item (0 = uniform, near 1 = one item has all).
        cold_items: items with no interaction.
    """

    curve: pd.DataFrame
    head_items: int
    head_item_share: float
    head_share: float
    gini: float
    cold_items: int


def gini(counts: IntArray) -> float:
    """Gini coefficient of non-negative counts: 0 when all are equal, (n-1)/n when one has all."""
    values = np.sort(np.asarray(counts, dtype=np.float64))
    total = values.sum()
    if len(values) == 0 or total == 0:
        return 0.0
    ranks = np.arange(1, len(values) + 1)
    return float(np.sum((2 * ranks - len(values) - 1) * values) / (len(values) * total))


def long_tail(item_counts: IntArray, head_item_share: float = HEAD_ITEM_SHARE) -> LongTail:
    """The cumulative popularity curve of the catalogue and its head's share of interactions.

    Args:
        item_counts: (I,) interactions per item.
        head_item_share: share of the catalogue that counts as the head.
    """
    counts = np.sort(np.asarray(item_counts, dtype=np.int64))[::-1]
    n_items = len(counts)
    if n_items == 0:
        raise DataError("the dataset has no items; import a dataset with a catalogue")
    total = max(int(counts.sum()), 1)
    cumulative = np.cumsum(counts) / total
    head_items = max(1, math.ceil(head_item_share * n_items))
    half = MAX_CURVE_POINTS // 2
    ranks = np.unique(
        np.concatenate(
            [
                np.linspace(1, n_items, half).round(),
                np.geomspace(1, n_items, half).round(),
                [head_items],
            ]
        ).astype(np.int64)
    )
    curve = pd.DataFrame(
        {
            "rank": ranks,
            "item_share": ranks / n_items,
            "interactions": counts[ranks - 1],
            "cumulative_share": cumulative[ranks - 1],
        }
    )
    return LongTail(
        curve=curve,
        head_items=head_items,
        head_item_share=head_items / n_items,
        head_share=float(cumulative[head_items - 1]),
        gini=gini(counts),
        cold_items=int(np.count_nonzero(counts == 0)),
    )
