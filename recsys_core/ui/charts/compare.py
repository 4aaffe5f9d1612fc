"""Altair charts of the Compare page: metric bars with intervals, paired differences against the
baseline, per-segment bars, the rank changes between full and sampled evaluation and the
re-ranking trade-off curves.

Pure functions: the tables of ``recsys_core.evaluation.compare`` in, ``alt`` charts out. Each title
says what is plotted and on which runs and protocol (``context``).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from recsys_core.evaluation.compare import LOWER_IS_BETTER

#: Facets per row when metrics are laid out side by side.
FACET_COLUMNS = 3
#: Width and height of one facet, in pixels.
FACET_WIDTH, FACET_HEIGHT = 220, 180
#: Width of one bar of the segment chart, in pixels.
SEGMENT_STEP = 18
#: Height of one run's row in the paired-difference chart, in pixels.
PAIRED_STEP = 14


def _order(values: pd.Series) -> list[str]:
    """Distinct values in first-seen order (the order the tables list runs and metrics in)."""
    return [str(v) for v in dict.fromkeys(values)]


def _metric_header() -> alt.Header:
    """Facet labels that are the metric names, with "(lower is better)" after log loss."""
    expression = "datum.value"
    for name in sorted(LOWER_IS_BETTER):
        expression = f"datum.value === '{name}' ? '{name} (lower is better)' : {expression}"
    return alt.Header(labelExpr=expression)


def metric_bars_chart(table: pd.DataFrame, context: str) -> alt.FacetChart:
    """Bars of each run's mean per metric with 95% bootstrap error bars and baseline markers.

    Runs without a value of a metric (retrieval runs on the pointwise metrics) have no bar there.

    Args:
        table: ``metrics_table`` rows, with ``vs_baseline`` from ``with_markers`` when a baseline
            was chosen (the marker is written above the interval).
        context: dataset, split and evaluation the numbers come from, for the title.
    """
    data = table.copy()
    if "vs_baseline" not in data:
        data["vs_baseline"] = ""
    data["label_y"] = data["ci_high"].fillna(data["mean"])
    runs = _order(data["run"])
    tooltip = [
        alt.Tooltip("run:N"),
        alt.Tooltip("metric:N"),
        alt.Tooltip("mean:Q", format=".4f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".4f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".4f"),
        alt.Tooltip("n_users:Q", title="users"),
        alt.Tooltip("vs_baseline:N", title="vs baseline"),
        alt.Tooltip("protocol:N", title="evaluation"),
    ]
    x = alt.X("run:N", sort=runs, title=None, axis=alt.Axis(labels=False, ticks=False))
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("mean:Q", title="value"),
            color=alt.Color("run:N", sort=runs, legend=alt.Legend(title="run", orient="bottom")),
            tooltip=tooltip,
        )
    )
    errors = (
        alt.Chart()
        .mark_errorbar(ticks=True)
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
            facet=alt.Facet(
                "metric:N", sort=_order(data["metric"]), title=None, header=_metric_header()
            ),
            columns=FACET_COLUMNS,
        )
        .resolve_scale(y="independent")
        .properties(
            title=f"Mean of each metric per run with 95% bootstrap intervals "
            f"(▲/▼ significantly above/below the baseline) — {context}"
        )
    )


def paired_diff_chart(paired: pd.DataFrame, context: str) -> alt.LayerChart:
    """Each run's mean difference to the baseline per metric, with its paired 95% interval.

    Args:
        paired: ``paired_table`` rows.
        context: dataset, split and evaluation, for the title.
    """
    baseline = str(paired["baseline"].iloc[0]) if len(paired) else ""
    runs = _order(paired["run"])
    metrics = _order(paired["metric"])
    tooltip = [
        alt.Tooltip("run:N"),
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
    color = alt.Color("run:N", sort=runs, legend=alt.Legend(title="run", orient="bottom"))
    intervals = (
        alt.Chart()
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X("ci_low:Q", title=f"difference to baseline {baseline}"),
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
        width=560,
        height=alt.Step(PAIRED_STEP),
        title=f"Paired difference to baseline {baseline} with 95% bootstrap intervals — {context}",
    )


def segment_chart(segments: pd.DataFrame, metric: str, context: str) -> alt.FacetChart:
    """Mean of ``metric`` per user segment and run, one panel per kind of segment.

    Args:
        segments: ``segments_table`` rows (segment_kind, segment, run, n_users, metrics...).
        metric: the metric column to plot.
        context: dataset, split and evaluation, for the title.
    """
    data = segments[["segment_kind", "segment", "run", "n_users", metric]].rename(
        columns={metric: "value"}
    )
    runs = _order(data["run"])
    tooltip = [
        alt.Tooltip("segment_kind:N", title="segment kind"),
        alt.Tooltip("segment:N"),
        alt.Tooltip("run:N"),
        alt.Tooltip("value:Q", title=metric, format=".4f"),
        alt.Tooltip("n_users:Q", title="users"),
    ]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("segment:N", sort=_order(data["segment"]), title=None),
            xOffset=alt.XOffset("run:N", sort=runs),
            y=alt.Y("value:Q", title=metric),
            color=alt.Color("run:N", sort=runs, legend=alt.Legend(title="run", orient="bottom")),
            tooltip=tooltip,
        )
        .properties(width=alt.Step(SEGMENT_STEP), height=FACET_HEIGHT)
        .facet(
            row=alt.Row("segment_kind:N", sort=_order(data["segment_kind"]), title=None),
        )
        .resolve_scale(x="independent")
        .properties(title=f"Mean {metric} per user segment and run — {context}")
    )


def rank_flip_chart(
    flips: pd.DataFrame, context: str, labels: Sequence[str] = ("full ranking", "sampled")
) -> alt.FacetChart:
    """Rank of each run under full ranking and under sampled evaluation, one panel per metric.

    Lines that cross mark pairs of runs whose order flips when negatives are sampled.

    Args:
        flips: ``order_flips`` rows.
        context: dataset, split and the sampled setting, for the title.
        labels: names of the two evaluations on the x axis.
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
    runs = _order(long["run"])
    tooltip = [
        alt.Tooltip("run:N"),
        alt.Tooltip("metric:N"),
        alt.Tooltip("evaluation:N"),
        alt.Tooltip("rank:Q"),
        alt.Tooltip("mean:Q", format=".4f"),
        alt.Tooltip("flipped_with:N", title="order flips with"),
    ]
    encoding = {
        "x": alt.X("evaluation:N", sort=list(labels), title=None),
        "y": alt.Y("rank:Q", scale=alt.Scale(reverse=True, zero=False), title="rank (1 = best)"),
        "color": alt.Color("run:N", sort=runs, legend=alt.Legend(title="run", orient="bottom")),
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
            title=f"Rank of each run under full ranking vs sampled evaluation "
            f"(crossing lines = order flips) — {context}"
        )
    )


