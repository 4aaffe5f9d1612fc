"""Fit one ``FeatureField`` on a training split: its codec plus, for user/item fields, the
per-user or per-item table that ``FeatureEncoder.transform`` gathers from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recsys_core.data.dataset import TrainSplit
from recsys_core.data.features.hashing import HashedTextCodec
from recsys_core.data.features.history import (
    RecentItemsCodec,
    entity_rows,
    history_values,
    recent_items,
)
from recsys_core.data.features.quantile import QuantileCodec
from recsys_core.data.features.ragged import Ragged
from recsys_core.data.features.spec import FeatureField
from recsys_core.data.features.vocab_codecs import CategoricalCodec, MultiHotCodec
from recsys_core.errors import DataError
from recsys_core.types import FloatArray, IntArray

Codec = CategoricalCodec | MultiHotCodec | HashedTextCodec | QuantileCodec | RecentItemsCodec
#: A user/item field's precomputed encoding: ids per entity, or (E, k) dense columns.
Table = Ragged | FloatArray


@dataclass(frozen=True, eq=False)
class FittedField:
    """A field with its fitted codec and, unless its source is "interaction", its table.

    Attributes:
        field: the declaration.
        codec: vocabulary / quantiles / hashing, fitted on training rows only.
        table: (U or I rows) the encoded value of every user or item, or None for interaction
            fields (encoded from ``context`` at transform time).
    """

    field: FeatureField
    codec: Codec
    table: Table | None

    @property
    def cardinality(self) -> int:
        """Embedding table size of a sparse field, OOV included (0 for a dense field)."""
        return 0 if isinstance(self.codec, QuantileCodec) else self.codec.cardinality

    @property
    def dense_names(self) -> tuple[str, ...]:
        """The dense columns of the field (none for a sparse field)."""
        return self.codec.names if isinstance(self.codec, QuantileCodec) else ()


def fit_field(field: FeatureField, train: TrainSplit) -> FittedField:
    """Fit ``field`` on the training rows of ``train`` (nothing from other windows is read)."""
    if field.kind == "history" and field.column == "recent_items":
        return FittedField(
            field, RecentItemsCodec(train.n_items), recent_items(train, field.max_len)
        )
    if field.source == "interaction":
        values = pd.Series(interaction_values(field, train))
        return FittedField(field, fit_codec(field, values, np.ones(len(values), np.int64)), None)
    idx, size = entity_rows(field.source, train)
    weights = np.bincount(idx, minlength=size).astype(np.int64)
    if field.kind == "history":
        values = pd.Series(history_values(field, train))
    else:
        values = side_values(field, train)
    codec = fit_codec(field, values, weights)
    return FittedField(field, codec, codec.encode(values))


def fit_codec(field: FeatureField, values: pd.Series, weights: IntArray) -> Codec:
    """The codec of ``field`` fitted on ``values`` (E,), row e counting ``weights[e]`` times."""
    if field.kind == "categorical":
        return CategoricalCodec.fit(values, weights, field.min_count)
    if field.kind == "multi_hot":
        return MultiHotCodec.fit(values, weights, field.min_count, field.sep)
    if field.kind == "hashed_text":
        return HashedTextCodec(field.n_buckets)
    return QuantileCodec.fit(field.name, values, weights, field.n_quantiles, field.expansions)


def codec_from_state(field: FeatureField, state: dict[str, Any]) -> Codec:
    """Rebuild the codec that ``codec.state()`` described (KeyError when a key is missing)."""
    if field.kind == "history" and field.column == "recent_items":
        return RecentItemsCodec(int(state["n_items"]))
    if field.kind == "categorical":
        return CategoricalCodec.from_state(state)
    if field.kind == "multi_hot":
        return MultiHotCodec.from_state(state, field.sep)
    if field.kind == "hashed_text":
        return HashedTextCodec(field.n_buckets)
    return QuantileCodec.from_state(field.name, state, field.expansions)


def side_values(field: FeatureField, train: TrainSplit) -> pd.Series:
    """(U,) or (I,) raw values of a user/item column in index order (``*_idx``: the index)."""
    _, size = entity_rows(field.source, train)
    if field.column == f"{field.source}_idx":
        return pd.Series(np.arange(size))
    table = "users" if field.source == "user" else "items"
    frame = getattr(train, table)
    if frame is None:
        raise DataError(
            f"feature {field.name!r} reads {table}.{field.column} but the training split has no "
            f"{table} table; build the split with Dataset.rows() so it carries side tables"
        )
    if field.column not in frame:
        raise DataError(
            f"feature {field.name!r}: {table} has no column {field.column!r} (it has "
            f"{list(frame.columns)}); fix the spec or use FeatureSpec.default_for"
        )
    if not np.array_equal(frame.index.to_numpy(), np.arange(size)):
        raise DataError(
            f"the {table} table must be indexed 0..{size - 1} by {field.source}_idx; "
            "reload the dataset with data.store.load_dataset"
        )
    return frame[field.column].reset_index(drop=True)


def interaction_values(field: FeatureField, train: TrainSplit) -> np.ndarray:
    """(N,) the per-row array ``train.<column>`` (timestamp, session_id, ...)."""
    values = getattr(train, field.column, None)
    if not isinstance(values, np.ndarray) or values.shape != (len(train),):
        raise DataError(
            f"feature {field.name!r}: the training split has no per-row array "
            f"{field.column!r}; interaction features read TrainSplit arrays such as timestamp"
        )
    return values
