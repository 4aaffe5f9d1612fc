"""Save, list, load and delete runs. A run = dataset + split + model config + seed + metrics.

On disk a run is ``<runs dir>/<run_id>/``: ``model/config.json`` + ``model/weights.safetensors``,
``per_user.parquet`` (per-user top-N metric arrays), for a ranking run also
``per_user_pointwise.parquet`` (per-user rows, positives, AUC and log loss) and ``run.json``
(metrics, evaluation labels, training history). Artifacts are written to a temporary folder and
renamed into place before the DuckDB row turns ``complete``, so a run interrupted half-way never
shows as complete; a marker file names the process writing each ``running`` run
(``registry.owners``), so that the next start marks the runs of a killed process ``failed`` and
removes what they left (``registry.leftovers``). Nothing is unpickled: every reader refuses a
file that is missing, a link (no link is followed inside a run's folder), unreadable or of the
wrong shape with one ``DamagedArtifactError`` naming the run, the file and how to recover
(``artifacts.run_files``); ``run_damage`` is the quick look that listings flag damaged runs with.

A run is trained (kind ``train``) or derived from a complete parent run on the same dataset and
split (``rerank``, ``cascade``, ``calibrated``); ``lineage`` walks back to the trained run, and a
run with derived runs is deleted only together with them (the checks are ``registry.lineage``).
The table is ``registry.schema.RUNS``.
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

from recsys_core import strict_json
from recsys_core.artifacts import (
    read_json,
    read_parquet,
    run_files,
)
from recsys_core.data import store
from recsys_core.errors import ConfigError, DamagedArtifactError, DataError
from recsys_core.evaluation.protocol import EvaluationResult
from recsys_core.models.base import Recommender
from recsys_core.registry.layout import (
    FIX,
    MODEL_DIR,
    PER_USER_FILE,
    POINTWISE_COLUMNS,
    POINTWISE_PER_USER_FILE,
    RUN_FILE,
    SAMPLED_PER_USER_FILE,
    check_per_user,
    check_run_folder,
    quick_look,
)
from recsys_core.registry.lineage import LIST_HINT, ancestor_ids, check_deletable, check_parent
from recsys_core.registry.owners import mark_running, staging_dir, unmark_running
from recsys_core.registry.schema import RUN_KINDS, TRAIN_KIND

_COLUMNS = (
    "run_id, dataset, split_name, model, config, seed, status, metrics, train_seconds, "
    "created_at, finished_at, artifact_dir, kind, stage, parent_run_id"
)
#: The columns of ``_COLUMNS``, named as ``RunRecord`` names its fields.
_FIELDS = tuple(name.strip() for name in _COLUMNS.split(","))


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
    mark_running(runs_dir(path), run_id)  # before the row: a running row always names its writer
    try:
        with store.connect(path) as con:
            if kind != TRAIN_KIND:
                check_parent(con, kind, parent_run_id, dataset, split_name)
            con.execute(
                f"INSERT INTO runs ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, 'running', '{}', NULL, ?, NULL, ?, ?, ?, ?)",
                [
                    run_id,
                    dataset,
                    split_name,
                    model.name,
                    strict_json.dumps(config),
                    int(model.config.seed),
                    _now(),
                    run_id,
                    kind,
                    model.stage,
                    parent_run_id,
                ],
            )
    except BaseException:
        unmark_running(runs_dir(path), run_id)
        raise
    return run_id


def _check_kind(kind: str) -> None:
    if kind not in RUN_KINDS:
        raise ConfigError(f"unknown run kind {kind!r}; choose one of {list(RUN_KINDS)}")


def finish_run(
    run_id: str,
    model: Recommender,
    result: EvaluationResult,
    *,
    train_seconds: float,
    history: list[dict[str, Any]] | None = None,
    path: Path | None = None,
) -> RunRecord:
    """Write the run's artifacts atomically, then mark it complete with its metrics.

    Beside the model: the per-user top-N frame, the sampled one when there is one, and for a
    ranking run the per-user pointwise frame; ``run.json`` labels each evaluation (``"pointwise"``
    is the pointwise label, or null for a run evaluated top-N only).
    """
    final = runs_dir(path) / run_id
    staging = staging_dir(runs_dir(path), run_id)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    metrics = {key: float(value) for key, value in result.headline().items()}
    try:
        model.save(staging / MODEL_DIR)
        result.full.to_frame().to_parquet(staging / PER_USER_FILE, index=False)
        if result.sampled is not None:
            result.sampled.to_frame().to_parquet(staging / SAMPLED_PER_USER_FILE, index=False)
        if result.pointwise is not None:
            result.pointwise.to_frame().to_parquet(staging / POINTWISE_PER_USER_FILE, index=False)
        payload = {
            "run_id": run_id,
            "metrics": metrics,
            "evaluation": {
                "full": result.full.label(),
                "sampled": result.sampled.label() if result.sampled is not None else None,
                "pointwise": result.pointwise.label() if result.pointwise is not None else None,
            },
            "history": history or [],
        }
        (staging / RUN_FILE).write_text(strict_json.dumps(payload, indent=2, sort_keys=True))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with store.connect(path) as con:
        con.execute(
            "UPDATE runs SET status = 'complete', metrics = ?, train_seconds = ?, finished_at = ? "
            "WHERE run_id = ?",
            [strict_json.dumps(metrics), float(train_seconds), _now(), run_id],
        )
    unmark_running(runs_dir(path), run_id)
    return get_run(run_id, path=path)


def fail_run(run_id: str, *, path: Path | None = None) -> None:
    """Mark a run failed (training raised or was cancelled); its artifacts are removed."""
    shutil.rmtree(staging_dir(runs_dir(path), run_id), ignore_errors=True)
    with store.connect(path) as con:
        con.execute(
            "UPDATE runs SET status = 'failed', finished_at = ? WHERE run_id = ?", [_now(), run_id]
        )
    unmark_running(runs_dir(path), run_id)


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
        raise DataError(f"no run {run_id!r}; {LIST_HINT}")
    return _record(row, path)


def lineage(run_id: str, *, path: Path | None = None) -> list[RunRecord]:
    """The run and the runs it derives from, nearest first (the trained run last).

    Raises:
        DataError: there is no run ``run_id``.
    """
    with store.connect(path, read_only=True) as con:
        return _fetch_records(con, ancestor_ids(con, run_id), path)


def _fetch_run(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[Any, ...] | None:
    rows = con.execute(f"SELECT {_COLUMNS} FROM runs WHERE run_id = ?", [run_id]).fetchall()
    return rows[0] if rows else None


def _fetch_records(
    con: duckdb.DuckDBPyConnection, run_ids: list[str], path: Path | None
) -> list[RunRecord]:
    """Records of ``run_ids``, in that order (ids this transaction has seen to exist)."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM runs WHERE list_contains(?, run_id)", [run_ids]
    ).fetchall()
    by_id = {row[0]: _record(row, path) for row in rows}
    return [by_id[run_id] for run_id in run_ids]


