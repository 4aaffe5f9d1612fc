"""Calibration of several runs side by side: reliability curves, summary numbers, segment ECE.

For each compared ranking run the test rows of the pointwise evaluation (``calibration.rows``) are
scored once (``stage_rows``): a plain ranking run gives its raw probabilities (the sigmoid of its
logits); a ``calibrated`` run gives its parent's raw probabilities, the downsampling correction
when the ranker downsampled, and its calibrator's. Curves and ECE, MCE, Brier score and log loss
of a calibrated run are its stored report's (the numbers the run was saved with); a plain run's
are computed from its rows the same way. ECE per user-activity segment (quantile bins of training
interaction counts, ``evaluation.segments.activity_segments``) is computed from the rows for every
(run, stage). Retrieval runs score no probabilities: they are skipped with a note.
Shape legend: N test rows, U users, M bins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from recsys_core.calibration.downsampling import correct_logits
from recsys_core.calibration.model import CalibratedModel
from recsys_core.calibration.reliability import (
    ECE_BINS,
    Strategy,
    calibration_metrics,
    expected_calibration_error,
    reliability_curve,
)
from recsys_core.calibration.rows import pointwise_rows
from recsys_core.calibration.runs import (
    CALIBRATED_KIND,
    CORRECTED_STAGE,
    SIGMOID_STAGE,
    load_calibrated_model,
)
from recsys_core.data.protocols import Protocol, protocol_from_dict
from recsys_core.data.splits import SplitData
from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation.segments import activity_segments
from recsys_core.experiment import prepare_split
from recsys_core.models.ranking_base import RankingModel
from recsys_core.registry import runs
from recsys_core.registry.schema import TRAIN_KIND
from recsys_core.types import FloatArray, IntArray

#: What the comparison calls the ranker's own probabilities (the report's ``sigmoid`` stage).
RAW_STAGE = "raw"
#: Activity segments the test users are cut into.
ACTIVITY_BINS = 4
CURVE_COLUMNS = (
    "run",
    "stage",
    "bin",
    "lower",
    "upper",
    "mean_predicted",
    "observed_rate",
    "count",
)
SUMMARY_COLUMNS = ("run", "model", "stage", "ece", "mce", "brier", "logloss", "n_rows")
SEGMENT_COLUMNS = ("run", "stage", "segment", "n_users", "n_rows", "ece")


@dataclass(frozen=True)
class StageRows:
    """A run's test rows and the probabilities of each of its calibration stages.

    Attributes:
        run_id: the run.
        model: the run's model name (``calibrated`` runs: the calibrated ranker's).
        user_idx: (N,) user of each test row.
        label: (N,) 0/1 outcome of each row.
        stages: stage name (``raw``, ``downsampling correction``, the method) -> (N,)
            probabilities, in the order the stages apply.
        user_counts: (U,) training interactions per user (the activity segments).
        report: a calibrated run's stored report (its curves and numbers), else None.
    """

    run_id: str
    model: str
    user_idx: IntArray
    label: FloatArray
    stages: dict[str, FloatArray]
    user_counts: IntArray
    report: dict[str, Any] | None = None


@dataclass(frozen=True)
class CalibrationComparison:
    """The tidy tables of the Compare page's calibration section.

    Attributes:
        curves: one row per (run, stage, bin): ``CURVE_COLUMNS``; empty bins are left out.
        summary: one row per (run, stage): ``SUMMARY_COLUMNS`` (ECE and MCE over 15 equal-width
            bins, whatever the curves' binning).
        segments: one row per (run, stage, activity segment): ``SEGMENT_COLUMNS``.
        strategy: the curves' binning, ``uniform`` or ``quantile``.
        notes: why runs were left out (retrieval runs, re-ranked runs).
    """

    curves: pd.DataFrame
    summary: pd.DataFrame
    segments: pd.DataFrame
    strategy: Strategy
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return self.summary.empty


def is_calibratable(record: runs.RunRecord) -> bool:
    """Whether a run scores probabilities to judge: a trained ranking run or a calibrated one."""
    return record.stage == "ranking" and record.kind in (TRAIN_KIND, CALIBRATED_KIND)


def skip_note(record: runs.RunRecord) -> str:
    """Why a run has no reliability curve."""
    if record.stage != "ranking":
        return (
            f"{record.run_id} ({record.model}) is a retrieval run: it ranks items but scores no "
            "probabilities, so it has no reliability curve"
        )
    return (
        f"{record.run_id} is a {record.kind} run: its lists are derived, its scores are not "
        "probabilities; compare its parent instead"
    )


def stage_rows(
    record: runs.RunRecord,
    model: RankingModel | CalibratedModel,
    split: SplitData,
    protocol: Protocol,
) -> StageRows:
    """Score a run's test rows (those of its pointwise evaluation) at every calibration stage.

    Args:
        record: a trained ranking run or a calibrated one.
        model: its fitted ranker (``registry.load_run_model``), or for a calibrated run its
            ``CalibratedModel`` (``load_calibrated_model``).
        split: the run's split.
        protocol: the run's protocol (relevance rule and seed of the negative draw).
    """
    rows = pointwise_rows(split, split.test, protocol, protocol.split.seed)
    base = model.base if isinstance(model, CalibratedModel) else model
    logits = np.asarray(base.score(rows.user_idx, rows.item_idx), dtype=np.float64)
    stages = {RAW_STAGE: expit(logits)}
    report = None
    if isinstance(model, CalibratedModel):
        rate = model.config.negative_rate
        if rate < 1.0:
            stages[CORRECTED_STAGE] = expit(correct_logits(logits, rate))
        stages[model.calibrator.method] = model.calibrate(logits)
        report = model.report
    return StageRows(
        run_id=record.run_id,
        model=record.model,
        user_idx=rows.user_idx.astype(np.int64),
        label=rows.label.astype(np.float64),
        stages=stages,
        user_counts=split.train.user_counts(),
        report=report,
    )


def load_stage_rows(run_id: str, *, path: Path | None = None) -> StageRows:
    """``stage_rows`` of a saved run, loading its model, split and protocol.

    Raises:
        ConfigError: a retrieval or derived (re-ranked, cascaded) run.
        DataError: the run is missing, incomplete, or its model is no ranker.
    """
    record = runs.get_run(run_id, path=path)
    if not is_calibratable(record):
        raise ConfigError(skip_note(record))
    protocol = protocol_from_dict(record.protocol)
    _, split = prepare_split(record.dataset, protocol, path=path)
    if record.kind == CALIBRATED_KIND:
        return stage_rows(record, load_calibrated_model(run_id, path=path), split, protocol)
    model = runs.load_run_model(run_id, path=path)
    if not isinstance(model, RankingModel):
        raise DataError(f"run {run_id}'s model {model.name} is not a ranking model; retrain it")
    return stage_rows(record, model, split, protocol)


def compare_calibration(
    records: Sequence[runs.RunRecord],
    rows: Mapping[str, StageRows],
    strategy: Strategy = "uniform",
    n_segments: int = ACTIVITY_BINS,
) -> CalibrationComparison:
    """Reliability curves, summary numbers and per-segment ECE of the runs, stage by stage.

    Args:
        records: the compared runs, in selection order; those ``is_calibratable`` refuses are
            skipped with a note.
        rows: ``stage_rows`` of every calibratable run, by run id.
        strategy: binning of the curves: 15 ``uniform`` (equal-width) or ``quantile`` bins.
        n_segments: activity segments wanted (tied counts may merge some).
    """
    if strategy not in ("uniform", "quantile"):
        raise ConfigError(f"unknown binning {strategy!r}; choose uniform or quantile")
    curves, summary, segments, notes = [], [], [], []
    for record in records:
        if not is_calibratable(record):
            notes.append(skip_note(record))
            continue
        run = rows[record.run_id]
        for stage, curve, numbers in _stage_curves(run, strategy):
            curves.append(_curve_frame(run.run_id, stage, curve))
            summary.append(
                {"run": run.run_id, "model": run.model, "stage": stage, **numbers}
                | {"n_rows": len(run.label)}
            )
        segments.append(segment_ece(run, n_segments))
    return CalibrationComparison(
        curves=_concat(curves, CURVE_COLUMNS),
        summary=pd.DataFrame(summary, columns=list(SUMMARY_COLUMNS)),
        segments=_concat(segments, SEGMENT_COLUMNS),
        strategy=strategy,
        notes=tuple(notes),
    )


def segment_ece(run: StageRows, n_segments: int = ACTIVITY_BINS) -> pd.DataFrame:
    """ECE (15 equal-width bins) of each stage within each activity segment of the test users.

    Segments are quantile bins of the training counts of the users with test rows, cut per user
    (not per row), so each holds about as many users.
    """
    users, row_user = np.unique(run.user_idx, return_inverse=True)
    user_labels = activity_segments(run.user_counts, users, n_segments)
    row_labels = user_labels[row_user]
    out = []
    for segment in dict.fromkeys(user_labels[np.argsort(run.user_counts[users], kind="stable")]):
        mask = row_labels == segment
        for stage, probs in run.stages.items():
            out.append(
                {
                    "run": run.run_id,
                    "stage": stage,
                    "segment": str(segment),
                    "n_users": int(np.sum(user_labels == segment)),
                    "n_rows": int(mask.sum()),
                    "ece": expected_calibration_error(probs[mask], run.label[mask], ECE_BINS),
                }
            )
    return pd.DataFrame(out, columns=list(SEGMENT_COLUMNS))


def _stage_curves(
    run: StageRows, strategy: Strategy
) -> list[tuple[str, dict[str, Any], dict[str, float]]]:
    """(stage, curve as ``ReliabilityCurve.to_dict``, ece/mce/brier/logloss) of each stage: the
    stored report's for a calibrated run, computed from the rows otherwise."""
    if run.report is not None:
        return [
            (
                RAW_STAGE if stage["name"] == SIGMOID_STAGE else stage["name"],
                stage["curves"][strategy],
                {name: float(stage[name]) for name in ("ece", "mce", "brier", "logloss")},
            )
            for stage in run.report["stages"]
        ]
    out = []
    for stage, probs in run.stages.items():
        curve = reliability_curve(probs, run.label, ECE_BINS, strategy)
        out.append((stage, curve.to_dict(), calibration_metrics(probs, run.label).to_dict()))
    return out


def _curve_frame(run_id: str, stage: str, curve: dict[str, Any]) -> pd.DataFrame:
    """The non-empty bins of one curve (``ReliabilityCurve.to_dict`` form) as tidy rows."""
    frame = pd.DataFrame(
        {
            "run": run_id,
            "stage": stage,
            "bin": np.arange(len(curve["count"])),
            "lower": curve["lower"],
            "upper": curve["upper"],
            "mean_predicted": np.asarray(curve["mean_predicted"], dtype=np.float64),
            "observed_rate": np.asarray(curve["fraction_positive"], dtype=np.float64),
            "count": np.asarray(curve["count"], dtype=np.int64),
        },
        columns=list(CURVE_COLUMNS),
    )
    return frame[frame["count"] > 0]


def _concat(frames: list[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=list(columns))
    return pd.concat(frames, ignore_index=True)
