"""Datasets in the store: write one atomically, list them, read one back, delete one.

Validation and id mapping (``data.ingest``) happen before the database is opened; the rows are then
bulk-inserted from Arrow in one transaction, so on any error the database is exactly as before.

The impressions' ``propensity`` and ``explored`` columns came after schema version 2 without a
version of their own: a database whose impressions table predates them gains them (NULL for the
stored rows) in the first write transaction, and reads of such a database return them as missing
values (NaN / NA) instead of failing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from recsys_core.data.dataset import Dataset
from recsys_core.data.frames import DatasetFrames
from recsys_core.data.ingest import ITEM_KINDS, USER_KINDS, PreparedDataset, prepare_dataset
from recsys_core.data.store.database import (
    Table,
    connect,
    declare_table,
    declared_tables,
    fetch_one,
    insert_arrow,
    table_identifier,
)
from recsys_core.errors import DataError

declare_table(
    Table(
        "datasets",
        """
        name VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, n_users BIGINT NOT NULL, n_items BIGINT NOT NULL,
        n_interactions BIGINT NOT NULL, n_impressions BIGINT NOT NULL,
        has_ratings BOOLEAN NOT NULL, has_timestamps BOOLEAN NOT NULL, meta JSON""",
    )
)
declare_table(
    Table(
        "users",
        """
        dataset VARCHAR NOT NULL, user_idx BIGINT NOT NULL, user_id VARCHAR NOT NULL,
        age INTEGER, gender VARCHAR, occupation VARCHAR, zip VARCHAR""",
        owned_by_dataset=True,
    )
)
declare_table(
    Table(
        "items",
        """
        dataset VARCHAR NOT NULL, item_idx BIGINT NOT NULL, item_id VARCHAR NOT NULL,
        title VARCHAR, genres VARCHAR, year INTEGER, provider VARCHAR, release_ts BIGINT,
        tags VARCHAR""",
        owned_by_dataset=True,
    )
)
declare_table(
    Table(
        "interactions",
        """
        dataset VARCHAR NOT NULL, row_id BIGINT NOT NULL, user_idx BIGINT NOT NULL,
        item_idx BIGINT NOT NULL, rating DOUBLE, timestamp BIGINT, session_id BIGINT""",
        owned_by_dataset=True,
    )
)
declare_table(
    Table(
        "impressions",
        """
        dataset VARCHAR NOT NULL, request_id BIGINT, user_idx BIGINT NOT NULL,
        item_idx BIGINT NOT NULL, position INTEGER, clicked BOOLEAN, relevance DOUBLE,
        examination DOUBLE, timestamp BIGINT, propensity DOUBLE, explored BOOLEAN""",
        owned_by_dataset=True,
    )
)

#: Columns read back per table, in order (the ``dataset`` key is implied).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("user_idx", "user_id", "age", "gender", "occupation", "zip"),
    "items": ("item_idx", "item_id", "title", "genres", "year", "provider", "release_ts", "tags"),
    "interactions": ("row_id", "user_idx", "item_idx", "rating", "timestamp", "session_id"),
    "impressions": (
        "request_id",
        "user_idx",
        "item_idx",
        "position",
        "clicked",
        "relevance",
        "examination",
        "timestamp",
        "propensity",
        "explored",
    ),
}
#: Impression columns added after the table was first declared -> their SQL type; older databases
#: lack them until their next write (see the module docstring).
_LATER_IMPRESSION_COLUMNS: dict[str, str] = {"propensity": "DOUBLE", "explored": "BOOLEAN"}
_ORDER_BY: dict[str, str] = {
    "users": "user_idx",
    "items": "item_idx",
    "interactions": "row_id",
    "impressions": "request_id, position, user_idx, item_idx",
}
_INFO_COLUMNS = (
    "name, source, fingerprint, created_at, n_users, n_items, n_interactions, n_impressions, "
    "has_ratings, has_timestamps, meta"
)


@dataclass(frozen=True)
class DatasetInfo:
    """One row of the ``datasets`` table: what is stored, without loading it.

    Attributes:
        name: dataset name (unique in the database).
        source: where it came from (URL, path, generator settings).
        fingerprint: SHA-256 over the stored arrays; a cache key.
        created_at: when it was written (UTC, naive).
        n_users: U.
        n_items: I.
        n_interactions: number of interaction rows.
        n_impressions: number of impression rows (0 when the source has none).
        has_ratings: whether any interaction has a rating.
        has_timestamps: whether any interaction has a timestamp.
        meta: free-form facts about the source.
    """

    name: str
    source: str
    fingerprint: str
    created_at: datetime
    n_users: int
    n_items: int
    n_interactions: int
    n_impressions: int
    has_ratings: bool
    has_timestamps: bool
    meta: dict[str, Any]


def check_writable(name: str, *, replace: bool = False, path: Path | None = None) -> None:
    """Refuse early to write dataset ``name`` over a stored one, before a slow load or download.

    ``write_dataset`` checks again inside its transaction; this only saves the wait.

    Raises:
        DataError: the name is stored and ``replace`` is false.
    """
    if replace:
        return
    with connect(path, read_only=True) as con:
        if _dataset_exists(con, name):
            raise _exists_error(name)


def write_dataset(
    frames: DatasetFrames, *, path: Path | None = None, replace: bool = False
) -> DatasetInfo:
    """Validate, index and store a dataset in one transaction.

    Replacing a dataset also deletes its splits (their row ids would no longer mean anything); runs
    stay, as they belong to the run registry.

    Args:
        frames: the dataset in raw-id form.
        path: database file; default ``default_db_path()``.
        replace: overwrite a dataset of the same name.

    Returns:
        The stored dataset's ``DatasetInfo``.

    Raises:
        DataError: invalid frames, or the name exists and ``replace`` is false.
    """
    prepared = prepare_dataset(frames)
    created_at = datetime.now(UTC).replace(tzinfo=None)
    with connect(path) as con:
        if _dataset_exists(con, prepared.name):
            if not replace:
                raise _exists_error(prepared.name)
            _delete_rows(con, prepared.name)
        _insert_rows(con, prepared)
        con.execute(
            f"INSERT INTO datasets ({_INFO_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                prepared.name,
                prepared.source,
                prepared.fingerprint,
                created_at,
                prepared.users.num_rows,
                prepared.items.num_rows,
                prepared.interactions.num_rows,
                prepared.impressions.num_rows,
                prepared.has_ratings,
                prepared.has_timestamps,
                prepared.meta,
            ],
        )
        return read_info(con, prepared.name)


def _exists_error(name: str) -> DataError:
    return DataError(
        f"dataset {name!r} already exists; pass replace=True (--replace) to overwrite it (its "
        "splits are deleted too) or choose another name"
    )


def _insert_rows(con: duckdb.DuckDBPyConnection, prepared: PreparedDataset) -> None:
    _add_later_columns(con)
    tables = {
        "users": prepared.users,
        "items": prepared.items,
        "interactions": prepared.interactions,
        "impressions": prepared.impressions,
    }
    for table, data in tables.items():
        insert_arrow(con, table, _COLUMNS[table], data, prepared.name)


def _dataset_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = fetch_one(con, "SELECT count(*) FROM datasets WHERE name = ?", [name])
    return bool(row and row[0])


def require_dataset(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Raise a ``DataError`` listing the stored datasets unless ``name`` is one of them."""
    if not _dataset_exists(con, name):
        rows = con.execute("SELECT name FROM datasets ORDER BY name").fetchall()
        stored = ", ".join(repr(r[0]) for r in rows) if rows else "none yet"
        raise DataError(
            f"no dataset named {name!r} in the store (stored: {stored}); import it first or pick "
            "one of those"
        )


