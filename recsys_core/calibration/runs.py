"""Calibrate a saved ranking run and save the result as a run of kind ``calibrated``.

``calibrate_run`` loads the run's model and split, scores the validation and test rows
(``calibration.rows``), corrects the logits for negative downsampling when the ranker used it,
fits the calibrator on the validation rows only, and reports ECE, MCE, Brier score, log loss and
reliability curves on the test rows at each stage: the ranker's sigmoid, the downsampling
correction alone (when the ranker downsampled), and the calibrator. "Before" is the last stage
before the calibrator. The calibrated model (``calibration.model.CalibratedModel``) is evaluated
like any ranking run (top-N lists are the parent's, pointwise metrics calibrated) and saved as a
run whose parent is the original, with the calibration numbers among its metrics and the report
beside its calibrator.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from recsys_core.artifacts import run_files
from recsys_core.calibration.bayesian import BayesianBinningCalibrator
from recsys_core.calibration.downsampling import correct_logits
from recsys_core.calibration.methods import make_calibrator
from recsys_core.calibration.model import CalibratedModel
from recsys_core.calibration.reliability import (
    CalibrationMetrics,
    ReliabilityCurve,
    calibration_metrics,
    reliability_curve,
)
from recsys_core.calibration.rows import pointwise_rows, predictions_frame
from recsys_core.data.labels import LabelledRows
from recsys_core.data.protocols import protocol_from_dict
from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation.protocol import EvaluationResult
from recsys_core.experiment import evaluate_run_model, prepare_split, reported_ks
from recsys_core.models.ranking_base import RankingModel
from recsys_core.registry import runs
from recsys_core.types import FloatArray

#: Kind of the runs ``calibrate_run`` saves.
CALIBRATED_KIND = "calibrated"
#: Level of the posterior intervals of Bayesian binning.
INTERVAL_LEVEL = 0.9
#: Stage names of the report, before the calibrator's own.
SIGMOID_STAGE = "sigmoid"
CORRECTED_STAGE = "downsampling correction"


@dataclass(frozen=True)
class CalibrationStage:
    """Calibration of the test rows' probabilities at one stage.

    Attributes:
        name: ``sigmoid``, ``downsampling correction`` or the method (``platt``, ...).
        metrics: ECE, MCE, Brier score and log loss.
        uniform: the reliability curve over 15 equal-width bins.
        quantile: the reliability curve over 15 quantile bins.
    """

    name: str
    metrics: CalibrationMetrics
    uniform: ReliabilityCurve
    quantile: ReliabilityCurve

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            **self.metrics.to_dict(),
            "curves": {"uniform": self.uniform.to_dict(), "quantile": self.quantile.to_dict()},
        }


@dataclass(frozen=True)
class CalibrationResult:
    """A calibrated run and what calibration changed on its parent's test rows.

    Attributes:
        record: the new run (kind ``calibrated``).
        stages: the sigmoid, the downsampling correction when the ranker downsampled, then the
            calibrator; ``before`` is the one before the calibrator, ``after`` the last.
        predictions: every test row: user_id, item_id, label, score (calibrated probability).
        interval: (low, high) posterior bounds of each test row (Bayesian binning only).
        report: what is saved beside the calibrator (``report.json``).
    """

    record: runs.RunRecord
    stages: tuple[CalibrationStage, ...]
    predictions: pd.DataFrame
    interval: tuple[FloatArray, FloatArray] | None
    report: dict[str, Any]

    @property
    def parent_run_id(self) -> str:
        return str(self.record.parent_run_id)

    @property
    def method(self) -> str:
        return self.stages[-1].name

    @property
    def before(self) -> CalibrationMetrics:
        return self.stages[-2].metrics

    @property
    def after(self) -> CalibrationMetrics:
        return self.stages[-1].metrics

    def summary(self) -> dict[str, Any]:
        """The run ids, method and before/after numbers as one flat dict (the CLI's JSON)."""
        out: dict[str, Any] = {
            "run_id": self.record.run_id,
            "parent_run_id": self.parent_run_id,
            "method": self.method,
            "negative_rate": self.report["negative_rate"],
        }
        for name in ("ece", "mce", "brier", "logloss"):
            out[f"{name}_before"] = getattr(self.before, name)
            out[f"{name}_after"] = getattr(self.after, name)
        out["stages"] = [{"name": s.name, **s.metrics.to_dict()} for s in self.stages]
        return out


@dataclass(frozen=True)
class CalibratedEvaluation(EvaluationResult):
    """A calibrated run's evaluation: its top-N and pointwise metrics plus the calibration
    numbers (``ece``, ``mce``, ``brier`` and their ``_before`` values, ``logloss_before``)."""

    calibration: dict[str, float] = field(default_factory=dict)

    def headline(self) -> dict[str, float]:
        return {**super().headline(), **self.calibration}


def calibrate_run(run_id: str, method: str, *, path: Path | None = None) -> CalibrationResult:
    """Calibrate a complete ranking run on its validation rows and save a ``calibrated`` run.

    Args:
        run_id: a complete run of a ranking model (not itself calibrated).
        method: ``platt``, ``isotonic`` or ``bayes``.
        path: database file; default ``store.default_db_path()``.

    Raises:
        ConfigError: an unknown method, a retrieval or already calibrated run, or a protocol
            without a validation split.
        DataError: the run is missing or incomplete, or its validation rows have one class.
    """
    calibrator = make_calibrator(method)
    record, base = _ranking_run(run_id, path)
    protocol = protocol_from_dict(record.protocol)
    dataset, split = prepare_split(record.dataset, protocol, path=path)
    if split.valid is None or len(split.valid) == 0:
        raise ConfigError(
            f"run {run_id}'s protocol {protocol.name!r} has no validation split, and calibration "
            "is fitted on validation rows only; train under a protocol with one (recbole-ctr, or "
            "--split random:test=0.1,valid=0.1)"
        )
    seed = protocol.split.seed
    valid = pointwise_rows(split, split.valid, protocol, seed + 1)
    test = pointwise_rows(split, split.test, protocol, seed)
    rate = base.downsampling_rate()
    started = time.perf_counter()
    calibrator.fit(correct_logits(base.score(valid.user_idx, valid.item_idx), rate), valid.label)
    fit_seconds = time.perf_counter() - started
    model = CalibratedModel(base, calibrator)
    test_logits = base.score(test.user_idx, test.item_idx)
    calibrated = model.calibrate(test_logits)
    stages = [_stage(SIGMOID_STAGE, expit(test_logits.astype(np.float64)), test.label)]
    if rate < 1.0:
        stages.append(_stage(CORRECTED_STAGE, expit(correct_logits(test_logits, rate)), test.label))
    stages.append(_stage(method, calibrated, test.label))
    interval = None
    if isinstance(calibrator, BayesianBinningCalibrator):
        interval = calibrator.interval(correct_logits(test_logits, rate), INTERVAL_LEVEL)
    model.report = _report(record, model, stages, interval, valid, test)
    new_id = runs.start_run(
        record.dataset,
        record.split_name,
        model,
        record.protocol,
        kind=CALIBRATED_KIND,
        parent_run_id=run_id,
        path=path,
    )
    try:
        evaluation = evaluate_run_model(  # as the parent was evaluated
            model, dataset, split, protocol, ks=reported_ks(record.metrics, protocol.k)
        )
        result = CalibratedEvaluation(
            full=evaluation.full,
            sampled=None,
            rating_errors={},
            pointwise=evaluation.pointwise,
            calibration=_calibration_metrics(stages[-2].metrics, stages[-1].metrics),
        )
        saved = runs.finish_run(new_id, model, result, train_seconds=fit_seconds, path=path)
    except BaseException:
        runs.fail_run(new_id, path=path)
        raise
    return CalibrationResult(
        record=saved,
        stages=tuple(stages),
        predictions=predictions_frame(dataset, test, calibrated),
        interval=interval,
        report=model.report,
    )


def _ranking_run(run_id: str, path: Path | None) -> tuple[runs.RunRecord, RankingModel]:
    """The record and fitted model of a complete, not yet calibrated ranking run."""
    record = runs.get_run(run_id, path=path)
    if record.kind == CALIBRATED_KIND:
        raise ConfigError(
            f"run {run_id} is already calibrated; calibrate its parent {record.parent_run_id}"
        )
    if record.stage != "ranking":
        raise ConfigError(
            f"run {run_id} is a {record.stage} run ({record.model}); only ranking runs score "
            "logits to calibrate: train a ranking model (see `models list`)"
        )
    base = runs.load_run_model(run_id, path=path)
    if not isinstance(base, RankingModel):
        raise DataError(f"run {run_id}'s model {base.name} is not a ranking model; retrain it")
    return record, base


def load_calibrated_model(run_id: str, *, path: Path | None = None) -> CalibratedModel:
    """The calibrated model of a complete ``calibrated`` run (ranker + calibrator + report).

    Raises:
        DataError: no such complete run, or it is not of kind ``calibrated``.
        DamagedArtifactError: a file of its model or calibrator is damaged.
    """
    record = runs.get_run(run_id, path=path)
    if record.kind != CALIBRATED_KIND:
        raise DataError(
            f"run {run_id} is of kind {record.kind}, not {CALIBRATED_KIND}; load it with "
            "registry.load_run_model, or calibrate it first"
        )
    runs.load_run_model(run_id, path=path)  # the completeness and artifact checks
    with run_files(run_id, record.artifact_dir):
        return CalibratedModel.load(record.artifact_dir / runs.MODEL_DIR)


def _stage(name: str, probs: FloatArray, labels: FloatArray) -> CalibrationStage:
    return CalibrationStage(
        name=name,
        metrics=calibration_metrics(probs, labels),
        uniform=reliability_curve(probs, labels, strategy="uniform"),
        quantile=reliability_curve(probs, labels, strategy="quantile"),
    )


def _calibration_metrics(before: CalibrationMetrics, after: CalibrationMetrics) -> dict[str, float]:
    """The run's calibration metrics; its ``logloss`` is the pointwise evaluation's."""
    return {
        "ece": after.ece,
        "mce": after.mce,
        "brier": after.brier,
        "ece_before": before.ece,
        "mce_before": before.mce,
        "brier_before": before.brier,
        "logloss_before": before.logloss,
    }


def _report(
    record: runs.RunRecord,
    model: CalibratedModel,
    stages: list[CalibrationStage],
    interval: tuple[FloatArray, FloatArray] | None,
    valid: LabelledRows,
    test: LabelledRows,
) -> dict[str, Any]:
    """What ``report.json`` holds: the method, the rows, every stage with its curves."""
    calibrator = model.calibrator
    return {
        "method": calibrator.method,
        "label": calibrator.label,
        "source": calibrator.source,
        "parent_run_id": record.run_id,
        "negative_rate": model.config.negative_rate,
        "rows": {"validation": len(valid.label), "test": len(test.label), "source": test.source},
        "stages": [stage.to_dict() for stage in stages],
        "interval": None
        if interval is None
        else {"level": INTERVAL_LEVEL, "mean_width": float(np.mean(interval[1] - interval[0]))},
    }
