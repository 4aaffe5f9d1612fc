"""Reports for stakeholders: self-contained documents that open offline (``html.render_report``;
``comparison.comparison_report`` renders the Compare page)."""

from __future__ import annotations

from recsys_core.reports.comparison import ComparisonCharts, comparison_report
from recsys_core.reports.html import ReportSection, ReportTable, render_report

__all__ = [
    "ComparisonCharts",
    "ReportSection",
    "ReportTable",
    "comparison_report",
    "render_report",
]
