"""Background training jobs: ``experiment.train_run`` in a thread, with progress and cancel.

The Train page must stay responsive while a model fits, survive reruns and page switches, and let
a person stop a long fit. A ``TrainingJob`` runs ``train_run`` in a daemon thread, records every
``EpochReport`` it is sent (progress = epoch / n_epochs) and passes a ``training.CancelSignal`` in
the callbacks: the torch loop checks its event before every batch, other models at their next
epoch report. Jobs live in a process-wide registry keyed by job id, so a page keeps only the id.

A cancelled or failed fit never becomes a complete run: ``train_run`` marks its run ``failed`` on
any exception, and the job says ``cancelled`` (or ``failed`` with the error message).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from recsys_core.data import store
from recsys_core.data.protocols import Protocol
from recsys_core.errors import RecScopeError
from recsys_core.experiment import train_run
from recsys_core.models import EpochReport, get_model_class
from recsys_core.registry import RunRecord
from recsys_core.training import CancelSignal, TrainingCancelled

JobStatus = Literal["queued", "running", "complete", "failed", "cancelled"]
#: Statuses after which a job never changes again.
FINISHED: frozenset[str] = frozenset({"complete", "failed", "cancelled"})
#: Finished jobs kept in the registry (oldest dropped first); running jobs are always kept.
MAX_FINISHED_JOBS = 32
#: The list length whose metrics every run reports (the runs table shows these), besides ``k``.
HEADLINE_K = 10


@dataclass(frozen=True)
class TrainRequest:
    """Everything a job passes to ``train_run``.

    Attributes:
        dataset: stored dataset name.
        model: registered architecture name.
        protocol: split, filters, relevance and k.
        overrides: model config values (validated when the job starts).
        path: the database; None resolves ``RECSCOPE_DB`` once, when the job starts.
    """

    dataset: str
    model: str
    protocol: Protocol
    overrides: Mapping[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def ks(self) -> tuple[int, ...]:
        """List lengths evaluated: the headline 10 (shown in every runs table) and ``k``."""
        return tuple(sorted({HEADLINE_K, self.protocol.k}))


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent view of a job at one moment (what the page renders).

    Attributes:
        progress: fraction of epochs done in [0, 1]; 1.0 once complete.
        history: one dict per epoch report: ``epoch``, ``loss`` and the epoch's metrics, the
            same shape as a saved run's ``history``.
        error: the failure's message (``failed`` / ``cancelled``), else None.
        run_id: the saved run once ``complete``.
        metrics: the run's aggregate metrics once ``complete``.
        cancel_requested: whether someone asked to cancel (a fit that never reports an epoch
            finishes anyway and then stays ``complete``).
    """

    job_id: str
    request: TrainRequest
    status: JobStatus
    progress: float
    epoch: int
    n_epochs: int | None
    history: tuple[dict[str, float], ...]
    error: str | None
    run_id: str | None
    metrics: dict[str, float]
    train_seconds: float | None
    cancel_requested: bool
    elapsed_seconds: float

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class TrainingJob:
    """One ``train_run`` in a background thread; thread-safe to read, cancel and wait on."""

    def __init__(self, request: TrainRequest) -> None:
        self.job_id = f"job-{uuid.uuid4().hex[:12]}"
        self.request = request
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.job_id, daemon=True)
        self._status: JobStatus = "queued"
        self._reports: list[EpochReport] = []
        self._error: str | None = None
        self._run_id: str | None = None
        self._metrics: dict[str, float] = {}
        self._train_seconds: float | None = None
        self._created = time.monotonic()
        self._ended: float | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        self._thread.start()

    def cancel(self) -> None:
        """Ask the fit to stop; it takes effect before the next batch or epoch report."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> JobSnapshot:
        """Block until the job finishes or ``timeout`` seconds pass; returns the latest snapshot."""
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return self.snapshot()

    @property
    def finished(self) -> bool:
        with self._lock:
            return self._status in FINISHED

    def snapshot(self) -> JobSnapshot:
        """The job's state now."""
        with self._lock:
            last = self._reports[-1] if self._reports else None
            end = self._ended if self._ended is not None else time.monotonic()
            return JobSnapshot(
                job_id=self.job_id,
                request=self.request,
                status=self._status,
                progress=1.0 if self._status == "complete" else _fraction(last),
                epoch=last.epoch if last else 0,
                n_epochs=last.n_epochs if last else None,
                history=tuple(_history_row(report) for report in self._reports),
                error=self._error,
                run_id=self._run_id,
                metrics=dict(self._metrics),
                train_seconds=self._train_seconds,
                cancel_requested=self._cancel.is_set(),
                elapsed_seconds=end - self._created,
            )

    # --- the thread ------------------------------------------------------------------------
    def _record(self, report: EpochReport) -> bool:
        with self._lock:
            self._reports.append(report)
        return False

    def _run(self) -> None:
        self._set_status("running")
        request = self.request
        try:
            record = train_run(
                request.dataset,
                request.model,
                request.protocol,
                overrides=request.overrides,
                ks=request.ks,
                callbacks=[self._record, CancelSignal(self._cancel)],
                path=request.path,
            ).record
        except TrainingCancelled as exc:
            self._finish("cancelled", error=str(exc))
        except RecScopeError as exc:
            self._finish("failed", error=str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure is reported to the page, not lost
            self._finish("failed", error=f"{type(exc).__name__}: {exc}")
        else:
            self._finish("complete", record=record)

    def _set_status(self, status: JobStatus) -> None:
        with self._lock:
            self._status = status

    def _finish(
        self, status: JobStatus, *, error: str | None = None, record: RunRecord | None = None
    ) -> None:
        with self._lock:
            if record is not None:
                self._run_id = record.run_id
                self._metrics = dict(record.metrics)
                self._train_seconds = record.train_seconds
            self._status = status
            self._error = error
            self._ended = time.monotonic()


def _fraction(report: EpochReport | None) -> float:
    if report is None or report.n_epochs <= 0:
        return 0.0
    return min(max(report.epoch / report.n_epochs, 0.0), 1.0)


def _history_row(report: EpochReport) -> dict[str, float]:
    return {"epoch": report.epoch, "loss": report.loss, **report.metrics}


# --- the process-wide registry of jobs ---------------------------------------------------------
_JOBS: dict[str, TrainingJob] = {}
_JOBS_LOCK = threading.Lock()


def start_training_job(request: TrainRequest) -> TrainingJob:
    """Validate ``request``, register a job for it and start training in the background.

    The model config is checked here, so a bad value fails at once in the caller rather than in
    the thread. The database path is fixed now, so the job writes where it was started.

    Raises:
        ConfigError: an unknown architecture or an invalid config value.
    """
    get_model_class(request.model).config_class.from_dict(dict(request.overrides))
    resolved = replace(request, path=store.resolve_path(request.path))
    job = TrainingJob(resolved)
    with _JOBS_LOCK:
        _JOBS[job.job_id] = job
        _prune_finished()
    job.start()
    return job


def get_job(job_id: str | None) -> TrainingJob | None:
    """The job with this id, or None when unknown (never started, or pruned long after it ended)."""
    if job_id is None:
        return None
    with _JOBS_LOCK:
        return _JOBS.get(job_id)


def _prune_finished() -> None:
    """Drop the oldest finished jobs beyond ``MAX_FINISHED_JOBS`` (caller holds the lock)."""
    finished = [job_id for job_id, job in _JOBS.items() if job.finished]
    for job_id in finished[: max(len(finished) - MAX_FINISHED_JOBS, 0)]:
        del _JOBS[job_id]
