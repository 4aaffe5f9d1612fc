"""``FeatureEncoder``: a ``FeatureSpec`` fitted on a training split, turning (user, item, context)
rows into a ``FeatureBatch``.

Everything learned (vocabularies, quantile boundaries, history statistics) comes from the
training rows only, so nothing of the valid/test window leaks into the features (DESIGN,
"Temporal splits never let a model see the future"). Per-user and per-item encodings are
precomputed at fit time; ``transform`` is then array gathers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recsys_core.data.dataset import TrainSplit
from recsys_core.data.features.batch import FeatureBatch, SparseField
from recsys_core.data.features.fitting import FittedField, codec_from_state, fit_field
from recsys_core.data.features.ragged import Ragged
from recsys_core.data.features.spec import FeatureSpec
from recsys_core.data.features.storage import (
    FEATURES_JSON,
    SAVE_AGAIN,
    read_artifact,
    read_table,
    write_artifact,
)
from recsys_core.errors import ConfigError, DamagedArtifactError, DataError
from recsys_core.types import IntArray


@dataclass(frozen=True, eq=False)
class FeatureEncoder:
    """A fitted feature spec.

    Attributes:
        spec: the fields, in output order.
        n_users: U at fit time; ``transform`` accepts user_idx in 0..U-1.
        n_items: I at fit time.
        fitted: one ``FittedField`` per spec field.
    """

    spec: FeatureSpec
    n_users: int
    n_items: int
    fitted: tuple[FittedField, ...]

    @classmethod
    def fit(cls, spec: FeatureSpec, train: TrainSplit) -> FeatureEncoder:
        """Fit every field of ``spec`` on the training rows of ``train``."""
        fitted = tuple(fit_field(field, train) for field in spec)
        return cls(spec=spec, n_users=train.n_users, n_items=train.n_items, fitted=fitted)

    @property
    def cardinalities(self) -> dict[str, int]:
        """Sparse field name -> embedding table size (OOV id 0 included)."""
        return {f.field.name: f.cardinality for f in self.fitted if f.field.is_sparse}

    @property
    def dense_names(self) -> tuple[str, ...]:
        """(D,) names of the ``FeatureBatch.dense`` columns."""
        return tuple(name for f in self.fitted for name in f.dense_names)

    def transform(
        self,
        user_idx: IntArray,
        item_idx: IntArray,
        context: Mapping[str, np.ndarray] | None = None,
    ) -> FeatureBatch:
        """Encode N rows.

        Args:
            user_idx: (N,) users in 0..U-1.
            item_idx: (N,) items in 0..I-1.
            context: column -> (N,) values for the spec's interaction fields (e.g. timestamp).

        Returns:
            ``FeatureBatch`` with (N, D) dense columns and one id bag per sparse field.
        """
        users = _check_index(user_idx, self.n_users, "user_idx")
        items = _check_index(item_idx, self.n_items, "item_idx")
        if len(users) != len(items):
            raise DataError(f"user_idx has {len(users)} rows but item_idx has {len(items)}")
        n = len(users)
        dense = []
        sparse: dict[str, SparseField] = {}
        for f in self.fitted:
            if f.table is None:
                table, rows = f.codec.encode(_context_column(context, f, n)), np.arange(n)
            else:
                table, rows = f.table, users if f.field.source == "user" else items
            if isinstance(table, Ragged):
                ids, offsets = table.gather(rows)
                sparse[f.field.name] = SparseField(ids, offsets, f.cardinality)
            else:
                dense.append(table[rows])
        block = np.concatenate(dense, axis=1) if dense else np.zeros((n, 0), dtype=np.float32)
        return FeatureBatch(dense=block, dense_names=self.dense_names, sparse=sparse)

    def save(self, directory: Path) -> None:
        """Write ``features.json`` and ``features.safetensors`` into ``directory``."""
        payload = {
            "n_users": self.n_users,
            "n_items": self.n_items,
            "spec": self.spec.to_dict(),
            "codecs": {f.field.name: f.codec.state() for f in self.fitted},
        }
        tables = {f.field.name: f.table for f in self.fitted if f.table is not None}
        write_artifact(Path(directory), payload, tables)

    @classmethod
    def load(cls, directory: Path) -> FeatureEncoder:
        """Read an encoder written by ``save``; refuses missing or corrupt files
        (``DamagedArtifactError``, a ``DataError``)."""
        directory = Path(directory)
        payload, arrays = read_artifact(directory)
        try:
            spec = FeatureSpec.from_dict(payload["spec"])
            n_users, n_items = int(payload["n_users"]), int(payload["n_items"])
            codecs = {f.name: codec_from_state(f, payload["codecs"][f.name]) for f in spec}
        except (KeyError, TypeError, ValueError, ConfigError) as exc:
            problem = f"is malformed ({type(exc).__name__}: {exc})"
            raise DamagedArtifactError(directory / FEATURES_JSON, problem, SAVE_AGAIN) from None
        fitted = []
        for field in spec:
            bare = FittedField(field, codecs[field.name], None)
            if field.source == "interaction":
                fitted.append(bare)
                continue
            size = n_users if field.source == "user" else n_items
            fitted.append(FittedField(field, bare.codec, read_table(arrays, bare, size, directory)))
        return cls(spec=spec, n_users=n_users, n_items=n_items, fitted=tuple(fitted))


def _check_index(values: IntArray, size: int, label: str) -> IntArray:
    array = np.asarray(values)
    if array.ndim != 1 or (len(array) and not np.issubdtype(array.dtype, np.integer)):
        raise DataError(f"{label} must be a 1-d integer array, got {array.dtype} {array.shape}")
    array = array.astype(np.int64, copy=False)
    if len(array) and (array.min() < 0 or array.max() >= size):
        raise DataError(
            f"{label} must lie in 0..{size - 1} (the encoder's fit-time index space); refit the "
            "encoder on a split of this dataset"
        )
    return array


def _context_column(
    context: Mapping[str, np.ndarray] | None, fitted: FittedField, n: int
) -> pd.Series:
    field = fitted.field
    if context is None or field.column not in context:
        raise DataError(
            f"feature {field.name!r} reads the per-row column {field.column!r}: pass it as "
            f"context={{{field.column!r}: array}} to transform"
        )
    values = np.asarray(context[field.column])
    if values.shape != (n,):
        raise DataError(f"context[{field.column!r}] has shape {values.shape}, expected ({n},)")
    return pd.Series(values)
