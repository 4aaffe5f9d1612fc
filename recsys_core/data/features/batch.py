"""What ``FeatureEncoder.transform`` returns: N rows of dense columns and id bags.

Every sparse field is the ``(input, offsets)`` pair that ``torch.nn.EmbeddingBag`` takes, so a
ranker pools each bag in one call. No bag is empty: a row without ids (missing genres, no title,
a user without training rows) holds the single OOV id 0, so EmbeddingBag never divides by zero
and the model learns one vector for "nothing known".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys_core.data.features.ragged import take_bags
from recsys_core.data.features.torch_batch import TorchFeatureBatch
from recsys_core.errors import DataError
from recsys_core.types import FloatArray, IntArray


@dataclass(frozen=True, eq=False)
class SparseField:
    """Id bags of N rows.

    Attributes:
        ids: (M,) int64 ids in ``0..cardinality-1``; 0 is OOV/padding.
        offsets: (N,) int64 start of each row's ids in ``ids`` (``arange(N)`` for one id a row).
        cardinality: embedding table size, OOV included.
    """

    ids: IntArray
    offsets: IntArray
    cardinality: int

    def __len__(self) -> int:
        return int(self.offsets.shape[0])

    def lengths(self) -> IntArray:
        """(N,) number of ids of each row (always >= 1)."""
        return np.diff(self.offsets, append=np.int64(len(self.ids)))

    def take(self, rows: IntArray) -> SparseField:
        """The bags of ``rows`` (B,) positions, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        ids, offsets = take_bags(self.ids, self.offsets, self.lengths(), rows)
        return SparseField(ids=ids, offsets=offsets, cardinality=self.cardinality)


@dataclass(frozen=True, eq=False)
class FeatureBatch:
    """N (user, item, context) rows encoded for a ranking model.

    Attributes:
        dense: (N, D) float32 columns, named by ``dense_names``.
        dense_names: (D,) column names in spec order (``age``, ``age_sq``, ``age_missing``, ...).
        sparse: field name -> its id bags, in spec order.
    """

    dense: FloatArray
    dense_names: tuple[str, ...]
    sparse: dict[str, SparseField]

    def __post_init__(self) -> None:
        n = self.dense.shape[0]
        if self.dense.ndim != 2 or self.dense.shape[1] != len(self.dense_names):
            raise DataError(
                f"dense block {self.dense.shape} does not match {len(self.dense_names)} names"
            )
        uneven = [name for name, field in self.sparse.items() if len(field) != n]
        if uneven:
            raise DataError(f"sparse field(s) {uneven} do not have the batch's {n} rows")

    def __len__(self) -> int:
        return int(self.dense.shape[0])

    def take(self, rows: IntArray) -> FeatureBatch:
        """The sub-batch of ``rows`` (B,) positions, in that order (repeats allowed)."""
        rows = np.asarray(rows, dtype=np.int64)
        return FeatureBatch(
            dense=self.dense[rows],
            dense_names=self.dense_names,
            sparse={name: field.take(rows) for name, field in self.sparse.items()},
        )

    def to_torch(self, device: str = "cpu") -> TorchFeatureBatch:
        """The same batch as tensors on ``device``."""
        return TorchFeatureBatch.from_batch(self, device)
