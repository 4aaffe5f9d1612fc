"""The DuckDB store: datasets, their splits and the runs table, in one embedded file.

DuckDB lets one process write, and a reader in another process blocks writers, so nothing here
holds the database open while idle: ``connect()`` opens a connection for one operation, runs it in
a single transaction, and closes. When another process holds the file, it retries for a few
seconds and then raises ``StoreLockedError``. Every write is atomic: on any error the database is
exactly as before.

The file is ``$RECSCOPE_DB`` if set, else ``<repo>/data/recsys.duckdb``; every public function takes
``path`` to override it. All SQL binds values as parameters; table and column names come only from
the constants below. Do not nest ``connect()`` calls for writing: each opens its own transaction.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from recsys_core.data.dataset import Dataset
from recsys_core.data.frames import DatasetFrames
from recsys_core.data.ingest import (
    ITEM_KINDS,
    USER_KINDS,
    PreparedDataset,
    check_dataset_name,
    prepare_dataset,
)
from recsys_core.errors import DataError, StoreLockedError
from recsys_core.types import IntArray

#: Version of the tables below; a database written by a newer RecScope is refused.
SCHEMA_VERSION = 1
#: Environment variable that points at the database file.
DB_ENV = "RECSCOPE_DB"
#: Parts a split may have.
SPLIT_PARTS: tuple[str, ...] = ("train", "valid", "test")

_TABLES: dict[str, str] = {
    "schema_version": "version INTEGER NOT NULL",
    "datasets": """
        name VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, n_users BIGINT NOT NULL, n_items BIGINT NOT NULL,
        n_interactions BIGINT NOT NULL, n_impressions BIGINT NOT NULL,
        has_ratings BOOLEAN NOT NULL, has_timestamps BOOLEAN NOT NULL, meta JSON""",
    "users": """
        dataset VARCHAR NOT NULL, user_idx BIGINT NOT NULL, user_id VARCHAR NOT NULL,
        age INTEGER, gender VARCHAR, occupation VARCHAR, zip VARCHAR""",
    "items": """
        dataset VARCHAR NOT NULL, item_idx BIGINT NOT NULL, item_id VARCHAR NOT NULL,
        title VARCHAR, genres VARCHAR, year INTEGER, provider VARCHAR, release_ts BIGINT,
        tags VARCHAR""",
    "interactions": """
        dataset VARCHAR NOT NULL, row_id BIGINT NOT NULL, user_idx BIGINT NOT NULL,
        item_idx BIGINT NOT NULL, rating DOUBLE, timestamp BIGINT, session_id BIGINT""",
    "impressions": """
        dataset VARCHAR NOT NULL, request_id BIGINT, user_idx BIGINT NOT NULL,
        item_idx BIGINT NOT NULL, position INTEGER, clicked BOOLEAN, relevance DOUBLE,
        examination DOUBLE, timestamp BIGINT""",
    "splits": """
        dataset VARCHAR NOT NULL, name VARCHAR NOT NULL, spec JSON, created_at TIMESTAMP NOT NULL,
        PRIMARY KEY (dataset, name)""",
    "split_rows": """
        dataset VARCHAR NOT NULL, split_name VARCHAR NOT NULL, row_id BIGINT NOT NULL,
        part VARCHAR NOT NULL""",
    "runs": """
        run_id VARCHAR PRIMARY KEY, dataset VARCHAR NOT NULL, split_name VARCHAR, model VARCHAR,
        config JSON, seed BIGINT, status VARCHAR, metrics JSON, train_seconds DOUBLE,
        created_at TIMESTAMP, finished_at TIMESTAMP, artifact_dir VARCHAR""",
}
#: Tables holding one dataset's rows, keyed by their ``dataset`` column (deleted with the dataset).
_DATASET_TABLES: tuple[str, ...] = ("users", "items", "interactions", "impressions", "split_rows")
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
    ),
}
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
_LOCK_MESSAGE = "Could not set lock"
_OTHER_MODE_MESSAGE = "different configuration"
_STAGED = "recscope_staged"


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


def default_db_path() -> Path:
    """``$RECSCOPE_DB`` if set, else ``<repo>/data/recsys.duckdb``."""
    configured = os.environ.get(DB_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "data" / "recsys.duckdb"


def resolve_path(path: Path | None = None) -> Path:
    """The database file an operation uses: ``path`` if given, else ``default_db_path()``."""
    return Path(path) if path is not None else default_db_path()


def database_stamp(path: Path | None = None) -> tuple[str, int, int, int, int]:
    """A cheap version stamp of the whole database: path, then mtime (ns) and size of the file
    and of its write-ahead log. Any committed write, from this or another process, changes it, so
    the app's caches key on it instead of opening a connection on every rerun."""
    db = resolve_path(path)
    parts: list[int] = []
    for file in (db, db.with_name(db.name + ".wal")):
        try:
            info = file.stat()
        except FileNotFoundError:
            parts += [0, 0]
        else:
            parts += [info.st_mtime_ns, info.st_size]
    return (str(db), *parts)  # type: ignore[return-value]


