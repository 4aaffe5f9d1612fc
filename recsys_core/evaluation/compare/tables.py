"""Comparison tables of saved runs on one split: metric means with bootstrap intervals, paired
tests against a baseline, per-segment breakdowns and where sampled evaluation reorders the models.

Every table is computed from per-user metric frames keyed by run id (``names.PerUser``), so the
Compare page, its HTML report and the tests share one computation; the pointwise rows of ranking
runs come from ``compare.pointwise``. Shape legend: B evaluated users, U users.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.errors import DataError
from recsys_core.evaluation.compare.names import (
    LOWER_IS_BETTER,
    NO_DIRECTION,
    USER_COLUMN,
    PerUser,
    parse_metric,
    per_user_metrics,
)
from recsys_core.evaluation.compare.pointwise import PointwiseRun, pointwise_pairs
from recsys_core.evaluation.intervals import PairedComparison, paired_compare, summarise
from recsys_core.evaluation.segments import (
    activity_segments,
    demographic_segments,
    metrics_by_segment,
)
from recsys_core.evaluation.topk import TopKEvaluation
from recsys_core.types import IntArray

#: Markers of a run against the baseline in tables and charts.
HIGHER, LOWER, SAME, BASELINE = "▲", "▼", "=", "baseline"
#: Columns of ``paired_table``.
PAIRED_COLUMNS = [
    "run",
    "baseline",
    "metric",
    "mean_baseline",
    "mean_run",
    "diff",
    "ci_low",
    "ci_high",
    "p_value",
    "significant",
    "marker",
    "verdict",
    "n_users",
    "n_unshared",
]


def _evaluation(
    frame: pd.DataFrame,
    metrics: Sequence[str],
    *,
    mode: Literal["full", "sampled"] = "full",
    n_negatives: int | None = None,
    catalogue: Mapping[str, float] | None = None,
) -> TopKEvaluation:
    """A ``TopKEvaluation`` over the chosen metrics of one run's per-user frame."""
    return TopKEvaluation(
        users=frame[USER_COLUMN].to_numpy(np.int64),
        per_user={name: frame[name].to_numpy(np.float64) for name in metrics},
        catalogue=dict(catalogue or {}),
        mode=mode,
        n_negatives=n_negatives,
    )


