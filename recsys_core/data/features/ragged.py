"""Variable-length id lists in CSR form and their vectorised gather (the EmbeddingBag layout)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys_core.types import IntArray

#: The id every vocabulary reserves for unseen, missing and padding values.
OOV_ID = 0


@dataclass(frozen=True, eq=False)
class Ragged:
    """E rows of ids: row r holds ``values[indptr[r]:indptr[r + 1]]``.

    Attributes:
        values: (M,) int64 ids.
        indptr: (E + 1,) int64 row boundaries, ``indptr[0] == 0`` and ``indptr[-1] == M``.
    """

    values: IntArray
    indptr: IntArray

    @classmethod
    def from_pairs(cls, rows: IntArray, ids: IntArray, n_rows: int) -> Ragged:
        """Group (row, id) pairs by row, keeping their order within a row.

        A row without any pair gets the single id ``OOV_ID`` so that no bag is ever empty.

        Args:
            rows: (P,) row of each pair, in ``0..n_rows-1``.
            ids: (P,) id of each pair.
            n_rows: E, the number of rows.
        """
        rows = np.asarray(rows, dtype=np.int64)
        empty = np.flatnonzero(np.bincount(rows, minlength=n_rows) == 0)
        rows = np.concatenate([rows, empty])
        ids = np.concatenate([np.asarray(ids, dtype=np.int64), np.full(len(empty), OOV_ID)])
        order = np.argsort(rows, kind="stable")
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        return cls(values=ids[order], indptr=indptr)

    @classmethod
    def single(cls, ids: IntArray) -> Ragged:
        """One id per row."""
        ids = np.asarray(ids, dtype=np.int64)
        return cls(values=ids, indptr=np.arange(len(ids) + 1, dtype=np.int64))

    def __len__(self) -> int:
        return int(self.indptr.shape[0] - 1)

    def gather(self, rows: IntArray) -> tuple[IntArray, IntArray]:
        """The ids of ``rows`` (N,) concatenated, and the (N,) offset where each row starts."""
        return take_bags(self.values, self.indptr[:-1], np.diff(self.indptr), rows)


def take_bags(
    values: IntArray, starts: IntArray, lengths: IntArray, rows: IntArray
) -> tuple[IntArray, IntArray]:
    """Bags ``rows`` (N,) of E bags stored back to back in ``values`` (M,).

    Bag e is ``values[starts[e] : starts[e] + lengths[e]]``. When every bag has the same length w
    (one id per row, full histories) this is a 2-d gather of ``values.reshape(E, w)``, several
    times faster than the general path.

    Returns:
        (ids, offsets): the bags' ids concatenated and the (N,) start of each bag in them.
    """
    if len(lengths) and lengths.min() == lengths.max() and len(values) == len(lengths) * lengths[0]:
        width = int(lengths[0])
        ids = values.reshape(-1, width)[rows].reshape(-1)
        return ids, np.arange(len(rows), dtype=np.int64) * width
    return gather_ragged(values, starts[rows], lengths[rows])


def gather_ragged(
    values: IntArray, starts: IntArray, lengths: IntArray
) -> tuple[IntArray, IntArray]:
    """Concatenate the slices ``values[starts[n] : starts[n] + lengths[n]]`` without a loop.

    Args:
        values: (M,) ids.
        starts: (N,) start of each wanted slice.
        lengths: (N,) length of each wanted slice.

    Returns:
        (ids, offsets): (sum(lengths),) ids and (N,) int64 start of each slice in ``ids``.
    """
    ends = np.cumsum(lengths, dtype=np.int64)
    offsets = ends - lengths
    positions = np.repeat(starts - offsets, lengths) + np.arange(int(ends[-1]) if len(ends) else 0)
    return values[positions], offsets
