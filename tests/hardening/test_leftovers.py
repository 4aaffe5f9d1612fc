"""Cleaning up after killed processes: writer tags, the clean-up of runs, staging folders and
temporary files, and the hook that runs it before a process first opens a database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from recsys_core.artifacts import (
    temporary_path,
    temporary_writer,
    write_parquet_atomic,
    writer_alive,
    writer_tag,
)
from recsys_core.data import store
from recsys_core.data.store import hooks
from recsys_core.errors import StoreLockedError
from recsys_core.models import get_model_class
from recsys_core.registry import clean_leftovers, runs
from recsys_core.registry.leftovers import GRACE_S, UNOWNED_RUN_S
from recsys_core.registry.owners import MARKER_PREFIX, running_markers, staging_dir

HOUR = 3_600.0


@pytest.fixture(scope="module")
def dead_tag() -> str:
    """The writer tag of a process that has exited."""
    done = subprocess.run(
        [sys.executable, "-c", "from recsys_core.artifacts import writer_tag; print(writer_tag())"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip()


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "recsys.duckdb"
    with store.connect(path):
        pass
    return path


def _start(db: Path) -> str:
    """A ``running`` run of this process (its marker names this process)."""
    model = get_model_class("popularity")()
    return runs.start_run("toy", "split", model, {"name": "p"}, path=db)


def _hand_over(db: Path, run_id: str, tag: str) -> None:
    """Make ``run_id``'s marker name writer ``tag`` instead of this process."""
    folder = runs.runs_dir(db)
    (folder / f"{MARKER_PREFIX}{run_id}.{writer_tag()}").rename(
        folder / f"{MARKER_PREFIX}{run_id}.{tag}"
    )


def _statuses(db: Path) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT run_id, status FROM runs").fetchall())


def _age(path: Path, seconds: float) -> None:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def test_writer_tags_tell_a_live_writer_from_a_gone_one(dead_tag: str) -> None:
    mine = writer_tag()
    host, pid, start = mine.split("-")
    assert int(pid) == os.getpid()
    assert writer_alive(mine) is True
    assert writer_alive(dead_tag) is False
    assert writer_alive(f"{host}-{pid}-{int(start) + 1}") is False  # the id reused by another
    assert writer_alive(f"00000000-{pid}-{start}") is None  # another host: unknown
    assert writer_alive("not-a-tag") is None


def test_temporary_files_are_named_after_their_writer(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.parquet"
    staging = temporary_path(target)
    assert staging.parent == target.parent and staging.name.startswith(".file.parquet.")
    assert temporary_writer(staging) == writer_tag()
    assert temporary_writer(tmp_path / ".file.parquet.0123abcd.tmp") is None  # untagged, older
    write_parquet_atomic(pd.DataFrame({"a": [1]}), target)
    assert [p.name for p in target.parent.iterdir()] == ["file.parquet"]


def test_runs_of_gone_writers_fail_and_lose_their_files_while_live_runs_stay(
    db: Path, dead_tag: str
) -> None:
    folder = runs.runs_dir(db)
    killed_in_fit, killed_after_rename, live = _start(db), _start(db), _start(db)
    for run_id in (killed_in_fit, killed_after_rename):
        _hand_over(db, run_id, dead_tag)
    staging_dir(folder, killed_in_fit).mkdir()
    (folder / killed_after_rename / "model").mkdir(parents=True)  # renamed, row not yet complete
    staging_dir(folder, live).mkdir()
    orphan = folder / f"{MARKER_PREFIX}gone-0123456789.{dead_tag}"  # killed before its row
    orphan.touch()

    done = clean_leftovers(db)

    assert set(done.failed_runs) == {killed_in_fit, killed_after_rename}
    assert _statuses(db) == {
        killed_in_fit: "failed",
        killed_after_rename: "failed",
        live: "running",
    }
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{MARKER_PREFIX}{live}.{writer_tag()}", staging_dir(folder, live).name]
    )
    assert running_markers(folder) == {live: [writer_tag()]}
    assert "marked 2 interrupted run(s) failed" in done.summary()
    assert clean_leftovers(db).summary() == "no leftovers of interrupted processes"


def test_runs_that_name_no_writer_fail_only_when_older_than_any_training(db: Path) -> None:
    old, recent = _start(db), _start(db)
    for run_id in (old, recent):
        (runs.runs_dir(db) / f"{MARKER_PREFIX}{run_id}.{writer_tag()}").unlink()  # older RecScope
    created = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=UNOWNED_RUN_S + HOUR)
    with store.connect(db) as con:
        con.execute("UPDATE runs SET created_at = ? WHERE run_id = ?", [created, old])
    assert clean_leftovers(db).failed_runs == (old,)
    assert _statuses(db) == {old: "failed", recent: "running"}


def test_staging_folders_and_temporary_files_go_when_their_writer_is_gone(
    db: Path, dead_tag: str
) -> None:
    folder = runs.runs_dir(db)
    cache = folder / "some-run" / "projections"
    cache.mkdir(parents=True)
    live = temporary_path(cache / "item.parquet")
    dead = cache / f".item.parquet.{dead_tag}.{'0' * 32}.tmp"
    old_untagged, new_untagged = cache / ".a.parquet.1.tmp", cache / ".b.parquet.2.tmp"
    old_staging, new_staging = staging_dir(folder, "old-run"), staging_dir(folder, "new-run")
    for file in (live, dead, old_untagged, new_untagged):
        file.touch()
    for staging in (old_staging, new_staging):
        (staging / "model").mkdir(parents=True)
    _age(old_untagged, GRACE_S + 60)
    _age(old_staging, GRACE_S + 60)

    removed = set(clean_leftovers(db).removed)

    assert removed == {dead, old_untagged, old_staging}
    assert all(p.exists() for p in (live, new_untagged, new_staging))


def test_a_run_folder_outside_the_runs_folder_is_never_removed(db: Path, dead_tag: str) -> None:
    run_id = _start(db)
    _hand_over(db, run_id, dead_tag)
    with store.connect(db) as con:
        con.execute("UPDATE runs SET artifact_dir = '..' WHERE run_id = ?", [run_id])
    assert clean_leftovers(db).failed_runs == (run_id,)
    assert db.exists() and runs.runs_dir(db).is_dir()


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    assert clean_leftovers(missing).summary() == "no leftovers of interrupted processes"
    assert not missing.exists()


def test_first_open_hooks_run_once_per_file_and_again_after_a_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []

    def hook(path: Path) -> None:
        calls.append(path)
        if len(calls) == 1:
            raise StoreLockedError("held by another process")

    monkeypatch.setattr(hooks, "_FIRST_OPEN_HOOKS", [])
    store.on_first_open(hook)
    store.on_first_open(hook)  # registered once
    path = tmp_path / "hooked.duckdb"
    for _ in range(3):
        with store.connect(path):
            pass
    assert calls == [path, path]


def test_a_new_process_cleans_up_before_it_first_opens_the_database(
    db: Path, dead_tag: str
) -> None:
    run_id = _start(db)
    _hand_over(db, run_id, dead_tag)
    staging_dir(runs.runs_dir(db), run_id).mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "recsys_core", "runs", "list", "--json"],
        env={**os.environ, store.DB_ENV: str(db)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert _statuses(db) == {run_id: "failed"}
    assert list(runs.runs_dir(db).iterdir()) == []
