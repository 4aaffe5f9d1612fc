"""Compare runs: means with 95% bootstrap intervals, paired tests against a baseline, published
reference rows, user segments, full-vs-sampled evaluation, an offline HTML report of it all, and
re-ranking trade-off curves (nDCG against a beyond-accuracy metric as one re-ranker's weight rises).
Ranking runs add AUC, GAUC and log loss (retrieval runs leave those cells empty).

Only runs on the same split evaluate the same users, so a selection is shown one split at a time.
The tables come from ``compare.build_comparison`` (through ``cache.comparison``), the report from
``reports.comparison_report``; this page holds the widgets and renders.
"""

from __future__ import annotations

from datetime import datetime

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

#: Metric families preselected when a run has them (the pointwise ones with ranking runs).
NEGATIVE_CHOICES = (50, 100, 500, 1000)
FLOAT = st.column_config.NumberColumn(format="%.4f")
CI = {"ci_low": st.column_config.NumberColumn("95% CI low", format="%.4f")}
CI["ci_high"] = st.column_config.NumberColumn("95% CI high", format="%.4f")
#: Session keys of the trade-off section's choices.


def keep_valid(key: str, options: list, default: list) -> None:
    """Drop stale selections (runs or metrics no longer offered) before a multiselect renders."""
    kept = [value for value in st.session_state.get(key, default) if value in options]
    st.session_state[key] = kept or [value for value in default if value in options]


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
    st.error(str(exc))
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

try:
    choices = compare.metric_choices(
        cache.per_user_frame(run_ids[0]),
        compare.catalogue_metrics(first.metrics),
        pointwise=compare.any_ranking(records),
        next_item=compare.is_next_item(first.protocol),
    )
except RecScopeError as exc:  # a damaged per-user file: the message names it and the fix
    st.error(str(exc))
    st.stop()
state.url_fallback(state.COMPARE_FAMILIES, choices.families, "metric", None)
state.url_fallback(state.COMPARE_KS, choices.ks, "k", None)
state.show_url_notices()
keep_valid(state.COMPARE_FAMILIES, choices.families, choices.defaults)
keep_valid(state.COMPARE_KS, choices.ks, [int(first.protocol.get("k", 10))])
family_col, k_col, baseline_col = st.columns([3, 1, 2])
family_col.multiselect(
    "Metrics", choices.families, key=state.COMPARE_FAMILIES, format_func=compare.family_label
)
k_col.multiselect("k", choices.ks, key=state.COMPARE_KS)
state.mirror_to_url(state.COMPARE_FAMILIES)
state.mirror_to_url(state.COMPARE_KS)
state.url_fallback(state.COMPARE_BASELINE, run_ids, "baseline run", run_ids[0])
state.show_url_notices()
if st.session_state.get(state.COMPARE_BASELINE) not in run_ids:
    st.session_state[state.COMPARE_BASELINE] = run_ids[0]
