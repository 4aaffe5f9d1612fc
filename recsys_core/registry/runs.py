"""Save, list, load and delete runs. A run = dataset + split + model config + seed + metrics.

On disk a run is ``<runs dir>/<run_id>/``: ``model/config.json`` + ``model/weights.safetensors``,
``per_user.parquet`` (per-user metric arrays) and ``run.json`` (protocol, metrics, training
history). Artifacts are written to a temporary folder and renamed into place before the DuckDB row
turns ``complete``, so a run interrupted half-way never shows as complete. Nothing is unpickled.

A run is trained (kind ``train``) or derived from a complete parent run on the same dataset and
split (``rerank``, ``cascade``, ``calibrated``); ``lineage`` walks back to the trained run, and a
run with derived runs is deleted only together with them. The table is ``registry.schema.RUNS``.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from recsys_core.data import store
from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation.protocol import EvaluationResult
from recsys_core.models.base import Recommender
from recsys_core.registry.schema import RUN_KINDS, TRAIN_KIND

MODEL_DIR = "model"
PER_USER_FILE = "per_user.parquet"
SAMPLED_PER_USER_FILE = "per_user_sampled.parquet"
RUN_FILE = "run.json"
_COLUMNS = (
    "run_id, dataset, split_name, model, config, seed, status, metrics, train_seconds, "
    "created_at, finished_at, artifact_dir, kind, stage, parent_run_id"
)
_LIST_HINT = "list runs with `python -m recsys_core runs list`"


@dataclass(frozen=True)
class RunRecord:
    """One row of the runs table.

    Attributes:
        config: ``{"model": <model config>, "protocol": <protocol dict>}``.
        metrics: aggregate metrics (``ndcg@10`` …), empty until complete.
        status: ``running`` | ``complete`` | ``failed``.
        kind: how the run was made, one of ``RUN_KINDS`` (``train`` for a trained run).
        stage: the stage of its model, ``retrieval`` | ``ranking``.
        parent_run_id: the run it was derived from; None for a trained run.
    """

    run_id: str
    dataset: str
    split_name: str
    model: str
    config: dict[str, Any]
    seed: int
    status: str
    metrics: dict[str, float]
    train_seconds: float | None
    created_at: datetime
    finished_at: datetime | None
    artifact_dir: Path
    kind: str = TRAIN_KIND
    stage: str = "retrieval"
    parent_run_id: str | None = None

    @property
    def protocol(self) -> dict[str, Any]:
        return dict(self.config.get("protocol", {}))


def runs_dir(path: Path | None = None) -> Path:
    """Folder of run artifacts: ``runs/`` beside the database file."""
    return store.resolve_path(path).parent / "runs"


def start_run(
    dataset: str,
    split_name: str,
    model: Recommender,
    protocol: dict[str, Any],
    *,
    kind: str = TRAIN_KIND,
    parent_run_id: str | None = None,
    path: Path | None = None,
) -> str:
    """Insert a ``running`` row for a new run and return its id.

    Args:
        dataset: the stored dataset it runs on.
        split_name: the stored split of ``dataset``.
        model: the model (its ``name``, ``stage``, ``config`` and seed are recorded).
        protocol: the evaluation protocol as a dict.
        kind: one of ``RUN_KINDS``; anything but ``train`` derives from ``parent_run_id``.
        parent_run_id: a complete run on the same dataset and split (None for ``train``).
        path: database file; default ``store.default_db_path()``.

    Raises:
        ConfigError: an unknown kind, or a parent given for a trained run.
        DataError: a derived run whose parent is missing, incomplete or on another dataset/split.
    """
    _check_kind(kind)
    if kind == TRAIN_KIND and parent_run_id is not None:
        raise ConfigError(
            f"a trained run has no parent, got parent_run_id={parent_run_id!r}; pass the kind of "
            f"derived run ({', '.join(RUN_KINDS[1:])}) or drop the parent"
        )
    run_id = f"{model.name}-{uuid.uuid4().hex[:10]}"
    config = {"model": model.config.to_dict(), "protocol": protocol}
    with store.connect(path) as con:
        if kind != TRAIN_KIND:
            _check_parent(con, kind, parent_run_id, dataset, split_name)
        con.execute(
            f"INSERT INTO runs ({_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, 'running', '{}', NULL, ?, NULL, ?, ?, ?, ?)",
            [
                run_id,
                dataset,
                split_name,
                model.name,
                json.dumps(config),
                int(model.config.seed),
                _now(),
                run_id,
                kind,
                model.stage,
                parent_run_id,
            ],
        )
    return run_id


def _check_kind(kind: str) -> None:
    if kind not in RUN_KINDS:
        raise ConfigError(f"unknown run kind {kind!r}; choose one of {list(RUN_KINDS)}")


def _check_parent(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    parent_run_id: str | None,
    dataset: str,
    split_name: str,
) -> None:
    """Refuse a derived run unless its parent is a complete run on the same dataset and split."""
    if parent_run_id is None:
        raise DataError(
            f"a {kind} run is derived from another run: pass parent_run_id (a complete run on "
            f"{dataset!r}, split {split_name!r}); {_LIST_HINT}"
        )
    rows = con.execute(
        "SELECT dataset, split_name, status FROM runs WHERE run_id = ?", [parent_run_id]
    ).fetchall()
    if not rows:
        raise DataError(f"parent run {parent_run_id!r} does not exist; {_LIST_HINT}")
    parent_dataset, parent_split, status = rows[0]
    if status != "complete":
        raise DataError(
            f"parent run {parent_run_id} is {status}, not complete; derive from a complete run"
        )
    if (parent_dataset, parent_split) != (dataset, split_name):
        raise DataError(
            f"parent run {parent_run_id} is on {parent_dataset!r}, split {parent_split!r}, not "
            f"{dataset!r}, split {split_name!r}; derive from a run on the same dataset and split"
        )


def finish_run(
    run_id: str,
    model: Recommender,
    result: EvaluationResult,
    *,
    train_seconds: float,
    history: list[dict[str, Any]] | None = None,
    path: Path | None = None,
) -> RunRecord:
    """Write the run's artifacts atomically, then mark it complete with its metrics."""
    final = runs_dir(path) / run_id
    staging = runs_dir(path) / f".staging-{run_id}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    metrics = {key: float(value) for key, value in result.headline().items()}
    try:
        model.save(staging / MODEL_DIR)
        result.full.to_frame().to_parquet(staging / PER_USER_FILE, index=False)
        if result.sampled is not None:
            result.sampled.to_frame().to_parquet(staging / SAMPLED_PER_USER_FILE, index=False)
        payload = {
            "run_id": run_id,
            "metrics": metrics,
            "evaluation": {
                "full": result.full.label(),
                "sampled": result.sampled.label() if result.sampled is not None else None,
            },
            "history": history or [],
        }
        (staging / RUN_FILE).write_text(json.dumps(payload, indent=2, sort_keys=True))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with store.connect(path) as con:
        con.execute(
            "UPDATE runs SET status = 'complete', metrics = ?, train_seconds = ?, finished_at = ? "
            "WHERE run_id = ?",
            [json.dumps(metrics), float(train_seconds), _now(), run_id],
        )
    return get_run(run_id, path=path)


