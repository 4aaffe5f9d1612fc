"""Features for ranking models and feature towers: declare (``FeatureSpec``), fit on the training
window (``FeatureEncoder``), encode rows (``FeatureBatch``), plus the catalogue's genre matrix.

Sparse fields are EmbeddingBag (ids, offsets) pairs with OOV id 0; dense fields are quantile
ranks in [0, 1] with x^2 / sqrt x and a missing indicator.
"""

from __future__ import annotations

from recsys_core.data.features.batch import FeatureBatch, SparseField
from recsys_core.data.features.encoder import FeatureEncoder
from recsys_core.data.features.genres import genre_matrix, genre_table
from recsys_core.data.features.spec import FeatureField, FeatureSpec
from recsys_core.data.features.torch_batch import TorchFeatureBatch, TorchSparseField

__all__ = [
    "FeatureBatch",
    "FeatureEncoder",
    "FeatureField",
    "FeatureSpec",
    "SparseField",
    "TorchFeatureBatch",
    "TorchSparseField",
    "genre_matrix",
    "genre_table",
]
