"""The run registry: atomic completion, no pickle, deletion, and the experiment that feeds it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_core.data import store
from recsys_core.data.frames import DatasetFrames
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.errors import DataError
from recsys_core.experiment import prepare_split, train_run
from recsys_core.models import EpochReport
from recsys_core.registry import runs


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
    with pytest.raises(DataError, match="corrupt"):
        runs.load_run_model(record.run_id, path=db)


def test_delete_run_removes_row_and_artifacts(db: Path) -> None:
    record = train_run("toy", "popularity", PROTOCOL, path=db).record
    runs.delete_run(record.run_id, path=db)
    assert not record.artifact_dir.exists()
    with pytest.raises(DataError, match="no run"):
        runs.get_run(record.run_id, path=db)
