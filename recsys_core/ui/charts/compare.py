"""Altair charts of the Compare page: metric bars with intervals, paired differences against the
baseline, per-segment bars, the rank changes between full and sampled evaluation and the
re-ranking trade-off curves.

Pure functions: the tables of ``recsys_core.evaluation.compare`` in (runs named by label after
``compare.labelled``), ``alt`` charts out. Each title says what is plotted and on which runs and
protocol (``context``); each run has one colour in every chart (``run_colour``).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from recsys_core.evaluation.compare import LOWER_IS_BETTER, metric_label

#: Facets per row when metrics are laid out side by side.
FACET_COLUMNS = 3
#: Width and height of one facet, in pixels.
FACET_WIDTH, FACET_HEIGHT = 220, 180
#: Height of one run's bar in the segment charts, in pixels (the step of the run offset).
SEGMENT_BAR = 8
#: Height of one run's row in the paired-difference chart, in pixels.
PAIRED_STEP = 14
#: One colour per run, in selection order (Tableau 10: ten distinct hues; more runs repeat them).
RUN_COLOURS: tuple[str, ...] = (
    "#4c78a8",
    "#f58518",
    "#e45756",
    "#72b7b2",
    "#54a24b",
    "#eeca3b",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
)
#: Longest legend label shown whole, in pixels (run labels are long).
LEGEND_LABEL_LIMIT = 900
#: Colour of the error bars: dark, so they read on every run's bar colour.
ERROR_COLOUR = "#333333"
#: Sizing of the single-view charts: fill the container's width, keep the given height (a
#: fitted height would squeeze the plot to make room for a long legend).
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


def _order(values: pd.Series) -> list[str]:
    """Distinct values in first-seen order (the order the tables list runs and metrics in)."""
    return [str(v) for v in dict.fromkeys(values)]


def run_colours(runs: Sequence[str]) -> dict[str, str]:
    """Run -> its colour in every chart (``run_colour``), for tables and headings beside them."""
    return {run: RUN_COLOURS[i % len(RUN_COLOURS)] for i, run in enumerate(runs)}


def _title(text: str, context: str) -> alt.TitleParams:
    """A chart title: what is plotted, with the data it comes from as the subtitle (the two do
    not fit one line at the page's width)."""
    return (
        alt.TitleParams(text, subtitle=context, anchor="start")
        if context
        else alt.TitleParams(text, anchor="start")
    )


def run_colour(runs: Sequence[str]) -> alt.Color:
    """Colour by run: ``runs`` (every compared run, in selection order) fixes the domain, so a run
    keeps its colour in every chart, including those that leave some runs out; the legend lists
    the runs one per line under the chart, labels in full."""
    return alt.Color(
        "run:N",
        sort=list(runs),
        scale=alt.Scale(domain=list(runs), range=list(RUN_COLOURS)),
        legend=alt.Legend(
            title="Run",
            orient="bottom",
            direction="vertical",
            columns=1,
            labelLimit=LEGEND_LABEL_LIMIT,
        ),
    )


def _families(data: pd.DataFrame) -> pd.Series:
    """Each row's metric family: the ``family`` column, else the metric name before its "@"."""
    if "family" in data:
        return data["family"].astype(str)
    return data["metric"].astype(str).str.partition("@")[0]


def _panel(data: pd.DataFrame) -> pd.Series:
    """Facet titles: the metric, with "(lower is better)" after log loss, Gini and genre KL."""
    metric = data["metric"].astype(str)
    return metric.where(~_families(data).isin(LOWER_IS_BETTER), metric + " (lower is better)")


def _best_first(data: pd.DataFrame) -> pd.Series:
    """Rank of each run within its metric, best first (lowest first where lower is better,
    highest first otherwise); runs without a value come last."""
    lower = _families(data).isin(LOWER_IS_BETTER)
    key = data["mean"].where(lower, -data["mean"])
    return key.groupby(data["metric"], sort=False).rank(method="first", na_option="bottom")


def metric_bars_chart(
    table: pd.DataFrame, context: str, runs: Sequence[str] | None = None
) -> alt.FacetChart:
    """Bars of each run's mean per metric with 95% bootstrap error bars and baseline markers.

    Within each metric's panel the runs stand best first; each keeps its colour. Runs without a
    value of a metric (retrieval runs on the pointwise metrics) have no bar there.

    Args:
        table: ``metrics_table`` rows, with ``vs_baseline`` from ``with_markers`` when a baseline
            was chosen (the marker is written above the interval).
        context: dataset, split and evaluation the numbers come from, for the title.
        runs: every compared run in selection order (the colour domain); the table's runs
            when not given.
    """
    data = table.copy()
    if "vs_baseline" not in data:
        data["vs_baseline"] = ""
    data["label_y"] = data["ci_high"].fillna(data["mean"])
    data["panel"] = _panel(data)
    data["place"] = _best_first(data)
    runs = list(runs) if runs is not None else _order(data["run"])
    tooltip = [
        alt.Tooltip("run:N", title="run"),
        alt.Tooltip("metric:N"),
        alt.Tooltip("mean:Q", format=".4f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".4f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".4f"),
        alt.Tooltip("n_users:Q", title="users"),
        alt.Tooltip("vs_baseline:N", title="vs baseline"),
        alt.Tooltip("protocol:N", title="evaluation"),
    ]
    x = alt.X(
        "run:N",
        sort=alt.EncodingSortField(field="place", op="min"),
        title=None,
        axis=alt.Axis(labels=False, ticks=False),
    )
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(x=x, y=alt.Y("mean:Q", title="value"), color=run_colour(runs), tooltip=tooltip)
    )
    errors = (
        alt.Chart()
        .mark_errorbar(ticks=True, color=ERROR_COLOUR)
        .transform_filter("isValid(datum.ci_low) && isValid(datum.ci_high)")
        .encode(x=x, y=alt.Y("ci_low:Q", title="value"), y2="ci_high:Q")
    )
    markers = (
        alt.Chart()
        .mark_text(dy=-8, fontSize=13)
        .encode(x=x, y=alt.Y("label_y:Q"), text="vs_baseline:N", tooltip=tooltip)
    )
    return (
        alt.layer(bars, errors, markers, data=data)
        .properties(width=FACET_WIDTH, height=FACET_HEIGHT)
        .facet(
            facet=alt.Facet("panel:N", sort=_order(data["panel"]), title=None),
            columns=FACET_COLUMNS,
        )
        .resolve_scale(x="independent", y="independent")
        .properties(
            title=_title(
                "Mean of each metric per run, best first, with 95% bootstrap intervals "
                "(▲/▼ significantly above/below the baseline)",
                context,
            )
        )
    )


