"""The DuckDB file: where it is, one connection per operation, and the schema its owners declare.

DuckDB lets one process write, and a reader in another process blocks writers, so nothing here
holds the database open while idle: ``connect()`` opens a connection for one operation, runs it in
a single transaction, and closes. When another process holds the file, it retries for a few
seconds and then raises ``StoreLockedError``. Before a process first opens a database file, the
hooks of ``hooks.on_first_open`` run (the run registry cleans up there after killed processes).

Tables are declared by the modules that own them (``declare_table``): the data tables by
``store.datasets`` and ``store.splits``, the runs table by ``recsys_core.registry.schema``. Each
declaration carries its DDL at ``SCHEMA_VERSION`` and the migrations that bring an older database
up to it; opening a database creates the declared tables that are missing and upgrades an older
one in place, in one transaction. A database written by a newer RecScope is refused.

The file is ``$RECSCOPE_DB`` if set, else ``<repo>/data/recsys.duckdb``. All SQL binds values as
parameters; table and column names come only from declarations. Do not nest ``connect()`` calls
for writing: each opens its own transaction.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from recsys_core.data.store.hooks import run_first_open_hooks
from recsys_core.errors import ConfigError, DamagedArtifactError, DataError, StoreLockedError

#: Version of the declared tables; a database written by a newer RecScope is refused.
SCHEMA_VERSION = 2
#: Environment variable that points at the database file.
DB_ENV = "RECSCOPE_DB"
#: The one-row table that records the schema version of a database file.
VERSION_TABLE = "schema_version"

#: Brings one table from the previous schema version to the next, inside the upgrade transaction.
Migration = Callable[[duckdb.DuckDBPyConnection], None]

#: What the app tells a person when ``StoreLockedError`` ends a page's run (another process held
#: the database longer than a connection waits); the page then runs again after a moment.
BUSY_NOTICE = "The database is busy (another process is writing); retrying…"

_LOCK_MESSAGE = "Could not set lock"
#: What DuckDB says when a file is not a DuckDB database, or a damaged one.
_DAMAGE_MESSAGES = (
    "not a valid DuckDB database file",
    "Corrupt database file",
    "Could not read enough bytes",
)
_OTHER_MODE_MESSAGE = "different configuration"
_STAGED = "recscope_staged"


@dataclass(frozen=True)
class Table:
    """A table of the database, declared by the module that owns it.

    Attributes:
        name: the table's name.
        columns: its column definitions at ``SCHEMA_VERSION`` (the body of ``CREATE TABLE``).
        owned_by_dataset: rows carry a ``dataset`` column and are deleted with their dataset.
        migrations: schema version -> the function that upgrades this table to it from the
            version before (only for tables that changed).
    """

    name: str
    columns: str
    owned_by_dataset: bool = False
    migrations: Mapping[int, Migration] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _IDENTIFIER.fullmatch(self.name):
            raise ConfigError(f"table name {self.name!r} is not a plain lower-case identifier")


_DECLARED: dict[str, Table] = {}
#: What a table name may be: it is spliced into SQL, so only plain identifiers pass.
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def table_identifier(name: str) -> str:
    """A declared table's name, double-quoted for SQL; anything not on the allow-list (the
    declared tables and the version table) raises, so no value ever reaches SQL text."""
    if name != VERSION_TABLE and name not in _DECLARED:
        raise ConfigError(f"{name!r} is not a declared table of the RecScope database")
    return f'"{name}"'


def declare_table(table: Table) -> Table:
    """Add ``table`` to the schema every ``connect()`` ensures; declaring it again is a no-op.

    Raises:
        ConfigError: another declaration already uses the name with different columns.
    """
    known = _DECLARED.get(table.name)
    if known is not None and known.columns != table.columns:
        raise ConfigError(
            f"table {table.name!r} is declared twice with different columns; keep one declaration"
        )
    _DECLARED.setdefault(table.name, table)
    return _DECLARED[table.name]


def declared_tables() -> tuple[Table, ...]:
    """Every declared table, in declaration order (the version table first)."""
    return tuple(_DECLARED.values())


declare_table(Table(VERSION_TABLE, "version INTEGER NOT NULL"))


def default_db_path() -> Path:
    """``$RECSCOPE_DB`` if set, else ``<repo>/data/recsys.duckdb``."""
    configured = os.environ.get(DB_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "data" / "recsys.duckdb"


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

    Missing declared tables are created and an older schema is upgraded first. The body runs
    between BEGIN and COMMIT; any exception rolls back, so the database is left as it was. The body
    must not COMMIT or ROLLBACK itself.

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
        DamagedArtifactError: the file is not a DuckDB database, or a damaged one.
    """
    db_path = resolve_path(path)
    run_first_open_hooks(db_path)
    con = _open(db_path, read_only=read_only, timeout_s=timeout_s)
    try:
        con.begin()
        try:
            yield con
        except BaseException as exc:
            _raise_damage(db_path, exc)
            con.rollback()
            raise
        con.commit()
    finally:
        con.close()


