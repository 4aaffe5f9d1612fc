"""``python -m recsys_core runs project``: stores or reads back a run's UMAP map, says where."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_core.analysis.projection import ProjectionParams, projection_path
from recsys_core.artifacts import write_parquet_atomic
from recsys_core.cli import EXIT_ERROR, main
from recsys_core.data import store
from recsys_core.data.protocols import get_protocol
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.experiment import train_run


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A small database with a BPR run (item embeddings) and a popularity run (none)."""
    db = tmp_path_factory.mktemp("project") / "recsys.duckdb"
    frames = generate_synthetic(name="tiny", n_users=100, n_items=40, n_interactions=1_500)
    store.write_dataset(frames, path=db)
    protocol = get_protocol("synthetic-user")
    results = {
        model: train_run("tiny", model, protocol, overrides=options, ks=(10,), path=db)
        for model, options in (("bpr", {"n_epochs": 1}), ("popularity", {}))
    }
    return db, {model: result.record.run_id for model, result in results.items()}


def test_a_stored_map_is_read_back_and_its_place_printed(
    trained: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, run_ids = trained
    monkeypatch.setenv(store.DB_ENV, str(db))
    target = projection_path(db.parent / "runs" / run_ids["bpr"], "item", ProjectionParams())
    frame = pd.DataFrame(
        {
            "idx": np.arange(40, dtype=np.int64),
            "x": np.linspace(0, 1, 40, dtype=np.float32),
            "y": np.zeros(40, dtype=np.float32),
        }
    )
    write_parquet_atomic(frame, target)  # as a fit would have left it: no UMAP fit in this test
    assert main(["runs", "project", run_ids["bpr"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "run_id": run_ids["bpr"],
        "side": "item",
        "points": 40,
        "path": str(target),
        "cached": True,
    }
    assert main(["runs", "project", run_ids["bpr"]]) == 0
    assert capsys.readouterr().out.strip() == (
        f"read back the item map of {run_ids['bpr']} (40 points): {target}"
    )


def test_a_run_without_embeddings_is_refused_in_one_line(
    trained: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, run_ids = trained
    monkeypatch.setenv(store.DB_ENV, str(db))
    assert main(["runs", "project", run_ids["popularity"], "--side", "user"]) == EXIT_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "has no user embeddings to project" in err[-1]


def test_the_help_names_the_command_and_its_sides(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["runs", "project", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "UMAP" in out and "{item,user}" in out
    with pytest.raises(SystemExit):
        main(["runs", "--help"])
    assert "project" in capsys.readouterr().out
