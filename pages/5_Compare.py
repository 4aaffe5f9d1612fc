"""Compare runs: means with 95% bootstrap intervals, paired tests against a baseline, published
reference rows, user segments, full-vs-sampled evaluation, an offline HTML report of it all, and
re-ranking trade-off curves (nDCG against a beyond-accuracy metric as one re-ranker's weight rises).
Ranking runs add AUC, GAUC and log loss (retrieval runs leave those cells empty).

Only runs on the same split evaluate the same users, so a selection is shown one split at a time.
The tables come from ``compare.build_comparison`` as ``compare.labelled`` shows them (runs by
their labels, metrics and columns by name; through ``cache.shown_comparison``), the report from
``reports.comparison_report``; this page holds the widgets and renders.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from recsys_core.errors import RecScopeError
from recsys_core.evaluation import compare
from recsys_core.reports import ComparisonCharts, comparison_report
from recsys_core.rerank import get_reranker_class
from recsys_core.rerank.tradeoff import TRADEOFF_METRICS, sweepable_rerankers
from recsys_core.ui import cache, state
from recsys_core.ui.charts import calibration as calibration_charts
from recsys_core.ui.charts import compare as charts
from recsys_core.ui.page import setup
from recsys_core.ui.pickers import pick_runs
from recsys_core.ui.wording import ui_message

#: Negatives per test item offered for sampled evaluation.
NEGATIVE_CHOICES = (50, 100, 500, 1000)
#: Number formats of the columns that are not plain 4-decimal values.
FORMATS = {"p_value": "%.3g", "diff": "%+.4f"}
#: The paired table's intervals are of the difference: signed, like it.
PAIRED_FORMATS = {**FORMATS, "ci_low": "%+.4f", "ci_high": "%+.4f"}
#: Model whose run is the default baseline when one is compared.
DEFAULT_BASELINE_MODEL = "popularity"


def keep_valid(key: str, options: list, default: list) -> None:
    """Drop stale selections (metrics no longer offered) before a multiselect renders; a
    selection the person cleared stays empty ("Clear all" clears)."""
    st.session_state[key] = state.kept_selection(key, options, default)


def columns(frame: pd.DataFrame, formats: Mapping[str, str] = FORMATS) -> dict:
    """Column config of a comparison table: every header from ``compare.header``, floats to 4
    decimals unless ``formats`` says otherwise."""
    config = {}
    for column in frame.columns:
        label = compare.header(str(column))
        number_format = formats.get(column)
        if number_format is None and pd.api.types.is_float_dtype(frame[column]):
            number_format = "%.4f"
        config[column] = (
            st.column_config.NumberColumn(label, format=number_format)
            if number_format
            else st.column_config.Column(label)
        )
    return config


def md(text: str) -> str:
    """``text`` with Markdown's special characters escaped (run labels in headings and lists)."""
    return re.sub(r"([\\`*_{}\[\]()#+!|<>~])", r"\\\1", text)


def per_run(frame: pd.DataFrame, colours: Mapping[str, str], formats: Mapping[str, str]) -> None:
    """One table per run, under its label in its chart colour: a label is too long to share a
    row with the numbers at the page's width (the run column stays in the data, not shown)."""
    for run, part in frame.groupby("run", sort=False):
        colour = colours.get(str(run), "inherit")
        st.markdown(
            f'<span style="color:{colour}">■</span> **{md(str(run))}**', unsafe_allow_html=True
        )
        st.dataframe(
            part,
            hide_index=True,
            width="stretch",
            column_order=[column for column in part.columns if column != "run"],
            column_config=columns(part, formats),
        )


dataset_name = setup("Compare runs", icon="⚖️")
st.caption(
    "Saved runs side by side on one split: means with 95% bootstrap intervals over users, "
    "paired tests against a baseline, user segments, and how sampled negatives reorder models."
)
run_ids = pick_runs(dataset_name)
if not run_ids:
    if cache.runs_table(dataset_name).empty:
        st.info(f"No runs on {dataset_name} yet: train one on the Train page, then compare here.")
        st.page_link("pages/2_Train.py", label="Train a model", icon="🏋️")
    else:
        st.info("Pick one or more runs above to compare them.")
    st.stop()

try:
    groups = compare.split_groups(cache.compare_records(run_ids))
except RecScopeError as exc:
    st.error(ui_message(exc))
    st.stop()