def fail_run(run_id: str, *, path: Path | None = None) -> None:
    """Mark a run failed (training raised or was cancelled); its artifacts are removed."""
    shutil.rmtree(runs_dir(path) / f".staging-{run_id}", ignore_errors=True)
    with store.connect(path) as con:
        con.execute(
            "UPDATE runs SET status = 'failed', finished_at = ? WHERE run_id = ?", [_now(), run_id]
        )


def list_runs(
    dataset: str | None = None,
    *,
    kind: str | None = None,
    include_incomplete: bool = False,
    path: Path | None = None,
) -> list[RunRecord]:
    """Runs, newest first: of ``dataset`` and of ``kind`` when given, complete ones unless
    ``include_incomplete``.

    Raises:
        ConfigError: ``kind`` is not one of ``RUN_KINDS``.
    """
    if kind is not None:
        _check_kind(kind)
    query = (
        f"SELECT {_COLUMNS} FROM runs WHERE (? IS NULL OR dataset = ?) AND (? IS NULL OR kind = ?)"
    )
    if not include_incomplete:
        query += " AND status = 'complete'"
    query += " ORDER BY created_at DESC, run_id"
    with store.connect(path, read_only=True) as con:
        rows = con.execute(query, [dataset, dataset, kind, kind]).fetchall()
    return [_record(row, path) for row in rows]


def get_run(run_id: str, *, path: Path | None = None) -> RunRecord:
    """One run by id; DataError when there is none."""
    with store.connect(path, read_only=True) as con:
        row = _fetch_run(con, run_id)
    if row is None:
        raise DataError(f"no run {run_id!r}; {_LIST_HINT}")
    return _record(row, path)