def load_run_model(run_id: str, *, path: Path | None = None) -> Recommender:
    """The fitted model of a complete run, read from JSON + safetensors.

    Raises:
        DamagedArtifactError: a file of its model is missing, a link, unreadable or does not fit.
    """
    record = _complete(run_id, path)
    with run_files(run_id, record.artifact_dir):
        return Recommender.load(record.artifact_dir / MODEL_DIR)


def load_per_user_metrics(
    run_id: str, *, sampled: bool = False, path: Path | None = None
) -> pd.DataFrame:
    """Per-user metric arrays of a complete run (one row per evaluated user): ``user_idx`` and
    one numeric column per metric.

    Raises:
        DataError: ``sampled`` and the run was not evaluated against sampled negatives.
        DamagedArtifactError: the file is missing (full evaluation), a link, unreadable or of
            the wrong layout.
    """
    record = _complete(run_id, path)
    file = record.artifact_dir / (SAMPLED_PER_USER_FILE if sampled else PER_USER_FILE)
    if sampled and not file.exists() and not file.is_symlink():
        raise DataError(f"run {run_id} has no sampled per-user metrics; re-evaluate it")
    with run_files(run_id, record.artifact_dir):
        frame = read_parquet(file, FIX, columns=("user_idx",))
        check_per_user(file, frame)
    return frame


