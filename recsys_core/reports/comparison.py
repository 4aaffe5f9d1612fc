"""The Compare page as one offline HTML report: the same tables, captions and charts it showed.

The report is built from a ``compare.Comparison`` and the charts the page drew from it, so a
reviewer reads exactly the numbers and labels the page showed (protocol captions included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import altair as alt

from recsys_core.evaluation.compare import Comparison
from recsys_core.reports.html import ReportSection, ReportTable, render_report


@dataclass(frozen=True)
class ComparisonCharts:
    """The Compare page's charts, one per section; None where the section has no chart."""

    metrics: alt.TopLevelMixin | None = None
    paired: alt.TopLevelMixin | None = None
    segments: alt.TopLevelMixin | None = None
    flips: alt.TopLevelMixin | None = None


def _charts(*charts: alt.TopLevelMixin | None) -> list[alt.TopLevelMixin]:
    return [chart for chart in charts if chart is not None]


def comparison_sections(comparison: Comparison, charts: ComparisonCharts) -> list[ReportSection]:
    """The report's sections in page order: runs, metrics, baseline, references, segments,
    full vs sampled (those the comparison holds)."""
    sections = [
        ReportSection(
            "Runs",
            "Each run's model, stage and lineage (trained, or derived from a parent run).",
            [ReportTable(f"Split {comparison.split_name}.", comparison.runs)],
        ),
        ReportSection(
            "Metrics with 95% confidence intervals",
            "Means over evaluated users; intervals are percentile bootstraps over users.",
            [ReportTable(comparison.metrics_caption, comparison.shown_table)],
            _charts(charts.metrics),
        ),
    ]
    if comparison.paired is not None:
        sections.append(
            ReportSection(
                f"Against the baseline {comparison.baseline}",
                "Each run minus the baseline, user by user on the users both evaluated.",
                [ReportTable(comparison.paired_caption, comparison.paired)],
                _charts(charts.paired),
            )
        )
    if comparison.references is not None:
        table = ReportTable(comparison.reference_caption, comparison.references)
        sections.append(ReportSection("Published reference", tables=[table]))
    if comparison.segments is not None:
        table = ReportTable(comparison.segment_caption, comparison.segments)
        sections.append(
            ReportSection("By user segment", tables=[table], charts=_charts(charts.segments))
        )
    sampled = comparison.sampled
    if sampled is not None:
        sections.append(
            ReportSection(
                "Full ranking vs sampled negatives",
                "Sampled numbers are inflated; only the order of runs is compared.",
                [
                    ReportTable(comparison.full_caption, sampled.full),
                    ReportTable(sampled.caption, sampled.sampled),
                    ReportTable(sampled.flip_caption, sampled.flips),
                ],
                _charts(charts.flips),
            )
        )
    return sections


def comparison_report(
    comparison: Comparison, charts: ComparisonCharts, *, made_at: datetime
) -> str:
    """The comparison as one self-contained HTML document (``render_report``).

    Args:
        comparison: what the Compare page showed.
        charts: the charts it drew from it.
        made_at: when the report was made, for its subtitle.
    """
    return render_report(
        f"RecScope comparison: {comparison.dataset}",
        comparison_sections(comparison, charts),
        subtitle=(
            f"Runs {', '.join(comparison.run_ids)} on split {comparison.split_name}; baseline "
            f"{comparison.baseline}; made {made_at:%Y-%m-%d %H:%M}."
        ),
    )
