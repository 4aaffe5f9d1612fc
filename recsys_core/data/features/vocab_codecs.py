"""Vocabulary encoders fitted on training rows: one id per value (categorical) or several
(multi_hot). Ids are 1..V in sorted value order; 0 is OOV: missing, unseen in training, or rarer
than ``min_count``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recsys_core.data.features.ragged import Ragged
from recsys_core.data.features.values import present_text, weighted_counts
from recsys_core.types import IntArray


def _vocab(counts: pd.Series, min_count: int) -> tuple[str, ...]:
    kept = counts[counts >= min_count]
    return tuple(sorted(str(value) for value in kept.index))


@dataclass(frozen=True, eq=False)
class CategoricalCodec:
    """Value -> id in ``0..len(vocab)``.

    Attributes:
        vocab: the values kept at fit time; ``vocab[k]`` has id ``k + 1``.
    """

    vocab: tuple[str, ...]
    _lookup: pd.Index = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lookup", pd.Index(list(self.vocab), dtype=object))

    @classmethod
    def fit(cls, values: pd.Series, weights: IntArray, min_count: int) -> CategoricalCodec:
        """Keep the values carried by at least ``min_count`` training rows.

        Args:
            values: (E,) raw value per row (user, item or interaction).
            weights: (E,) training rows per row; 0 means the row is outside training.
            min_count: the threshold.
        """
        present = present_text(values)
        rows = present.index.to_numpy(dtype=np.int64)
        counts = weighted_counts(present, rows, weights)
        return cls(_vocab(counts[counts > 0], min_count))

    @property
    def cardinality(self) -> int:
        return len(self.vocab) + 1

    def lookup(self, tokens: pd.Series) -> IntArray:
        """(P,) ids of the tokens; unknown ones get 0 (``get_indexer`` gives -1)."""
        return self._lookup.get_indexer(tokens.to_numpy(dtype=object)).astype(np.int64) + 1

    def encode(self, values: pd.Series) -> Ragged:
        """One id per row of ``values`` (E,)."""
        present = present_text(values)
        ids = np.zeros(len(values), dtype=np.int64)
        ids[present.index.to_numpy(dtype=np.int64)] = self.lookup(present)
        return Ragged.single(ids)

    def state(self) -> dict[str, Any]:
        return {"vocab": list(self.vocab)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CategoricalCodec:
        return cls(tuple(str(value) for value in state["vocab"]))


def split_tokens(values: pd.Series, sep: str) -> tuple[IntArray, pd.Series]:
    """(row, token) pairs of ``sep``-delimited lists; tokens are stripped, empty ones dropped."""
    exploded = present_text(values).str.split(sep, regex=False).explode()
    tokens = exploded.astype(str).str.strip()
    keep = (exploded.notna() & (tokens != "")).to_numpy()
    return tokens.index.to_numpy(dtype=np.int64)[keep], tokens[keep].reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class MultiHotCodec:
    """Delimited list -> the distinct ids of its tokens (unknown tokens collapse to one 0).

    Attributes:
        vocab: the tokens kept at fit time; ``vocab[k]`` has id ``k + 1``.
        sep: the delimiter.
    """

    vocab: tuple[str, ...]
    sep: str
    _codes: CategoricalCodec = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_codes", CategoricalCodec(self.vocab))

    @classmethod
    def fit(cls, values: pd.Series, weights: IntArray, min_count: int, sep: str) -> MultiHotCodec:
        """Keep the tokens carried by at least ``min_count`` training rows."""
        rows, tokens = split_tokens(values, sep)
        counts = weighted_counts(tokens, rows, weights)
        return cls(_vocab(counts[counts > 0], min_count), sep)

    @property
    def cardinality(self) -> int:
        return len(self.vocab) + 1

    def encode(self, values: pd.Series) -> Ragged:
        """The ids of each row of ``values`` (E,); a row without tokens gets [0]."""
        rows, tokens = split_tokens(values, self.sep)
        pairs = pd.DataFrame({"row": rows, "id": self._codes.lookup(tokens)}).drop_duplicates()
        return Ragged.from_pairs(pairs["row"].to_numpy(), pairs["id"].to_numpy(), len(values))

    def state(self) -> dict[str, Any]:
        return {"vocab": list(self.vocab)}

    @classmethod
    def from_state(cls, state: dict[str, Any], sep: str) -> MultiHotCodec:
        return cls(tuple(str(value) for value in state["vocab"]), sep)
