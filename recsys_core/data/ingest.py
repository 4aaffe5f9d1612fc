"""Validate a ``DatasetFrames`` and turn it into typed Arrow tables with contiguous indices.

This is the pure half of ``store.write_dataset``: it touches no database, so every problem in the
input is found before a transaction starts. Rules it enforces (each violation is a ``DataError``):

* every table has exactly the columns ``frames.py`` lists (impressions may leave out
  ``OPTIONAL_IMPRESSION_COLUMNS``, stored as NULL);
* ids are non-empty text or integers (float columns are refused: ``12.0`` is a corrupted id);
* user and item ids are unique in the users/items tables, and every id that interactions and
  impressions mention is present there (importers add minimal rows for sources without such tables);
* numbers parse to the column's type, integers are whole, and no value is infinite;
* no two interactions share (user, item, timestamp) unless ``frames.meta["allow_repeats"]`` is true
  (a source that really logs repeated events, such as plays, sets it); a missing timestamp counts
  as one value, so without timestamps a (user, item) pair may appear once.

Indices come from ``vocab.build_vocab`` over the users/items tables, interactions keep their input
order as ``row_id`` 0..N-1, and the fingerprint is a SHA-256 over every stored column.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from recsys_core.data.frames import (
    IMPRESSION_COLUMNS,
    INTERACTION_COLUMNS,
    ITEM_COLUMNS,
    OPTIONAL_IMPRESSION_COLUMNS,
    USER_COLUMNS,
    DatasetFrames,
)
from recsys_core.data.vocab import Vocabulary, build_vocab
from recsys_core.errors import DataError

Kind = Literal["str", "int32", "int64", "float64", "bool"]

#: Stored type of every non-id column, per table.
USER_KINDS: dict[str, Kind] = {"age": "int32", "gender": "str", "occupation": "str", "zip": "str"}
ITEM_KINDS: dict[str, Kind] = {
    "title": "str",
    "genres": "str",
    "year": "int32",
    "provider": "str",
    "release_ts": "int64",
    "tags": "str",
}
INTERACTION_KINDS: dict[str, Kind] = {
    "rating": "float64",
    "timestamp": "int64",
    "session_id": "int64",
}
IMPRESSION_KINDS: dict[str, Kind] = {
    "request_id": "int64",
    "position": "int32",
    "clicked": "bool",
    "relevance": "float64",
    "examination": "float64",
    "timestamp": "int64",
    "propensity": "float64",
    "explored": "bool",
}
_ARROW_TYPES: dict[Kind, pa.DataType] = {
    "str": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
}
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
#: Longest dataset name accepted (it is shown in the app's pickers).
MAX_NAME_CHARS = 200
#: How many offending rows an error message lists.
_SHOWN_ROWS = 5


@dataclass(frozen=True)
class PreparedDataset:
    """A validated dataset, ready for bulk insertion.

    Attributes:
        name: dataset name.
        source: where it came from.
        meta: JSON text of ``frames.meta``.
        users: Arrow table user_idx, user_id, age, gender, occupation, zip (sorted by user_idx).
        items: Arrow table item_idx, item_id, title, genres, year, provider, release_ts, tags.
        interactions: Arrow table row_id, user_idx, item_idx, rating, timestamp, session_id.
        impressions: Arrow table request_id, user_idx, item_idx, position, clicked, relevance,
            examination, timestamp, propensity, explored (zero rows when the source has none).
        fingerprint: SHA-256 hex digest over every column above.
    """

    name: str
    source: str
    meta: str
    users: pa.Table
    items: pa.Table
    interactions: pa.Table
    impressions: pa.Table
    fingerprint: str

    @property
    def has_ratings(self) -> bool:
        return self.interactions.column("rating").null_count < self.interactions.num_rows

    @property
    def has_timestamps(self) -> bool:
        return self.interactions.column("timestamp").null_count < self.interactions.num_rows


def check_dataset_name(name: str) -> str:
    """Return ``name`` if it is usable as a dataset name, else raise ``DataError`` saying why."""
    if not isinstance(name, str) or not name.strip():
        raise DataError(f"dataset name {name!r} is empty; choose a name such as 'my-ratings'")
    if name != name.strip() or len(name) > MAX_NAME_CHARS:
        raise DataError(
            f"dataset name {name!r} must have no leading/trailing spaces and at most "
            f"{MAX_NAME_CHARS} characters; choose a shorter, trimmed name"
        )
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise DataError(
            f"dataset name {name!r} holds control characters; choose printable text such as "
            "'my-ratings'"
        )
    return name


def prepare_dataset(frames: DatasetFrames) -> PreparedDataset:
    """Validate ``frames`` and map raw ids to contiguous indices.

    Args:
        frames: the dataset in raw-id form.

    Returns:
        The typed tables and their fingerprint.

    Raises:
        DataError: on any rule in the module docstring; the message names table, column and rows.
    """
    name = check_dataset_name(frames.name)
    meta = dump_json(frames.meta, "frames.meta")
    _check_columns("users", frames.users, USER_COLUMNS)
    _check_columns("items", frames.items, ITEM_COLUMNS)
    _check_columns("interactions", frames.interactions, INTERACTION_COLUMNS)
    user_ids = _to_ids(frames.users["user_id"], "users.user_id")
    item_ids = _to_ids(frames.items["item_id"], "items.item_id")
    _check_unique(user_ids, "users.user_id")
    _check_unique(item_ids, "items.item_id")
    user_vocab = build_vocab(user_ids)
    item_vocab = build_vocab(item_ids)

    users = _side_table(frames.users, user_ids, user_vocab, "user", USER_KINDS, "users")
    items = _side_table(frames.items, item_ids, item_vocab, "item", ITEM_KINDS, "items")
    interactions = _interaction_table(frames, user_vocab, item_vocab)
    impressions = _impression_table(frames.impressions, user_vocab, item_vocab)
    digest = hashlib.sha256()
    for table in (users, items, interactions, impressions):
        _hash_table(digest, table)
    return PreparedDataset(
        name=name,
        source=str(frames.source),
        meta=meta,
        users=users,
        items=items,
        interactions=interactions,
        impressions=impressions,
        fingerprint=digest.hexdigest(),
    )


def dump_json(value: Mapping[str, Any], what: str) -> str:
    """``value`` as canonical JSON (sorted keys) for a JSON column; ``what`` names it in errors.

    Raises:
        DataError: a value JSON cannot hold (an object, NaN or infinity).
    """
    try:
        return json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"{what} cannot be stored as JSON ({exc}); keep only str/int/float/bool/list/dict "
            "values"
        ) from exc


def _check_columns(table: str, frame: pd.DataFrame, expected: tuple[str, ...]) -> None:
    missing = [c for c in expected if c not in frame.columns]
    extra = [str(c) for c in frame.columns if c not in expected]
    if missing or extra:
        raise DataError(
            f"{table} frame has missing columns {missing} and unexpected columns {extra}; "
            f"it must have exactly {list(expected)} (see recsys_core/data/frames.py; use NA for "
            "values a source lacks)"
        )


def _rows(mask: np.ndarray) -> str:
    """'rows 3, 9' (1-based) for the first few True positions of ``mask``."""
    positions = np.flatnonzero(mask)[:_SHOWN_ROWS] + 1
    more = f" (+{int(mask.sum()) - len(positions)} more)" if mask.sum() > len(positions) else ""
    label = "row" if len(positions) == 1 else "rows"
    return f"{label} {', '.join(map(str, positions))}{more}"


def _to_ids(series: pd.Series, where: str) -> pd.Series:
    """Ids as str; integers are converted, floats, booleans, NA and empty strings are refused."""
    if pd.api.types.is_float_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise DataError(
            f"{where} has dtype {series.dtype}; ids must be text or integers "
            "(floats such as 12.0 are usually a corrupted id column)"
        )
    missing = series.isna().to_numpy()
    if missing.any():
        raise DataError(f"{where} is missing in {_rows(missing)}; every row needs an id")
    ids = series.astype(str).reset_index(drop=True)
    empty = (ids.str.strip() == "").to_numpy()
    if empty.any():
        raise DataError(f"{where} is empty in {_rows(empty)}; every row needs an id")
    return ids


def _check_unique(ids: pd.Series, where: str) -> None:
    repeated = ids.duplicated(keep=False).to_numpy()
    if repeated.any():
        first = ids[repeated].iloc[0]
        raise DataError(
            f"{where} repeats ids ({_rows(repeated)}, e.g. {first!r}); each id must appear once"
        )


def _to_arrow(series: pd.Series, kind: Kind, where: str) -> pa.Array:
    """Convert one column to its stored Arrow type, naming the first bad rows on failure."""
    values = series.reset_index(drop=True)
    if kind == "str":
        return pa.array(values.astype(str), type=pa.string(), from_pandas=True)
    if kind == "bool":
        return _to_bool(values, where)
    numeric = pd.to_numeric(values, errors="coerce")
    unparsed = (numeric.isna() & values.notna()).to_numpy()
    if unparsed.any():
        bad = values[unparsed].iloc[0]
        raise DataError(f"{where} is not a number in {_rows(unparsed)} (e.g. {bad!r}); fix them")
    as_float = numeric.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    infinite = np.isinf(as_float)
    if infinite.any():
        raise DataError(f"{where} is infinite in {_rows(infinite)}; use a finite number or NA")
    if kind == "float64":
        return pa.array(as_float, type=pa.float64(), from_pandas=True)
    if pd.api.types.is_float_dtype(numeric.dtype):
        fractional = ~np.isnan(as_float) & (np.mod(as_float, 1.0) != 0)
        if fractional.any():
            raise DataError(f"{where} must be whole numbers; {_rows(fractional)} are not")
    integers = numeric.astype("Int64")
    low, high = _INT_RANGES[kind]
    outside = (integers.notna() & ((integers < low) | (integers > high))).to_numpy(dtype=bool)
    if outside.any():
        raise DataError(f"{where} is outside {low}..{high} in {_rows(outside)}")
    return pa.array(integers, type=_ARROW_TYPES[kind], from_pandas=True)


def _to_bool(values: pd.Series, where: str) -> pa.Array:
    if pd.api.types.is_bool_dtype(values.dtype):
        return pa.array(values, type=pa.bool_(), from_pandas=True)
    numeric = pd.to_numeric(values, errors="coerce")
    invalid = (values.notna() & ~numeric.isin([0, 1])).to_numpy(dtype=bool)
    if invalid.any():
        raise DataError(f"{where} must be true/false (or 0/1); {_rows(invalid)} are not")
    return pa.array(numeric.astype("boolean"), type=pa.bool_(), from_pandas=True)


def _map_ids(vocab: Vocabulary, ids: pd.Series, where: str, home: str) -> np.ndarray:
    try:
        return vocab.index(ids)
    except DataError as exc:
        raise DataError(
            f"{where} mentions ids missing from the {home} table: {exc}; add a row for each "
            f"(importers create minimal {home} rows when a source has no {home} table)"
        ) from exc


def _side_table(
    frame: pd.DataFrame,
    ids: pd.Series,
    vocab: Vocabulary,
    entity: str,
    kinds: dict[str, Kind],
    table: str,
) -> pa.Table:
    idx = vocab.index(ids)
    order = np.argsort(idx, kind="stable")
    columns = {
        f"{entity}_idx": pa.array(idx[order]),
        f"{entity}_id": pa.array(ids.to_numpy()[order]),
    }
    for column, kind in kinds.items():
        columns[column] = _to_arrow(frame[column], kind, f"{table}.{column}").take(order)
    return pa.table(columns)


def _interaction_table(
    frames: DatasetFrames, user_vocab: Vocabulary, item_vocab: Vocabulary
) -> pa.Table:
    frame = frames.interactions
    user_idx = _map_ids(
        user_vocab, _to_ids(frame["user_id"], "interactions.user_id"), "interactions", "users"
    )
    item_idx = _map_ids(
        item_vocab, _to_ids(frame["item_id"], "interactions.item_id"), "interactions", "items"
    )
    typed = {c: _to_arrow(frame[c], k, f"interactions.{c}") for c, k in INTERACTION_KINDS.items()}
    if not frames.meta.get("allow_repeats", False):
        _check_repeats(frame, user_idx, item_idx, typed["timestamp"])
    columns = {
        "row_id": pa.array(np.arange(len(frame), dtype=np.int64)),
        "user_idx": pa.array(user_idx),
        "item_idx": pa.array(item_idx),
        **typed,
    }
    return pa.table(columns)


def _check_repeats(
    frame: pd.DataFrame, user_idx: np.ndarray, item_idx: np.ndarray, timestamp: pa.Array
) -> None:
    key = pd.DataFrame(
        {
            "user_idx": user_idx,
            "item_idx": item_idx,
            "timestamp": timestamp.fill_null(0).to_numpy(zero_copy_only=False),
            "missing": timestamp.is_null().to_numpy(zero_copy_only=False),
        }
    )
    repeated = key.duplicated(keep=False).to_numpy()
    if repeated.any():
        first = int(np.flatnonzero(repeated)[0])
        user, item = frame["user_id"].iloc[first], frame["item_id"].iloc[first]
        raise DataError(
            f"interactions repeat the same (user, item, timestamp) in {_rows(repeated)} "
            f"(e.g. user {user!r}, item {item!r}); drop the duplicate rows, or set "
            "meta['allow_repeats'] = True if the source really logs repeated events"
        )


def _impression_table(
    frame: pd.DataFrame | None, user_vocab: Vocabulary, item_vocab: Vocabulary
) -> pa.Table:
    if frame is None:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in IMPRESSION_COLUMNS})
    # A log without its logging policy's propensities stores NULL in those columns.
    absent = [c for c in OPTIONAL_IMPRESSION_COLUMNS if c not in frame.columns]
    frame = frame.assign(**dict.fromkeys(absent, pd.NA))
    _check_columns("impressions", frame, IMPRESSION_COLUMNS)
    user_idx = _map_ids(
        user_vocab, _to_ids(frame["user_id"], "impressions.user_id"), "impressions", "users"
    )
    item_idx = _map_ids(
        item_vocab, _to_ids(frame["item_id"], "impressions.item_id"), "impressions", "items"
    )
    columns = {c: _to_arrow(frame[c], k, f"impressions.{c}") for c, k in IMPRESSION_KINDS.items()}
    ordered = {
        "request_id": columns["request_id"],
        "user_idx": pa.array(user_idx, type=pa.int64()),
        "item_idx": pa.array(item_idx, type=pa.int64()),
        **{c: columns[c] for c in IMPRESSION_KINDS if c != "request_id"},
    }
    return pa.table(ordered)


def _hash_table(digest: hashlib._Hash, table: pa.Table) -> None:
    """Feed every column (name, validity and values) of ``table`` into ``digest``."""
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        digest.update(name.encode())
        digest.update(np.asarray(column.is_null(), dtype=bool).tobytes())
        if pa.types.is_string(column.type):
            text = "\x1f".join("" if v is None else v for v in column.to_pylist())
            digest.update(text.encode("utf-8"))
        else:
            filled = column.fill_null(False if pa.types.is_boolean(column.type) else 0)
            digest.update(filled.to_numpy(zero_copy_only=False).tobytes())