@contextmanager
def connect(
    path: Path | None = None, *, read_only: bool = False, timeout_s: float = 5.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the database for one operation, inside one transaction, and close it afterwards.

    The schema is created if missing. The body runs between BEGIN and COMMIT; any exception rolls
    back, so the database is left as it was. The body must not COMMIT or ROLLBACK itself.

    Args:
        path: database file; default ``default_db_path()``.
        read_only: open without write access (a missing file is not created: the body then sees an
            empty in-memory database with the schema).
        timeout_s: how long to retry while another process holds the file.

    Yields:
        The open connection (use ``con.cursor()`` per thread).

    Raises:
        StoreLockedError: another process kept the file locked for ``timeout_s``.
        DataError: the file was written by a newer RecScope (schema version too new).
    """
    db_path = resolve_path(path)
    con = _open(db_path, read_only=read_only, timeout_s=timeout_s)
    try:
        con.begin()
        try:
            yield con
        except BaseException:
            con.rollback()
            raise
        con.commit()
    finally:
        con.close()


def _open(db_path: Path, *, read_only: bool, timeout_s: float) -> duckdb.DuckDBPyConnection:
    if read_only and not db_path.exists():
        con = duckdb.connect(":memory:")
        _ensure_schema(con, db_path)
        return con
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    delay = 0.02
    while True:
        try:
            con = duckdb.connect(str(db_path), read_only=read_only)
        except duckdb.ConnectionException as exc:
            if _OTHER_MODE_MESSAGE not in str(exc):
                raise
            if read_only:
                # This process already has the file open for writing; read through that instance.
                read_only = False
                continue
            reason = f"a read-only connection in this process ({exc})"
        except duckdb.IOException as exc:
            if _LOCK_MESSAGE not in str(exc):
                raise
            reason = f"another process ({exc})"
        else:
            if read_only and not _has_schema(con):
                con.close()
                with connect(db_path, timeout_s=max(deadline - time.monotonic(), 0.0)):
                    pass
                continue
            try:
                _ensure_schema(con, db_path, create=not read_only)
            except BaseException:
                con.close()
                raise
            return con
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise StoreLockedError(
                f"another RecScope process holds {db_path} (held by {reason}) and did not release "
                f"it within {timeout_s:.1f} s; close the other app/CLI using it, or wait and retry"
            )
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 0.25)


def _fetch_one(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> tuple[Any, ...] | None:
    """The first row of a query, fetched fully (an unfinished result blocks the connection)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def _has_schema(con: duckdb.DuckDBPyConnection) -> bool:
    found = _fetch_one(
        con,
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
        ["schema_version"],
    )
    return bool(found and found[0])


def _ensure_schema(con: duckdb.DuckDBPyConnection, db_path: Path, *, create: bool = True) -> None:
    """Create missing tables and refuse a database from a newer RecScope."""
    if _has_schema(con):
        row = _fetch_one(con, "SELECT max(version) FROM schema_version")
        version = row[0] if row else None
        if version is not None and version > SCHEMA_VERSION:
            raise DataError(
                f"{db_path} has schema version {version}, newer than this RecScope understands "
                f"({SCHEMA_VERSION}); upgrade RecScope, or set {DB_ENV} to another database file"
            )
    if not create:
        return
    for table, columns in _TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
    row = _fetch_one(con, "SELECT count(*) FROM schema_version")
    if not row or row[0] == 0:
        con.execute("INSERT INTO schema_version VALUES (?)", [SCHEMA_VERSION])


def write_dataset(
    frames: DatasetFrames, *, path: Path | None = None, replace: bool = False
) -> DatasetInfo:
    """Validate, index and store a dataset in one transaction.

    Validation and id mapping (``data.ingest``) happen before the database is opened; the rows are
    then bulk-inserted from Arrow. Replacing a dataset also deletes its splits (their row ids would
    no longer mean anything); runs stay, as they belong to the run registry.

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
                raise DataError(
                    f"dataset {prepared.name!r} already exists; pass replace=True to overwrite it "
                    "(its splits are deleted too) or choose another name"
                )
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
        return _read_info(con, prepared.name)


def _insert_rows(con: duckdb.DuckDBPyConnection, prepared: PreparedDataset) -> None:
    tables = {
        "users": prepared.users,
        "items": prepared.items,
        "interactions": prepared.interactions,
        "impressions": prepared.impressions,
    }
    for table, data in tables.items():
        _insert_arrow(con, table, _COLUMNS[table], data, prepared.name)


def _insert_arrow(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: tuple[str, ...],
    data: pa.Table,
    dataset: str,
    extra: tuple[tuple[str, str], ...] = (),
) -> None:
    """Bulk ``INSERT ... SELECT`` from an Arrow table; ``extra`` binds constant columns."""
    if data.num_rows == 0:
        return
    names = ", ".join(("dataset", *(c for c, _ in extra), *columns))
    placeholders = ", ".join("?" for _ in range(1 + len(extra)))
    con.register(_STAGED, data)
    try:
        con.execute(
            f"INSERT INTO {table} ({names}) SELECT {placeholders}, {', '.join(columns)} "
            f"FROM {_STAGED}",
            [dataset, *(value for _, value in extra)],
        )
    finally:
        con.unregister(_STAGED)


def _dataset_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = _fetch_one(con, "SELECT count(*) FROM datasets WHERE name = ?", [name])
    return bool(row and row[0])


def _dataset_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT name FROM datasets ORDER BY name").fetchall()]


def _require_dataset(con: duckdb.DuckDBPyConnection, name: str) -> None:
    if not _dataset_exists(con, name):
        names = _dataset_names(con)
        stored = ", ".join(map(repr, names)) if names else "none yet"
        raise DataError(
            f"no dataset named {name!r} in the store (stored: {stored}); import it first or pick "
            "one of those"
        )


def _delete_rows(con: duckdb.DuckDBPyConnection, name: str) -> None:
    for table in _DATASET_TABLES:
        con.execute(f"DELETE FROM {table} WHERE dataset = ?", [name])
    con.execute("DELETE FROM splits WHERE dataset = ?", [name])
    con.execute("DELETE FROM datasets WHERE name = ?", [name])


def _read_info(con: duckdb.DuckDBPyConnection, name: str) -> DatasetInfo:
    _require_dataset(con, name)
    row = _fetch_one(con, f"SELECT {_INFO_COLUMNS} FROM datasets WHERE name = ?", [name])
    assert row is not None  # guaranteed by _require_dataset in the same transaction
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
        return _read_info(con, name)


def list_datasets(path: Path | None = None) -> list[DatasetInfo]:
    """Every stored dataset, sorted by name."""
    with connect(path, read_only=True) as con:
        rows = con.execute(f"SELECT {_INFO_COLUMNS} FROM datasets ORDER BY name").fetchall()
    return [_info_from_row(row) for row in rows]


def load_dataset(name: str, *, path: Path | None = None) -> Dataset:
    """Read a stored dataset into memory.

    Returns:
        ``Dataset`` with users/items indexed 0..U-1 / 0..I-1 and interactions sorted by row_id
        (rating float with NaN, timestamp and session_id nullable Int64).
    """
    with connect(path, read_only=True) as con:
        info = _read_info(con, name)
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


def _read_table(con: duckdb.DuckDBPyConnection, table: str, name: str) -> pd.DataFrame:
    columns = ", ".join(_COLUMNS[table])
    return con.execute(
        f"SELECT {columns} FROM {table} WHERE dataset = ? ORDER BY {_ORDER_BY[table]}", [name]
    ).df()


def delete_dataset(name: str, path: Path | None = None) -> None:
    """Delete a dataset with its splits (runs stay: they belong to the run registry)."""
    with connect(path) as con:
        _require_dataset(con, name)
        _delete_rows(con, name)


def save_split(
    dataset: str,
    name: str,
    spec: dict[str, Any],
    parts: Mapping[str, IntArray],
    *,
    path: Path | None = None,
    replace: bool = False,
) -> None:
    """Store a split of ``dataset`` as the interaction row ids of each part.

    Args:
        dataset: a stored dataset.
        name: the split's name (unique per dataset).
        spec: how it was made (strategy, fractions, seed), stored as JSON and shown in the app.
        parts: row ids per part; keys among ``train``, ``valid``, ``test``; parts are disjoint.
        path: database file; default ``default_db_path()``.
        replace: overwrite a split of the same name.

    Raises:
        DataError: unknown dataset, bad part names, row ids out of range or in two parts, a spec
            that is not JSON, or an existing name without ``replace``.
    """
    check_dataset_name(name)
    spec_json = _dump_spec(spec)
    unknown = sorted(set(parts) - set(SPLIT_PARTS))
    if unknown:
        raise DataError(f"split parts {unknown} are not among {list(SPLIT_PARTS)}; rename them")
    rows = _split_rows_table(parts)
    created_at = datetime.now(UTC).replace(tzinfo=None)
    with connect(path) as con:
        info = _read_info(con, dataset)
        row_ids = rows.column("row_id").to_numpy()
        if row_ids.size and (row_ids.min() < 0 or row_ids.max() >= info.n_interactions):
            raise DataError(
                f"split {name!r} has row ids outside 0..{info.n_interactions - 1} of {dataset!r}; "
                "build it from this dataset's interactions"
            )
        exists = _fetch_one(
            con, "SELECT count(*) FROM splits WHERE dataset = ? AND name = ?", [dataset, name]
        )
        if exists and exists[0]:
            if not replace:
                raise DataError(
                    f"split {name!r} of {dataset!r} already exists; pass replace=True or choose "
                    "another name"
                )
            _delete_split(con, dataset, name)
        con.execute(
            "INSERT INTO splits (dataset, name, spec, created_at) VALUES (?, ?, ?, ?)",
            [dataset, name, spec_json, created_at],
        )
        _insert_arrow(con, "split_rows", ("row_id", "part"), rows, dataset, (("split_name", name),))


def _dump_spec(spec: dict[str, Any]) -> str:
    try:
        return json.dumps(spec, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"split spec cannot be stored as JSON ({exc}); use str/int/float/bool/list/dict values"
        ) from exc


def _split_rows_table(parts: Mapping[str, IntArray]) -> pa.Table:
    present = [p for p in SPLIT_PARTS if p in parts]
    ids = [np.asarray(parts[p], dtype=np.int64).ravel() for p in present]
    labels = [np.full(len(a), p, dtype=object) for p, a in zip(present, ids, strict=True)]
    row_id = np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
    part = np.concatenate(labels) if labels else np.empty(0, dtype=object)
    unique, counts = np.unique(row_id, return_counts=True)
    if (counts > 1).any():
        repeated = unique[counts > 1][:5].tolist()
        raise DataError(
            f"split rows {repeated} appear more than once (within or across parts); parts must be "
            "disjoint sets of row ids"
        )
    return pa.table({"row_id": pa.array(row_id), "part": pa.array(part, type=pa.string())})


def _delete_split(con: duckdb.DuckDBPyConnection, dataset: str, name: str) -> None:
    con.execute("DELETE FROM split_rows WHERE dataset = ? AND split_name = ?", [dataset, name])
    con.execute("DELETE FROM splits WHERE dataset = ? AND name = ?", [dataset, name])


def load_split(
    dataset: str, name: str, *, path: Path | None = None
) -> tuple[dict[str, Any], dict[str, IntArray]]:
    """Read a split back.

    Returns:
        ``(spec, parts)``: the stored spec and sorted row ids for every part in ``SPLIT_PARTS``
        (an empty array for a part that has no rows).

    Raises:
        DataError: unknown dataset or split (the message lists what exists).
    """
    with connect(path, read_only=True) as con:
        _require_dataset(con, dataset)
        row = _fetch_one(
            con, "SELECT spec FROM splits WHERE dataset = ? AND name = ?", [dataset, name]
        )
        if row is None:
            names = _split_names(con, dataset)
            stored = ", ".join(map(repr, names)) if names else "none yet"
            raise DataError(
                f"dataset {dataset!r} has no split {name!r} (stored: {stored}); create it first"
            )
        rows = con.execute(
            "SELECT row_id, part FROM split_rows WHERE dataset = ? AND split_name = ? "
            "ORDER BY row_id",
            [dataset, name],
        ).fetchnumpy()
    part = np.asarray(rows["part"], dtype=object)
    row_id = np.asarray(rows["row_id"], dtype=np.int64)
    parts = {p: row_id[part == p] for p in SPLIT_PARTS}
    return json.loads(row[0]) if row[0] else {}, parts


def _split_names(con: duckdb.DuckDBPyConnection, dataset: str) -> list[str]:
    rows = con.execute(
        "SELECT name FROM splits WHERE dataset = ? ORDER BY name", [dataset]
    ).fetchall()
    return [r[0] for r in rows]


def list_splits(dataset: str, path: Path | None = None) -> list[str]:
    """Names of the splits stored for ``dataset``, sorted."""
    with connect(path, read_only=True) as con:
        _require_dataset(con, dataset)
        return _split_names(con, dataset)
