"""Starter runs: on first start the app trains a few fast runs on the synthetic default.

A person who runs ``make run`` on a fresh clone should find every page populated within a minute:
real runs to compare, recommend from, re-rank and project, not empty pickers. When the app creates
the synthetic default in an empty database it calls ``start_starter_runs``, which trains
``STARTER_MODELS`` one after another under ``STARTER_PROTOCOL`` in a background thread (each one a
``jobs.TrainingJob``, so failures are caught and reported like any fit). They are ordinary runs: a
person can delete them. ``RECSCOPE_STARTER_RUNS=0`` turns this off (the test suite does, except
the tests of this module); one batch runs per database per process.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recsys_core import jobs
from recsys_core.data import store
from recsys_core.data.protocols import get_protocol

#: Set to 0 (or off/false/no) to start the app without training starter runs.
STARTER_ENV = "RECSCOPE_STARTER_RUNS"
#: The protocol of every starter run (the preset that suits the synthetic catalogue).
STARTER_PROTOCOL = "synthetic-user"
#: (architecture, options) of the starter runs, fastest first: each fits in seconds on the
#: synthetic default (a 15-epoch BPR instead of its 200-epoch default).
STARTER_MODELS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("popularity", {}),
    ("itemknn", {}),
    ("ease", {}),
    ("bpr", {"n_epochs": 15}),
)
_OFF = frozenset({"0", "off", "false", "no"})


def starter_runs_enabled() -> bool:
    """Whether the app trains starter runs on first start (``RECSCOPE_STARTER_RUNS``)."""
    return os.environ.get(STARTER_ENV, "1").strip().lower() not in _OFF


@dataclass(frozen=True)
class StarterProgress:
    """Where a batch of starter runs stands.

    Attributes:
        dataset: the dataset they train on.
        total: how many runs the batch trains.
        run_ids: the runs saved so far.
        current: the architecture being fitted now, or None.
        failures: ``"model: message"`` for each run that failed.
        finished: True once every run was tried.
    """

    dataset: str
    total: int
    run_ids: tuple[str, ...]
    current: str | None
    failures: tuple[str, ...]
    finished: bool

    @property
    def done(self) -> int:
        """Runs tried so far (saved or failed)."""
        return len(self.run_ids) + len(self.failures)

    @property
    def text(self) -> str:
        """One line for the progress bar, in UI words."""
        if self.finished:
            line = f"Starter runs ready on {self.dataset}: {len(self.run_ids)} of {self.total}."
            return line + (f" Failed: {'; '.join(self.failures)}." if self.failures else "")
        doing = f" (now {self.current})" if self.current else ""
        return (
            f"Training starter runs on {self.dataset}: {self.done} of {self.total} done{doing}. "
            "Pages fill in as they finish."
        )


class StarterRuns:
    """One batch of starter runs, trained in turn by a daemon thread; thread-safe to read."""

    def __init__(self, dataset: str, path: Path) -> None:
        self.dataset = dataset
        self.path = path
        self._lock = threading.Lock()
        self._run_ids: list[str] = []
        self._failures: list[str] = []
        self._current: str | None = None
        self._finished = False
        self._thread = threading.Thread(target=self._run, name="starter-runs", daemon=True)

    def start(self) -> None:
        """Start the thread (once)."""
        self._thread.start()

    def wait(self, timeout: float | None = None) -> StarterProgress:
        """Block until every run was tried or ``timeout`` seconds pass; returns the progress."""
        self._thread.join(timeout)
        return self.progress()

    def progress(self) -> StarterProgress:
        """The batch's state now."""
        with self._lock:
            return StarterProgress(
                dataset=self.dataset,
                total=len(STARTER_MODELS),
                run_ids=tuple(self._run_ids),
                current=self._current,
                failures=tuple(self._failures),
                finished=self._finished,
            )

    def _run(self) -> None:
        protocol = get_protocol(STARTER_PROTOCOL)
        for model, options in STARTER_MODELS:
            with self._lock:
                self._current = model
            request = jobs.TrainRequest(self.dataset, model, protocol, options, self.path)
            snapshot = jobs.start_training_job(request).wait()
            with self._lock:
                if snapshot.run_id is not None:
                    self._run_ids.append(snapshot.run_id)
                else:
                    self._failures.append(f"{model}: {snapshot.error or snapshot.status}")
        with self._lock:
            self._current = None
            self._finished = True


_BATCHES: dict[str, StarterRuns] = {}
_BATCHES_LOCK = threading.Lock()


def start_starter_runs(dataset: str, path: Path | None = None) -> StarterRuns | None:
    """Train the starter runs on ``dataset`` in the background, once per database and process.

    Returns the batch (the one already started for this database, if any), or None when
    ``RECSCOPE_STARTER_RUNS`` turns starter runs off.
    """
    if not starter_runs_enabled():
        return None
    db = store.resolve_path(path)
    with _BATCHES_LOCK:
        batch = _BATCHES.get(str(db))
        if batch is None:
            batch = _BATCHES[str(db)] = StarterRuns(dataset, db)
            batch.start()
    return batch


def starter_progress(path: Path | None = None) -> StarterProgress | None:
    """The progress of this database's starter runs, or None when none were started."""
    with _BATCHES_LOCK:
        batch = _BATCHES.get(str(store.resolve_path(path)))
    return None if batch is None else batch.progress()
