"""The HTML report is one offline file: escaped tables, inlined Vega, embedded chart specs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pytest

from recsys_core.reports import ReportSection, ReportTable, render_report
from recsys_core.reports.html import table_html

REMOTE = re.compile(r"<(script|link|img|iframe)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//", re.I)


def _chart(title: str) -> alt.Chart:
    data = pd.DataFrame({"run": ["a", "b"], "mean": [0.1, 0.2]})
    return alt.Chart(data).mark_bar().encode(x="run:N", y="mean:Q").properties(title=title)


def _specs(html: str) -> list[dict]:
    """The chart specs embedded in the report's vegaEmbed calls."""
    calls = re.findall(r"vegaEmbed\('#(chart-\d+)', (\{.*?\}), EMBED\)", html)
    return [json.loads(spec) for _, spec in calls]


def test_report_is_self_contained_with_tables_and_charts() -> None:
    table = pd.DataFrame({"run": ["pop", "knn"], "ndcg@10": [0.123456, np.nan]})
    html = render_report(
        "Comparison",
        [
            ReportSection(
                "Metrics", "Means over users.", [ReportTable("Protocol x", table)], [_chart("One")]
            ),
            ReportSection("Segments", charts=[_chart("Two")]),
        ],
        subtitle="runs pop, knn",
    )
    assert html.startswith("<!DOCTYPE html>")
    assert not REMOTE.search(html)
    assert "<link" not in html
    assert "0.1235" in html and "–" in html  # 4 decimals, missing as a dash
    assert '<p class="caption">Protocol x</p>' in html
    assert [spec["title"] for spec in _specs(html)] == ["One", "Two"]
    assert html.index('id="chart-0"') < html.index('id="chart-1"') < html.index("vegaEmbed(")
    assert html.count("<script") == 2  # the Vega bundle once, then the embed calls
    assert "vegaEmbed" in html[: html.index("vegaEmbed('#chart-0'")]  # defined by the bundle


def test_text_is_escaped_and_specs_cannot_close_the_script() -> None:
    hostile = "</script><script>alert(1)</script>"
    table = pd.DataFrame({"run": ["<b>x</b>"]})
    html = render_report(
        hostile, [ReportSection(hostile, hostile, [ReportTable(hostile, table)], [_chart(hostile)])]
    )
    assert "<script>alert(1)" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert _specs(html)[0]["title"] == hostile


def test_a_report_without_charts_skips_the_bundle() -> None:
    html = render_report(
        "Tables only", [ReportSection("A", tables=[ReportTable("c", pd.DataFrame({"a": [1]}))])]
    )
    assert "<script" not in html
    assert len(html) < 5_000


def test_table_html_formats_floats_and_keeps_other_values() -> None:
    frame = pd.DataFrame({"n": [3], "x": [0.5], "ok": [True], "s": ["a&b"], "p": [1.95e-13]})
    cell = table_html(frame, {"p": "%.3g"})
    assert '<td class="num">3</td>' in cell and '<td class="num">0.5000</td>' in cell
    assert "<td>True</td>" in cell and "a&amp;b" in cell
    assert '<td class="num">1.95e-13</td>' in cell  # its own format, not 0.0000
    long = table_html(pd.DataFrame({"run": ["BPR-MF · 30 epochs · msr-100k · nDCG@10 0.41"]}))
    assert "<td>BPR-MF" in long  # long text may wrap; short text stays on one line


@pytest.mark.e2e
@pytest.mark.slow
def test_report_renders_offline_in_chromium(tmp_path: Path, browser: Any) -> None:
    file = tmp_path / "report.html"
    file.write_text(render_report("R", [ReportSection("S", charts=[_chart("One"), _chart("Two")])]))
    context = browser.new_context(offline=True)
    page = context.new_page()
    remote: list[str] = []
    page.on("request", lambda request: remote.append(request.url))
    page.goto(file.as_uri())
    page.locator("#chart-1 svg").wait_for(timeout=30_000)
    assert page.locator(".chart svg").count() == 2
    assert [url for url in remote if not url.startswith("file:")] == []
    context.close()
