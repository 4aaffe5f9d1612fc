"""Histograms of user activity (log-spaced bins) and of rating values, a few dozen rows each."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.data.stats.counting import value_counts
from recsys_core.errors import DataError
from recsys_core.types import FloatArray, IntArray

#: Number of logarithmic bins wanted for the user-activity histogram.
ACTIVITY_BINS = 24
#: Ratings with at most this many distinct values are counted per value; others are binned.
MAX_RATING_VALUES = 30
#: Equal-width bins used for ratings with more distinct values than ``MAX_RATING_VALUES``.
RATING_BINS = 20


def log_bin_edges(min_value: int, max_value: int, n_bins: int = ACTIVITY_BINS) -> IntArray:
    """Integer edges min_value = e_0 < e_1 < ... < e_m = max_value + 1, evenly spaced in log.

    Bin j holds the values in [e_j, e_{j+1}); small values get bins of width 1 (duplicated edges
    merge), so there are at most ``n_bins`` bins.

    Args:
        min_value: smallest value to cover (at least 1).
        max_value: largest value to cover.
        n_bins: most bins wanted.
    """
    low = max(int(min_value), 1)
    high = max(int(max_value), low)
    edges = np.floor(np.geomspace(low, high + 1, n_bins + 1)).astype(np.int64)
    edges[0], edges[-1] = low, high + 1
    return np.unique(edges)


def user_activity_histogram(user_counts: IntArray, n_bins: int = ACTIVITY_BINS) -> pd.DataFrame:
    """Users per logarithmic bin of interactions, over users with at least one interaction.

    Returns:
        One row per bin from the least to the most active user: low, high (inclusive bounds on
        interactions per user), label ("8–15"), users, share (of active users).
    """
    counts = np.asarray(user_counts, dtype=np.int64)
    counts = counts[counts > 0]
    if len(counts) == 0:
        raise DataError("no user has an interaction; import a dataset with interactions")
    edges = log_bin_edges(int(counts.min()), int(counts.max()), n_bins)
    bins = np.searchsorted(edges, counts, side="right") - 1
    n_users = np.bincount(bins, minlength=len(edges) - 1)
    low, high = edges[:-1], edges[1:] - 1
    return pd.DataFrame(
        {
            "low": low,
            "high": high,
            "label": [_range_label(int(lo), int(hi)) for lo, hi in zip(low, high, strict=True)],
            "users": n_users,
            "share": n_users / len(counts),
        }
    )


def rating_distribution(ratings: FloatArray) -> pd.DataFrame:
    """Interactions per rating value, or per equal-width bin when values are many.

    Args:
        ratings: (N,) ratings without NaN.

    Returns:
        Columns rating (the value, or the bin's midpoint), label, interactions, share.
    """
    values = np.asarray(ratings, dtype=np.float64)
    if len(values) == 0:
        raise DataError("no ratings to describe; this dataset is implicit feedback")
    distinct, counts = value_counts(values)
    if len(distinct) <= MAX_RATING_VALUES:
        centres, labels = distinct, [f"{v:g}" for v in distinct]
    else:
        counts, edges = np.histogram(values, bins=RATING_BINS)
        centres = (edges[:-1] + edges[1:]) / 2
        labels = [f"{a:.3g}–{b:.3g}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return pd.DataFrame(
        {
            "rating": centres,
            "label": labels,
            "interactions": counts,
            "share": counts / len(values),
        }
    )


def _range_label(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"