baseline_col.selectbox(
    "Baseline", run_ids, key=state.COMPARE_BASELINE, help="Other runs are tested against it."
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
    result = cache.comparison(dataset_name, run_ids, baseline, metrics, n_negatives)
except RecScopeError as exc:
    st.error(str(exc))
    st.stop()
if result.mixed_protocols:
    st.warning(
        "These runs share a split but not their protocol (relevance rule or k differ): "
        "their numbers measure different things."
    )

st.subheader("Runs")
st.dataframe(result.runs, hide_index=True, width="stretch")
st.caption("Lineage: trained, or derived from a parent run (re-ranked, cascaded, calibrated).")

st.subheader("Metrics with 95% confidence intervals")
st.dataframe(
    result.shown_table, hide_index=True, width="stretch", column_config={"mean": FLOAT, **CI}
)
st.caption(result.metrics_caption)
bars = charts.metric_bars_chart(result.table, result.context)
st.altair_chart(bars)

st.subheader(f"Against the baseline {baseline}")
diffs = None
if result.paired is None:
    st.info("Pick a second run on this split to test it against the baseline.")
else:
    if result.n_unshared:
        st.warning(
            f"{result.n_unshared} users were evaluated by only one of two runs; they are left out."
        )
    st.dataframe(
        result.paired.drop(columns=["baseline"]),
        hide_index=True,
        width="stretch",
        column_config={
            "mean_baseline": FLOAT,
            "mean_run": FLOAT,
            "diff": st.column_config.NumberColumn("difference", format="%+.4f"),
            **CI,
            "p_value": st.column_config.NumberColumn("p", format="%.3g"),
        },
    )
    st.caption(result.paired_caption)
    diffs = charts.paired_diff_chart(result.paired, result.context)
    st.altair_chart(diffs)

st.subheader("Published reference")
if result.references is None:
    st.caption(result.reference_caption)
else:
    st.dataframe(
        result.references,
        hide_index=True,
        width="stretch",
        column_config={name: FLOAT for name in result.reference_metrics},
    )
    st.caption(result.reference_caption)

st.subheader("By user segment")
segment_bars = None
if result.segments is None:
    st.info("Segments break down per-user top-N metrics; choose one besides coverage and gini.")
else:
    state.url_fallback(state.COMPARE_SEGMENT_METRIC, result.segment_metrics, "metric", None)
    state.show_url_notices()
    if st.session_state.get(state.COMPARE_SEGMENT_METRIC) not in result.segment_metrics:
        st.session_state[state.COMPARE_SEGMENT_METRIC] = result.segment_metrics[0]
    st.selectbox("Metric to chart", result.segment_metrics, key=state.COMPARE_SEGMENT_METRIC)
    state.mirror_to_url(state.COMPARE_SEGMENT_METRIC)
    st.dataframe(
        result.segments,
        hide_index=True,
        width="stretch",
        column_config={name: FLOAT for name in result.segment_metrics},
    )
    st.caption(result.segment_caption)
    segment_bars = charts.segment_chart(
        result.segments, str(st.session_state[state.COMPARE_SEGMENT_METRIC]), result.context
    )
    st.altair_chart(segment_bars)

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
    full_col, sampled_col = st.columns(2)
    side_config = {"mean": FLOAT, **CI}
    full_col.markdown("**Full ranking**")
    full_col.dataframe(sampled.full, hide_index=True, column_config=side_config)
    full_col.caption(result.full_caption)
    sampled_col.markdown(f"**Sampled: {sampled.n_negatives} negatives per test item**")
    sampled_col.dataframe(sampled.sampled, hide_index=True, column_config=side_config)
    sampled_col.caption(sampled.caption)
    if sampled.flips["flipped"].any():
        st.warning("Sampled evaluation reverses the order of some runs (rows marked 'flipped').")
    else:
        st.success("Sampled evaluation keeps the order of the runs on every metric shown.")
    st.dataframe(
        sampled.flips,
        hide_index=True,
        width="stretch",
        column_config={"full": FLOAT, "sampled": FLOAT, "flipped_with": "flips with"},
    )
    st.caption(sampled.flip_caption)
    flip_lines = charts.rank_flip_chart(
        sampled.flips,
        f"{dataset_name}, split {split_name}, {sampled.n_negatives} sampled negatives",
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
        st.error(str(exc))
    else:
        for note in calibration.notes:
            st.caption(f"Skipped: {note}.")
        calibration_context = (
            f"{dataset_name}, split {split_name}, "
            f"{int(calibration.summary['n_rows'].max())} test rows of the pointwise evaluation"
        )
        st.altair_chart(
            calibration_charts.reliability_chart(
                calibration.curves, calibration.summary, calibration.strategy, calibration_context
            )
        )
        st.dataframe(
            calibration.summary,
            hide_index=True,
            width="stretch",
            column_config={name: FLOAT for name in ("ece", "mce", "brier", "logloss")},
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
                calibration.segments, calibration.summary, calibration_context
            )
        )

st.subheader("Export")
st.download_button(
    "Download the comparison as one HTML file",
    data=comparison_report(
        result,
        ComparisonCharts(metrics=bars, paired=diffs, segments=segment_bars, flips=flip_lines),
        made_at=datetime.now(),
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
    curves = pd.concat(
        [cache.tradeoff(run_id, reranker, tradeoff_metric, tradeoff_k) for run_id in run_ids],
        ignore_index=True,
    )
except RecScopeError as exc:
    st.error(str(exc))
else:
    st.altair_chart(
        charts.tradeoff_chart(
            curves, f"{TRADEOFF_METRICS[tradeoff_metric]} @{tradeoff_k}", result.context
        )
    )
    st.caption(
        f"Re-rankers never retrain the runs: each point is one weight (0 = off, the run's own "
        f"lists) of the re-ranker applied to the runs' top-100 candidates, with nDCG@{tradeoff_k} "
        "and the metric measured on the same test users."
    )
