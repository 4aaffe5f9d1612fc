"""Sort-based counting that the statistics share: faster than ``np.unique``'s hashing on millions
of int64 keys, which is what keeps a profile of tens of millions of interactions to seconds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.types import FloatArray, IntArray


def distinct(keys: IntArray) -> IntArray:
    """Sorted distinct values of ``keys``, by a plain sort."""
    ordered = np.sort(keys)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def value_counts(values: FloatArray) -> tuple[FloatArray, IntArray]:
    """(distinct sorted values, how often each occurs), by a sort as in ``distinct``."""
    ordered = np.sort(values)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], np.diff(np.append(starts, len(ordered)))


def stamped_rows(frame: pd.DataFrame) -> tuple[IntArray, IntArray]:
    """(timestamps, positions) of the rows of an interactions frame that have a timestamp."""
    stamps = frame["timestamp"]
    has = stamps.notna().to_numpy()
    return stamps.to_numpy(np.int64, na_value=0)[has], np.flatnonzero(has)