def lineage(run_id: str, *, path: Path | None = None) -> list[RunRecord]:
    """The run and the runs it derives from, nearest first (the trained run last).

    Raises:
        DataError: there is no run ``run_id``.
    """
    chain: list[RunRecord] = []
    with store.connect(path, read_only=True) as con:
        current: str | None = run_id
        while current is not None:
            row = _fetch_run(con, current)
            if row is None:
                raise DataError(f"no run {current!r}; {_LIST_HINT}")
            chain.append(_record(row, path))
            current = chain[-1].parent_run_id
    return chain


def _fetch_run(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[Any, ...] | None:
    rows = con.execute(f"SELECT {_COLUMNS} FROM runs WHERE run_id = ?", [run_id]).fetchall()
    return rows[0] if rows else None


def load_run_model(run_id: str, *, path: Path | None = None) -> Recommender:
    """The fitted model of a complete run, read from JSON + safetensors."""
    record = _complete(run_id, path)
    return Recommender.load(record.artifact_dir / MODEL_DIR)


def load_per_user_metrics(
    run_id: str, *, sampled: bool = False, path: Path | None = None
) -> pd.DataFrame:
    """Per-user metric arrays of a complete run (one row per evaluated user)."""
    record = _complete(run_id, path)
    file = record.artifact_dir / (SAMPLED_PER_USER_FILE if sampled else PER_USER_FILE)
    if not file.is_file():
        kind = "sampled " if sampled else ""
        raise DataError(f"run {run_id} has no {kind}per-user metrics; re-evaluate it")
    return pd.read_parquet(file)


def load_run_details(run_id: str, *, path: Path | None = None) -> dict[str, Any]:
    """The run's ``run.json``: metrics, evaluation labels and training history."""
    record = _complete(run_id, path)
    return json.loads((record.artifact_dir / RUN_FILE).read_text())


def delete_run(run_id: str, *, cascade: bool = False, path: Path | None = None) -> None:
    """Remove a run's row and artifacts; with ``cascade``, also every run derived from it.

    Raises:
        DataError: there is no such run, or other runs derive from it and ``cascade`` is false.
    """
    with store.connect(path) as con:
        row = _fetch_run(con, run_id)
        if row is None:
            raise DataError(f"no run {run_id!r}; {_LIST_HINT}")
        descendants = _descendants(con, run_id, path)
        if descendants and not cascade:
            children = [r.run_id for r in descendants if r.parent_run_id == run_id]
            raise DataError(
                f"runs {', '.join(children)} derive from run {run_id}; delete them first, or "
                "pass cascade=True to delete them with it"
            )
        doomed = [_record(row, path), *descendants]
        for record in doomed:
            con.execute("DELETE FROM runs WHERE run_id = ?", [record.run_id])
    for record in doomed:
        shutil.rmtree(record.artifact_dir, ignore_errors=True)


def _descendants(con: duckdb.DuckDBPyConnection, run_id: str, path: Path | None) -> list[RunRecord]:
    """Every run derived from ``run_id``, directly or through other derived runs."""
    rows = con.execute(
        "WITH RECURSIVE tree(run_id) AS ("
        " SELECT run_id FROM runs WHERE parent_run_id = ?"
        " UNION ALL"
        " SELECT r.run_id FROM runs r JOIN tree t ON r.parent_run_id = t.run_id"
        f") SELECT {_COLUMNS} FROM runs WHERE run_id IN (SELECT run_id FROM tree) ORDER BY run_id",
        [run_id],
    ).fetchall()
    return [_record(row, path) for row in rows]


def _complete(run_id: str, path: Path | None) -> RunRecord:
    record = get_run(run_id, path=path)
    if record.status != "complete":
        raise DataError(
            f"run {run_id} is {record.status}, not complete; train it again or delete it"
        )
    if not record.artifact_dir.is_dir():
        raise DataError(f"run {run_id}'s artifacts are missing from {record.artifact_dir}")
    return record


def _record(row: tuple[Any, ...], path: Path | None) -> RunRecord:
    """A runs-table row as a record; artifacts live beside the database (the stored folder name
    is relative, so a database moved with its ``runs/`` folder keeps working)."""
    (
        run_id,
        dataset,
        split_name,
        model,
        config,
        seed,
        status,
        metrics,
        secs,
        created,
        finished,
        art,
        kind,
        stage,
        parent,
    ) = row
    return RunRecord(
        run_id=run_id,
        dataset=dataset,
        split_name=split_name,
        model=model,
        config=json.loads(config) if config else {},
        seed=int(seed),
        status=status,
        metrics=json.loads(metrics) if metrics else {},
        train_seconds=None if secs is None else float(secs),
        created_at=created,
        finished_at=finished,
        artifact_dir=runs_dir(path) / art,
        kind=kind,
        stage=stage,
        parent_run_id=parent,
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
