"""Hashed bag of words: text lower-cased, split into word tokens, each hashed with CRC-32.

CRC-32 (``zlib.crc32`` of the UTF-8 bytes) is stable across processes and machines, unlike
Python's salted ``hash()``, so a saved model sees the same ids after a restart. Nothing is fitted:
an unseen word still lands in a bucket (collisions are the price of no vocabulary).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recsys_core.data.features.ragged import Ragged
from recsys_core.data.features.values import present_text

#: Word tokens: runs of Unicode letters, digits and underscores.
TOKEN_PATTERN = r"\w+"


def hash_token(token: str, n_buckets: int) -> int:
    """The id of one token: ``crc32(utf-8) % n_buckets + 1`` (0 stays free for "no token")."""
    return zlib.crc32(token.encode("utf-8")) % n_buckets + 1


@dataclass(frozen=True)
class HashedTextCodec:
    """Text -> the bucket ids of its tokens, in order and with repeats (term frequency).

    Attributes:
        n_buckets: buckets; ids are 1..n_buckets and a row without tokens gets [0].
    """

    n_buckets: int

    @property
    def cardinality(self) -> int:
        return self.n_buckets + 1

    def encode(self, values: pd.Series) -> Ragged:
        """The token ids of each row of ``values`` (E,)."""
        tokens = present_text(values).str.lower().str.findall(TOKEN_PATTERN).explode().dropna()
        distinct = pd.Index(pd.unique(tokens.to_numpy(dtype=object)), dtype=object)
        buckets = np.array([hash_token(t, self.n_buckets) for t in distinct], dtype=np.int64)
        ids = buckets[distinct.get_indexer(tokens.to_numpy(dtype=object))]
        return Ragged.from_pairs(tokens.index.to_numpy(dtype=np.int64), ids, len(values))

    def state(self) -> dict[str, Any]:
        return {}