def _delete_rows(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Delete the dataset's row and its rows in every table declared as owned by a dataset."""
    for table in declared_tables():
        if table.owned_by_dataset:
            con.execute(f"DELETE FROM {table_identifier(table.name)} WHERE dataset = ?", [name])
    con.execute("DELETE FROM datasets WHERE name = ?", [name])


def read_info(con: duckdb.DuckDBPyConnection, name: str) -> DatasetInfo:
    """The ``DatasetInfo`` of stored dataset ``name`` on an open connection."""
    require_dataset(con, name)
    row = fetch_one(con, f"SELECT {_INFO_COLUMNS} FROM datasets WHERE name = ?", [name])
    assert row is not None  # guaranteed by require_dataset in the same transaction
    return _info_from_row(row)


def _info_from_row(row: tuple[Any, ...]) -> DatasetInfo:
    name, source, fingerprint, created_at, n_users, n_items, n_inter, n_impr, *flags, meta = row
    return DatasetInfo(
        name=name,
        source=source,
        fingerprint=fingerprint,
        created_at=created_at,
        n_users=int(n_users),
        n_items=int(n_items),
        n_interactions=int(n_inter),
        n_impressions=int(n_impr),
        has_ratings=bool(flags[0]),
        has_timestamps=bool(flags[1]),
        meta=json.loads(meta) if meta else {},
    )


def dataset_info(name: str, path: Path | None = None) -> DatasetInfo:
    """The stored facts about dataset ``name``; ``DataError`` listing stored names if unknown."""
    with connect(path, read_only=True) as con:
        return read_info(con, name)


def list_datasets(path: Path | None = None) -> list[DatasetInfo]:
    """Every stored dataset, sorted by name."""
    with connect(path, read_only=True) as con:
        rows = con.execute(f"SELECT {_INFO_COLUMNS} FROM datasets ORDER BY name").fetchall()
    return [_info_from_row(row) for row in rows]


def load_dataset(name: str, *, path: Path | None = None) -> Dataset:
    """Read a stored dataset into memory.

    Returns:
        ``Dataset`` with users/items indexed 0..U-1 / 0..I-1 and interactions sorted by row_id
        (rating float with NaN, timestamp and session_id nullable Int64); impressions, if any,
        sorted by request and position, with propensity float (NaN where not logged) and explored
        nullable boolean.
    """
    with connect(path, read_only=True) as con:
        info = read_info(con, name)
        frames = {table: _read_table(con, table, name) for table in _COLUMNS}
    users = _normalise_side(frames["users"], USER_KINDS).set_index("user_idx")
    items = _normalise_side(frames["items"], ITEM_KINDS).set_index("item_idx")
    for frame, size, label in ((users, info.n_users, "users"), (items, info.n_items, "items")):
        if not np.array_equal(frame.index.to_numpy(), np.arange(size)):
            raise DataError(
                f"stored {label} of {name!r} are not indexed 0..{size - 1}; the database is "
                f"damaged: re-import the dataset with replace=True"
            )
    interactions = frames["interactions"]
    interactions["rating"] = interactions["rating"].astype(np.float64)
    for column in ("timestamp", "session_id"):
        interactions[column] = interactions[column].astype("Int64")
    impressions = frames["impressions"] if info.n_impressions else None
    if impressions is not None:
        impressions["propensity"] = impressions["propensity"].astype(np.float64)
        impressions["explored"] = impressions["explored"].astype("boolean")
    return Dataset(
        name=name,
        interactions=interactions,
        users=users,
        items=items,
        impressions=impressions,
        fingerprint=info.fingerprint,
    )


def _normalise_side(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """Text columns as ``str`` (NaN for missing) and whole numbers as nullable ``Int64``."""
    for column, kind in kinds.items():
        frame[column] = frame[column].astype("str" if kind == "str" else "Int64")
    return frame


def _add_later_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Give an impressions table that predates ``_LATER_IMPRESSION_COLUMNS`` those columns."""
    table = table_identifier("impressions")
    for column, sql_type in _LATER_IMPRESSION_COLUMNS.items():
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {sql_type}")


def _stored_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {row[0] for row in rows}


def _read_table(con: duckdb.DuckDBPyConnection, table: str, name: str) -> pd.DataFrame:
    later = _LATER_IMPRESSION_COLUMNS if table == "impressions" else {}
    stored = _stored_columns(con, table) if later else set()
    columns = ", ".join(
        f"NULL::{later[c]} AS {c}" if c in later and c not in stored else c for c in _COLUMNS[table]
    )
    return con.execute(
        f"SELECT {columns} FROM {table_identifier(table)} WHERE dataset = ? "
        f"ORDER BY {_ORDER_BY[table]}",
        [name],
    ).df()


def delete_dataset(name: str, path: Path | None = None) -> None:
    """Delete a dataset with its splits (runs stay: they belong to the run registry)."""
    with connect(path) as con:
        require_dataset(con, name)
        _delete_rows(con, name)
