"""Calibration side by side: the curves, numbers and segment ECE of a logistic run, its platt
child and a retrieval run, checked against ``calibration.reliability`` computed directly on the
rows of the pointwise evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from recsys_core.calibration.compare import (
    RAW_STAGE,
    CalibrationComparison,
    compare_calibration,
    load_stage_rows,
)
from recsys_core.calibration.reliability import (
    calibration_metrics,
    expected_calibration_error,
    reliability_curve,
)
from recsys_core.calibration.runs import calibrate_run, load_calibrated_model
from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import ConfigError
from recsys_core.evaluation.protocol import POINTWISE_NEGATIVES, pointwise_rows, relevance_matrix
from recsys_core.evaluation.segments import activity_segments
from recsys_core.experiment import prepare_split, train_run
from recsys_core.registry import runs

PROTOCOL = custom_protocol(SplitSpec(kind="random", test=0.1, valid=0.1, seed=7))
SIZES = {"n_users": 300, "n_items": 200, "n_interactions": 6000, "seed": 3}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, runs.RunRecord]]:
    """A downsampled logistic run, its platt-calibrated child and a popularity run."""
    path = tmp_path_factory.mktemp("calibration-compare") / "db.duckdb"
    store.write_dataset(generate_synthetic(name="tiny", **SIZES), path=path)
    overrides = {"n_epochs": 2, "negative_rate": 0.5}
    ranker = train_run("tiny", "logistic", PROTOCOL, overrides=overrides, path=path).record
    calibrated = calibrate_run(ranker.run_id, "platt", path=path).record
    popularity = train_run("tiny", "popularity", PROTOCOL, path=path).record
    return path, {"ranker": ranker, "calibrated": calibrated, "popularity": popularity}


def _comparison(seeded: tuple[Path, dict], strategy: str = "uniform") -> CalibrationComparison:
    path, records = seeded
    chosen = [records["ranker"], records["calibrated"], records["popularity"]]
    rows = {r.run_id: load_stage_rows(r.run_id, path=path) for r in chosen[:2]}
    return compare_calibration(chosen, rows, strategy)  # type: ignore[arg-type]


def _test_rows(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The evaluation's own test rows (users, items, labels), drawn independently here."""
    _, split = prepare_split("tiny", PROTOCOL, path=path)
    truth = relevance_matrix(split.test, PROTOCOL)
    rows, _ = pointwise_rows(split, split.test, truth, POINTWISE_NEGATIVES, PROTOCOL.split.seed)
    return rows.user_idx, rows.item_idx, rows.label.astype(np.float64)


def _expected_probs(path: Path, records: dict) -> dict[tuple[str, str], np.ndarray]:
    users, items, _ = _test_rows(path)
    ranker = runs.load_run_model(records["ranker"].run_id, path=path)
    calibrated = load_calibrated_model(records["calibrated"].run_id, path=path)
    raw = expit(ranker.score(users, items).astype(np.float64))
    corrected = raw / (raw + (1.0 - raw) / 0.5)  # q = p / (p + (1 - p) / w)
    return {
        (records["ranker"].run_id, RAW_STAGE): raw,
        (records["calibrated"].run_id, RAW_STAGE): raw,
        (records["calibrated"].run_id, "downsampling correction"): corrected,
        (records["calibrated"].run_id, "platt"): calibrated.predict_proba(users, items),
    }


def _curve(curves: pd.DataFrame, run_id: str, stage: str) -> pd.DataFrame:
    return curves[(curves["run"] == run_id) & (curves["stage"] == stage)]


def test_stages_per_run_and_retrieval_runs_are_noted(seeded: tuple[Path, dict]) -> None:
    _, records = seeded
    result = _comparison(seeded)
    stages = result.summary.groupby("run", sort=False)["stage"].apply(list).to_dict()
    assert stages == {
        records["ranker"].run_id: [RAW_STAGE],
        records["calibrated"].run_id: [RAW_STAGE, "downsampling correction", "platt"],
    }
    (note,) = result.notes
    assert records["popularity"].run_id in note and "retrieval" in note
    assert set(result.curves["run"]) == set(stages)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_curves_and_numbers_equal_reliability_computed_directly(
    seeded: tuple[Path, dict], strategy: str
) -> None:
    path, records = seeded
    _, _, labels = _test_rows(path)
    result = _comparison(seeded, strategy)
    summary = result.summary.set_index(["run", "stage"])
    for (run_id, stage), probs in _expected_probs(path, records).items():
        curve = reliability_curve(probs, labels, strategy=strategy)
        filled = curve.count > 0
        got = _curve(result.curves, run_id, stage)
        np.testing.assert_array_equal(got["count"], curve.count[filled])
        np.testing.assert_array_equal(got["bin"], np.flatnonzero(filled))
        np.testing.assert_allclose(got["mean_predicted"], curve.mean_predicted[filled], rtol=1e-6)
        np.testing.assert_allclose(got["observed_rate"], curve.fraction_positive[filled])
        assert got["count"].sum() == len(labels) == summary.loc[(run_id, stage), "n_rows"]
        expected = calibration_metrics(probs, labels)
        for name in ("ece", "mce", "brier", "logloss"):
            assert summary.loc[(run_id, stage), name] == pytest.approx(
                getattr(expected, name), rel=1e-5, abs=1e-9
            )
    # the raw stage is what the ranker's pointwise evaluation scored
    raw = summary.loc[(records["ranker"].run_id, RAW_STAGE)]
    assert raw["logloss"] == pytest.approx(records["ranker"].metrics["logloss"], rel=1e-6)


def test_segment_ece_per_run_and_stage_matches_activity_segments(
    seeded: tuple[Path, dict],
) -> None:
    path, records = seeded
    users, _, labels = _test_rows(path)
    _, split = prepare_split("tiny", PROTOCOL, path=path)
    counts = split.train.user_counts()
    unique, inverse = np.unique(users, return_inverse=True)
    row_segments = activity_segments(counts, unique)[inverse]
    segments = _comparison(seeded).segments
    assert len(set(row_segments)) > 1
    for (run_id, stage), probs in _expected_probs(path, records).items():
        part = segments[(segments["run"] == run_id) & (segments["stage"] == stage)]
        assert set(part["segment"]) == set(row_segments)
        assert part["n_rows"].sum() == len(labels)
        assert part["n_users"].sum() == len(unique)
        for row in part.itertuples():
            mask = row_segments == row.segment
            expected = expected_calibration_error(probs[mask], labels[mask])
            assert row.ece == pytest.approx(expected, rel=1e-5, abs=1e-9)
    first = segments[segments["run"] == records["ranker"].run_id]["segment"].tolist()
    lows = [int(label.split("–")[0].split()[0]) for label in first]
    assert lows == sorted(lows)  # light users first


def test_retrieval_runs_and_unknown_binnings_are_refused(seeded: tuple[Path, dict]) -> None:
    path, records = seeded
    with pytest.raises(ConfigError, match="retrieval run"):
        load_stage_rows(records["popularity"].run_id, path=path)
    with pytest.raises(ConfigError, match="uniform or quantile"):
        compare_calibration([records["popularity"]], {}, "weird")  # type: ignore[arg-type]