def metrics_table(
    per_user: PerUser,
    metrics: Sequence[str],
    *,
    catalogue: Mapping[str, Mapping[str, float]] | None = None,
    mode: Literal["full", "sampled"] = "full",
    n_negatives: int | None = None,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean and bootstrap interval of each chosen metric for each run.

    Args:
        per_user: run id -> per-user frame.
        metrics: metric names (``"ndcg@10"``); catalogue ones are looked up in ``catalogue``.
        catalogue: run id -> catalogue metrics of the run (``catalogue_metrics(record.metrics)``);
            their interval is NaN, as they are one number per run.
        mode: how the per-user values were obtained; with ``n_negatives`` it labels the table.
        confidence: level of the intervals.
        seed: bootstrap seed (the same for every run).

    Returns:
        Columns run, metric, family, k, mean, ci_low, ci_high, n_users, protocol (the evaluation
        label, "full ranking" or "sampled: N negatives per test item"); runs in the given order.
    """
    parts = []
    for run_id, frame in per_user.items():
        run_catalogue = dict((catalogue or {}).get(run_id, {}))
        per_user_names = per_user_metrics(frame, metrics)
        missing = [m for m in metrics if m not in per_user_names and m not in run_catalogue]
        if missing:
            raise DataError(
                f"run {run_id} has no {', '.join(missing)}; choose metrics every selected run has"
            )
        evaluation = _evaluation(
            frame,
            per_user_names,
            mode=mode,
            n_negatives=n_negatives,
            catalogue={m: run_catalogue[m] for m in metrics if m in run_catalogue},
        )
        summary = summarise(evaluation, confidence=confidence, seed=seed)
        summary = summary.set_index("metric").reindex(list(metrics)).reset_index()
        summary.insert(0, "run", run_id)
        parts.append(summary)
    columns = ["run", "metric", "family", "k", "mean", "ci_low", "ci_high", "n_users", "protocol"]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)
    parsed = [parse_metric(name) for name in table["metric"]]
    table["family"] = [family for family, _ in parsed]
    table["k"] = [k for _, k in parsed]
    return table[columns]


def _shared_users(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Rows of both runs for the users they share (aligned), and how many users only one has."""
    users_a = a[USER_COLUMN].to_numpy(np.int64)
    users_b = b[USER_COLUMN].to_numpy(np.int64)
    merged = a.merge(b, on=USER_COLUMN, suffixes=(" a", " b"), validate="one_to_one")
    return merged, len(np.setxor1d(users_a, users_b))


def _paired_row(
    run_id: str, baseline: str, result: PairedComparison, n_unshared: int
) -> tuple[object, ...]:
    """One ``paired_table`` row: the marker follows the sign, the verdict the metric's direction."""
    marker, verdict = SAME, "no difference"
    if result.significant:
        marker = HIGHER if result.diff > 0 else LOWER
        family = result.metric.split("@")[0]
        if family in NO_DIRECTION:
            verdict = "higher" if result.diff > 0 else "lower"
        else:
            higher_wins = family not in LOWER_IS_BETTER
            verdict = "better" if (result.diff > 0) == higher_wins else "worse"
    return (
        run_id,
        baseline,
        result.metric,
        result.mean_a,
        result.mean_b,
        result.diff,
        result.ci_low,
        result.ci_high,
        result.p_value,
        result.significant,
        marker,
        verdict,
        result.n_users,
        n_unshared,
    )


def paired_table(
    per_user: PerUser,
    baseline: str,
    metrics: Sequence[str],
    *,
    pointwise: Mapping[str, PointwiseRun] | None = None,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Every other run against ``baseline``, user by user, on the per-user metrics chosen.

    Users are aligned by ``user_idx``; runs on the same split share them all, and any user only one
    run evaluated is left out and counted in ``n_unshared`` (the page warns when it is not 0).
    With ``pointwise``, two ranking runs are also paired on the chosen GAUC and log loss
    (``pointwise.pointwise_pairs``); AUC over all rows has no per-user pairing.

    Returns:
        Columns run, baseline, metric, mean_baseline, mean_run, diff (run - baseline), ci_low,
        ci_high (paired bootstrap interval of diff), p_value (paired t-test), significant,
        marker (▲ significantly higher, ▼ significantly lower, = no significant difference),
        verdict (better | worse | no difference: the marker read with the metric's direction,
        lower being better for log loss), n_users, n_unshared; runs in the given order, each
        run's metrics in the order of ``metrics``.
    """
    if baseline not in per_user:
        raise DataError(f"baseline {baseline!r} is not among the compared runs; pick one of them")
    base = per_user[baseline]
    rows = []
    for run_id, frame in per_user.items():
        if run_id == baseline:
            continue
        names = [m for m in per_user_metrics(base, metrics) if m in frame.columns]
        merged, n_unshared = _shared_users(
            base[[USER_COLUMN, *names]], frame[[USER_COLUMN, *names]]
        )
        if merged.empty:
            raise DataError(
                f"runs {baseline} and {run_id} share no evaluated user; compare runs on one split"
            )
        for name in names:
            result = paired_compare(
                merged[f"{name} a"].to_numpy(),
                merged[f"{name} b"].to_numpy(),
                metric=name,
                confidence=confidence,
                seed=seed,
            )
            rows.append(_paired_row(run_id, baseline, result, n_unshared))
    ranking = {run_id: run for run_id, run in (pointwise or {}).items() if run_id in per_user}
    pairs = pointwise_pairs(ranking, baseline, metrics, confidence=confidence, seed=seed)
    rows += [_paired_row(run_id, baseline, result, n) for run_id, result, n in pairs]
    order = {run_id: position for position, run_id in enumerate(per_user)}
    position = {name: i for i, name in enumerate(metrics)}
    rows.sort(key=lambda row: (order[row[0]], position.get(str(row[2]), len(position))))
    return pd.DataFrame(rows, columns=PAIRED_COLUMNS)


def with_pointwise_rows(table: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """``metrics_table`` rows and ``pointwise.pointwise_table`` rows in one table, run by run.

    Each run keeps its top-N rows first; the pointwise rows have the metric as family and no k.
    """
    rows = rows.assign(family=rows["metric"], k=pd.NA)[table.columns]
    parts = [part for part in (table, rows) if not part.empty]
    if not parts:
        return table
    both = pd.concat(parts, ignore_index=True)
    both["k"] = both["k"].astype("Int64")
    order = {run_id: position for position, run_id in enumerate(dict.fromkeys(both["run"]))}
    both = both.sort_values("run", key=lambda column: column.map(order), kind="stable")
    return both.reset_index(drop=True)


def in_metric_order(table: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """A table's rows run by run (runs in first-seen order), each run's metrics in the order of
    ``metrics`` (the order the person chose them in)."""
    runs = {run_id: position for position, run_id in enumerate(dict.fromkeys(table["run"]))}
    position = {name: i for i, name in enumerate(metrics)}
    keys = [
        (runs[run], position.get(metric, len(position)))
        for run, metric in zip(table["run"], table["metric"], strict=True)
    ]
    order = sorted(range(len(table)), key=keys.__getitem__)
    return table.iloc[order].reset_index(drop=True)


def with_markers(table: pd.DataFrame, paired: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """``metrics_table`` plus a ``vs_baseline`` column: "baseline", ▲, ▼, = or "" (not tested)."""
    markers = {
        (r, m): marker
        for r, m, marker in paired[["run", "metric", "marker"]].itertuples(index=False)
    }
    out = table.copy()
    out["vs_baseline"] = [
        BASELINE if run == baseline else markers.get((run, metric), "")
        for run, metric in zip(out["run"], out["metric"], strict=True)
    ]
    return out


def segment_labels(
    users: IntArray,
    user_counts: IntArray,
    users_frame: pd.DataFrame | None,
    *,
    n_bins: int = 4,
) -> dict[str, npt.NDArray[np.object_]]:
    """(B,) segment labels of evaluated users: activity bins, then any demographics the data has.

    Args:
        users: (B,) evaluated user indices.
        user_counts: (U,) training interactions per user, from the run's split (training window).
        users_frame: ``Dataset.users`` (indexed by user_idx), or None to skip demographics.
        n_bins: activity bins wanted (quantiles of the evaluated users' counts).
    """
    labels = {"activity": activity_segments(user_counts, users, n_bins)}
    if users_frame is not None:
        labels.update(demographic_segments(users_frame, users))
    return labels


def segments_table(
    per_user: PerUser,
    metrics: Sequence[str],
    user_counts: IntArray,
    users_frame: pd.DataFrame | None,
    *,
    n_bins: int = 4,
) -> pd.DataFrame:
    """Mean of each chosen per-user metric within each user segment, for each run.

    Returns:
        Columns segment_kind, segment, run, n_users, then one column per chosen per-user metric;
        segments in their natural order, runs in the given order within each segment.
    """
    parts = []
    for position, (run_id, frame) in enumerate(per_user.items()):
        evaluation = _evaluation(frame, per_user_metrics(frame, metrics))
        labels = segment_labels(evaluation.users, user_counts, users_frame, n_bins=n_bins)
        part = metrics_by_segment(evaluation, labels)
        part.insert(2, "run", run_id)
        part["_segment_order"] = np.arange(len(part))
        part["_run_order"] = position
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["segment_kind", "segment", "run", "n_users"])
    table = pd.concat(parts, ignore_index=True)
    table = table.sort_values(["_segment_order", "_run_order"], kind="stable")
    return table.drop(columns=["_segment_order", "_run_order"]).reset_index(drop=True)


def segment_extremes(segments: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``segments_table`` summed up: per segment kind and run, its highest and lowest segment on
    ``metric`` (a report's short form of a table of every segment).

    Returns:
        Columns segment_kind, run, segments (how many), highest_segment, highest,
        lowest_segment, lowest; kinds and runs in the table's order. Segments without a value
        are skipped.
    """
    rows = []
    valued = segments.dropna(subset=[metric])
    for (kind, run), part in valued.groupby(["segment_kind", "run"], sort=False):
        top, bottom = part.loc[part[metric].idxmax()], part.loc[part[metric].idxmin()]
        rows.append(
            (kind, run, len(part), top["segment"], top[metric], bottom["segment"], bottom[metric])
        )
    columns = ["segment_kind", "run", "segments", "highest_segment", "highest"]
    return pd.DataFrame(rows, columns=[*columns, "lowest_segment", "lowest"])


def order_flips(full: pd.DataFrame, sampled: pd.DataFrame) -> pd.DataFrame:
    """Full-ranking and sampled means side by side, and which pairs of runs swap order.

    Two runs flip on a metric when one is strictly ahead under full ranking and strictly behind
    under sampled evaluation (ties flip nothing). Only metrics both tables hold are compared.

    Args:
        full: ``metrics_table`` of the full-ranking evaluation.
        sampled: ``metrics_table`` of the sampled evaluation of the same runs.

    Returns:
        Columns metric, run, full, sampled, rank_full, rank_sampled (1 = best), flipped,
        flipped_with (run ids it swaps order with, comma-separated).
    """
    merged = full[["metric", "run", "mean"]].merge(
        sampled[["metric", "run", "mean"]], on=["metric", "run"], suffixes=("_full", "_sampled")
    )
    merged = merged.rename(columns={"mean_full": "full", "mean_sampled": "sampled"})
    by_metric = merged.groupby("metric", sort=False)
    merged["rank_full"] = by_metric["full"].rank(ascending=False, method="min").astype(int)
    merged["rank_sampled"] = by_metric["sampled"].rank(ascending=False, method="min").astype(int)
    flipped_with = []
    for run, metric, full_mean, sampled_mean in merged[
        ["run", "metric", "full", "sampled"]
    ].itertuples(index=False):
        others = merged[(merged["metric"] == metric) & (merged["run"] != run)]
        swaps = (others["full"] - full_mean) * (others["sampled"] - sampled_mean) < 0
        flipped_with.append(", ".join(others.loc[swaps, "run"]))
    merged["flipped_with"] = flipped_with
    merged["flipped"] = merged["flipped_with"] != ""
    metric_order = {name: position for position, name in enumerate(dict.fromkeys(full["metric"]))}
    merged = merged.sort_values("metric", key=lambda col: col.map(metric_order), kind="stable")
    columns = ["metric", "run", "full", "sampled", "rank_full", "rank_sampled", "flipped"]
    return merged[[*columns, "flipped_with"]].reset_index(drop=True)


def headline_table(table: pd.DataFrame, metrics: Sequence[str], *, source: str) -> pd.DataFrame:
    """One row per run with the means of ``metrics`` as columns, labelled with ``source``."""
    chosen = table[table["metric"].isin(metrics)]
    wide = chosen.pivot(index="run", columns="metric", values="mean")
    runs = list(dict.fromkeys(chosen["run"]))
    wide = wide.reindex(index=runs, columns=[m for m in metrics if m in wide.columns])
    wide = wide.reset_index().rename(columns={"run": "model"})
    wide.insert(1, "source", source)
    wide.columns.name = None
    return wide


def with_references(headline: pd.DataFrame, references: pd.DataFrame) -> pd.DataFrame:
    """Our runs' headline rows followed by published reference rows (same metric columns)."""
    if references.empty:
        return headline
    columns = list(headline.columns)
    return pd.concat([headline, references.reindex(columns=columns)], ignore_index=True)