def load_pointwise_per_user(run_id: str, *, path: Path | None = None) -> pd.DataFrame:
    """Per-user pointwise arrays of a complete ranking run: user_idx, n_rows, n_positive, auc
    (NaN for a user with one class only), logloss; one row per user with scored rows.

    Raises:
        DataError: the run is not complete, or has no ``per_user_pointwise.parquet`` (a
            retrieval run, or a ranking run saved before pointwise arrays were kept); retrain
            the run or delete it.
        DamagedArtifactError: the file is a link, unreadable or lacks columns.
    """
    record = _complete(run_id, path)
    file = record.artifact_dir / POINTWISE_PER_USER_FILE
    if not file.exists() and not file.is_symlink():
        raise DataError(
            f"run {run_id} has no {POINTWISE_PER_USER_FILE} (stage {record.stage}; only ranking "
            "runs evaluated pointwise keep one); retrain the run, or delete it"
        )
    with run_files(run_id, record.artifact_dir):
        frame = read_parquet(file, FIX, columns=POINTWISE_COLUMNS)
        check_per_user(file, frame[list(POINTWISE_COLUMNS)])
    return frame[list(POINTWISE_COLUMNS)]


def load_run_details(run_id: str, *, path: Path | None = None) -> dict[str, Any]:
    """The run's ``run.json``: metrics, evaluation labels and training history.

    Raises:
        DamagedArtifactError: the file is missing, a link, not JSON, or not laid out as written.
    """
    record = _complete(run_id, path)
    file = record.artifact_dir / RUN_FILE
    with run_files(run_id, record.artifact_dir):
        details = read_json(file, FIX)
        history = details.get("history", [])
        layout_ok = (
            isinstance(details.get("metrics", {}), dict)
            and isinstance(details.get("evaluation", {}), dict)
            and isinstance(history, list)
            and all(isinstance(row, dict) and "epoch" in row for row in history)
        )
        if not layout_ok:
            problem = "is not laid out as RecScope writes it (metrics, evaluation, history)"
            raise DamagedArtifactError(file, problem, FIX)
    return details


def run_damage(record: RunRecord) -> DamagedArtifactError | None:
    """What a quick look (``layout.quick_look``) finds wrong with a complete run's files, or
    None; cheap enough for listings, which flag such runs instead of failing on them."""
    return quick_look(record.run_id, record.artifact_dir) if record.status == "complete" else None


def delete_run(run_id: str, *, cascade: bool = False, path: Path | None = None) -> None:
    """Remove a run's row and artifacts; with ``cascade``, also every run derived from it.

    Raises:
        DataError: there is no such run, or other runs derive from it and ``cascade`` is false.
    """
    with store.connect(path) as con:
        if _fetch_run(con, run_id) is None:
            raise DataError(f"no run {run_id!r}; {LIST_HINT}")
        doomed = _fetch_records(con, [run_id, *check_deletable(con, run_id, cascade=cascade)], path)
        for record in doomed:
            con.execute("DELETE FROM runs WHERE run_id = ?", [record.run_id])
    for record in doomed:
        if record.artifact_dir.is_symlink():  # a damaged run: remove the link, not its target
            record.artifact_dir.unlink()
        shutil.rmtree(record.artifact_dir, ignore_errors=True)


def _complete(run_id: str, path: Path | None) -> RunRecord:
    """The record of a complete run whose folder is present and holds no links."""
    record = get_run(run_id, path=path)
    if record.status != "complete":
        raise DataError(
            f"run {run_id} is {record.status}, not complete; train it again or delete it"
        )
    with run_files(run_id, record.artifact_dir):
        check_run_folder(record.artifact_dir)
    return record


def _record(row: tuple[Any, ...], path: Path | None) -> RunRecord:
    """A runs-table row as a record; artifacts live beside the database (the stored folder name
    is relative, so a database moved with its ``runs/`` folder keeps working)."""
    value = dict(zip(_FIELDS, row, strict=True))
    secs = value["train_seconds"]
    value.update(
        config=json.loads(value["config"] or "{}"),
        seed=int(value["seed"]),
        metrics=json.loads(value["metrics"] or "{}"),
        train_seconds=None if secs is None else float(secs),
        artifact_dir=runs_dir(path) / value["artifact_dir"],
    )
    return RunRecord(**value)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