def paired_diff_chart(
    paired: pd.DataFrame, context: str, runs: Sequence[str] | None = None
) -> alt.LayerChart:
    """Each run's mean difference to the baseline per metric, with its paired 95% interval.

    Args:
        paired: ``paired_table`` rows.
        context: dataset, split and evaluation, for the title.
        runs: every compared run in selection order (the colour domain, baseline included, so
            each run has the colour it has in the other charts); the table's runs when not given.
    """
    baseline = str(paired["baseline"].iloc[0]) if len(paired) else ""
    runs = list(runs) if runs is not None else _order(paired["run"])
    metrics = _order(paired["metric"])
    tooltip = [
        alt.Tooltip("run:N", title="run"),
        alt.Tooltip("metric:N"),
        alt.Tooltip("diff:Q", title="difference (run − baseline)", format="+.4f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format="+.4f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format="+.4f"),
        alt.Tooltip("p_value:Q", title="p (paired t-test)", format=".3g"),
        alt.Tooltip("marker:N", title="vs baseline"),
        alt.Tooltip("verdict:N", title="verdict (with the metric's direction)"),
        alt.Tooltip("n_users:Q", title="paired users"),
    ]
    y = alt.Y("metric:N", sort=metrics, title=None)
    y_offset = alt.YOffset("run:N", sort=runs)
    color = run_colour(runs)
    intervals = (
        alt.Chart()
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X("ci_low:Q", title="difference to the baseline (run − baseline)"),
            x2="ci_high:Q",
            y=y,
            yOffset=y_offset,
            color=color,
            tooltip=tooltip,
        )
    )
    points = (
        alt.Chart()
        .mark_point(filled=True, size=60)
        .encode(x="diff:Q", y=y, yOffset=y_offset, color=color, tooltip=tooltip)
    )
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(strokeDash=[4, 4]).encode(x="zero:Q")
    return alt.layer(
        alt.layer(intervals, points, data=paired),
        zero,
    ).properties(
        width="container",
        height=alt.Step(PAIRED_STEP),
        autosize=FIT_WIDTH,
        title=_title(
            "Paired difference to the baseline with 95% bootstrap intervals",
            f"Baseline: {baseline} — {context}",
        ),
    )


def segment_charts(
    segments: pd.DataFrame, metric: str, context: str, runs: Sequence[str] | None = None
) -> list[alt.Chart]:
    """Mean of ``metric`` per user segment and run: one chart per kind of segment, stacked.

    Horizontal bars (one row per segment, a bar per run within it) fit any column width and keep
    long segment lists (occupations) readable; each chart fills its container's width.

    Args:
        segments: ``segments_table`` rows (segment_kind, segment, run, n_users, metrics...).
        metric: the metric column to plot.
        context: dataset, split and evaluation, for the titles.
        runs: every compared run in selection order (the colour domain); the table's runs
            when not given.
    """
    label = metric_label(metric)
    data = segments[["segment_kind", "segment", "run", "n_users", metric]].rename(
        columns={metric: "value"}
    )
    runs = list(runs) if runs is not None else _order(data["run"])
    tooltip = [
        alt.Tooltip("segment_kind:N", title="segment kind"),
        alt.Tooltip("segment:N"),
        alt.Tooltip("run:N", title="run"),
        alt.Tooltip("value:Q", title=label, format=".4f"),
        alt.Tooltip("n_users:Q", title="users"),
    ]
    charts = []
    for kind in _order(data["segment_kind"]):
        part = data[data["segment_kind"] == kind]
        charts.append(
            alt.Chart(part)
            .mark_bar()
            .encode(
                y=alt.Y(
                    "segment:N",
                    sort=_order(part["segment"]),
                    title=None,
                    axis=alt.Axis(labelLimit=240),
                ),
                yOffset=alt.YOffset("run:N", sort=runs),
                x=alt.X("value:Q", title=label),
                color=run_colour(runs),
                tooltip=tooltip,
            )
            .properties(
                width="container",
                height=alt.Step(SEGMENT_BAR),
                autosize=FIT_WIDTH,
                title=_title(f"Mean {label} per {kind} segment and run", context),
            )
        )
    return charts


