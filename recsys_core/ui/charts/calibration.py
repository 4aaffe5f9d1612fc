"""Altair charts of the Compare page's calibration section: reliability curves of several runs and
stages with their bin counts underneath, and ECE per user-activity segment.

Pure functions: the tables of ``recsys_core.calibration.compare`` in, ``alt`` charts out. Each
line is one (run, stage), named in the legend with its ECE and Brier score, so the legend reads as
the summary table. Titles say what is plotted and on which data (``context``).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

#: Width of the reliability plot and its histogram, heights of each, in pixels.
WIDTH, CURVE_HEIGHT, HISTOGRAM_HEIGHT = 460, 320, 110
#: Width of one bar of the segment chart, in pixels.
SEGMENT_STEP = 14
BINNINGS = {"uniform": "15 equal-width bins", "quantile": "15 quantile bins"}


def series_labels(summary: pd.DataFrame) -> pd.Series:
    """'run · stage (ECE 0.0123, Brier 0.1234)' of each summary row, in its order."""
    return (
        summary["run"].astype(str)
        + " · "
        + summary["stage"].astype(str)
        + summary.apply(lambda r: f" (ECE {r['ece']:.4f}, Brier {r['brier']:.4f})", axis=1)
    )


def _with_series(frame: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the legend label, ECE and Brier of its (run, stage) beside each row."""
    named = summary[["run", "stage", "ece", "brier"]].assign(series=series_labels(summary))
    return frame.merge(named, on=["run", "stage"], how="inner", validate="many_to_one")


def _series_color(order: list[str]) -> alt.Color:
    return alt.Color(
        "series:N",
        sort=order,
        legend=alt.Legend(title="run · stage", orient="bottom", columns=1, labelLimit=520),
    )


def reliability_chart(
    curves: pd.DataFrame, summary: pd.DataFrame, strategy: str, context: str
) -> alt.VConcatChart:
    """Observed positive rate against mean predicted probability per bin, one line per (run,
    stage), over the diagonal of perfect calibration; the test rows per bin as bars underneath.

    Args:
        curves: ``CalibrationComparison.curves`` (non-empty bins only).
        summary: ``CalibrationComparison.summary`` (ECE and Brier for the legend labels).
        strategy: the curves' binning, ``uniform`` or ``quantile``.
        context: dataset, split and rows the curves come from, for the title.
    """
    data = _with_series(curves, summary)
    order = series_labels(summary).tolist()
    color = _series_color(order)
    tooltip = [
        alt.Tooltip("run:N"),
        alt.Tooltip("stage:N"),
        alt.Tooltip("bin:Q"),
        alt.Tooltip("lower:Q", title="bin from", format=".3f"),
        alt.Tooltip("upper:Q", title="bin to", format=".3f"),
        alt.Tooltip("mean_predicted:Q", title="mean predicted", format=".4f"),
        alt.Tooltip("observed_rate:Q", title="observed rate", format=".4f"),
        alt.Tooltip("count:Q", title="test rows"),
        alt.Tooltip("ece:Q", title="ECE", format=".4f"),
        alt.Tooltip("brier:Q", title="Brier", format=".4f"),
    ]
    unit = alt.Scale(domain=[0.0, 1.0])
    x = alt.X("mean_predicted:Q", title="mean predicted probability", scale=unit)
    diagonal = (
        alt.Chart(pd.DataFrame({"p": [0.0, 1.0]}))
        .mark_line(strokeDash=[4, 4], color="gray")
        .encode(x=alt.X("p:Q", scale=unit), y=alt.Y("p:Q", scale=unit))
    )
    line = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("observed_rate:Q", title="observed positive rate", scale=unit),
            color=color,
            detail="series:N",
            order="bin:Q",
            tooltip=tooltip,
        )
    )
    curve = alt.layer(diagonal, line).properties(
        width=WIDTH,
        height=CURVE_HEIGHT,
        title=(
            f"Reliability of {len(order)} run · stage pairs: observed positive rate against "
            f"mean predicted probability ({BINNINGS.get(strategy, strategy)}; dashed = perfectly "
            f"calibrated) — {context}"
        ),
    )
    histogram = (
        alt.Chart(data)
        .mark_bar(opacity=0.4)
        .encode(
            x=alt.X("lower:Q", title="predicted probability (bin)", scale=unit),
            x2="upper:Q",
            y=alt.Y("count:Q", title="test rows", stack=None),
            color=color,
            tooltip=tooltip,
        )
        .properties(
            width=WIDTH,
            height=HISTOGRAM_HEIGHT,
            title="Test rows per bin (overlaid, one colour per run · stage)",
        )
    )
    return alt.vconcat(curve, histogram).resolve_scale(color="shared")


def segment_ece_chart(segments: pd.DataFrame, summary: pd.DataFrame, context: str) -> alt.Chart:
    """ECE (15 equal-width bins) of each (run, stage) within each user-activity segment.

    Args:
        segments: ``CalibrationComparison.segments`` (segments light to heavy).
        summary: ``CalibrationComparison.summary`` (the legend labels, as the reliability chart).
        context: dataset, split and rows, for the title.
    """
    data = _with_series(segments.rename(columns={"ece": "segment_ece"}), summary)
    order = series_labels(summary).tolist()
    tooltip = [
        alt.Tooltip("run:N"),
        alt.Tooltip("stage:N"),
        alt.Tooltip("segment:N", title="activity"),
        alt.Tooltip("segment_ece:Q", title="ECE in segment", format=".4f"),
        alt.Tooltip("ece:Q", title="ECE overall", format=".4f"),
        alt.Tooltip("n_users:Q", title="users"),
        alt.Tooltip("n_rows:Q", title="test rows"),
    ]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "segment:N",
                sort=list(dict.fromkeys(segments["segment"])),
                title="training interactions per user",
            ),
            xOffset=alt.XOffset("series:N", sort=order),
            y=alt.Y("segment_ece:Q", title="ECE"),
            color=_series_color(order),
            tooltip=tooltip,
        )
        .properties(
            width=alt.Step(SEGMENT_STEP),
            height=240,
            title=f"ECE per user-activity segment, by run and stage — {context}",
        )
    )
