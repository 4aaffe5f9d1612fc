"""Row ids back to positions: splits store interaction row ids; models and reports index rows."""

from __future__ import annotations

import numpy as np

from recsys_core.errors import DataError
from recsys_core.types import IntArray


def row_positions(stored: IntArray, wanted: IntArray, dataset: str) -> IntArray:
    """Positions in ``stored`` of the ``wanted`` row ids, in the order given.

    Args:
        stored: (N,) sorted row ids of a dataset's interactions (``Dataset.interactions.row_id``).
        wanted: (M,) row ids to find, e.g. one part of a stored split.
        dataset: the dataset's name, for the error message.

    Returns:
        (M,) positions p with ``stored[p] == wanted``.

    Raises:
        DataError: some wanted id is not stored, i.e. the dataset was re-imported since the
            split was made.
    """
    stored = np.asarray(stored, dtype=np.int64)
    wanted = np.asarray(wanted, dtype=np.int64)
    positions = np.searchsorted(stored, wanted)
    if len(wanted) and (
        positions.max() >= len(stored) or not np.array_equal(stored[positions], wanted)
    ):
        raise DataError(
            f"split rows do not match dataset {dataset!r}; the dataset was re-imported "
            "since the split was made: recreate the split"
        )
    return positions
