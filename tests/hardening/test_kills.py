"""Kill campaign: ``kill -9`` of the real CLI (and of a process training through ``jobs``) at
random moments of each writing operation.

For every operation, each kill hits a fresh copy of a small prepared database (a synthetic
dataset and one BPR run) at a moment drawn from a seeded generator: the first within the first
second, the others spread over 30-90% of the operation's measured duration (one per equal
slice). After each kill the database must open and hold exactly what it held before, or the
finished new object: a listed dataset has the finished object's fingerprint and row counts, a
listed run loads and evaluates to its recorded metrics, a stored projection reads back. After
the first and the latest kill, the same command runs again on the killed copy: it must succeed,
and the next start must have cleaned up what the kill left (no run still ``running``, no
staging folder, marker or temporary file, no run folder without a complete run). This test
process never cleans up itself (``without_cleanup``): what it finds is what the subprocesses
left.

Run with ``-s`` to see the table: operation, kills, half-written objects listed, databases that
would not open, leftovers after the next start (all targets 0). It is also written as JSON to
the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import textwrap
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.server import REPO
from recsys_core.registry import list_runs
from tests.conftest import datasets_dir
from tests.hardening.conftest import (
    BASE_DATASET,
    BASE_PROTOCOL,
    BPR_OPTIONS,
    DB_NAME,
    Template,
    build_template,
    cli,
    cli_env,
)
from tests.hardening.holdings import Snapshot, half_written, leftovers, snapshot

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("without_cleanup")]

SEED = 20_261_201
#: Rows of the CSV the import operation reads.
CSV_ROWS = 300_000
#: Interactions the synthetic generation writes.
GENERATED = 400_000
#: Part of the measured duration the later kills are spread over: past most of the start-up
#: (imports take the first second or two), short of the end (a run may be quicker than the
#: measured one, e.g. once numba's cache is warm).
KILL_WINDOW = (0.3, 0.9)
#: Longest a command may take to finish (a loaded two-core machine).
COMMAND_TIMEOUT_S = 240
#: The script that trains through ``recsys_core.jobs`` as the app's Train page does, and waits.
JOB_SCRIPT = textwrap.dedent(
    f"""
    import sys
    from recsys_core import jobs
    from recsys_core.data.protocols import get_protocol

    request = jobs.TrainRequest(
        dataset={BASE_DATASET!r}, model="bpr", protocol=get_protocol({BASE_PROTOCOL!r}),
        overrides={BPR_OPTIONS!r},
    )
    snapshot = jobs.start_training_job(request).wait()
    print(snapshot.status, snapshot.error or "", file=sys.stderr)
    sys.exit(0 if snapshot.status == "complete" else 1)
    """
)


@dataclass(frozen=True)
class Operation:
    """A writing command and how many times it is killed."""

    name: str
    argv: list[str]
    kills: int
    #: The dataset it writes (None for operations writing runs or projections).
    dataset: str | None = None
    #: The row counts its finished dataset must have (interactions, users, items), if known.
    expected_rows: tuple[int, int, int] | None = None


@dataclass
class Tally:
    """What the kills of one operation did."""

    operation: str
    kills: int = 0
    #: Kills after which the copy held what it held before, or the finished new object.
    held_before: int = 0
    held_finished: int = 0
    finished_before_kill: int = 0
    half_written_listed: int = 0
    db_would_not_open: int = 0
    leftovers_after_kill: int = 0
    leftovers_after_restart: int = 0
    restarts_failed: int = 0
    seconds: float = 0.0
    #: When each process was killed (s after its start) and its measured duration.
    moments: list[float] = field(default_factory=list)
    duration: float = 0.0
    problems: list[str] = field(default_factory=list)


def test_kill_campaign(tmp_path: Path) -> None:
    started = time.monotonic()
    template = build_template(tmp_path / "template", n_runs=1)
    csv = _write_csv(tmp_path / "interactions.csv")
    before = snapshot(template.db)
    operations = _operations(template, csv)
    rng = np.random.default_rng(SEED)
    tallies = [_campaign(op, template, before, tmp_path / op.name, rng) for op in operations]
    report = {"seed": SEED, "seconds": time.monotonic() - started, "operations": tallies}
    (tmp_path / "kill_campaign.json").write_text(
        json.dumps({**report, "operations": [asdict(t) for t in tallies]}, indent=2)
    )
    print(_table(tallies, report["seconds"]))
    for tally in tallies:
        assert tally.kills > 0, f"{tally.operation}: every process finished before its kill"
        assert tally.half_written_listed == 0, tally.problems
        assert tally.db_would_not_open == 0, tally.problems
        assert tally.leftovers_after_restart == 0, tally.problems
        assert tally.restarts_failed == 0, tally.problems


def _operations(template: Template, csv: Path) -> list[Operation]:
    run_id = template.run_ids[0]
    ops = []
    source = datasets_dir()
    if source is not None and (source / "ml-100k" / "u.data").is_file():
        argv = cli("datasets", "load", "ml-100k", "--source", str(source / "ml-100k"), "--replace")
        ops.append(Operation("movielens load", argv, 5, "ml-100k", (100_000, 943, 1_682)))
    ops += [
        Operation(
            "csv import",
            cli("datasets", "import", str(csv), "--name", "imported", "--replace"),
            5,
            "imported",
            (CSV_ROWS, 0, 0),
        ),
        Operation(
            "synthetic generation",
            cli(
                "datasets",
                "generate",
                "synthetic",
                "--name",
                "generated",
                "--interactions",
                str(GENERATED),
                "--seed",
                "7",
                "--replace",
            ),  # fmt: skip
            5,
            "generated",
            (GENERATED, 0, 0),
        ),
        Operation(
            "training",
            cli(
                "train",
                "--dataset",
                BASE_DATASET,
                "--model",
                "bpr",
                "--protocol",
                BASE_PROTOCOL,
                *(arg for key, value in BPR_OPTIONS.items() for arg in ("--set", f"{key}={value}")),
            ),  # fmt: skip
            5,
        ),
        Operation(
            "re-ranking save", cli("rerank", "--run", run_id, "--set", "mmr=0.5", "--save"), 4
        ),
        Operation("UMAP projection", cli("runs", "project", run_id), 3),
        Operation("app training job", [cli()[0], "-c", JOB_SCRIPT], 4),
    ]
    return ops


def _campaign(
    op: Operation, template: Template, before: Snapshot, work: Path, rng: np.random.Generator
) -> Tally:
    """Kill ``op`` ``op.kills`` times, each on a fresh copy of ``template``; check every copy."""
    tally = Tally(op.name)
    started = time.monotonic()
    first = _copy(template, work / "kill-0")
    killed = _run_killed(op, first, float(rng.uniform(0.2, 1.0)), tally)
    measured = _copy(template, work / "restart-0", source=first)
    duration = _restart(op, measured, tally)
    tally.duration = round(duration, 2)
    finished = snapshot(measured)
    _check_restart(op, measured, before, finished, tally)
    if killed:
        _check_after_kill(op, first, before, finished, tally)
    slices = op.kills - 1
    low, high = (share * duration for share in KILL_WINDOW)
    moments = [low + (high - low) * (i + float(rng.uniform())) / slices for i in range(slices)]
    for i, moment in enumerate(moments, start=1):
        copy = _copy(template, work / f"kill-{i}")
        if _run_killed(op, copy, moment, tally):
            _check_after_kill(op, copy, before, finished, tally)
        if moment == max(moments):
            _restart(op, copy, tally)
            _check_restart(op, copy, before, finished, tally)
    tally.seconds = round(time.monotonic() - started, 1)
    return tally


def _copy(template: Template, dest: Path, source: Path | None = None) -> Path:
    """A copy of the template's folder (or of the database folder ``source``); its database."""
    shutil.copytree(source.parent if source is not None else template.folder, dest)
    return dest / DB_NAME


