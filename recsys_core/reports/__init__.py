"""Reports for stakeholders: self-contained documents that open offline (``html.render_report``)."""

from __future__ import annotations

from recsys_core.reports.html import ReportSection, ReportTable, render_report

__all__ = ["ReportSection", "ReportTable", "render_report"]