if len(groups) > 1:
    st.warning(
        f"The selected runs were evaluated on {len(groups)} different splits. Only runs on the "
        "same split are scored on the same users, so one split is shown at a time."
    )
    if st.session_state.get(state.COMPARE_SPLIT) not in groups:
        st.session_state[state.COMPARE_SPLIT] = next(iter(groups))
    st.radio(
        "Split",
        list(groups),
        key=state.COMPARE_SPLIT,
        horizontal=True,
        format_func=lambda name: f"{name} ({len(groups[name])} runs)",
    )
    split_name = str(st.session_state[state.COMPARE_SPLIT])
else:
    split_name = next(iter(groups))
run_ids = groups[split_name]
records = cache.compare_records(run_ids)
first = records[0]
labels = cache.run_labels(dataset_name)


def label(run_id: str) -> str:
    """The run's label (``registry.labels``), as the pickers show it."""
    return labels.get(run_id, run_id)


def by_label(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its run ids replaced by the runs' labels."""
    return frame.assign(run=frame["run"].map(label))


try:
    choices = compare.metric_choices(
        cache.per_user_frame(run_ids[0]),
        compare.catalogue_metrics(first.metrics),
        pointwise=compare.any_ranking(records),
        next_item=compare.is_next_item(first.protocol),
    )
except RecScopeError as exc:  # a damaged per-user file: the message names it and the fix
    st.error(ui_message(exc))
    st.stop()
state.url_fallback(state.COMPARE_FAMILIES, choices.families, "metric", None)
state.url_fallback(state.COMPARE_KS, choices.ks, "k", None)
state.show_url_notices()
keep_valid(state.COMPARE_FAMILIES, choices.families, choices.defaults)
keep_valid(state.COMPARE_KS, choices.ks, [int(first.protocol.get("k", 10))])
family_col, k_col = st.columns([3, 1])
family_col.multiselect(
    "Metrics",
    choices.families,
    key=state.COMPARE_FAMILIES,
    format_func=compare.family_label,
    help="Tables and charts list the metrics in the order chosen here.",
)
k_col.multiselect("k", choices.ks, key=state.COMPARE_KS)
state.mirror_to_url(state.COMPARE_FAMILIES)
state.mirror_to_url(state.COMPARE_KS)
default_baseline = next(
    (record.run_id for record in records if record.model == DEFAULT_BASELINE_MODEL), run_ids[0]
)
state.url_fallback(state.COMPARE_BASELINE, run_ids, "baseline run", label(default_baseline))
state.show_url_notices()
if st.session_state.get(state.COMPARE_BASELINE) not in run_ids:
    st.session_state[state.COMPARE_BASELINE] = default_baseline
st.selectbox(
    "Baseline",
    run_ids,
    key=state.COMPARE_BASELINE,
    format_func=label,
    help="Other runs are tested against it (popularity by default, when it is compared).",
)
state.mirror_to_url(state.COMPARE_BASELINE)
baseline = str(st.session_state[state.COMPARE_BASELINE])
metrics = compare.select_metrics(
    choices.available, st.session_state[state.COMPARE_FAMILIES], st.session_state[state.COMPARE_KS]
)
if not metrics:
    st.info("Choose at least one metric and one k.")
    st.stop()

# The sampled widgets render further down, beside their results; their values from the last
# rerun decide now whether the comparison includes sampled evaluation.
st.session_state.setdefault(state.COMPARE_SAMPLED, False)
st.session_state.setdefault(state.COMPARE_NEGATIVES, 100)
state.clamp_choice(state.COMPARE_NEGATIVES, NEGATIVE_CHOICES.__contains__, 100, "negatives")
n_negatives = None
if st.session_state[state.COMPARE_SAMPLED]:
    n_negatives = int(st.session_state[state.COMPARE_NEGATIVES])
    progress = st.progress(0.0, text="Sampled evaluation…")
    for done, run_id in enumerate(run_ids, start=1):
        cache.per_user_frame(run_id, n_negatives)
        progress.progress(done / len(run_ids), text=f"Sampled evaluation: {done}/{len(run_ids)}")
    progress.empty()

try:
    result = cache.shown_comparison(dataset_name, run_ids, baseline, metrics, n_negatives)
except RecScopeError as exc:
    st.error(ui_message(exc))
    st.stop()
if result.mixed_protocols:
    st.warning(
        "These runs share a split but not their protocol (relevance rule or k differ): "
        "their numbers measure different things."
    )
shown_runs = result.run_ids  # labels, in selection order: every chart's colour domain
colours = charts.run_colours(shown_runs)

st.subheader("Runs")
st.dataframe(
    result.runs,
    hide_index=True,
    width="stretch",
    column_order=[column for column in result.runs.columns if column != "created"],
    column_config=columns(result.runs),
)
st.caption(
    "Each run by its label (what it is, protocol, headline metric, age). Lineage: trained, or "
    "derived from a parent run (re-ranked, cascaded, calibrated). Settings: what differs from "
    "the architecture's defaults."
)

st.subheader("Metrics with 95% confidence intervals")
per_run(result.shown_table, colours, FORMATS)
st.caption(result.metrics_caption)
bars = charts.metric_bars_chart(result.table, result.context, shown_runs)
st.altair_chart(bars)

st.subheader("Against the baseline")
diffs = None
if result.paired is None:
    st.info("Pick a second run on this split to test it against the baseline.")
else:
    st.markdown(f"Baseline: **{md(result.baseline)}**. Each other run against it:")
    if result.n_unshared:
        st.warning(
            f"{result.n_unshared} users were evaluated by only one of two runs; they are left out."
        )
    per_run(compare.paired_view(result.paired), colours, PAIRED_FORMATS)
    st.caption(result.paired_caption)
    diffs = charts.paired_diff_chart(result.paired, result.context, shown_runs)
    st.altair_chart(diffs)

st.subheader("Published reference")
if result.references is not None:
    reference_columns = columns(result.references)
    reference_columns["source"] = st.column_config.TextColumn(
        "Source", help="Who published the numbers; the next column opens the document."
    )
    reference_columns["link"] = st.column_config.LinkColumn(
        compare.header("link"), display_text=r".*/([^/]+)$"
    )
    st.dataframe(
        result.references, hide_index=True, width="stretch", column_config=reference_columns
    )
st.caption(result.reference_caption)

st.subheader("By user segment")
segment_bars: list = []
segment_metric = None
if result.segments is None:
    st.info("Segments break down per-user top-N metrics; choose one besides coverage and gini.")
else:
    state.url_fallback(state.COMPARE_SEGMENT_METRIC, result.segment_metrics, "metric", None)
    state.show_url_notices()
    if st.session_state.get(state.COMPARE_SEGMENT_METRIC) not in result.segment_metrics:
        st.session_state[state.COMPARE_SEGMENT_METRIC] = result.segment_metrics[0]
    st.selectbox(
        "Metric to chart",
        result.segment_metrics,
        key=state.COMPARE_SEGMENT_METRIC,
        format_func=compare.metric_label,
    )
    state.mirror_to_url(state.COMPARE_SEGMENT_METRIC)
    per_run(result.segments, colours, FORMATS)
    st.caption(result.segment_caption)
    segment_metric = str(st.session_state[state.COMPARE_SEGMENT_METRIC])
    segment_bars = charts.segment_charts(
        result.segments, segment_metric, result.context, shown_runs
    )
    for chart in segment_bars:
        st.altair_chart(chart)

st.subheader("Full ranking vs sampled negatives")
st.caption(
    "Sampled evaluation ranks each relevant test item against a few sampled items instead of "
    "the whole catalogue. It inflates every number and can reorder models (Krichene & Rendle, "
    "KDD 2020); every run here faces the same negatives, drawn with the split's seed."
)
toggle_col, negatives_col = st.columns([2, 1])
toggle_col.toggle("Also evaluate with sampled negatives", key=state.COMPARE_SAMPLED)
negatives_col.selectbox("Negatives per test item", NEGATIVE_CHOICES, key=state.COMPARE_NEGATIVES)
state.mirror_to_url(state.COMPARE_SAMPLED)
state.mirror_to_url(state.COMPARE_NEGATIVES)
flip_lines = None
if result.sampled is not None:
    sampled = result.sampled
    swaps = compare.flip_pairs(sampled.flips)
    if swaps:
        st.warning(
            "Sampled evaluation reverses the order of some runs:\n"
            + "\n".join(f"- {md(line)}" for line in swaps)
        )
    else:
        st.success("Sampled evaluation keeps the order of the runs on every metric shown.")
    per_run(compare.sampled_view(sampled), colours, FORMATS)
    st.caption(f"{sampled.caption} {sampled.flip_caption}")
    flip_lines = charts.rank_flip_chart(
        sampled.flips,
        f"{dataset_name}, split {split_name}, {sampled.n_negatives} sampled negatives",
        runs=shown_runs,
    )
    st.altair_chart(flip_lines)

if compare.any_ranking(records):
    st.subheader("Calibration")
    st.radio(
        "Reliability bins",
        list(calibration_charts.BINNINGS),
        key=state.COMPARE_CALIBRATION_BINS,
        horizontal=True,
        format_func=calibration_charts.BINNINGS.get,
    )
    try:
        calibration = cache.calibration_comparison(
            run_ids, str(st.session_state[state.COMPARE_CALIBRATION_BINS])
        )
    except RecScopeError as exc:
        st.error(ui_message(exc))
    else:
        for note in calibration.notes:
            st.caption(f"Skipped: {note}.")
        calibration_context = (
            f"{dataset_name}, split {split_name}, "
            f"{int(calibration.summary['n_rows'].max())} test rows of the pointwise evaluation"
        )
        summary = by_label(calibration.summary)
        st.altair_chart(
            calibration_charts.reliability_chart(
                by_label(calibration.curves), summary, calibration.strategy, calibration_context
            )
        )
        st.dataframe(
            summary,
            hide_index=True,
            width="stretch",
            column_config={
                "run": st.column_config.TextColumn(compare.header("run")),
                **{
                    name: st.column_config.NumberColumn(format="%.4f")
                    for name in ("ece", "mce", "brier", "logloss")
                },
            },
        )
        st.caption(
            "Each run's test rows (those its AUC and log loss were computed on) at each stage: "
            "raw = the ranker's sigmoid, then the downsampling correction when it trained on "
            "fewer negatives, then the calibrator (fitted on validation rows only). ECE and MCE "
            "over 15 equal-width bins (Guo et al., ICML 2017); calibrated runs show the numbers "
            "stored with them. Lower is better for all four."
        )
        st.altair_chart(
            calibration_charts.segment_ece_chart(
                by_label(calibration.segments), summary, calibration_context
            )
        )

st.subheader("Export")
st.download_button(
    "Download the comparison as one HTML file",
    data=comparison_report(
        result,
        ComparisonCharts(metrics=bars, paired=diffs, segments=segment_bars, flips=flip_lines),
        made_at=datetime.now(UTC),
        segment_metric=segment_metric,
    ),
    file_name=f"recscope-compare-{dataset_name}.html",
    mime="text/html",
    help="Tables and interactive charts in one file that opens offline, for a review.",
)

st.subheader("Re-ranking trade-offs")
reranker_col, metric_col = st.columns(2)
sweepable = sweepable_rerankers()
reranker_col.selectbox(
    "Re-ranker",
    sweepable,
    index=sweepable.index("mmr") if "mmr" in sweepable else 0,
    key=state.COMPARE_TRADEOFF_RERANKER,
    format_func=lambda name: get_reranker_class(name).label,
)
metric_col.selectbox(
    "Beyond-accuracy metric",
    list(TRADEOFF_METRICS),
    key=state.COMPARE_TRADEOFF_METRIC,
    format_func=TRADEOFF_METRICS.get,
)
tradeoff_k = int(first.protocol.get("k", 10))
reranker, tradeoff_metric = (
    st.session_state[state.COMPARE_TRADEOFF_RERANKER],
    st.session_state[state.COMPARE_TRADEOFF_METRIC],
)
try:
    curves = by_label(
        pd.concat(
            [cache.tradeoff(run_id, reranker, tradeoff_metric, tradeoff_k) for run_id in run_ids],
            ignore_index=True,
        )
    )
except RecScopeError as exc:
    st.error(ui_message(exc))
else:
    st.altair_chart(
        charts.tradeoff_chart(
            curves, f"{TRADEOFF_METRICS[tradeoff_metric]} @{tradeoff_k}", result.context, shown_runs
        )
    )
    st.caption(
        f"Re-rankers never retrain the runs: each point is one weight (0 = off, the run's own "
        f"lists) of the re-ranker applied to the runs' top-100 candidates, with nDCG@{tradeoff_k} "
        "and the metric measured on the same test users."
    )
