"""What a re-ranking changed in each user's list: items in and out, rank shifts, rank agreement.

``list_changes`` compares two (B, K) lists of the same users, vectorised over users: how many
items entered and left, how far the items kept moved, and the rank-biased overlap of the two
rankings (Webber, Moffat & Zobel, "A Similarity Measure for Indefinite Rankings", TOIS 2010).
-1 pads a list; padding is never an item, and ranks count real items only (a list with a hole
is read as if the hole were closed). Lists must not repeat an item. Shape legend: B users,
K list length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys_core.errors import ConfigError, DataError
from recsys_core.types import FloatArray, IntArray

#: Persistence of rank-biased overlap: the weight of depth d falls as p^d (0.9 puts ~86% of the
#: weight on the top 10).
RBO_P = 0.9


@dataclass(frozen=True)
class ListChanges:
    """Per-user changes from ``before`` to ``after`` lists; every array is (B,).

    Attributes:
        entered: items in the after list that were not in the before list.
        left: items in the before list that are not in the after list.
        mean_displacement: mean absolute rank change of the items in both lists (entered and left
            items are excluded: ``entered`` and ``left`` count them); NaN when no item is in both.
        rbo: extrapolated rank-biased overlap RBO_ext in [0, 1] (1: same ranking, 0: disjoint).
    """

    entered: IntArray
    left: IntArray
    mean_displacement: FloatArray
    rbo: FloatArray

    def means(self) -> dict[str, float]:
        """Each quantity averaged over users (NaN entries skipped; NaN if all are)."""
        out = {}
        for name in ("entered", "left", "mean_displacement", "rbo"):
            values = np.asarray(getattr(self, name), dtype=np.float64)
            known = ~np.isnan(values)
            out[name] = float(values[known].mean()) if known.any() else float("nan")
        return out


def _compact(lists: IntArray) -> tuple[IntArray, IntArray]:
    """Real items moved to the front of each row (order kept) and the (B,) count of them."""
    valid = lists >= 0
    order = np.argsort(~valid, axis=1, kind="stable")
    return np.take_along_axis(lists, order, axis=1), valid.sum(axis=1)


def _positions_in(query: IntArray, target: IntArray) -> IntArray:
    """(B, K) 0-based rank of each ``query`` item within the same row of ``target``; -1 if absent.

    Searches sorted keys row * M + item + 1 (M above every item) in one pass over all rows.
    """
    n_rows, width = target.shape
    if target.size == 0:
        return np.full(query.shape, -1, dtype=np.int64)
    span = int(max(query.max(initial=-1), target.max(initial=-1))) + 2
    row = np.arange(n_rows, dtype=np.int64)[:, None]
    target_keys = (row * span + target + 1).ravel()
    order = np.argsort(target_keys, kind="stable")
    sorted_keys = target_keys[order]
    query_keys = row * span + query + 1
    found_at = np.minimum(np.searchsorted(sorted_keys, query_keys), len(sorted_keys) - 1)
    hit = (query >= 0) & (sorted_keys[found_at] == query_keys)
    return np.where(hit, order[found_at] % width, -1)


def rbo_extrapolated(
    overlap: FloatArray, short: IntArray, long: IntArray, p: float = RBO_P
) -> FloatArray:
    """(B,) RBO_ext from overlaps at each depth, for lists of lengths ``short`` <= ``long``.

    Webber et al. (2010), eq. (32), which is eq. (30) when both lists have the same depth:
    RBO_ext = (1-p)/p [sum_{d<=l} X_d/d p^d + sum_{s<d<=l} X_s (d-s)/(s d) p^d]
    + [(X_l - X_s)/l + X_s/s] p^l. Two empty lists give 1, one empty list gives 0.

    Args:
        overlap: (B, K) X_d = |S_{:d} ∩ L_{:d}| at depth d = 1..K (each list cut at its length).
        short: (B,) s, the length of the shorter list.
        long: (B,) l, the length of the longer list.
        p: persistence in (0, 1).
    """
    if not 0.0 < p < 1.0:
        raise ConfigError(f"rbo persistence p must lie strictly between 0 and 1, got {p}")
    n_rows, width = overlap.shape
    depth = np.arange(1, width + 1, dtype=np.float64)
    weight = p**depth
    rows = np.arange(n_rows)
    s = np.asarray(short, dtype=np.int64)
    l_ = np.asarray(long, dtype=np.int64)
    x_s = np.where(s > 0, overlap[rows, np.maximum(s - 1, 0)], 0.0)
    x_l = np.where(l_ > 0, overlap[rows, np.maximum(l_ - 1, 0)], 0.0)
    up_to_l = depth[None, :] <= l_[:, None]
    beyond_s = up_to_l & (depth[None, :] > s[:, None])
    s_safe = np.maximum(s, 1)[:, None]
    sum_agreement = np.where(up_to_l, overlap / depth * weight, 0.0).sum(axis=1)
    sum_tail = np.where(
        beyond_s, x_s[:, None] * (depth - s_safe) / (s_safe * depth) * weight, 0.0
    ).sum(axis=1)
    l_safe = np.maximum(l_, 1)
    last = ((x_l - x_s) / l_safe + x_s / np.maximum(s, 1)) * p ** l_safe.astype(np.float64)
    value = (1.0 - p) / p * (sum_agreement + sum_tail) + last
    return np.where(l_ == 0, 1.0, np.where(s == 0, 0.0, value))


def list_changes(before: IntArray, after: IntArray, *, p: float = RBO_P) -> ListChanges:
    """Per-user changes between two lists of the same users (e.g. a run's top-K and its re-ranking).

    Args:
        before: (B, K) item indices best first, -1 padding.
        after: (B, K) the new lists of the same users, in the same row order.
        p: persistence of the rank-biased overlap.

    Returns:
        ``ListChanges`` with (B,) arrays.
    """
    before = np.asarray(before)
    after = np.asarray(after)
    if before.ndim != 2 or before.shape != after.shape:
        raise DataError(
            f"before and after must be (B, K) lists of the same users, got {before.shape} and "
            f"{after.shape}; cut both to the same k"
        )
    if not (np.issubdtype(before.dtype, np.integer) and np.issubdtype(after.dtype, np.integer)):
        raise DataError("lists must hold integer item indices with -1 as padding")
    before, n_before = _compact(before.astype(np.int64))
    after, n_after = _compact(after.astype(np.int64))
    n_rows, width = before.shape
    rank_in_after = _positions_in(before, after)  # (B, K) rank of each before item in after
    common = rank_in_after >= 0
    n_common = common.sum(axis=1)
    ranks = np.arange(width)[None, :]
    shift = np.where(common, np.abs(rank_in_after - ranks), 0).sum(axis=1)
    displacement = np.full(n_rows, np.nan)
    np.divide(shift, n_common, out=displacement, where=n_common > 0)
    # An item in both lists is in both depth-d prefixes once d > max(its two ranks).
    first_depth = np.where(common, np.maximum(rank_in_after, ranks), width)  # width: never
    keys = (np.arange(n_rows)[:, None] * (width + 1) + first_depth).ravel()
    per_depth = np.bincount(keys, minlength=n_rows * (width + 1)).reshape(n_rows, width + 1)
    overlap = np.cumsum(per_depth[:, :width], axis=1).astype(np.float64)
    return ListChanges(
        entered=(n_after - n_common).astype(np.int64),
        left=(n_before - n_common).astype(np.int64),
        mean_displacement=displacement,
        rbo=rbo_extrapolated(
            overlap, np.minimum(n_before, n_after), np.maximum(n_before, n_after), p
        ),
    )
