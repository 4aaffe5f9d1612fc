"""Raw id <-> contiguous index vocabularies, built deterministically.

Order rule: when every id looks like an integer (``-?[0-9]{1,18}``) the ids are sorted by numeric
value (so ``"2"`` comes before ``"10"``; equal values such as ``"7"`` and ``"007"`` fall back to
string order), otherwise they are sorted as strings. The same set of ids therefore always gets the
same indices, whatever order the rows arrived in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.errors import DataError
from recsys_core.types import IntArray

#: Ids that sort numerically: optional minus and up to 18 digits (always fits in int64).
_INTEGER_PATTERN = r"-?[0-9]{1,18}"
#: How many unknown ids an error message lists before summarising.
_SHOWN_UNKNOWN = 5


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """A bijection between raw string ids and indices ``0..n-1``.

    Attributes:
        ids: (n,) object array of str; ``ids[idx]`` is the raw id of index ``idx``.
    """

    ids: npt.NDArray[np.object_]
    _lookup: pd.Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup = pd.Index(self.ids, dtype=object)
        if not lookup.is_unique:
            repeated = lookup[lookup.duplicated()].unique()[:_SHOWN_UNKNOWN].tolist()
            raise DataError(f"vocabulary ids must be unique; repeated: {repeated}; drop duplicates")
        object.__setattr__(self, "_lookup", lookup)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def index(self, raw: Sequence[str] | pd.Series) -> IntArray:
        """Map raw ids to their indices.

        Args:
            raw: (N,) raw ids.

        Returns:
            (N,) int64 indices.

        Raises:
            DataError: if any id is not in the vocabulary (the message names some of them).
        """
        values = pd.Index(np.asarray(raw, dtype=object), dtype=object)
        positions = self._lookup.get_indexer(values)
        missing = positions < 0
        if missing.any():
            unknown = pd.unique(values[missing])
            shown = ", ".join(repr(v) for v in unknown[:_SHOWN_UNKNOWN])
            more = (
                f" and {len(unknown) - _SHOWN_UNKNOWN} more"
                if len(unknown) > _SHOWN_UNKNOWN
                else ""
            )
            raise DataError(
                f"{len(unknown)} id(s) are not in the vocabulary: {shown}{more}; "
                "add them to the users/items table first"
            )
        return positions.astype(np.int64)

    def id(self, idx: int) -> str:  # noqa: A003 - the natural name next to index()
        """The raw id of index ``idx`` (raises IndexError outside ``0..n-1``)."""
        if not 0 <= idx < len(self):
            raise IndexError(f"index {idx} is outside 0..{len(self) - 1}")
        return str(self.ids[idx])


def build_vocab(raw_ids: pd.Series) -> Vocabulary:
    """Build the vocabulary of the distinct ids in ``raw_ids`` (duplicates allowed, NA not).

    Args:
        raw_ids: (N,) raw ids as strings.

    Returns:
        A ``Vocabulary`` ordered numerically when every id looks like an integer, else by string.

    Raises:
        DataError: if an id is missing (NA).
    """
    series = pd.Series(raw_ids, copy=False)
    if series.isna().any():
        first = int(np.flatnonzero(series.isna().to_numpy())[0])
        raise DataError(f"id at position {first} is missing; every row needs an id")
    unique = pd.unique(series.astype(str).to_numpy(dtype=object))
    text = pd.Series(unique, dtype=object)
    if len(text) and text.str.fullmatch(_INTEGER_PATTERN).all():
        numeric = text.astype(np.int64).to_numpy()
        order = np.lexsort((text.to_numpy(dtype=str), numeric))
    else:
        order = np.argsort(text.to_numpy(dtype=str), kind="stable")
    return Vocabulary(ids=np.asarray(unique[order], dtype=object))
