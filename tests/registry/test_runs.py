"""The run registry: atomic completion, no pickle, pointwise arrays of ranking runs, kinds and
lineage, deletion, the migration of older databases, and the experiment that feeds it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from recsys_core.cli import main
from recsys_core.data import store
from recsys_core.data.frames import DatasetFrames
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.errors import ConfigError, DamagedArtifactError, DataError
from recsys_core.experiment import RunResult, prepare_split, train_run
from recsys_core.models import EpochReport
from recsys_core.registry import runs, schema


def _frames(n_users: int = 60, n_items: int = 30, seed: int = 0) -> DatasetFrames:
    rng = np.random.default_rng(seed)
    pairs = np.unique(rng.integers(0, [n_users, n_items], size=(900, 2)), axis=0)
    inter = pd.DataFrame(
        {
            "user_id": [f"u{u}" for u in pairs[:, 0]],
            "item_id": [f"i{i}" for i in pairs[:, 1]],
            "rating": rng.integers(1, 6, len(pairs)).astype(float),
            "timestamp": pd.array(rng.integers(0, 10**6, len(pairs)), dtype="Int64"),
            "session_id": pd.array([None] * len(pairs), dtype="Int64"),
        }
    )
    items = pd.DataFrame(
        {
            "item_id": [f"i{i}" for i in range(n_items)],
            "title": [f"Item {i}" for i in range(n_items)],
            "genres": ["Drama|Comedy" if i % 2 else "Action" for i in range(n_items)],
            "year": pd.array([2000 + i % 10 for i in range(n_items)], dtype="Int64"),
            "provider": [None] * n_items,
            "release_ts": pd.array([None] * n_items, dtype="Int64"),
            "tags": [""] * n_items,
        }
    )
    users = pd.DataFrame(
        {
            "user_id": [f"u{u}" for u in range(n_users)],
            "age": pd.array([None] * n_users, dtype="Int64"),
            "gender": [None] * n_users,
            "occupation": [None] * n_users,
            "zip": [None] * n_users,
        }
    )
    return DatasetFrames("toy", "test", inter, items, users)


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "runs.duckdb"
    store.write_dataset(_frames(), path=path)
    return path


PROTOCOL = custom_protocol(SplitSpec(kind="user", test=0.25, seed=1))


def test_train_run_lands_complete_with_loadable_model_and_per_user_metrics(db: Path) -> None:
    reports: list[EpochReport] = []
    result = train_run("toy", "popularity", PROTOCOL, path=db, callbacks=[reports.append])
    record = runs.get_run(result.record.run_id, path=db)
    assert record.status == "complete"
    assert record.metrics["ndcg@10"] == pytest.approx(result.evaluation.full.means()["ndcg@10"])
    assert record.protocol["name"] == PROTOCOL.name
    loaded = runs.load_run_model(record.run_id, path=db)
    users = np.arange(10)
    np.testing.assert_array_equal(
        loaded.recommend(users, 5).item_idx, result.model.recommend(users, 5).item_idx
    )
    per_user = runs.load_per_user_metrics(record.run_id, path=db)
    assert len(per_user) == len(result.evaluation.full.users)
    assert per_user["ndcg@10"].mean() == pytest.approx(record.metrics["ndcg@10"])
    assert [r.run_id for r in runs.list_runs("toy", path=db)] == [record.run_id]


def test_the_split_is_stored_once_and_reused(db: Path) -> None:
    _, first = prepare_split("toy", PROTOCOL, path=db)
    _, second = prepare_split("toy", PROTOCOL, path=db)
    np.testing.assert_array_equal(first.test.user_idx, second.test.user_idx)
    np.testing.assert_array_equal(first.test.item_idx, second.test.item_idx)
    assert store.list_splits("toy", path=db) == [PROTOCOL.split_name]


def test_a_run_that_fails_half_way_never_shows_as_complete(db: Path) -> None:
    def explode(report: EpochReport) -> bool:
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        train_run("toy", "ease", PROTOCOL, path=db, callbacks=[explode], overrides={"l2": 0.0})
    assert runs.list_runs("toy", path=db) == []
    (failed,) = runs.list_runs("toy", include_incomplete=True, path=db)
    assert failed.status == "failed"
    with pytest.raises(DataError, match="not complete"):
        runs.load_run_model(failed.run_id, path=db)
    staging = list(runs.runs_dir(db).glob(".staging-*")) if runs.runs_dir(db).exists() else []
    assert staging == []


def test_a_started_but_unfinished_run_is_hidden(db: Path) -> None:
    result = train_run("toy", "popularity", PROTOCOL, path=db)
    run_id = runs.start_run("toy", PROTOCOL.split_name, result.model, PROTOCOL.to_dict(), path=db)
    assert run_id not in [r.run_id for r in runs.list_runs(path=db)]
    assert runs.get_run(run_id, path=db).status == "running"


def test_corrupt_weights_are_refused_not_unpickled(db: Path) -> None:
    record = train_run("toy", "popularity", PROTOCOL, path=db).record
    weights = record.artifact_dir / "model" / "weights.safetensors"
    weights.write_bytes(b"\x80\x04\x95 this is a pickle, not safetensors")
    with pytest.raises(
        DamagedArtifactError,
        match=rf"run {record.run_id} is damaged: model/weights.safetensors is not a readable "
        "safetensors file",
    ):
        runs.load_run_model(record.run_id, path=db)


def test_delete_run_removes_row_and_artifacts(db: Path) -> None:
    record = train_run("toy", "popularity", PROTOCOL, path=db).record
    runs.delete_run(record.run_id, path=db)
    assert not record.artifact_dir.exists()
    with pytest.raises(DataError, match="no run"):
        runs.get_run(record.run_id, path=db)


def test_a_ranking_run_keeps_its_pointwise_arrays_and_label(db: Path) -> None:
    result = train_run("toy", "logistic", PROTOCOL, path=db, overrides={"n_epochs": 1})
    pointwise = result.evaluation.pointwise
    assert pointwise is not None
    run_id = result.record.run_id
    saved = runs.load_pointwise_per_user(run_id, path=db)
    pd.testing.assert_frame_equal(saved, pointwise.to_frame())
    details = runs.load_run_details(run_id, path=db)
    assert details["evaluation"]["pointwise"] == pointwise.label()
    assert "sampled negatives" in details["evaluation"]["pointwise"]  # toy has no labels
    assert (result.record.artifact_dir / runs.POINTWISE_PER_USER_FILE).is_file()
    assert list(runs.runs_dir(db).glob(".staging-*")) == []


def test_a_retrieval_run_has_no_pointwise_arrays_and_says_so(db: Path) -> None:
    record = train_run("toy", "popularity", PROTOCOL, path=db).record
    assert runs.load_run_details(record.run_id, path=db)["evaluation"]["pointwise"] is None
    with pytest.raises(
        DataError,
        match=rf"run {record.run_id} has no per_user_pointwise.parquet .*retrain the run, or "
        "delete it",
    ):
        runs.load_pointwise_per_user(record.run_id, path=db)


def test_a_missing_or_corrupt_pointwise_file_is_refused_by_name(db: Path) -> None:
    result = train_run("toy", "logistic", PROTOCOL, path=db, overrides={"n_epochs": 1})
    run_id = result.record.run_id
    file = result.record.artifact_dir / runs.POINTWISE_PER_USER_FILE
    damaged = rf"run {run_id} is damaged: {runs.POINTWISE_PER_USER_FILE}"
    fix = rf"delete the run .*runs delete {run_id}`\) and train it again"
    file.write_bytes(b"PAR1 not a parquet file")
    with pytest.raises(DamagedArtifactError, match=rf"{damaged} is not a Parquet file.*; {fix}"):
        runs.load_pointwise_per_user(run_id, path=db)
    result.evaluation.pointwise.to_frame().drop(columns="logloss").to_parquet(file)
    with pytest.raises(DamagedArtifactError, match=rf"{damaged} lacks columns \['logloss'\]"):
        runs.load_pointwise_per_user(run_id, path=db)
    file.unlink()
    with pytest.raises(DataError, match=rf"run {run_id} has no per_user_pointwise.parquet"):
        runs.load_pointwise_per_user(run_id, path=db)


def _derive(
    db: Path, parent: str, kind: str, result: RunResult, *, split_name: str | None = None
) -> str:
    """A complete run of ``kind`` derived from ``parent`` (the parent's model and evaluation)."""
    run_id = runs.start_run(
        "toy",
        split_name or PROTOCOL.split_name,
        result.model,
        PROTOCOL.to_dict(),
        kind=kind,
        parent_run_id=parent,
        path=db,
    )
    runs.finish_run(run_id, result.model, result.evaluation, train_seconds=0.0, path=db)
    return run_id


def test_derived_runs_record_kind_stage_and_parent_and_form_a_lineage(db: Path) -> None:
    trained = train_run("toy", "popularity", PROTOCOL, path=db)
    parent = trained.record.run_id
    reranked = _derive(db, parent, "rerank", trained)
    calibrated = _derive(db, reranked, "calibrated", trained)

    assert (trained.record.kind, trained.record.stage, trained.record.parent_run_id) == (
        "train",
        "retrieval",
        None,
    )
    record = runs.get_run(calibrated, path=db)
    assert (record.kind, record.stage, record.parent_run_id) == (
        "calibrated",
        "retrieval",
        reranked,
    )
    assert [r.run_id for r in runs.lineage(calibrated, path=db)] == [calibrated, reranked, parent]
    assert [r.run_id for r in runs.lineage(parent, path=db)] == [parent]
    assert [r.run_id for r in runs.list_runs("toy", kind="rerank", path=db)] == [reranked]
    assert [r.run_id for r in runs.list_runs(kind="train", path=db)] == [parent]
    assert len(runs.list_runs("toy", path=db)) == 3
    with pytest.raises(ConfigError, match="unknown run kind 'retrain'"):
        runs.list_runs(kind="retrain", path=db)
    with pytest.raises(DataError, match="no run 'ghost'"):
        runs.lineage("ghost", path=db)


def test_a_derived_run_needs_a_complete_parent_on_the_same_dataset_and_split(db: Path) -> None:
    trained = train_run("toy", "popularity", PROTOCOL, path=db)
    parent = trained.record.run_id
    running = runs.start_run("toy", PROTOCOL.split_name, trained.model, {}, path=db)
    start = partial(runs.start_run, "toy", PROTOCOL.split_name, trained.model, {}, path=db)
    with pytest.raises(ConfigError, match="unknown run kind 'boosted'"):
        start(kind="boosted", parent_run_id=parent)
    with pytest.raises(ConfigError, match="a trained run has no parent"):
        start(parent_run_id=parent)
    with pytest.raises(DataError, match="a cascade run is derived from another run"):
        start(kind="cascade")
    with pytest.raises(DataError, match="parent run 'ghost' does not exist"):
        start(kind="cascade", parent_run_id="ghost")
    with pytest.raises(DataError, match=f"parent run {running} is running, not complete"):
        start(kind="cascade", parent_run_id=running)
    with pytest.raises(DataError, match="derive from a run on the same dataset and split"):
        _derive(db, parent, "rerank", trained, split_name="another-split")
    assert {r.run_id for r in runs.list_runs(include_incomplete=True, path=db)} == {
        parent,
        running,
    }


def test_a_run_with_derived_runs_is_deleted_only_with_them(db: Path) -> None:
    trained = train_run("toy", "popularity", PROTOCOL, path=db)
    parent = trained.record.run_id
    child = _derive(db, parent, "rerank", trained)
    grandchild = _derive(db, child, "calibrated", trained)
    other = train_run("toy", "popularity", PROTOCOL, path=db).record.run_id

    with pytest.raises(DataError, match=f"runs {child} derive from run {parent}; delete them"):
        runs.delete_run(parent, path=db)
    assert runs.get_run(parent, path=db).artifact_dir.is_dir()
    runs.delete_run(parent, cascade=True, path=db)
    assert [r.run_id for r in runs.list_runs(include_incomplete=True, path=db)] == [other]
    for gone in (parent, child, grandchild):
        assert not (runs.runs_dir(db) / gone).exists()


def test_cli_runs_list_shows_kind_and_parent(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    trained = train_run("toy", "popularity", PROTOCOL, path=db)
    child = _derive(db, trained.record.run_id, "rerank", trained)
    monkeypatch.setenv(store.DB_ENV, str(db))
    assert main(["runs", "list", "--json"]) == 0
    listed = {r["run_id"]: r for r in json.loads(capsys.readouterr().out)["runs"]}
    assert listed[child]["kind"] == "rerank"
    assert listed[child]["parent_run_id"] == trained.record.run_id
    assert listed[trained.record.run_id]["kind"] == "train"
    assert listed[trained.record.run_id]["parent_run_id"] is None
    assert main(["runs", "list"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.split()[:4] == ["run_id", "model", "kind", "parent_run_id"]
    assert next(line for line in lines if line.startswith(child)).split()[2:4] == [
        "rerank",
        trained.record.run_id,
    ]


#: The schema of RecScope 0.1 (version 1), as its store.py created it.
V1_TABLES: dict[str, str] = {
    "schema_version": "version INTEGER NOT NULL",
    "datasets": """
        name VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, n_users BIGINT NOT NULL, n_items BIGINT NOT NULL,
        n_interactions BIGINT NOT NULL, n_impressions BIGINT NOT NULL,
        has_ratings BOOLEAN NOT NULL, has_timestamps BOOLEAN NOT NULL, meta JSON""",
    "users": """
        dataset VARCHAR NOT NULL, user_idx BIGINT NOT NULL, user_id VARCHAR NOT NULL,
        age INTEGER, gender VARCHAR, occupation VARCHAR, zip VARCHAR""",
    "items": """
        dataset VARCHAR NOT NULL, item_idx BIGINT NOT NULL, item_id VARCHAR NOT NULL,
        title VARCHAR, genres VARCHAR, year INTEGER, provider VARCHAR, release_ts BIGINT,
        tags VARCHAR""",
    "interactions": """
        dataset VARCHAR NOT NULL, row_id BIGINT NOT NULL, user_idx BIGINT NOT NULL,
        item_idx BIGINT NOT NULL, rating DOUBLE, timestamp BIGINT, session_id BIGINT""",
    "impressions": """
        dataset VARCHAR NOT NULL, request_id BIGINT, user_idx BIGINT NOT NULL,
        item_idx BIGINT NOT NULL, position INTEGER, clicked BOOLEAN, relevance DOUBLE,
        examination DOUBLE, timestamp BIGINT""",
    "splits": """
        dataset VARCHAR NOT NULL, name VARCHAR NOT NULL, spec JSON, created_at TIMESTAMP NOT NULL,
        PRIMARY KEY (dataset, name)""",
    "split_rows": """
        dataset VARCHAR NOT NULL, split_name VARCHAR NOT NULL, row_id BIGINT NOT NULL,
        part VARCHAR NOT NULL""",
    "runs": """
        run_id VARCHAR PRIMARY KEY, dataset VARCHAR NOT NULL, split_name VARCHAR, model VARCHAR,
        config JSON, seed BIGINT, status VARCHAR, metrics JSON, train_seconds DOUBLE,
        created_at TIMESTAMP, finished_at TIMESTAMP, artifact_dir VARCHAR""",
}
#: Version-1 runs: a retrieval model, a ranking model, one no longer registered, and none.
V1_RUNS = [("r-pop", "popularity"), ("r-dlrm", "dlrm"), ("r-gone", "gone"), ("r-none", None)]


@pytest.fixture()
def v1_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A version-1 database with four complete runs; ``dlrm`` counts as a ranking model."""
    path = tmp_path / "v1.duckdb"
    with duckdb.connect(str(path)) as con:
        for table, columns in V1_TABLES.items():
            con.execute(f"CREATE TABLE {table} ({columns})")
        con.execute("INSERT INTO schema_version VALUES (1)")
        for run_id, model in V1_RUNS:
            con.execute(
                "INSERT INTO runs VALUES (?, 'toy', 's', ?, '{}', 3, 'complete', ?, 1.5, "
                "TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-01', ?)",
                [run_id, model, json.dumps({"ndcg@10": 0.25}), run_id],
            )
    registered = schema.get_model_class

    def lookup(name: str) -> type:
        return type("Ranker", (), {"stage": "ranking"}) if name == "dlrm" else registered(name)

    monkeypatch.setattr(schema, "get_model_class", lookup)
    return path


def _describe(path: Path) -> tuple[int, list[tuple[Any, ...]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        version = con.execute("SELECT version FROM schema_version").fetchall()[0][0]
        columns = con.execute(
            "SELECT column_name, data_type, column_default, is_nullable "
            "FROM information_schema.columns WHERE table_name = 'runs' ORDER BY ordinal_position"
        ).fetchall()
    return version, columns


def test_a_version_1_database_is_migrated_in_place(v1_db: Path, tmp_path: Path) -> None:
    records = {r.run_id: r for r in runs.list_runs(include_incomplete=True, path=v1_db)}
    assert {k: (r.kind, r.stage, r.parent_run_id) for k, r in records.items()} == {
        "r-pop": ("train", "retrieval", None),
        "r-dlrm": ("train", "ranking", None),
        "r-gone": ("train", "retrieval", None),
        "r-none": ("train", "retrieval", None),
    }
    assert records["r-pop"].metrics == {"ndcg@10": 0.25} and records["r-pop"].seed == 3
    fresh = tmp_path / "fresh.duckdb"
    with store.connect(fresh):
        pass
    assert _describe(v1_db) == _describe(fresh)
    assert _describe(v1_db)[0] == store.SCHEMA_VERSION == 2


def test_a_failed_migration_leaves_version_1_untouched(
    v1_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _describe(v1_db)

    def broken(name: str) -> type:
        raise RuntimeError("registry of architectures unavailable")

    monkeypatch.setattr(schema, "get_model_class", broken)
    with pytest.raises(RuntimeError, match="unavailable"):
        runs.list_runs(path=v1_db)
    assert _describe(v1_db) == before and before[0] == 1


def test_a_newer_database_is_refused(v1_db: Path) -> None:
    with duckdb.connect(str(v1_db)) as con:
        con.execute("UPDATE schema_version SET version = ?", [store.SCHEMA_VERSION + 1])
    with pytest.raises(DataError, match="schema version 3, newer than this RecScope understands"):
        runs.list_runs(path=v1_db)


def test_a_process_without_the_registry_uses_a_version_1_database_unmigrated(
    v1_db: Path,
) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from recsys_core.data import store
        print(len(store.list_datasets({str(v1_db)!r})), "recsys_core.registry" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["0", "False"]
    assert _describe(v1_db)[0] == 1  # the runs table is the registry's to migrate
    assert len(runs.list_runs(path=v1_db)) == 4
    assert _describe(v1_db)[0] == 2
