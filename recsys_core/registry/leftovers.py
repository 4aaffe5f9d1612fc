"""Clean up after killed processes: runs left ``running``, staging folders, temporary files.

A process killed with SIGKILL (or a server stopped while a background job trains) runs no
cleanup. The database itself needs none (every write is one DuckDB transaction), but a training
leaves its run ``running`` with a marker naming its writer (``registry.owners``), perhaps its
staging folder ``.staging-<run_id>`` or, killed between the rename and the row's update, a whole
run folder; an atomic write leaves its temporary file (``artifacts.temporary_path``).

``clean_leftovers`` marks ``failed`` every ``running`` run whose writer no longer runs and
removes its staging folder, its run folder and its marker, then removes staging folders and
temporary files whose writer is gone. Whatever a live process is writing, in this process or
another, is left alone: what names its writer is judged by that writer, what does not (files of
an older RecScope, or of another host sharing the folder) only by age. Importing the registry
registers it with ``store.on_first_open``, so every process that works with runs (the CLI, the
app, a script) cleans up once, before it first opens a database file.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recsys_core.artifacts import temporary_writer, writer_alive
from recsys_core.data import store
from recsys_core.registry.owners import (
    MARKER_PREFIX,
    STAGING_PREFIX,
    running_markers,
    staging_dir,
    unmark_running,
)
from recsys_core.registry.runs import runs_dir

#: Age (s) after which a staging folder or temporary file that names no writer is abandoned:
#: far longer than any single write takes.
GRACE_S = 600.0
#: Age (s) after which a ``running`` run whose writer cannot be checked (an older RecScope's,
#: or another host's) counts as abandoned: longer than any training takes.
UNOWNED_RUN_S = 86_400.0
#: How long the clean-up waits for another process's lock before leaving it for later.
LOCK_WAIT_S = 0.5


@dataclass(frozen=True)
class Leftovers:
    """What one clean-up did.

    Attributes:
        failed_runs: runs that were ``running`` for a writer that is gone, now ``failed``.
        removed: staging folders, run folders, markers and temporary files removed.
    """

    failed_runs: tuple[str, ...] = ()
    removed: tuple[Path, ...] = ()

    def summary(self) -> str:
        """One line for a person: what was cleaned up, or that nothing was."""
        if not self.failed_runs and not self.removed:
            return "no leftovers of interrupted processes"
        done = []
        if self.failed_runs:
            done.append(f"marked {len(self.failed_runs)} interrupted run(s) failed")
        if self.removed:
            done.append(f"removed {len(self.removed)} leftover file(s)")
        return "cleaned up after interrupted processes: " + "; ".join(done)


def clean_leftovers(
    path: Path | None = None, *, grace_s: float = GRACE_S, lock_wait_s: float = LOCK_WAIT_S
) -> Leftovers:
    """Mark the runs of killed writers ``failed`` and remove what killed writers left.

    Args:
        path: the database file; default ``store.default_db_path()``. A missing file is left
            missing (nothing has been written there yet).
        grace_s: age after which a staging folder or temporary file naming no writer goes.
        lock_wait_s: how long to wait while another process holds the database.

    Returns:
        What was cleaned up.

    Raises:
        StoreLockedError: another process held the database for ``lock_wait_s``.
    """
    db = store.resolve_path(path)
    folder = runs_dir(db)
    if not db.exists():
        return Leftovers()
    markers = running_markers(folder)
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.connect(db, read_only=True, timeout_s=lock_wait_s) as con:
        running = con.execute(
            "SELECT run_id, created_at, artifact_dir FROM runs WHERE status = 'running'"
        ).fetchall()
    gone = {
        run_id: artifact_dir
        for run_id, created_at, artifact_dir in running
        if _writers_gone(markers.get(run_id, []), now - created_at)
    }
    failed: list[str] = []
    if gone:
        with store.connect(db, timeout_s=lock_wait_s) as con:
            for run_id in gone:
                rows = con.execute(
                    "UPDATE runs SET status = 'failed', finished_at = ? "
                    "WHERE run_id = ? AND status = 'running' RETURNING run_id",
                    [now, run_id],
                ).fetchall()
                failed += [row[0] for row in rows]
    removed: list[Path] = []
    for run_id in failed:
        removed += _remove(staging_dir(folder, run_id), *_run_folder(folder, gone[run_id]))
    removed += _dead_markers(folder, markers, set(failed))
    removed += _dead_staging(folder, markers, grace_s)
    removed += _remove(*(file for file in _temporary_files(folder) if _abandoned(file, grace_s)))
    return Leftovers(tuple(failed), tuple(removed))


def _run_folder(folder: Path, artifact_dir: str | None) -> list[Path]:
    """The folder of a run in ``folder``: only a plain name counts, so that a damaged row can
    never point the clean-up elsewhere."""
    if not artifact_dir or Path(artifact_dir).name != artifact_dir or artifact_dir in (".", ".."):
        return []
    return [folder / artifact_dir]


def _writers_gone(tags: list[str], age: timedelta) -> bool:
    """Whether a ``running`` run of this age, with markers by ``tags``, has no live writer."""
    alive = [writer_alive(tag) for tag in tags]
    if tags and all(state is False for state in alive):
        return True
    return (not tags or None in alive) and True not in alive and age.total_seconds() > UNOWNED_RUN_S


def _remove(*paths: Path) -> list[Path]:
    """Remove each existing folder or file (a link itself, never its target); the removed ones."""
    done: list[Path] = []
    for target in paths:
        if target.is_symlink() or target.is_file():
            target.unlink(missing_ok=True)
        elif target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            continue
        done.append(target)
    return done


def _dead_markers(folder: Path, markers: dict[str, list[str]], failed: set[str]) -> list[Path]:
    """Remove the markers whose writer is gone (of failed runs, or left before or after a row
    changed); the removed marker files."""
    done: list[Path] = []
    for run_id, tags in markers.items():
        for tag in tags:
            if writer_alive(tag) is False or (run_id in failed and writer_alive(tag) is None):
                unmark_running(folder, run_id, tag)
                done.append(folder / f"{MARKER_PREFIX}{run_id}.{tag}")
    return done


def _dead_staging(folder: Path, markers: dict[str, list[str]], grace_s: float) -> list[Path]:
    """Remove staging folders whose writer is gone, or that name none and are older than
    ``grace_s``; the removed folders."""
    if not folder.is_dir():
        return []
    done: list[Path] = []
    for entry in folder.iterdir():
        if not entry.name.startswith(STAGING_PREFIX) or not entry.is_dir() or entry.is_symlink():
            continue
        alive = [writer_alive(tag) for tag in markers.get(entry.name[len(STAGING_PREFIX) :], [])]
        if (alive and all(state is False for state in alive)) or (
            True not in alive and _age(entry) > grace_s
        ):
            done += _remove(entry)
    return done


def _temporary_files(folder: Path) -> Iterator[Path]:
    """Hidden ``*.tmp`` files anywhere under ``folder`` (links to folders are not entered)."""
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(STAGING_PREFIX)]
        for name in files:
            if name.startswith(".") and name.endswith(".tmp"):
                yield Path(root) / name


def _abandoned(file: Path, grace_s: float) -> bool:
    """Whether a temporary file's writer is gone, or it names none and is older than grace."""
    tag = temporary_writer(file)
    alive = writer_alive(tag) if tag is not None else None
    return alive is False or (alive is None and _age(file) > grace_s)


def _age(target: Path) -> float:
    """Seconds since ``target`` last changed (0 when it has just gone)."""
    try:
        return time.time() - target.lstat().st_mtime
    except FileNotFoundError:
        return 0.0


def _clean_on_first_open(db_path: Path) -> None:
    """The ``store.on_first_open`` hook: clean up before a process first opens ``db_path``."""
    clean_leftovers(db_path)


store.on_first_open(_clean_on_first_open)
