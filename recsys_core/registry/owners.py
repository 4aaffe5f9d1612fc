"""Which process writes which run: one marker file per run in progress, named after its writer.

``start_run`` creates ``<runs dir>/.running-<run_id>.<writer tag>`` (``artifacts.writer_tag``:
host, process id, start time) before it inserts the ``running`` row, and ``finish_run`` /
``fail_run`` remove it after the row has changed. A ``running`` row whose marker names a writer
that no longer runs was therefore left by a killed process, while a run being trained by a live
process, in this process or another, is recognised as such (``registry.leftovers``). The run's
staging folder is ``<runs dir>/.staging-<run_id>``.
"""

from __future__ import annotations

from pathlib import Path

from recsys_core.artifacts import writer_tag

#: Name prefix of a run's marker file.
MARKER_PREFIX = ".running-"
#: Name prefix of the folder a run's artifacts are written to before the rename into place.
STAGING_PREFIX = ".staging-"


def staging_dir(runs_folder: Path, run_id: str) -> Path:
    """The folder ``finish_run`` writes run ``run_id``'s artifacts to before renaming it."""
    return Path(runs_folder) / f"{STAGING_PREFIX}{run_id}"


def mark_running(runs_folder: Path, run_id: str) -> None:
    """Record that this process writes run ``run_id`` (before its row is inserted)."""
    folder = Path(runs_folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{MARKER_PREFIX}{run_id}.{writer_tag()}").touch()


def unmark_running(runs_folder: Path, run_id: str, tag: str | None = None) -> None:
    """Remove the marker of run ``run_id`` by writer ``tag`` (default: this process)."""
    marker = Path(runs_folder) / f"{MARKER_PREFIX}{run_id}.{tag or writer_tag()}"
    marker.unlink(missing_ok=True)


def running_markers(runs_folder: Path) -> dict[str, list[str]]:
    """Run id -> the writer tags of its markers in ``runs_folder`` (empty when there is none)."""
    folder = Path(runs_folder)
    if not folder.is_dir():
        return {}
    found: dict[str, list[str]] = {}
    for entry in folder.iterdir():
        if entry.name.startswith(MARKER_PREFIX) and not entry.is_dir():
            run_id, dot, tag = entry.name[len(MARKER_PREFIX) :].rpartition(".")
            if dot and run_id:
                found.setdefault(run_id, []).append(tag)
    return found
