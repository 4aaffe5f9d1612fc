"""Honest JSON: ``run.json``, model configs and every ``--json`` output parse with a strict parser
(no NaN or Infinity tokens: a value that is not a finite number is null)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recsys_core import strict_json
from recsys_core.cli import main
from recsys_core.registry import runs

SPLIT = "random:test=0.1,valid=0.1,seed=7"


def strict_loads(text: str) -> Any:
    """``json.loads`` that refuses NaN, Infinity and -Infinity."""

    def refuse(token: str) -> None:
        raise AssertionError(f"{token} is not strict JSON")

    return json.loads(text, parse_constant=refuse)


def test_values_become_plain_json_recursively() -> None:
    value = {
        "nan": float("nan"),
        "inf": [float("inf"), -np.inf, np.float32("nan")],
        "numpy": (np.int64(3), np.float32(0.5), np.bool_(True)),
        "array": np.array([[1.0, np.nan]]),
        1: {"path": Path("/a/b"), "when": datetime(2026, 1, 2, 3, 4, 5, 678)},
    }
    assert strict_json.to_json_value(value) == {
        "nan": None,
        "inf": [None, None, None],
        "numpy": [3, 0.5, True],
        "array": [[1.0, None]],
        "1": {"path": "/a/b", "when": "2026-01-02T03:04:05"},
    }
    assert strict_loads(strict_json.dumps(value))["inf"] == [None, None, None]
    with pytest.raises(TypeError):
        strict_json.dumps({"model": object()})  # what JSON cannot hold is refused, not guessed


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("strict") / "cli.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RECSCOPE_DB", str(path))
        code = main(
            ["datasets", "generate", "synthetic", "--name", "tiny", "--users", "200",
             "--items", "120", "--interactions", "4000", "--seed", "3"]
        )  # fmt: skip
        assert code == 0
        yield path


def _json_out(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return strict_loads(out)


def test_ease_run_json_and_every_json_output_are_strict(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trained = _json_out(capsys, "train", "--dataset", "tiny", "--model", "ease", "--split", SPLIT)
    run_id = trained["run_id"]
    record = runs.get_run(run_id, path=db)
    details = strict_loads((record.artifact_dir / runs.RUN_FILE).read_text())
    assert details["history"] and all(row["loss"] is None for row in details["history"])
    assert all(math.isfinite(row["l2"]) for row in details["history"])
    strict_loads((record.artifact_dir / runs.MODEL_DIR / "config.json").read_text())

    listed = _json_out(capsys, "runs", "list")
    assert [row["run_id"] for row in listed["runs"]] == [run_id]
    assert _json_out(capsys, "evaluate", "--run", run_id)["run_id"] == run_id
    reranked = _json_out(
        capsys, "rerank", "--run", run_id, "--set", "mmr=0.5", "--candidates", "30"
    )
    assert set(reranked["before"]) == set(reranked["after"])
    ranker = _json_out(
        capsys, "train", "--dataset", "tiny", "--model", "logistic", "--split", SPLIT,
        "--set", "n_epochs=1",
    )  # fmt: skip
    calibrated = _json_out(capsys, "calibrate", "--run", ranker["run_id"], "--method", "platt")
    assert calibrated["parent_run_id"] == ranker["run_id"]
    for listed_run in _json_out(capsys, "runs", "list")["runs"]:
        folder = runs.get_run(listed_run["run_id"], path=db).artifact_dir
        for file in folder.rglob("*.json"):
            strict_loads(file.read_text())
