"""Exact top-k over a dense score block: the one selection every model's ``recommend`` uses."""

from __future__ import annotations

import numpy as np

from recsys_core.types import FloatArray, IntArray


def top_k_rows(scores: FloatArray, k: int) -> tuple[IntArray, FloatArray]:
    """Row-wise top-k of a (B, C) score matrix, best first.

    Ties go to the lower column index; columns scored ``-inf`` (excluded items) come back as -1,
    and rows with fewer than ``k`` columns are padded with -1 / ``-inf``.

    Args:
        scores: (B, C) scores.
        k: list length K.

    Returns:
        (B, K) column indices and (B, K) float32 scores.
    """
    n_cols = scores.shape[1]
    k_eff = min(k, n_cols)
    if k_eff == 0:
        n_rows = scores.shape[0]
        return np.full((n_rows, k), -1, dtype=np.int64), np.full((n_rows, k), -np.inf, np.float32)
    part = np.argpartition(-scores, k_eff - 1, axis=1)[:, :k_eff]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    items = np.take_along_axis(part, order, axis=1)
    top = np.take_along_axis(part_scores, order, axis=1)
    items = np.where(np.isneginf(top), -1, items)
    if k_eff < k:
        items = np.pad(items, ((0, 0), (0, k - k_eff)), constant_values=-1)
        top = np.pad(top, ((0, 0), (0, k - k_eff)), constant_values=-np.inf)
    return items.astype(np.int64), top.astype(np.float32)
