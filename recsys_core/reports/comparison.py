"""The Compare page as one offline HTML report: the same tables, captions and charts it showed.

The report is built from a ``compare.Comparison`` (as ``compare.labelled`` shows it: runs by
label) and the charts the page drew from it, so a reviewer reads exactly the numbers, labels and
run colours the page showed (protocol captions included). Column headers, p-value formats and
times follow the page: ``compare.header``, ``%.3g``, ISO 8601 in UTC. The segment table is
summed up (highest and lowest segment of each kind per run); its charts show every segment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import altair as alt
import pandas as pd

from recsys_core.evaluation.compare import (
    Comparison,
    header,
    iso_utc,
    metric_label,
    paired_view,
    segment_extremes,
)
from recsys_core.reports.html import ReportSection, ReportTable, render_report

#: Number formats of the columns that are not plain 4-decimal values, as the page shows them.
FORMATS: dict[str, str] = {"p_value": "%.3g", "diff": "%+.4f"}
#: The paired table's intervals are of the difference: signed, like it.
PAIRED_FORMATS: dict[str, str] = {**FORMATS, "ci_low": "%+.4f", "ci_high": "%+.4f"}


@dataclass(frozen=True)
class ComparisonCharts:
    """The Compare page's charts, per section; None (or none) where the section has no chart."""

    metrics: alt.TopLevelMixin | None = None
    paired: alt.TopLevelMixin | None = None
    segments: Sequence[alt.TopLevelMixin] = field(default_factory=tuple)
    flips: alt.TopLevelMixin | None = None


def has_data(chart: alt.TopLevelMixin) -> bool:
    """Whether a chart has rows to draw (an empty one would be an empty frame in the report)."""
    datasets = chart.to_dict().get("datasets", {})
    return not datasets or any(len(rows) for rows in datasets.values())


def _charts(*charts: alt.TopLevelMixin | None) -> list[alt.TopLevelMixin]:
    return [chart for chart in charts if chart is not None and has_data(chart)]


def _table(caption: str, frame: pd.DataFrame, formats: Mapping[str, str] = FORMATS) -> ReportTable:
    """A report table with the page's headers and number formats."""
    shown = {column: fmt for column, fmt in formats.items() if column in frame.columns}
    return ReportTable(
        caption,
        frame.rename(columns=header),
        {header(column): fmt for column, fmt in shown.items()},
    )


def _segment_table(segments: pd.DataFrame, metric: str, caption: str) -> ReportTable:
    """The segment table summed up on ``metric``: per kind and run, highest and lowest segment."""
    summary = (
        f"{metric_label(metric)}: the highest and lowest segment of each kind for each run (the "
        f"Compare page lists every segment; the charts below show them all). {caption}"
    )
    return _table(summary, segment_extremes(segments, metric))


def comparison_sections(
    comparison: Comparison, charts: ComparisonCharts, *, segment_metric: str | None = None
) -> list[ReportSection]:
    """The report's sections in page order: runs, metrics, baseline, references, segments,
    full vs sampled (those the comparison holds).

    Args:
        comparison: what the Compare page showed.
        charts: the charts it drew from it.
        segment_metric: the metric its segment charts plot (the first per-user metric when not
            given), which the segment summary is on.
    """
    sections = [
        ReportSection(
            "Runs",
            "Each run's label (what it is, protocol, headline metric, age when the report was "
            "made), stage, lineage (trained, or derived from a parent run), settings changed "
            "from the architecture's defaults, creation time and id.",
            [_table(f"Split {comparison.split_name}.", comparison.runs)],
        ),
        ReportSection(
            "Metrics with 95% confidence intervals",
            "Means over evaluated users; intervals are percentile bootstraps over users.",
            [_table(comparison.metrics_caption, comparison.shown_table)],
            _charts(charts.metrics),
        ),
    ]
    if comparison.paired is not None:
        sections.append(
            ReportSection(
                f"Against the baseline {comparison.baseline}",
                "Each run minus the baseline, user by user on the users both evaluated.",
                [_table(comparison.paired_caption, paired_view(comparison.paired), PAIRED_FORMATS)],
                _charts(charts.paired),
            )
        )
    if comparison.references is not None:
        table = _table(comparison.reference_caption, comparison.references)
        sections.append(ReportSection("Published reference", tables=[table]))
    if comparison.segments is not None and comparison.segment_metrics:
        metric = segment_metric or comparison.segment_metrics[0]
        sections.append(
            ReportSection(
                "By user segment",
                tables=[_segment_table(comparison.segments, metric, comparison.segment_caption)],
                charts=_charts(*charts.segments),
            )
        )
    sampled = comparison.sampled
    if sampled is not None:
        sections.append(
            ReportSection(
                "Full ranking vs sampled negatives",
                "Sampled numbers are inflated; only the order of runs is compared.",
                [
                    _table(comparison.full_caption, sampled.full),
                    _table(sampled.caption, sampled.sampled),
                    _table(sampled.flip_caption, sampled.flips),
                ],
                _charts(charts.flips),
            )
        )
    return sections


def comparison_report(
    comparison: Comparison,
    charts: ComparisonCharts,
    *,
    made_at: datetime,
    segment_metric: str | None = None,
) -> str:
    """The comparison as one self-contained HTML document (``render_report``).

    Args:
        comparison: what the Compare page showed.
        charts: the charts it drew from it.
        made_at: when the report was made (a naive time is taken as UTC), for its subtitle.
        segment_metric: the metric of the segment charts (see ``comparison_sections``).
    """
    n_runs = len(comparison.runs)
    return render_report(
        f"RecScope comparison: {comparison.dataset}",
        comparison_sections(comparison, charts, segment_metric=segment_metric),
        subtitle=(
            f"{n_runs} run{'s' if n_runs != 1 else ''} on split {comparison.split_name}; "
            f"baseline {comparison.baseline}; made {iso_utc(made_at)}."
        ),
    )
