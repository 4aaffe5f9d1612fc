"""Starter runs: the first start of the app trains a few fast runs on the synthetic default."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recsys_core import starter
from recsys_core.data import store
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.registry import list_runs

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.mark.parametrize(
    ("value", "enabled"), [(None, True), ("1", True), ("0", False), ("off", False), ("No", False)]
)
def test_the_environment_variable_turns_starter_runs_off(
    value: str | None, enabled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if value is None:
        monkeypatch.delenv(starter.STARTER_ENV, raising=False)
    else:
        monkeypatch.setenv(starter.STARTER_ENV, value)
    assert starter.starter_runs_enabled() is enabled


def test_turned_off_nothing_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(starter.STARTER_ENV, "0")
    assert starter.start_starter_runs("synthetic", tmp_path / "off.duckdb") is None
    assert starter.starter_progress(tmp_path / "off.duckdb") is None


def test_a_batch_trains_every_starter_run_once_per_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(starter.STARTER_ENV, "1")
    db = tmp_path / "starter.duckdb"
    frames = generate_synthetic(n_users=300, n_items=120, n_interactions=6_000, name="synthetic")
    store.write_dataset(frames, path=db)
    batch = starter.start_starter_runs("synthetic", db)
    assert batch is not None
    assert starter.start_starter_runs("synthetic", db) is batch  # one batch per database
    progress = batch.wait(timeout=300)
    assert progress.finished and not progress.failures, progress.text
    assert progress.done == progress.total == len(starter.STARTER_MODELS)
    records = list_runs("synthetic", path=db)
    assert sorted(r.run_id for r in records) == sorted(progress.run_ids)
    assert sorted(r.model for r in records) == sorted(m for m, _ in starter.STARTER_MODELS)
    assert {r.protocol["name"] for r in records} == {starter.STARTER_PROTOCOL}
    bpr = next(r for r in records if r.model == "bpr")
    assert bpr.config["model"]["n_epochs"] == 15
    assert "ready" in progress.text and f"{progress.total} of {progress.total}" in progress.text


def test_first_start_of_the_app_yields_at_least_three_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "first.duckdb"
    monkeypatch.setenv("RECSCOPE_DB", str(db))
    monkeypatch.setenv(starter.STARTER_ENV, "1")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert [info.name for info in store.list_datasets(path=db)] == ["synthetic"]
    progress = starter.starter_progress(db)
    assert progress is not None and progress.dataset == "synthetic"
    assert any("starter runs" in bar.proto.text for bar in at.sidebar.get("progress")) or (
        progress.finished
    )
    batch = starter.start_starter_runs("synthetic", db)
    assert batch is not None
    finished = batch.wait(timeout=300)
    assert finished.finished and not finished.failures, finished.text
    assert len(list_runs("synthetic", path=db)) >= 3
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == len(finished.run_ids)  # the home page's runs table
