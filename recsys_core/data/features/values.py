"""Reading raw feature values: text with missing values dropped, numbers with NaN."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.types import FloatArray, IntArray


def present_text(values: pd.Series) -> pd.Series:
    """The non-missing, non-empty values as ``str``, indexed by their row position (0..E-1)."""
    series = pd.Series(values, copy=False).reset_index(drop=True)
    series = series[series.notna()].astype(str)
    return series[series.str.strip() != ""]


def numeric(values: pd.Series) -> FloatArray:
    """(E,) float64 values; missing or non-numeric entries are NaN."""
    coerced = pd.to_numeric(pd.Series(values, copy=False), errors="coerce")
    return coerced.to_numpy(dtype=np.float64, na_value=np.nan)


def weighted_counts(tokens: pd.Series, rows: IntArray, weights: IntArray) -> pd.Series:
    """Sum of ``weights[rows]`` per distinct token: how many training rows carry each token.

    Args:
        tokens: (P,) token of each (row, token) pair.
        rows: (P,) row (user, item or interaction) of each pair.
        weights: (E,) number of training rows of each row.
    """
    return pd.Series(weights[rows], dtype=np.int64).groupby(tokens.to_numpy(dtype=object)).sum()
