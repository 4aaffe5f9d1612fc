"""One self-contained HTML report of tables and Altair charts, for a stakeholder review.

Self-contained means it opens offline from a file: Vega, Vega-Lite and vega-embed are inlined once
as the bundle vl-convert ships (the same one Altair's ``to_html(inline=True)`` embeds per chart),
every chart spec is embedded as JSON, and the page loads nothing from the network.
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from recsys_core.errors import ConfigError

#: Version of vl-convert-python the bundle was checked with (what requirements.txt pins).
VL_CONVERT_REQUIREMENT = "vl-convert-python==1.9.0.post1"
#: Text cells up to this many characters stay on one line (ids, times, metric names).
SHORT_CELL = 32
#: vega-embed options: no action menu (its links would leave the offline page).
EMBED_OPTIONS = {"actions": False, "mode": "vega-lite", "renderer": "svg"}

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #1f2933; }
h1 { margin-bottom: 0.2rem; }
.subtitle { color: #52606d; margin-top: 0; }
section { margin-top: 2.2rem; }
.caption { color: #52606d; font-size: 0.9rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; }
th, td { border-bottom: 1px solid #d9e2ec; padding: 0.25rem 0.6rem; text-align: left;
         vertical-align: top; }
th { background: #f0f4f8; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.short { white-space: nowrap; }
.chart, .chart.vega-embed { display: block; margin: 1rem 0; overflow-x: auto; }
"""


@dataclass(frozen=True)
class ReportTable:
    """A table and the caption that says what it holds (protocol included).

    Attributes:
        caption: what the table holds.
        frame: the rows; its column names are the headers.
        formats: column -> printf-style format of its numbers (``"%.3g"`` for p-values); other
            float columns get 4 decimals.
    """

    caption: str
    frame: pd.DataFrame
    formats: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportSection:
    """A headed part of the report: an explanatory line, tables, then charts."""

    heading: str
    text: str = ""
    tables: Sequence[ReportTable] = field(default_factory=tuple)
    charts: Sequence[alt.TopLevelMixin] = field(default_factory=tuple)


@functools.cache
def vega_bundle() -> str:
    """vega-embed, Vega-Lite and Vega as one script that defines ``vegaEmbed`` globally."""
    try:
        import vl_convert
        from altair.utils._importers import vl_version_for_vl_convert
    except ImportError:
        raise ConfigError(
            f"the HTML report inlines Vega's JavaScript and needs vl-convert-python; install it "
            f"with `pip install {VL_CONVERT_REQUIREMENT}`"
        ) from None
    return vl_convert.javascript_bundle(vl_version=vl_version_for_vl_convert())


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no '</script>' or '<!--' can appear)."""
    text = json.dumps(value, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _cell(value: Any, number_format: str) -> str:
    """One escaped table cell: numbers right-aligned (floats in ``number_format``), missing
    values as '–', short text kept on one line, long text (run labels) wrapped."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return '<td class="num">–</td>'
    if isinstance(value, bool | np.bool_):
        return f"<td>{value}</td>"
    if isinstance(value, float | np.floating):
        return f'<td class="num">{html.escape(number_format % value)}</td>'
    if isinstance(value, int | np.integer):
        return f'<td class="num">{value}</td>'
    text = str(value)
    short = ' class="short"' if len(text) <= SHORT_CELL else ""
    return f"<td{short}>{html.escape(text)}</td>"


def table_html(frame: pd.DataFrame, formats: Mapping[str, str] | None = None) -> str:
    """A frame as an escaped HTML table: floats to 4 decimals unless ``formats`` names the
    column's format, missing values as '–'."""
    formats = formats or {}
    head = "".join(f"<th>{html.escape(str(column))}</th>" for column in frame.columns)
    cell_formats = [formats.get(column, "%.4f") for column in frame.columns]
    rows = [
        "<tr>" + "".join(_cell(v, f) for v, f in zip(row, cell_formats, strict=True)) + "</tr>"
        for row in frame.itertuples(index=False)
    ]
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _section_html(section: ReportSection, first_chart: int) -> tuple[str, list[str]]:
    """Markup of one section and the embed calls of its charts (numbered from ``first_chart``)."""
    parts = [f"<section><h2>{html.escape(section.heading)}</h2>"]
    if section.text:
        parts.append(f"<p>{html.escape(section.text)}</p>")
    for table in section.tables:
        parts.append(f'<p class="caption">{html.escape(table.caption)}</p>')
        parts.append(table_html(table.frame, table.formats))
    calls = []
    for offset, chart in enumerate(section.charts):
        div_id = f"chart-{first_chart + offset}"
        parts.append(f'<div class="chart" id="{div_id}"></div>')
        spec = _script_json(chart.to_dict())
        calls.append(f"vegaEmbed('#{div_id}', {spec}, EMBED).catch(console.error);")
    parts.append("</section>")
    return "\n".join(parts), calls


def render_report(title: str, sections: Sequence[ReportSection], *, subtitle: str = "") -> str:
    """The whole report as one HTML document with every script and style inline.

    Args:
        title: heading and document title.
        sections: the parts of the report, in order.
        subtitle: one line under the title (dataset, runs, when it was made).
    """
    bodies, calls = [], []
    for section in sections:
        body, section_calls = _section_html(section, len(calls))
        bodies.append(body)
        calls.extend(section_calls)
    scripts = ""
    if calls:
        scripts = (
            f'<script type="text/javascript">\n{vega_bundle()}\n</script>\n'
            f'<script type="text/javascript">\nconst EMBED = {_script_json(EMBED_OPTIONS)};\n'
            + "\n".join(calls)
            + "\n</script>"
        )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            "<body>",
            f"<h1>{html.escape(title)}</h1>",
            f'<p class="subtitle">{html.escape(subtitle)}</p>' if subtitle else "",
            *bodies,
            scripts,
            "</body>",
            "</html>",
        ]
    )
