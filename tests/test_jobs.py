"""Background training jobs: the real threaded path, progress, cancel, failures, capabilities."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Self

import numpy as np
import pandas as pd
import pytest

from recsys_core import jobs
from recsys_core.config import param
from recsys_core.data import store
from recsys_core.data.dataset import Dataset, TrainSplit
from recsys_core.data.protocols import PROTOCOLS, custom_protocol, resolve_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import ConfigError
from recsys_core.models import base, capabilities
from recsys_core.models.base import Callback, EpochReport, notify
from recsys_core.models.retrieval.popularity import Popularity, PopularityConfig
from recsys_core.registry import runs

SPLIT = SplitSpec(kind="user", test=0.2, valid=0.1, seed=3)
PROTOCOL = custom_protocol(SPLIT, k=5)
WAIT_S = 60.0


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jobs") / "jobs.duckdb"
    frames = generate_synthetic(n_users=300, n_items=200, n_interactions=6000, seed=1)
    store.write_dataset(frames, path=path)
    return path


def _request(db: Path, model: str, **overrides: object) -> jobs.TrainRequest:
    return jobs.TrainRequest("synthetic", model, PROTOCOL, overrides, path=db)


def _wait_until(condition: object, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the job did not get there in time"
        time.sleep(0.01)


def _runs_of(db: Path, model: str) -> list[runs.RunRecord]:
    return [r for r in runs.list_runs(include_incomplete=True, path=db) if r.model == model]


# --- a model whose epochs the test releases one at a time --------------------------------------
@dataclass(frozen=True)
class SteppedConfig(PopularityConfig):
    n_steps: int = param(4, "Epoch reports sent by fit.", min=1)


class Stepped(Popularity):
    """Popularity that reports ``n_steps`` epochs, each only once the test sets ``gate``: a model
    outside the torch loop, cancelled at its next epoch report."""

    name = "stepped-test"
    label = "Stepped (test only)"
    config_class = SteppedConfig
    gate: ClassVar[threading.Semaphore]

    def fit(
        self,
        train: TrainSplit,
        *,
        valid: TrainSplit | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> Self:
        super().fit(train)
        for step in range(1, self.config.n_steps + 1):
            assert self.gate.acquire(timeout=WAIT_S)
            notify(callbacks, EpochReport(step, self.config.n_steps, 1.0 / step, {"m": step}))
        return self


@pytest.fixture()
def stepped(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Stepped]]:
    monkeypatch.setitem(base._REGISTRY, Stepped.name, Stepped)
    Stepped.gate = threading.Semaphore(0)
    yield Stepped


# --- the threaded path ---------------------------------------------------------------------------
def test_job_trains_bpr_to_a_complete_run_with_history_and_the_chosen_values(db: Path) -> None:
    job = jobs.start_training_job(_request(db, "bpr", n_epochs=3, dim=8))
    assert jobs.get_job(job.job_id) is job
    snap = job.wait(WAIT_S)
    assert snap.status == "complete", snap.error
    assert snap.progress == 1.0 and (snap.epoch, snap.n_epochs) == (3, 3)
    assert [row["epoch"] for row in snap.history] == [1, 2, 3]
    assert all("valid_ndcg@10" in row and row["loss"] > 0 for row in snap.history)
    record = runs.get_run(snap.run_id, path=db)
    assert record.status == "complete"
    assert record.config["model"]["n_epochs"] == 3 and record.config["model"]["dim"] == 8
    assert record.protocol["k"] == 5 and record.protocol["name"] == PROTOCOL.name
    assert snap.metrics == record.metrics
    assert {"ndcg@5", "ndcg@10", "recall@10"} <= set(record.metrics)
    assert snap.train_seconds == record.train_seconds
    saved = runs.load_run_details(snap.run_id, path=db)["history"]
    assert [row["loss"] for row in saved] == pytest.approx([row["loss"] for row in snap.history])


def test_cancelling_bpr_after_its_first_epoch_leaves_a_failed_run_only(db: Path) -> None:
    job = jobs.start_training_job(_request(db, "bpr", n_epochs=10_000, dim=8, seed=5))
    _wait_until(lambda: job.snapshot().epoch >= 1)
    job.cancel()
    snap = job.wait(WAIT_S)
    assert snap.status == "cancelled" and snap.cancel_requested
    assert "cancelled" in snap.error
    assert 1 <= snap.epoch < 10_000 and snap.progress < 0.01
    assert snap.run_id is None
    complete = [r for r in runs.list_runs(path=db) if r.config["model"]["n_epochs"] == 10_000]
    assert complete == []
    (failed,) = [r for r in _runs_of(db, "bpr") if r.config["model"]["n_epochs"] == 10_000]
    assert failed.status == "failed"
    assert not failed.artifact_dir.exists()


def test_progress_follows_epoch_reports_and_cancel_takes_effect_at_the_next_one(
    db: Path, stepped: type[Stepped]
) -> None:
    job = jobs.start_training_job(_request(db, stepped.name, n_steps=4))
    stepped.gate.release()
    _wait_until(lambda: job.snapshot().epoch == 1)
    snap = job.snapshot()
    assert (snap.status, snap.progress, snap.n_epochs) == ("running", 0.25, 4)
    assert snap.history == ({"epoch": 1, "loss": 1.0, "m": 1},)
    stepped.gate.release()
    _wait_until(lambda: job.snapshot().epoch == 2)
    assert job.snapshot().progress == 0.5
    job.cancel()
    assert job.snapshot().status == "running"  # the fit is blocked until its next report
    stepped.gate.release()
    snap = job.wait(WAIT_S)
    assert snap.status == "cancelled"
    assert snap.epoch == 3  # the third report reached the job, then the cancel signal raised
    (record,) = _runs_of(db, stepped.name)
    assert record.status == "failed"


def test_a_failure_inside_the_thread_is_reported_with_its_message(db: Path) -> None:
    snap = jobs.start_training_job(_request(db, "precomputed")).wait(WAIT_S)
    assert snap.status == "failed"
    assert "precomputed needs source" in snap.error
    assert [r.status for r in _runs_of(db, "precomputed")] == ["failed"]


def test_invalid_config_is_refused_before_a_job_starts(db: Path) -> None:
    before = len(runs.list_runs(include_incomplete=True, path=db))
    with pytest.raises(ConfigError, match="below its minimum"):
        jobs.start_training_job(_request(db, "bpr", dim=0))
    with pytest.raises(ConfigError, match="valid options are"):
        jobs.start_training_job(_request(db, "bpr", depth=3))
    with pytest.raises(ConfigError, match="unknown model"):
        jobs.start_training_job(_request(db, "no-such-model"))
    assert len(runs.list_runs(include_incomplete=True, path=db)) == before


def test_registry_keeps_running_jobs_and_prunes_the_oldest_finished(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "MAX_FINISHED_JOBS", 1)
    first = jobs.start_training_job(_request(db, "popularity"))
    assert first.wait(WAIT_S).status == "complete"
    second = jobs.start_training_job(_request(db, "popularity"))
    assert jobs.get_job(first.job_id) is first  # one finished job is within the limit
    assert second.wait(WAIT_S).status == "complete"
    third = jobs.start_training_job(_request(db, "popularity"))
    third.wait(WAIT_S)
    assert jobs.get_job(first.job_id) is None
    assert jobs.get_job(third.job_id) is third
    assert jobs.get_job(None) is None and jobs.get_job("job-unknown") is None


def test_the_database_path_is_fixed_when_the_job_starts(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(store.DB_ENV, str(db))
    request = jobs.TrainRequest("synthetic", "popularity", PROTOCOL, {})
    job = jobs.start_training_job(request)
    assert job.request.path == db
    snap = job.wait(WAIT_S)
    assert runs.get_run(snap.run_id, path=db).status == "complete"


# --- protocol and request ----------------------------------------------------------------------
def test_training_protocol_applies_k_to_presets_and_custom_splits() -> None:
    preset = resolve_protocol("msr-100k", None, k=20)
    assert preset.split == PROTOCOLS["msr-100k"].split and preset.k == 20
    assert preset.split_name == "msr-100k"
    custom = resolve_protocol("msr-100k", SPLIT, k=5)
    assert custom.name == f"custom:{SPLIT.label}" and custom.split == SPLIT and custom.k == 5
    with pytest.raises(ConfigError, match="k must be at least 1"):
        resolve_protocol("msr-100k", None, k=0)
    with pytest.raises(ConfigError, match="choose a protocol"):
        resolve_protocol(None, None, k=10)
    with pytest.raises(ConfigError, match="unknown protocol"):
        resolve_protocol("nope", None, k=10)


def test_request_evaluates_the_headline_10_and_k() -> None:
    assert jobs.TrainRequest("d", "bpr", custom_protocol(SPLIT, k=5)).ks == (5, 10)
    assert jobs.TrainRequest("d", "bpr", custom_protocol(SPLIT, k=10)).ks == (10,)
    assert jobs.TrainRequest("d", "bpr", custom_protocol(SPLIT, k=20)).ks == (10, 20)


# --- which architectures a dataset can feed -------------------------------------------------------
def _bare_dataset() -> Dataset:
    """Implicit interactions with no timestamps, ratings, text or side information."""
    interactions = pd.DataFrame(
        {
            "row_id": np.arange(4),
            "user_idx": [0, 0, 1, 1],
            "item_idx": [0, 1, 1, 2],
            "rating": [math.nan] * 4,
            "timestamp": pd.array([None] * 4, dtype="Int64"),
            "session_id": pd.array([None] * 4, dtype="Int64"),
        }
    )
    users = pd.DataFrame({"user_id": ["a", "b"], "age": pd.array([None, None], dtype="Int64")})
    items = pd.DataFrame(
        {"item_id": ["x", "y", "z"], "title": [None, "", " "], "genres": [None] * 3}
    )
    return Dataset("bare", interactions, users, items, None, "fp")


def test_capabilities_of_a_bare_dataset_and_of_the_synthetic_catalogue(db: Path) -> None:
    assert capabilities.dataset_capabilities(_bare_dataset()) == {"ids"}
    rich = capabilities.dataset_capabilities(store.load_dataset("synthetic", path=db))
    assert rich == {
        "ids",
        "ratings",
        "timestamps",
        "sequences",
        "item_text",
        "impressions",
        "features",
    }


def test_architecture_table_explains_what_a_bare_dataset_lacks() -> None:
    table = capabilities.architecture_table(capabilities.dataset_capabilities(_bare_dataset()))
    assert tuple(table.columns) == capabilities.ARCHITECTURE_COLUMNS
    assert table["name"].tolist() == base.list_models()
    rows = table.set_index("name")
    assert not rows.at["mf", "available"] and rows.at["mf", "missing"].startswith("ratings:")
    assert not rows.at["content", "available"]
    assert rows.at["content", "missing"].startswith("item_text:")
    assert rows.at["content", "requires"] == "ids, item_text"
    assert rows.at["popularity", "available"] and rows.at["popularity", "missing"] == ""
    assert rows.at["bpr", "label"] == "BPR-MF" and rows.at["bpr", "stage"] == "retrieval"
    full = capabilities.architecture_table(frozenset(capabilities.REQUIREMENT_HELP))
    assert full["available"].all()


def test_missing_requirements_names_unknown_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    class NeedsGraph(Popularity):
        name = "needs-graph-test"
        requires = frozenset({"ids", "graph"})

    monkeypatch.setitem(base._REGISTRY, NeedsGraph.name, NeedsGraph)
    (reason,) = capabilities.missing_requirements(NeedsGraph.name, frozenset({"ids"}))
    assert reason.startswith("graph:") and "no RecScope dataset provides" in reason
