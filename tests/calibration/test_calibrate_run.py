"""Calibrated runs end to end on a small synthetic catalogue: library, registry and CLI.

The synthetic catalogue logs impressions, so its validation and test windows carry 0/1 rows of
their own (clicked or not); the logistic ranker is trained on them for two epochs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from recsys_core.calibration.model import CalibratedModel
from recsys_core.calibration.rows import PREDICTION_COLUMNS
from recsys_core.calibration.runs import calibrate_run, load_calibrated_model
from recsys_core.cli import main
from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.errors import ConfigError, DataError
from recsys_core.experiment import train_run
from recsys_core.registry import runs

SPLIT = "random:test=0.1,valid=0.1,seed=7"
PROTOCOL = custom_protocol(SplitSpec(kind="random", test=0.1, valid=0.1, seed=7))
SUMMARY_KEYS = {
    "run_id",
    "parent_run_id",
    "method",
    "ece_before",
    "ece_after",
    "brier_before",
    "brier_after",
    "logloss_before",
    "logloss_after",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A database with the synthetic catalogue ``tiny``, named by RECSCOPE_DB for the CLI."""
    path = tmp_path_factory.mktemp("calibrate") / "cli.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RECSCOPE_DB", str(path))
        code = main(
            ["datasets", "generate", "synthetic", "--name", "tiny", "--users", "300",
             "--items", "200", "--interactions", "6000", "--seed", "3"]
        )  # fmt: skip
        assert code == 0
        yield path


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _strict_json(text: str) -> dict[str, Any]:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} is not strict JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def downsampled_run(db: Path) -> runs.RunRecord:
    overrides = {"n_epochs": 2, "negative_rate": 0.5}
    return train_run("tiny", "logistic", PROTOCOL, overrides=overrides, path=db).record


def _indices(frame: pd.DataFrame, db: Path) -> tuple[np.ndarray, np.ndarray]:
    dataset = store.load_dataset("tiny", path=db)
    users = pd.Index(dataset.users["user_id"]).get_indexer(frame["user_id"])
    items = pd.Index(dataset.items["item_id"]).get_indexer(frame["item_id"])
    return users.astype(np.int64), items.astype(np.int64)