def tradeoff_chart(frame: pd.DataFrame, metric_label: str, context: str = "") -> alt.LayerChart:
    """nDCG@k against a beyond-accuracy metric as one re-ranker's weight rises, one line per run.

    Each point is one weight (in the tooltip); the line runs from weight 0 (the run's own lists)
    to 1, so its slope is the nDCG paid per unit of the metric.

    Args:
        frame: ``tradeoff_curve`` rows of one or more runs (one re-ranker, one metric).
        metric_label: how to name the metric on the x axis.
        context: the data and k the runs are evaluated on, appended to the title (which names
            the re-ranker and the runs from ``frame``).
    """
    runs = _order(frame["run"])
    rerankers = ", ".join(_order(frame["reranker"]))
    title = (
        f"nDCG against {metric_label} as the weight of {rerankers} goes 0 → 1, "
        f"on the top-100 candidates of {len(runs)} run{'s' if len(runs) != 1 else ''}"
    )
    tooltip = [
        alt.Tooltip("run:N"),
        alt.Tooltip("reranker:N", title="re-ranker"),
        alt.Tooltip("weight:Q", format=".1f"),
        alt.Tooltip("ndcg:Q", title="nDCG", format=".4f"),
        alt.Tooltip("value:Q", title=metric_label, format=".4f"),
    ]
    encoding = {
        "x": alt.X("value:Q", title=metric_label, scale=alt.Scale(zero=False)),
        "y": alt.Y("ndcg:Q", title="nDCG", scale=alt.Scale(zero=False)),
        "color": alt.Color("run:N", sort=runs, legend=alt.Legend(title="run", orient="bottom")),
        "tooltip": tooltip,
    }
    lines = alt.Chart().mark_line().encode(detail="run:N", order="weight:Q", **encoding)
    points = alt.Chart().mark_point(filled=True, size=60).encode(**encoding)
    return alt.layer(lines, points, data=frame).properties(
        width=480,
        height=300,
        title=f"{title} — {context}" if context else title,
    )
