"""The Compare page's calibration caches: scored test rows and reliability comparisons."""

from __future__ import annotations

import streamlit as st

from recsys_core.calibration import compare as calibration_compare
from recsys_core.calibration.runs import CALIBRATED_KIND, load_calibrated_model
from recsys_core.registry.runs import (
    get_run,
)
from recsys_core.ui.cache._shared import _db
from recsys_core.ui.cache.recommendations import _run_context, _run_fingerprint, _run_model


@st.cache_data(max_entries=16, show_spinner="Scoring the test rows for calibration…")
def _calibration_rows(db: str, run_id: str, fingerprint: str) -> calibration_compare.StageRows:
    record = get_run(run_id)
    context = _run_context(db, run_id, fingerprint)
    if record.kind == CALIBRATED_KIND:
        model = load_calibrated_model(run_id)
    else:
        model = _run_model(db, run_id)
    return calibration_compare.stage_rows(record, model, context.split, context.protocol)


@st.cache_data(max_entries=16, show_spinner=False)
def _calibration_comparison(
    db: str, run_ids: tuple[str, ...], fingerprints: tuple[str, ...], strategy: str
) -> calibration_compare.CalibrationComparison:
    records = [get_run(run_id) for run_id in run_ids]
    rows = {
        record.run_id: _calibration_rows(db, record.run_id, fingerprint)
        for record, fingerprint in zip(records, fingerprints, strict=True)
        if calibration_compare.is_calibratable(record)
    }
    return calibration_compare.compare_calibration(records, rows, strategy)  # type: ignore[arg-type]


def calibration_comparison(
    run_ids: list[str], strategy: str = "uniform"
) -> calibration_compare.CalibrationComparison:
    """``compare_calibration`` of the runs: reliability curves (``uniform`` or ``quantile``
    bins), ECE, MCE, Brier and log loss per (run, stage), and ECE per activity segment. Each
    ranking run's test rows are scored once and kept; retrieval runs are skipped with a note.
    Keyed also by the datasets' fingerprints, so a re-imported dataset is rescored."""
    fingerprints = tuple(_run_fingerprint(run_id) for run_id in run_ids)
    return _calibration_comparison(_db(), tuple(run_ids), fingerprints, strategy)