def test_cli_trains_with_predictions_then_calibrates_with_strict_json(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw_file, calibrated_file = tmp_path / "raw.csv", tmp_path / "calibrated.csv"
    code, out, err = _cli(
        capsys, "train", "--dataset", "tiny", "--model", "logistic", "--split", SPLIT,
        "--set", "n_epochs=2", "--json", "--save-predictions", str(raw_file),
    )  # fmt: skip
    assert code == 0, err
    parent_id = _strict_json(out)["run_id"]
    raw = pd.read_csv(raw_file, dtype={"user_id": str, "item_id": str})
    assert tuple(raw.columns) == PREDICTION_COLUMNS
    users, items = _indices(raw, db)
    parent_model = runs.load_run_model(parent_id, path=db)
    logits = parent_model.score(users, items).astype(np.float64)
    np.testing.assert_allclose(raw["score"], expit(logits), rtol=1e-6)

    code, out, err = _cli(
        capsys, "calibrate", "--run", parent_id, "--method", "isotonic", "--json",
        "--save-predictions", str(calibrated_file),
    )  # fmt: skip
    assert code == 0, err
    payload = _strict_json(out)
    assert SUMMARY_KEYS <= set(payload)
    assert payload["parent_run_id"] == parent_id and payload["method"] == "isotonic"
    assert all(0.0 <= payload[key] <= 1.0 for key in ("ece_before", "ece_after", "brier_after"))
    record = runs.get_run(payload["run_id"], path=db)
    assert (record.kind, record.parent_run_id, record.stage) == ("calibrated", parent_id, "ranking")
    assert record.config["model"]["method"] == "isotonic"
    assert record.metrics["ece"] == pytest.approx(payload["ece_after"])

    calibrated = pd.read_csv(calibrated_file, dtype={"user_id": str, "item_id": str})
    assert tuple(calibrated.columns) == PREDICTION_COLUMNS
    pd.testing.assert_frame_equal(calibrated[["user_id", "item_id", "label"]], raw.iloc[:, :3])
    model = load_calibrated_model(payload["run_id"], path=db)
    np.testing.assert_allclose(calibrated["score"], model.predict_proba(users, items), rtol=1e-9)

    code, out, _ = _cli(capsys, "calibrate", "--run", parent_id, "--method", "platt")
    assert code == 0 and "sigmoid" in out and "platt" in out  # the text table, one row a stage
    with pytest.raises(SystemExit) as usage:
        main(["calibrate", "--run", parent_id, "--method", "temperature"])
    assert usage.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_cli_errors_are_one_line(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(
        capsys, "train", "--dataset", "tiny", "--model", "popularity", "--split", SPLIT,
        "--save-predictions", "x.csv",
    )  # fmt: skip
    assert code == 1 and "retrieval model" in err and len(err.strip().splitlines()) == 1
    code, _, err = _cli(capsys, "calibrate", "--run", "nope", "--method", "bayes")
    assert code == 1 and "no run 'nope'" in err


def test_stages_before_and_after_and_a_run_like_its_parent(
    db: Path, downsampled_run: runs.RunRecord
) -> None:
    result = calibrate_run(downsampled_run.run_id, "bayes", path=db)
    names = [stage.name for stage in result.stages]
    assert names == ["sigmoid", "downsampling correction", "bayes"]
    # the sigmoid stage scores the very rows the parent's pointwise log loss was computed on
    assert result.stages[0].metrics.logloss == pytest.approx(
        downsampled_run.metrics["logloss"], rel=1e-6
    )
    assert result.before == result.stages[1].metrics
    summary = result.summary()
    assert summary["negative_rate"] == 0.5 and summary["ece_before"] == result.before.ece
    record = result.record
    top_n = [name for name in downsampled_run.metrics if "@" in name]
    assert "ndcg@10" in top_n and "tail_share@10" in top_n
    for name in top_n:  # calibration never reorders lists: every top-N metric is the parent's
        assert record.metrics[name] == pytest.approx(downsampled_run.metrics[name], nan_ok=True)
    assert record.metrics["logloss"] == pytest.approx(result.after.logloss, rel=1e-4)
    assert record.metrics["ece_before"] == pytest.approx(result.before.ece)
    assert result.interval is not None
    low, high = result.interval
    assert np.all(low <= result.predictions["score"] + 1e-6)
    assert np.all(result.predictions["score"] <= high + 1e-6)
    assert len(runs.load_pointwise_per_user(record.run_id, path=db)) > 0
    assert [r.run_id for r in runs.lineage(record.run_id, path=db)] == [
        record.run_id,
        downsampled_run.run_id,
    ]


def test_the_saved_calibrated_model_scores_as_it_was_fitted(
    db: Path, downsampled_run: runs.RunRecord
) -> None:
    result = calibrate_run(downsampled_run.run_id, "platt", path=db)
    model = load_calibrated_model(result.record.run_id, path=db)
    assert isinstance(model, CalibratedModel)
    assert model.report is not None and model.report["stages"][-1]["name"] == "platt"
    users, items = _indices(result.predictions, db)
    np.testing.assert_allclose(model.predict_proba(users, items), result.predictions["score"])
    # scores stay logits: their sigmoid is the calibrated probability
    np.testing.assert_allclose(expit(model.score(users, items)), result.predictions["score"])
    top = model.recommend(np.array([0, 1]), k=5)
    base_top = model.base.recommend(np.array([0, 1]), k=5)
    np.testing.assert_array_equal(top.item_idx, base_top.item_idx)
    assert np.all(np.diff(top.scores, axis=1) <= 1e-6)
    assert model.calibrate(np.zeros((2, 0))).shape == (2, 0)  # nothing to calibrate is no error
    # the run's model folder still loads as the (uncalibrated) ranker on its own
    ranker = runs.load_run_model(result.record.run_id, path=db)
    np.testing.assert_array_equal(ranker.score(users, items), model.base.score(users, items))


def test_runs_that_cannot_be_calibrated_are_refused(
    db: Path, downsampled_run: runs.RunRecord
) -> None:
    retrieval = train_run("tiny", "popularity", PROTOCOL, path=db).record
    with pytest.raises(ConfigError, match="only ranking runs"):
        calibrate_run(retrieval.run_id, "platt", path=db)
    calibrated = calibrate_run(downsampled_run.run_id, "isotonic", path=db).record
    with pytest.raises(ConfigError, match="already calibrated"):
        calibrate_run(calibrated.run_id, "platt", path=db)
    no_valid = custom_protocol(SplitSpec(kind="random", test=0.2, valid=0.0, seed=7))
    unvalidated = train_run("tiny", "logistic", no_valid, overrides={"n_epochs": 1}, path=db).record
    with pytest.raises(ConfigError, match="no validation split"):
        calibrate_run(unvalidated.run_id, "platt", path=db)
    with pytest.raises(DataError, match="not calibrated"):
        load_calibrated_model(downsampled_run.run_id, path=db)
    with pytest.raises(ConfigError, match="platt, isotonic, bayes"):
        calibrate_run(downsampled_run.run_id, "temperature", path=db)