def rank_flip_chart(
    flips: pd.DataFrame,
    context: str,
    labels: Sequence[str] = ("full ranking", "sampled"),
    runs: Sequence[str] | None = None,
) -> alt.FacetChart:
    """Rank of each run under full ranking and under sampled evaluation, one panel per metric.

    Lines that cross mark pairs of runs whose order flips when negatives are sampled.

    Args:
        flips: ``order_flips`` rows.
        context: dataset, split and the sampled setting, for the title.
        labels: names of the two evaluations on the x axis.
        runs: every compared run in selection order (the colour domain); the table's runs
            when not given.
    """
    full_label, sampled_label = labels
    long = pd.concat(
        [
            flips.assign(evaluation=full_label, rank=flips["rank_full"], mean=flips["full"]),
            flips.assign(
                evaluation=sampled_label, rank=flips["rank_sampled"], mean=flips["sampled"]
            ),
        ],
        ignore_index=True,
    )[["metric", "run", "evaluation", "rank", "mean", "flipped", "flipped_with"]]
    runs = list(runs) if runs is not None else _order(long["run"])
    tooltip = [
        alt.Tooltip("run:N", title="run"),
        alt.Tooltip("metric:N"),
        alt.Tooltip("evaluation:N"),
        alt.Tooltip("rank:Q"),
        alt.Tooltip("mean:Q", format=".4f"),
        alt.Tooltip("flipped_with:N", title="order flips with"),
    ]
    encoding = {
        "x": alt.X("evaluation:N", sort=list(labels), title=None),
        "y": alt.Y(
            "rank:Q",
            scale=alt.Scale(reverse=True, zero=False),
            axis=alt.Axis(values=list(range(1, len(runs) + 1)), format="d"),
            title="rank (1 = best)",
        ),
        "color": run_colour(runs),
        "tooltip": tooltip,
    }
    lines = alt.Chart().mark_line().encode(detail="run:N", **encoding)
    points = alt.Chart().mark_point(filled=True, size=70).encode(**encoding)
    return (
        alt.layer(lines, points, data=long)
        .properties(width=160, height=FACET_HEIGHT)
        .facet(
            facet=alt.Facet("metric:N", sort=_order(long["metric"]), title=None),
            columns=FACET_COLUMNS,
        )
        .properties(
            title=_title(
                "Rank of each run under full ranking vs sampled evaluation "
                "(crossing lines = order flips)",
                context,
            )
        )
    )


def tradeoff_chart(
    frame: pd.DataFrame,
    metric_label: str,
    context: str = "",
    runs: Sequence[str] | None = None,
) -> alt.LayerChart:
    """nDCG@k against a beyond-accuracy metric as one re-ranker's weight rises, one line per run.

    Each point is one weight (in the tooltip); the line runs from weight 0 (the run's own lists)
    to 1, so its slope is the nDCG paid per unit of the metric.

    Args:
        frame: ``tradeoff_curve`` rows of one or more runs (one re-ranker, one metric).
        metric_label: how to name the metric on the x axis.
        context: the data and k the runs are evaluated on, appended to the title (which names
            the re-ranker and the runs from ``frame``).
        runs: every compared run in selection order (the colour domain); the frame's runs
            when not given.
    """
    runs = list(runs) if runs is not None else _order(frame["run"])
    rerankers = ", ".join(_order(frame["reranker"]))
    title = (
        f"nDCG against {metric_label} as the weight of {rerankers} goes 0 → 1, "
        f"on the top-100 candidates of {len(runs)} run{'s' if len(runs) != 1 else ''}"
    )
    tooltip = [
        alt.Tooltip("run:N", title="run"),
        alt.Tooltip("reranker:N", title="re-ranker"),
        alt.Tooltip("weight:Q", format=".1f"),
        alt.Tooltip("ndcg:Q", title="nDCG", format=".4f"),
        alt.Tooltip("value:Q", title=metric_label, format=".4f"),
    ]
    encoding = {
        "x": alt.X("value:Q", title=metric_label, scale=alt.Scale(zero=False)),
        "y": alt.Y("ndcg:Q", title="nDCG", scale=alt.Scale(zero=False)),
        "color": run_colour(runs),
        "tooltip": tooltip,
    }
    lines = alt.Chart().mark_line().encode(detail="run:N", order="weight:Q", **encoding)
    points = alt.Chart().mark_point(filled=True, size=60).encode(**encoding)
    return alt.layer(lines, points, data=frame).properties(
        width="container", height=300, autosize=FIT_WIDTH, title=_title(title, context)
    )