def _run_killed(op: Operation, db: Path, at_s: float, tally: Tally) -> bool:
    """Start ``op`` on ``db`` and SIGKILL it after ``at_s`` seconds; False when it ended first."""
    process = subprocess.Popen(
        op.argv, cwd=REPO, env=cli_env(db), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        process.wait(timeout=at_s)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        tally.kills += 1
        tally.moments.append(round(at_s, 2))
        return True
    tally.finished_before_kill += 1
    return False


def _restart(op: Operation, db: Path, tally: Tally) -> float:
    """Run ``op`` on ``db`` to the end (the next start after a kill); its duration in seconds."""
    started = time.monotonic()
    done = subprocess.run(
        op.argv, cwd=REPO, env=cli_env(db), capture_output=True, text=True,
        timeout=COMMAND_TIMEOUT_S,
    )  # fmt: skip
    if done.returncode != 0:
        tally.restarts_failed += 1
        tally.problems.append(f"restart exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return time.monotonic() - started


def _check_after_kill(
    op: Operation, db: Path, before: Snapshot, finished: Snapshot, tally: Tally
) -> None:
    """The killed copy opens and holds what it held before or the finished new object."""
    try:
        now = snapshot(db)
        list_runs(include_incomplete=True, path=db)
    except Exception as exc:  # noqa: BLE001 - any failure to open counts
        tally.db_would_not_open += 1
        tally.problems.append(f"after a kill the database would not open: {exc!r}")
        return
    tally.leftovers_after_kill += len(leftovers(db))
    new = (set(now.datasets) - set(before.datasets)) | (now.runs - before.runs)
    new |= now.projections - before.projections
    if new:
        tally.held_finished += 1
    else:
        tally.held_before += 1
    problems = half_written(db, before, finished, now, (op.dataset, op.expected_rows))
    tally.half_written_listed += len(problems)
    tally.problems += problems


def _check_restart(
    op: Operation, db: Path, before: Snapshot, finished: Snapshot, tally: Tally
) -> None:
    """After the restart: the finished object is there and whole, nothing is left over."""
    now = snapshot(db)
    problems = half_written(db, before, finished, now, (op.dataset, op.expected_rows))
    if op.dataset is not None and op.dataset not in now.datasets:
        problems.append(f"the restart did not store dataset {op.dataset}")
    if op.dataset is None and len(now.runs) + len(now.projections) <= len(before.runs) + len(
        before.projections
    ):
        problems.append("the restart stored no new run or projection")
    tally.half_written_listed += len(problems)
    tally.problems += problems
    left = leftovers(db)
    tally.leftovers_after_restart += len(left)
    tally.problems += [f"left over after the restart: {item}" for item in left]


def _write_csv(file: Path) -> Path:
    """``CSV_ROWS`` interactions of 5,000 users and 2,000 items with ratings and timestamps."""
    rng = np.random.default_rng(SEED)
    frame = pd.DataFrame(
        {
            "user_id": rng.integers(0, 5_000, CSV_ROWS),
            "item_id": rng.integers(0, 2_000, CSV_ROWS),
            "rating": rng.integers(1, 6, CSV_ROWS),
            "timestamp": 1_600_000_000 + np.arange(CSV_ROWS),
        }
    )
    frame.to_csv(file, index=False)
    return file


def _table(tallies: list[Tally], seconds: float) -> str:
    columns: list[tuple[str, Callable[[Tally], object]]] = [
        ("operation", lambda t: t.operation),
        ("kills", lambda t: t.kills),
        ("half-written listed", lambda t: t.half_written_listed),
        ("DB would not open", lambda t: t.db_would_not_open),
        ("held before/finished", lambda t: f"{t.held_before}/{t.held_finished}"),
        ("leftovers after kill", lambda t: t.leftovers_after_kill),
        ("left after restart", lambda t: t.leftovers_after_restart),
        ("ended before kill", lambda t: t.finished_before_kill),
        ("s", lambda t: t.seconds),
    ]
    rows = [[str(get(t)) for _, get in columns] for t in tallies]
    widths = [max(len(name), *(len(row[i]) for row in rows)) for i, (name, _) in enumerate(columns)]
    lines = ["  ".join(name.ljust(w) for (name, _), w in zip(columns, widths, strict=True))]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\nkill campaign (seed {}, {:.0f} s)\n{}".format(SEED, seconds, "\n".join(lines))
