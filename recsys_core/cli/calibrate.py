"""``calibrate``: fit a calibrator on a ranking run's validation rows and save a calibrated run."""

from __future__ import annotations

import argparse

from recsys_core.cli.output import emit, format_table, note
from recsys_core.cli.parser import Handlers


def calibrate(args: argparse.Namespace) -> None:
    """Calibrate a saved ranking run; print the test rows' ECE, MCE, Brier score and log loss
    at each stage (sigmoid, downsampling correction when used, calibrator)."""
    from recsys_core.calibration.runs import calibrate_run

    result = calibrate_run(args.run, args.method)
    if args.save_predictions:
        result.predictions.to_csv(args.save_predictions, index=False)
        note(f"wrote {len(result.predictions):,} rows to {args.save_predictions}")
    summary = result.summary()
    header = (
        f"{summary['run_id']} ({args.method} calibration of {summary['parent_run_id']}; test "
        f"rows, ECE and MCE over 15 equal-width bins)"
    )
    table = format_table(summary["stages"], ["name", "ece", "mce", "brier", "logloss"])
    emit(args, summary, f"{header}\n{table}")


HANDLERS: Handlers = {("calibrate", None): calibrate}
