"""Array aliases and the small result types passed between stages.

Shape legend used in docstrings across the package: B batch, U users, I items, D dim, L length,
K list length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.floating]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class TopK:
    """Top-k lists for a batch of users.

    Attributes:
        item_idx: (B, K) item indices, best first; -1 pads lists shorter than K.
        scores: (B, K) the scores of those items; -inf where padded.
    """

    item_idx: IntArray
    scores: FloatArray


@dataclass(frozen=True)
class Embeddings:
    """Learned user and item vectors of a model; either may be ``None``.

    Attributes:
        user: (U, D) user vectors or None.
        item: (I, D) item vectors or None.
    """

    user: FloatArray | None
    item: FloatArray | None