def _raise_damage(db_path: Path, exc: BaseException) -> None:
    """Raise ``DamagedArtifactError`` when DuckDB failed because ``db_path`` is not a whole
    DuckDB file; return otherwise (the caller re-raises ``exc``)."""
    if not isinstance(exc, duckdb.Error) or not any(m in str(exc) for m in _DAMAGE_MESSAGES):
        return
    fix = (
        "move the file aside (RecScope then starts a new, empty database there; datasets and "
        f"runs must be loaded and trained again) or set {DB_ENV} to another database file"
    )
    first_line = str(exc).splitlines()[0]
    problem = f"is not a readable DuckDB database ({first_line})"
    raise DamagedArtifactError(db_path, problem, fix) from None


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
                _raise_damage(db_path, exc)
                raise
            reason = f"another process ({exc})"
        else:
            try:
                ready = _ensure_schema(con, db_path, create=not read_only)
            except BaseException as exc:
                con.close()
                _raise_damage(db_path, exc)
                raise
            if ready:
                return con
            # A read-only open of a file whose schema is missing or old: fix it once, then read.
            con.close()
            with connect(db_path, timeout_s=max(deadline - time.monotonic(), 0.0)):
                pass
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise StoreLockedError(
                f"another RecScope process holds {db_path} (held by {reason}) and did not release "
                f"it within {timeout_s:.1f} s; close the other app/CLI using it, or wait and retry"
            )
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 0.25)


def fetch_one(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> tuple[Any, ...] | None:
    """The first row of a query, fetched fully (an unfinished result blocks the connection)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def insert_arrow(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: tuple[str, ...],
    data: pa.Table,
    dataset: str,
    extra: tuple[tuple[str, str], ...] = (),
) -> None:
    """Bulk ``INSERT ... SELECT`` of a dataset's rows from Arrow; ``extra`` binds constant columns.

    Args:
        con: an open connection.
        table: a declared table with a ``dataset`` column.
        columns: the columns of ``data`` to insert, in order.
        data: the rows.
        dataset: the value of the ``dataset`` column.
        extra: (column, value) pairs inserted as constants on every row.
    """
    if data.num_rows == 0:
        return
    for column in ("dataset", *(c for c, _ in extra), *columns):
        if not _IDENTIFIER.fullmatch(column):
            raise ConfigError(f"column name {column!r} is not a plain lower-case identifier")
    names = ", ".join(("dataset", *(c for c, _ in extra), *columns))
    placeholders = ", ".join("?" for _ in range(1 + len(extra)))
    con.register(_STAGED, data)
    try:
        con.execute(
            f"INSERT INTO {table_identifier(table)} ({names}) "
            f"SELECT {placeholders}, {', '.join(columns)} "
            f"FROM {_STAGED}",
            [dataset, *(value for _, value in extra)],
        )
    finally:
        con.unregister(_STAGED)


@dataclass(frozen=True)
class _Plan:
    """What a write pass does to bring a database to ``SCHEMA_VERSION``."""

    create: tuple[Table, ...]
    upgrade_from: int | None


def _ensure_schema(con: duckdb.DuckDBPyConnection, db_path: Path, *, create: bool = True) -> bool:
    """Bring the schema up to date (when ``create``) in one transaction; refuse a newer one.

    Returns:
        Whether the schema is now usable; False only when ``create`` is false and the database
        needs a write pass first (missing tables or an older version).
    """
    plan = _plan(con, db_path)
    if plan is None:
        return True
    if not create:
        return False
    con.begin()
    try:
        for table in plan.create:
            con.execute(f"CREATE TABLE {table_identifier(table.name)} ({table.columns})")
        if plan.upgrade_from is not None:
            _upgrade(con, plan.upgrade_from, {t.name for t in plan.create})
        version_table = table_identifier(VERSION_TABLE)
        con.execute(f"DELETE FROM {version_table}")
        con.execute(f"INSERT INTO {version_table} VALUES (?)", [SCHEMA_VERSION])
    except BaseException:
        con.rollback()
        raise
    con.commit()
    return True


def _plan(con: duckdb.DuckDBPyConnection, db_path: Path) -> _Plan | None:
    """The work a database needs, or None when it is current.

    An older database is upgraded only when every table in it is declared in this process, so
    that no table is stamped with a version its migrations never reached. Otherwise (a process
    that loaded only some owners, e.g. the data layer without the run registry) the database is
    used as it is, provided none of the declared tables has a migration pending.
    """
    existing = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        ).fetchall()
    }
    version = None
    if VERSION_TABLE in existing:
        row = fetch_one(con, f"SELECT max(version) FROM {VERSION_TABLE}")
        version = row[0] if row else None
    if version is not None and version > SCHEMA_VERSION:
        raise DataError(
            f"{db_path} has schema version {version}, newer than this RecScope understands "
            f"({SCHEMA_VERSION}); upgrade RecScope, or set {DB_ENV} to another database file"
        )
    missing = tuple(t for t in _DECLARED.values() if t.name not in existing)
    if version is None or version == SCHEMA_VERSION:
        return _Plan(create=missing, upgrade_from=None) if missing or version is None else None
    unknown = sorted(existing - set(_DECLARED))
    if not unknown:
        return _Plan(create=missing, upgrade_from=version)
    pending = [
        t.name
        for t in _DECLARED.values()
        if t.name in existing and any(v > version for v in t.migrations)
    ]
    if pending or missing:
        raise DataError(
            f"{db_path} has schema version {version}, older than this RecScope ({SCHEMA_VERSION}); "
            f"upgrading tables {pending + [t.name for t in missing]} needs the declarations of "
            f"tables {unknown} too, which this process has not loaded: open the database once "
            "from the app or the CLI (they load every table), then retry"
        )
    return None


def _upgrade(con: duckdb.DuckDBPyConnection, version: int, created: set[str]) -> None:
    """Run every declared migration after ``version``, in version order (new tables skipped)."""
    for target in range(version + 1, SCHEMA_VERSION + 1):
        for table in _DECLARED.values():
            migration = table.migrations.get(target)
            if migration is not None and table.name not in created:
                migration(con)
