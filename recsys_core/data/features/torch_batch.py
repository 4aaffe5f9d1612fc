"""``FeatureBatch`` as torch tensors, ready for ``EmbeddingBag(ids, offsets)`` and an MLP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from recsys_core.data.features.batch import FeatureBatch


def _tensor(array: np.ndarray, device: str | torch.device) -> torch.Tensor:
    return torch.from_numpy(np.require(array, requirements=["C", "W"])).to(device)


@dataclass(frozen=True, eq=False)
class TorchSparseField:
    """Id bags of B rows: ``ids`` (M,) int64 and ``offsets`` (B,) int64 tensors.

    Attributes:
        cardinality: embedding table size, OOV id 0 included.
    """

    ids: torch.Tensor
    offsets: torch.Tensor
    cardinality: int


@dataclass(frozen=True, eq=False)
class TorchFeatureBatch:
    """B encoded rows as tensors.

    Attributes:
        dense: (B, D) float32.
        dense_names: (D,) column names.
        sparse: field name -> id bags.
    """

    dense: torch.Tensor
    dense_names: tuple[str, ...]
    sparse: dict[str, TorchSparseField]

    def __len__(self) -> int:
        return int(self.dense.shape[0])

    @classmethod
    def from_batch(
        cls, batch: FeatureBatch, device: str | torch.device = "cpu"
    ) -> TorchFeatureBatch:
        """Copy ``batch`` to ``device`` (shares memory on CPU where numpy allows)."""
        return cls(
            dense=_tensor(batch.dense.astype(np.float32, copy=False), device),
            dense_names=batch.dense_names,
            sparse={
                name: TorchSparseField(
                    ids=_tensor(field.ids.astype(np.int64, copy=False), device),
                    offsets=_tensor(field.offsets.astype(np.int64, copy=False), device),
                    cardinality=field.cardinality,
                )
                for name, field in batch.sparse.items()
            },
        )
