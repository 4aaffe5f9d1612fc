"""Compare runs: means with 95% bootstrap intervals, paired tests against a baseline, published
reference rows, user segments, full-vs-sampled evaluation, and an offline HTML report of it all.

Only runs on the same split evaluate the same users, so a selection is shown one split at a time.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from recsys_core.data.protocols import protocol_from_dict
from recsys_core.evaluation import compare, published
from recsys_core.reports import ReportSection, ReportTable, render_report
from recsys_core.ui import cache, state
from recsys_core.ui.charts import compare as charts
from recsys_core.ui.page import setup
from recsys_core.ui.pickers import pick_runs

#: Metric families preselected when a run has them.
DEFAULT_FAMILIES = ("ndcg", "recall", "precision", "msr_map")
#: Metric families of sampled evaluation (one positive ranked among sampled negatives).
SAMPLED_FAMILIES = ("hit_rate", "ndcg", "mrr")
NEGATIVE_CHOICES = (50, 100, 500, 1000)
FLOAT = st.column_config.NumberColumn(format="%.4f")
CI = {"ci_low": st.column_config.NumberColumn("95% CI low", format="%.4f")}
CI["ci_high"] = st.column_config.NumberColumn("95% CI high", format="%.4f")


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

groups = compare.split_groups(cache.compare_records(run_ids))
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
protocol = protocol_from_dict(records[0].protocol)
if any(record.protocol != records[0].protocol for record in records):
    st.warning(
        "These runs share a split but not their protocol (relevance rule or k differ): "
        "their numbers measure different things."
    )

full_frame = cache.per_user_frame(run_ids[0])
available = compare.available_metrics(full_frame, compare.catalogue_metrics(records[0].metrics))
families = list(dict.fromkeys(compare.parse_metric(name)[0] for name in available))
ks = sorted({compare.parse_metric(name)[1] for name in available})
keep_valid(state.COMPARE_FAMILIES, families, list(DEFAULT_FAMILIES))
keep_valid(state.COMPARE_KS, ks, [protocol.k])
family_col, k_col, baseline_col = st.columns([3, 1, 2])
family_col.multiselect("Metrics", families, key=state.COMPARE_FAMILIES)
k_col.multiselect("k", ks, key=state.COMPARE_KS)
if st.session_state.get(state.COMPARE_BASELINE) not in run_ids:
    st.session_state[state.COMPARE_BASELINE] = run_ids[0]
baseline_col.selectbox(
    "Baseline", run_ids, key=state.COMPARE_BASELINE, help="Other runs are tested against it."
)
state.mirror_to_url(state.COMPARE_BASELINE)
baseline = str(st.session_state[state.COMPARE_BASELINE])
metrics = compare.select_metrics(
    available, st.session_state[state.COMPARE_FAMILIES], st.session_state[state.COMPARE_KS]
)
if not metrics:
    st.info("Choose at least one metric and one k.")
    st.stop()

full_caption = compare.protocol_caption(protocol, "full ranking")
context = f"{dataset_name}, split {split_name}, full ranking"
report: list[ReportSection] = []

st.subheader("Metrics with 95% confidence intervals")
table = cache.compare_metrics(run_ids, metrics)
paired = cache.compare_paired(run_ids, baseline, metrics) if len(run_ids) > 1 else None
if paired is not None:
    table = compare.with_markers(table, paired, baseline)
shown = table.drop(columns=["family", "k", "protocol"])
st.dataframe(shown, hide_index=True, width="stretch", column_config={"mean": FLOAT, **CI})
st.caption(full_caption)
bars = charts.metric_bars_chart(table, context)
st.altair_chart(bars)
report.append(
    ReportSection(
        "Metrics with 95% confidence intervals",
        "Means over evaluated users; intervals are percentile bootstraps over users.",
        [ReportTable(full_caption, shown)],
        [bars],
    )
)

st.subheader(f"Against the baseline {baseline}")
if paired is None:
    st.info("Pick a second run on this split to test it against the baseline.")
else:
    unshared = int(paired["n_unshared"].max()) if len(paired) else 0
    if unshared:
        st.warning(f"{unshared} users were evaluated by only one of two runs; they are left out.")
    paired_caption = (
        "▲/▼: significantly higher/lower than the baseline (paired t-test, p < 0.05); "
        f"=: no significant difference. Intervals: paired bootstrap. {full_caption}"
    )
    st.dataframe(
        paired.drop(columns=["baseline"]),
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
    st.caption(paired_caption)
    diffs = charts.paired_diff_chart(paired, context)
    st.altair_chart(diffs)
    report.append(
        ReportSection(
            f"Against the baseline {baseline}",
            "Each run minus the baseline, user by user on the users both evaluated.",
            [ReportTable(paired_caption, paired)],
            [diffs],
        )
    )

st.subheader("Published reference")
references = published.reference_rows(protocol.name, dataset_name)
if references.empty:
    st.caption(
        f"No published numbers for protocol {protocol.name} on {dataset_name}: references exist "
        "for msr-100k on ml-100k and the recbole presets on ml-1m."
    )
else:
    reference_metrics = [name for name in references.columns[2:] if name in available]
    ours = compare.headline_table(
        cache.compare_metrics(run_ids, reference_metrics), reference_metrics, source="this run"
    )
    headline = compare.with_references(ours, references)
    reference_caption = (
        "Published rows come from other implementations under the same protocol and dataset; "
        f"each names its source. {full_caption}"
    )
    st.dataframe(
        headline,
        hide_index=True,
        width="stretch",
        column_config={name: FLOAT for name in reference_metrics},
    )
    st.caption(reference_caption)
    report.append(
        ReportSection("Published reference", tables=[ReportTable(reference_caption, headline)])
    )

st.subheader("By user segment")
per_user_metrics = [name for name in metrics if name in full_frame.columns]
if not per_user_metrics:
    st.info("Segments break down per-user metrics; choose one besides coverage and gini.")
else:
    segments = cache.compare_segments(dataset_name, run_ids, per_user_metrics)
    if st.session_state.get(state.COMPARE_SEGMENT_METRIC) not in per_user_metrics:
        st.session_state[state.COMPARE_SEGMENT_METRIC] = per_user_metrics[0]
    st.selectbox("Metric to chart", per_user_metrics, key=state.COMPARE_SEGMENT_METRIC)
    segment_caption = (
        "Activity bins are quantiles of the evaluated users' training interactions; demographic "
        f"segments appear where the dataset has them. {full_caption}"
    )
    st.dataframe(
        segments,
        hide_index=True,
        width="stretch",
        column_config={name: FLOAT for name in per_user_metrics},
    )
    st.caption(segment_caption)
    segment_bars = charts.segment_chart(
        segments, str(st.session_state[state.COMPARE_SEGMENT_METRIC]), context
    )
    st.altair_chart(segment_bars)
    report.append(
        ReportSection(
            "By user segment",
            tables=[ReportTable(segment_caption, segments)],
            charts=[segment_bars],
        )
    )

st.subheader("Full ranking vs sampled negatives")
st.caption(
    "Sampled evaluation ranks each relevant test item against a few sampled items instead of "
    "the whole catalogue. It inflates every number and can reorder models (Krichene & Rendle, "
    "KDD 2020); every run here faces the same negatives, drawn with the split's seed."
)
toggle_col, negatives_col = st.columns([2, 1])
toggle_col.toggle("Also evaluate with sampled negatives", key=state.COMPARE_SAMPLED)
st.session_state.setdefault(state.COMPARE_NEGATIVES, 100)
negatives_col.selectbox("Negatives per test item", NEGATIVE_CHOICES, key=state.COMPARE_NEGATIVES)
if st.session_state[state.COMPARE_SAMPLED]:
    n_negatives = int(st.session_state[state.COMPARE_NEGATIVES])
    progress = st.progress(0.0, text="Sampled evaluation…")
    for done, run_id in enumerate(run_ids, start=1):
        cache.per_user_frame(run_id, n_negatives)
        progress.progress(done / len(run_ids), text=f"Sampled evaluation: {done}/{len(run_ids)}")
    progress.empty()
    sampled_metrics = compare.select_metrics(
        available, SAMPLED_FAMILIES, st.session_state[state.COMPARE_KS]
    )
    full_side = cache.compare_metrics(run_ids, sampled_metrics)
    sampled_side = cache.compare_metrics(run_ids, sampled_metrics, n_negatives)
    sampled_caption = compare.protocol_caption(
        protocol, str(sampled_side["protocol"].iloc[0]) if len(sampled_side) else "sampled"
    )
    side_columns = ["run", "metric", "mean", "ci_low", "ci_high"]
    full_col, sampled_col = st.columns(2)
    full_col.markdown("**Full ranking**")
    side_config = {"mean": FLOAT, **CI}
    full_col.dataframe(full_side[side_columns], hide_index=True, column_config=side_config)
    full_col.caption(full_caption)
    sampled_col.markdown(f"**Sampled: {n_negatives} negatives per test item**")
    sampled_col.dataframe(sampled_side[side_columns], hide_index=True, column_config=side_config)
    sampled_col.caption(sampled_caption)
    flips = compare.order_flips(full_side, sampled_side)
    flip_caption = (
        "Rank 1 = best. 'flips with' lists the runs whose order against this one reverses "
        f"under sampled evaluation. Protocol {protocol.name}: full ranking vs "
        f"{n_negatives} sampled negatives per test item."
    )
    if flips["flipped"].any():
        st.warning("Sampled evaluation reverses the order of some runs (rows marked 'flipped').")
    else:
        st.success("Sampled evaluation keeps the order of the runs on every metric shown.")
    st.dataframe(
        flips,
        hide_index=True,
        width="stretch",
        column_config={"full": FLOAT, "sampled": FLOAT, "flipped_with": "flips with"},
    )
    st.caption(flip_caption)
    flip_lines = charts.rank_flip_chart(
        flips, f"{dataset_name}, split {split_name}, {n_negatives} sampled negatives"
    )
    st.altair_chart(flip_lines)
    report.append(
        ReportSection(
            "Full ranking vs sampled negatives",
            "Sampled numbers are inflated; only the order of runs is compared.",
            [
                ReportTable(full_caption, full_side[side_columns]),
                ReportTable(sampled_caption, sampled_side[side_columns]),
                ReportTable(flip_caption, flips),
            ],
            [flip_lines],
        )
    )

st.subheader("Calibration")
st.caption(
    "Calibration curves of pointwise rankers (predicted vs observed click rates) appear here once "
    "calibrators exist."
)

st.subheader("Export")
html = render_report(
    f"RecScope comparison: {dataset_name}",
    report,
    subtitle=(
        f"Runs {', '.join(run_ids)} on split {split_name}; baseline {baseline}; "
        f"made {datetime.now():%Y-%m-%d %H:%M}."
    ),
)
st.download_button(
    "Download the comparison as one HTML file",
    data=html,
    file_name=f"recscope-compare-{dataset_name}.html",
    mime="text/html",
    help="Tables and interactive charts in one file that opens offline, for a review.",
)
