"""The DuckDB store: round trips, atomicity, splits, schema versions and upgrades, and
cross-process locking."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from recsys_core.data import store
from recsys_core.data.frames import DatasetFrames
from recsys_core.data.store import database
from recsys_core.errors import ConfigError, DataError, StoreLockedError


def test_round_trip_maps_ids_to_contiguous_numeric_order(
    db_path: Path, toy_frames: DatasetFrames
) -> None:
    info = store.write_dataset(toy_frames, path=db_path)
    ds = store.load_dataset("toy", path=db_path)

    assert (info.n_users, info.n_items, info.n_interactions, info.n_impressions) == (3, 3, 5, 0)
    assert info.has_ratings and info.has_timestamps and info.meta == {"note": "toy"}
    # Numeric-looking ids sort numerically (1 < 2 < 10), others lexicographically.
    assert ds.users["user_id"].tolist() == ["1", "2", "10"]
    assert ds.items["item_id"].tolist() == ["a", "b", "c"]
    assert ds.users.index.tolist() == [0, 1, 2] and ds.items.index.tolist() == [0, 1, 2]
    assert ds.users.loc[2, "age"] == 31 and ds.users.loc[2, "zip"] == "02139"
    assert pd.isna(ds.users.loc[1, "age"]) and pd.isna(ds.users.loc[1, "gender"])
    assert ds.items.loc[0, "tags"] == "funny|smart" and ds.items.loc[0, "release_ts"] == 10
    # Interactions keep input order as row_id, and ids map back to the raw ones.
    frame = ds.interactions
    assert frame["row_id"].tolist() == [0, 1, 2, 3, 4]
    assert ds.users["user_id"].to_numpy()[frame["user_idx"]].tolist() == ["1", "2", "10", "1", "10"]
    assert ds.items["item_id"].to_numpy()[frame["item_idx"]].tolist() == ["a", "b", "a", "c", "c"]
    assert frame["rating"].tolist() == [5.0, 3.0, 4.0, 1.0, 2.0]
    assert frame["timestamp"].tolist() == [100, 200, 300, 400, 500]
    assert str(frame["timestamp"].dtype) == "Int64" and str(frame["session_id"].dtype) == "Int64"
    assert frame["session_id"].isna().all()
    assert ds.impressions is None
    assert ds.fingerprint == info.fingerprint


def test_fingerprint_depends_on_content_not_row_order_of_side_tables(
    tmp_path: Path, frames_factory: Callable[..., DatasetFrames]
) -> None:
    base = store.write_dataset(frames_factory(), path=tmp_path / "a.duckdb").fingerprint
    shuffled = frames_factory()
    shuffled.users = shuffled.users.iloc[::-1].reset_index(drop=True)
    shuffled.items = shuffled.items.iloc[[2, 0, 1]].reset_index(drop=True)
    same = store.write_dataset(shuffled, path=tmp_path / "b.duckdb").fingerprint
    changed = frames_factory(rating_offset=0.5)
    other = store.write_dataset(changed, path=tmp_path / "c.duckdb").fingerprint
    assert same == base
    assert other != base


def test_existing_name_needs_replace_and_replace_drops_its_splits(
    seeded_db: Path, snapshot: Callable, frames_factory: Callable[..., DatasetFrames]
) -> None:
    before = snapshot(seeded_db)
    with pytest.raises(DataError, match="'existing' already exists; pass replace=True"):
        store.write_dataset(frames_factory("existing"), path=seeded_db)
    assert snapshot(seeded_db) == before

    info = store.write_dataset(
        frames_factory("existing", rating_offset=0.5), path=seeded_db, replace=True
    )
    assert store.load_dataset("existing", path=seeded_db).interactions["rating"].iloc[0] == 5.5
    assert info.fingerprint != before["datasets"][0][2]
    assert store.list_splits("existing", path=seeded_db) == []
    assert len(snapshot(seeded_db)["runs"]) == 1  # runs belong to the run registry


def _drop_user_10(f: DatasetFrames) -> None:
    f.users = f.users.drop(index=0)


def _repeat_item_id(f: DatasetFrames) -> None:
    f.items.loc[1, "item_id"] = "b"


def _drop_session_column(f: DatasetFrames) -> None:
    f.interactions = f.interactions.drop(columns="session_id")


def _float_user_ids(f: DatasetFrames) -> None:
    f.interactions["user_id"] = [1.0, 2.0, 10.0, 1.0, 10.0]


def _repeat_row(f: DatasetFrames) -> None:
    f.interactions.loc[4, ["user_id", "item_id", "timestamp"]] = ["1", "a", 100]


def _repeat_pair_without_timestamps(f: DatasetFrames) -> None:
    f.interactions["timestamp"] = pd.array([pd.NA] * 5, dtype="Int64")
    f.interactions["user_id"] = ["1", "2", "1", "1", "10"]


def _infinite_rating(f: DatasetFrames) -> None:
    f.interactions["rating"] = [1.0, np.inf, 1.0, 1.0, 1.0]


def _fractional_year(f: DatasetFrames) -> None:
    f.items["year"] = [1999.5, 1998, 2001]


def _unserialisable_meta(f: DatasetFrames) -> None:
    f.meta["bad"] = object()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_drop_user_10, r"interactions mentions ids missing from the users table.*'10'"),
        (_repeat_item_id, r"items.item_id repeats ids \(rows 1, 2"),
        (_drop_session_column, r"missing columns \['session_id'\]"),
        (_float_user_ids, r"interactions.user_id has dtype float64"),
        (_repeat_row, r"repeat the same \(user, item, timestamp\) in rows 1, 5"),
        (_repeat_pair_without_timestamps, r"rows 1, 3 .*user '1', item 'a'"),
        (_infinite_rating, r"interactions.rating is infinite in row 2"),
        (_fractional_year, r"items.year must be whole numbers; row 1"),
        (_unserialisable_meta, r"meta cannot be stored as JSON"),
    ],
)
def test_invalid_frames_are_refused_and_leave_the_database_unchanged(
    seeded_db: Path,
    snapshot: Callable,
    frames_factory: Callable[..., DatasetFrames],
    mutate: Callable[[DatasetFrames], None],
    message: str,
) -> None:
    frames = frames_factory("fresh")
    mutate(frames)
    before = snapshot(seeded_db)
    with pytest.raises(DataError, match=message):
        store.write_dataset(frames, path=seeded_db)
    assert snapshot(seeded_db) == before


def test_repeats_are_allowed_when_the_source_says_so(
    db_path: Path, toy_frames: DatasetFrames
) -> None:
    toy_frames.interactions.loc[4, ["user_id", "item_id", "timestamp"]] = ["1", "a", 100]
    toy_frames.meta["allow_repeats"] = True
    assert store.write_dataset(toy_frames, path=db_path).n_interactions == 5


def test_a_failure_during_insertion_rolls_everything_back(
    seeded_db: Path,
    snapshot: Callable,
    frames_factory: Callable[..., DatasetFrames],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_insert = store.datasets.insert_arrow

    def insert_then_fail(con, table, *args, **kwargs):  # type: ignore[no-untyped-def]
        real_insert(con, table, *args, **kwargs)
        if table == "interactions":  # users and items are already in by now
            raise OSError("disk full")

    monkeypatch.setattr(store.datasets, "insert_arrow", insert_then_fail)
    before = snapshot(seeded_db)
    with pytest.raises(OSError, match="disk full"):
        store.write_dataset(
            frames_factory("existing", rating_offset=1.0), path=seeded_db, replace=True
        )
    assert snapshot(seeded_db) == before


def test_list_info_and_delete(
    seeded_db: Path, frames_factory: Callable[..., DatasetFrames]
) -> None:
    store.write_dataset(frames_factory("another"), path=seeded_db)
    assert [i.name for i in store.list_datasets(seeded_db)] == ["another", "existing"]
    assert store.dataset_info("another", seeded_db).n_interactions == 5

    store.delete_dataset("existing", seeded_db)
    assert [i.name for i in store.list_datasets(seeded_db)] == ["another"]
    with store.connect(seeded_db, read_only=True) as con:
        leftovers = {
            table: con.execute(
                f"SELECT count(*) FROM {table} WHERE dataset = ?", ["existing"]
            ).fetchall()[0][0]
            for table in ("users", "items", "interactions", "splits", "split_rows", "runs")
        }
    assert leftovers == {
        "users": 0,
        "items": 0,
        "interactions": 0,
        "splits": 0,
        "split_rows": 0,
        "runs": 1,
    }


def test_unknown_dataset_errors_list_what_exists(seeded_db: Path) -> None:
    for call in (
        lambda: store.load_dataset("nope", path=seeded_db),
        lambda: store.dataset_info("nope", seeded_db),
        lambda: store.delete_dataset("nope", seeded_db),
        lambda: store.list_splits("nope", seeded_db),
    ):
        with pytest.raises(DataError, match=r"no dataset named 'nope'.*stored: 'existing'"):
            call()


def test_split_round_trip_and_listing(seeded_db: Path) -> None:
    parts = {"train": np.array([3, 0, 1]), "valid": np.array([2]), "test": np.array([4])}
    store.save_split("existing", "b-split", {"kind": "user", "seed": 7}, parts, path=seeded_db)
    spec, loaded = store.load_split("existing", "b-split", path=seeded_db)
    assert spec == {"kind": "user", "seed": 7}
    assert {k: v.tolist() for k, v in loaded.items()} == {
        "train": [0, 1, 3],
        "valid": [2],
        "test": [4],
    }
    assert all(v.dtype == np.int64 for v in loaded.values())
    assert store.list_splits("existing", seeded_db) == ["b-split", "holdout"]
    # A part that was not given comes back empty.
    assert store.load_split("existing", "holdout", path=seeded_db)[1]["valid"].tolist() == []


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"train": [0, 1], "test": [1, 2]}, r"split rows \[1\] appear more than once"),
        ({"train": [0, 5]}, r"row ids outside 0..4"),
        ({"train": [-1]}, r"row ids outside 0..4"),
        ({"training": [0]}, r"split parts \['training'\] are not among"),
    ],
)
def test_bad_splits_are_refused_unchanged(
    seeded_db: Path, snapshot: Callable, parts: dict, message: str
) -> None:
    before = snapshot(seeded_db)
    with pytest.raises(DataError, match=message):
        store.save_split("existing", "bad", {}, parts, path=seeded_db)
    assert snapshot(seeded_db) == before


def test_split_name_clash_unknown_split_and_replace(seeded_db: Path, snapshot: Callable) -> None:
    before = snapshot(seeded_db)
    with pytest.raises(DataError, match="split 'holdout' of 'existing' already exists"):
        store.save_split("existing", "holdout", {}, {"train": [0]}, path=seeded_db)
    assert snapshot(seeded_db) == before
    with pytest.raises(DataError, match=r"no split 'other' \(stored: 'holdout'\)"):
        store.load_split("existing", "other", path=seeded_db)
    with pytest.raises(DataError, match="no dataset named 'ghost'"):
        store.save_split("ghost", "s", {}, {"train": [0]}, path=seeded_db)

    store.save_split("existing", "holdout", {"v": 2}, {"test": [0]}, path=seeded_db, replace=True)
    spec, parts = store.load_split("existing", "holdout", path=seeded_db)
    assert spec == {"v": 2} and parts["train"].size == 0 and parts["test"].tolist() == [0]


def test_impressions_round_trip(db_path: Path, toy_frames: DatasetFrames) -> None:
    toy_frames.impressions = pd.DataFrame(
        {
            "request_id": pd.array([7, 7, 3], dtype="Int64"),
            "user_id": ["2", "2", "10"],
            "item_id": ["c", "a", "b"],
            "position": pd.array([2, 1, 1], dtype="Int64"),
            "clicked": pd.array([0, 1, 0], dtype="Int64"),
            "relevance": [0.1, 0.9, 0.5],
            "examination": [0.5, 1.0, 1.0],
            "timestamp": pd.array([10, 10, 5], dtype="Int64"),
        }
    )
    info = store.write_dataset(toy_frames, path=db_path)
    impressions = store.load_dataset("toy", path=db_path).impressions
    assert info.n_impressions == 3 and impressions is not None
    assert impressions["request_id"].tolist() == [3, 7, 7]
    assert impressions["position"].tolist() == [1, 1, 2]
    assert impressions["user_idx"].tolist() == [2, 1, 1]  # "10" -> 2, "2" -> 1
    assert impressions["item_idx"].tolist() == [1, 0, 2]
    assert impressions["clicked"].tolist() == [False, True, False]


def test_schema_is_created_and_read_only_never_creates_a_file(db_path: Path) -> None:
    assert store.list_datasets(db_path) == []
    assert not db_path.exists()
    with store.connect(db_path) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {
        "schema_version",
        "datasets",
        "users",
        "items",
        "interactions",
        "impressions",
        "splits",
        "split_rows",
        "runs",
        "run_names",
    }
    assert db_path.exists()


def test_connect_rolls_back_when_the_body_raises(db_path: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), store.connect(db_path) as con:
        con.execute("INSERT INTO runs (run_id, dataset) VALUES (?, ?)", ["r", "d"])
        raise RuntimeError("boom")
    with store.connect(db_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchall() == [(0,)]


def test_newer_schema_version_is_refused(db_path: Path) -> None:
    with store.connect(db_path) as con:
        con.execute("UPDATE schema_version SET version = ?", [store.SCHEMA_VERSION + 1])
    for read_only in (False, True):
        with pytest.raises(DataError, match="newer than this RecScope"):
            with store.connect(db_path, read_only=read_only):
                pass


def test_default_path_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(store.DB_ENV, raising=False)
    repo = Path(store.__file__).resolve().parents[3]
    assert store.default_db_path() == repo / "data" / "recsys.duckdb"
    monkeypatch.setenv(store.DB_ENV, str(tmp_path / "env.duckdb"))
    assert store.resolve_path() == tmp_path / "env.duckdb"
    assert store.resolve_path(tmp_path / "x.duckdb") == tmp_path / "x.duckdb"


def _hold_lock(path: Path) -> subprocess.Popen[str]:
    """Another process that opens ``path`` for writing and keeps it until its stdin closes."""
    code = textwrap.dedent(
        f"""
        import sys, duckdb
        con = duckdb.connect({str(path)!r})
        print("locked", flush=True)
        sys.stdin.read()
        con.close()
        """
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_another_process_holding_the_file_raises_store_locked(seeded_db: Path) -> None:
    holder = _hold_lock(seeded_db)
    try:
        started = time.monotonic()
        with pytest.raises(StoreLockedError, match="another RecScope process holds"):
            with store.connect(seeded_db, timeout_s=0.5):
                pass
        assert 0.4 < time.monotonic() - started < 3.0
        with pytest.raises(StoreLockedError):  # readers are blocked by a writer too
            with store.connect(seeded_db, read_only=True, timeout_s=0.2):
                pass
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)


def test_waits_for_a_lock_released_within_the_timeout(seeded_db: Path) -> None:
    holder = _hold_lock(seeded_db)
    assert holder.stdin is not None
    threading.Timer(0.5, holder.stdin.close).start()
    try:
        assert [i.name for i in store.list_datasets(seeded_db)] == ["existing"]
    finally:
        holder.wait(timeout=10)


def test_read_inside_a_write_in_the_same_process(seeded_db: Path) -> None:
    # DuckDB refuses a read-only open while this process holds the file read-write; the store
    # falls back to the shared read-write instance instead of failing.
    with store.connect(seeded_db) as con:
        con.execute("SELECT 1").fetchall()
        assert store.dataset_info("existing", seeded_db).n_users == 3


def test_read_only_open_of_a_file_without_schema_creates_it_first(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    duckdb.connect(str(db_path)).close()  # an empty DuckDB file, e.g. made by another tool
    assert store.list_datasets(db_path) == []
    with store.connect(db_path, read_only=True) as con:
        assert con.execute("SELECT version FROM schema_version").fetchall() == [(2,)]


def test_database_stamp_changes_on_every_committed_write_and_only_then(
    db_path: Path, frames_factory: Callable[..., DatasetFrames]
) -> None:
    missing = store.database_stamp(db_path)
    assert missing[1:] == (0, 0, 0, 0)
    store.write_dataset(frames_factory("one"), path=db_path)
    after_write = store.database_stamp(db_path)
    assert after_write != missing
    store.list_datasets(path=db_path)
    assert store.database_stamp(db_path) == after_write, "a read must not change the stamp"
    store.save_split("one", "s", {"kind": "user"}, {"train": np.array([0]), "test": np.array([1])},
                     path=db_path)  # fmt: skip
    assert store.database_stamp(db_path) != after_write


@pytest.fixture
def declared(monkeypatch: pytest.MonkeyPatch) -> dict[str, store.Table]:
    """A private table-declaration registry holding only the version table; tests add to it."""
    tables = {database.VERSION_TABLE: database._DECLARED[database.VERSION_TABLE]}
    monkeypatch.setattr(database, "_DECLARED", tables)
    return tables


def _add_n(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ALTER TABLE notes ADD COLUMN n INTEGER DEFAULT 7")


def _old_notes_db(db_path: Path, declared: dict[str, store.Table]) -> None:
    """A database one version behind whose ``notes`` table lacks the column ``n``."""
    store.declare_table(store.Table("notes", "body VARCHAR"))
    with store.connect(db_path) as con:
        con.execute("INSERT INTO notes VALUES (?)", ["hello"])
        con.execute("UPDATE schema_version SET version = ?", [store.SCHEMA_VERSION - 1])
    declared["notes"] = store.Table(
        "notes", "body VARCHAR, n INTEGER DEFAULT 7", migrations={store.SCHEMA_VERSION: _add_n}
    )


def _version_and_notes(db_path: Path) -> tuple[int, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        version = con.execute("SELECT version FROM schema_version").fetchall()[0][0]
        return version, con.execute("SELECT * FROM notes").fetchall()
    finally:
        con.close()


def test_an_older_database_is_upgraded_in_place_even_by_a_reader(
    db_path: Path, declared: dict[str, store.Table]
) -> None:
    _old_notes_db(db_path, declared)
    with store.connect(db_path, read_only=True) as con:
        assert con.execute("SELECT body, n FROM notes").fetchall() == [("hello", 7)]
    assert _version_and_notes(db_path) == (store.SCHEMA_VERSION, [("hello", 7)])


def test_a_failing_migration_leaves_the_database_as_it_was(
    db_path: Path, declared: dict[str, store.Table]
) -> None:
    _old_notes_db(db_path, declared)

    def add_then_fail(con: duckdb.DuckDBPyConnection) -> None:
        _add_n(con)
        raise OSError("disk full")

    declared["notes"] = replace(declared["notes"], migrations={store.SCHEMA_VERSION: add_then_fail})
    with pytest.raises(OSError, match="disk full"), store.connect(db_path):
        pass
    assert _version_and_notes(db_path) == (store.SCHEMA_VERSION - 1, [("hello",)])


def test_an_older_database_with_tables_this_process_does_not_know(
    db_path: Path, declared: dict[str, store.Table]
) -> None:
    _old_notes_db(db_path, declared)
    with duckdb.connect(str(db_path)) as con:
        con.execute("CREATE TABLE others (x INTEGER)")
    # notes needs its migration, but "others" might too: nothing may be stamped current.
    with pytest.raises(DataError, match=r"declarations of tables \['others'\]"):
        with store.connect(db_path):
            pass
    # With no migration pending for what this process knows, the database is used as it is.
    declared["notes"] = store.Table("notes", "body VARCHAR")
    with store.connect(db_path, read_only=True) as con:
        assert con.execute("SELECT body FROM notes").fetchall() == [("hello",)]
    assert _version_and_notes(db_path) == (store.SCHEMA_VERSION - 1, [("hello",)])


def test_declaring_a_table_twice(declared: dict[str, store.Table]) -> None:
    first = store.declare_table(store.Table("notes", "body VARCHAR"))
    assert store.declare_table(store.Table("notes", "body VARCHAR")) is first
    with pytest.raises(ConfigError, match="'notes' is declared twice with different columns"):
        store.declare_table(store.Table("notes", "body VARCHAR, n INTEGER"))
    assert store.declared_tables() == (declared[database.VERSION_TABLE], first)


def test_check_writable_refuses_a_stored_name_unless_replacing(seeded_db: Path) -> None:
    with pytest.raises(DataError, match="'existing' already exists; pass replace=True"):
        store.check_writable("existing", path=seeded_db)
    store.check_writable("existing", replace=True, path=seeded_db)
    store.check_writable("fresh", path=seeded_db)


def test_only_declared_tables_and_plain_identifiers_reach_sql_text() -> None:
    from recsys_core.data.store.database import Table, table_identifier

    assert table_identifier("datasets") == '"datasets"'
    for bad in ("users; DROP TABLE runs", "../../etc/passwd", "not_declared"):
        with pytest.raises(ConfigError, match="not a declared table"):
            table_identifier(bad)
    with pytest.raises(ConfigError, match="not a plain lower-case identifier"):
        Table('runs"; --', "x INTEGER")
