"""How a comparison is shown to a person: runs by their label, metrics and columns by name.

One definition for the Compare page (its column headers, charts and headings) and its HTML
report. A comparison is computed on run ids (the caches and the joins key on them);
``labelled`` swaps every id in its frames for the run's label (``registry.labels``) at the end,
so runs read as what they are everywhere. ``metric_label`` names a metric (``nDCG@10``) and
``header`` a column (``Baseline mean``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pandas as pd

from recsys_core.evaluation.compare.names import LOWER_IS_BETTER, is_pointwise
from recsys_core.evaluation.headline import headline_metrics

if TYPE_CHECKING:
    from recsys_core.evaluation.compare.build import Comparison, SampledComparison

#: Metric family -> how it is named: the headline's labels first (nDCG, AUC, LogLoss, ...).
FAMILY_LABELS: dict[str, str] = {
    **{
        spec.name.partition("@")[0]: spec.label.partition("@")[0]
        for spec in headline_metrics(stage="ranking")
    },
    "msr_map": "MAP (MSR)",
    "f1": "F1",
    "mrr": "MRR",
    "hit_rate": "Hit rate",
    "graded_ndcg": "Graded nDCG",
    "novelty": "Novelty",
    "arp": "Avg. popularity (ARP)",
    "diversity": "ILD (diversity)",
    "tail_share": "Tail share",
    "genre_kl": "Genre KL",
    "mean_item_age": "Mean item age",
    "coverage": "Coverage",
    "gini": "Gini of exposure",
}
#: Column name -> its header, for every column a comparison's frames hold; metric columns
#: (``ndcg@10``) are named by ``metric_label``.
HEADERS: dict[str, str] = {
    "run": "Run",
    "run_id": "Run id",
    "model": "Model",
    "stage": "Stage",
    "lineage": "Lineage",
    "settings": "Settings",
    "created": "Created (UTC)",
    "metric": "Metric",
    "family": "Family",
    "k": "k",
    "mean": "Mean",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "n_users": "Users",
    "protocol": "Evaluation",
    "vs_baseline": "vs baseline",
    "baseline": "Baseline",
    "mean_baseline": "Baseline mean",
    "mean_run": "Run mean",
    "diff": "Difference",
    "p_value": "p",
    "significant": "Significant",
    "marker": "▲/▼",
    "verdict": "Verdict",
    "n_unshared": "Unshared users",
    "source": "Source",
    "link": "Where",
    "segment_kind": "Segment kind",
    "segment": "Segment",
    "segments": "Segments",
    "highest_segment": "Highest segment",
    "highest": "Highest",
    "lowest_segment": "Lowest segment",
    "lowest": "Lowest",
    "full": "Full ranking",
    "sampled": "Sampled",
    "rank_full": "Rank (full)",
    "rank_sampled": "Rank (sampled)",
    "flipped": "Flipped",
    "flipped_with": "Flips with",
    "full_ci_low": "Full 95% CI low",
    "full_ci_high": "Full 95% CI high",
    "sampled_ci_low": "Sampled 95% CI low",
    "sampled_ci_high": "Sampled 95% CI high",
}
#: Columns of the paired table a person reads: the marker, significance flag and unshared count
#: repeat what the verdict and the page's warning say.
PAIRED_SHOWN = [
    "run",
    "metric",
    "mean_baseline",
    "mean_run",
    "diff",
    "ci_low",
    "ci_high",
    "p_value",
    "verdict",
    "n_users",
]
#: Source text of our own rows in the reference table.
OUR_SOURCE = "this run"
_URL = re.compile(r"https?://\S+?(?=[),]|$)")


def family_label(family: str) -> str:
    """How a metric family is offered: ``"nDCG"``, or ``"LogLoss (lower is better)"``."""
    label = FAMILY_LABELS.get(family, family)
    return f"{label} (lower is better)" if family in LOWER_IS_BETTER else label


def metric_label(name: str) -> str:
    """How a metric is named: ``ndcg@10`` -> ``nDCG@10``, ``msr_map@10`` -> ``MAP (MSR)@10``,
    ``logloss`` -> ``LogLoss``; an unknown family keeps its name."""
    family, sep, k = name.partition("@")
    return f"{FAMILY_LABELS.get(family, family)}{sep}{k}"


def header(column: str) -> str:
    """The header of a comparison column: ``HEADERS``, else the metric's label."""
    if column in HEADERS:
        return HEADERS[column]
    if "@" in column or is_pointwise(column):
        return metric_label(column)
    return column


def iso_utc(moment: datetime) -> str:
    """A time as ISO 8601 in UTC with its offset (a naive time is taken as UTC, as the run
    registry stores it): ``2026-02-03T04:05:00+00:00``."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds")


def split_source(source: str) -> tuple[str, str]:
    """A published row's source as (short name, address): the text before its parenthesis and
    the first web address in it ("" when it names none)."""
    found = _URL.search(source)
    return source.partition(" (")[0].strip(), found.group(0) if found else ""


def paired_view(paired: pd.DataFrame) -> pd.DataFrame:
    """The columns of a paired table a person reads (``PAIRED_SHOWN``)."""
    return paired[PAIRED_SHOWN]


def sampled_view(sampled: SampledComparison) -> pd.DataFrame:
    """Full ranking and sampled evaluation of each run side by side, one row per run and metric:
    run, metric, full, its interval, sampled, its interval, rank_full, rank_sampled."""
    sides = [
        side[["run", "metric", "mean", "ci_low", "ci_high"]].rename(
            columns={"mean": name, "ci_low": f"{name}_ci_low", "ci_high": f"{name}_ci_high"}
        )
        for name, side in (("full", sampled.full), ("sampled", sampled.sampled))
    ]
    ranks = sampled.flips[["run", "metric", "rank_full", "rank_sampled"]]
    # inner merges keep the left frame's order: run by run, metrics in the chosen order
    return sides[0].merge(sides[1], on=["run", "metric"]).merge(ranks, on=["run", "metric"])


def flip_pairs(flips: pd.DataFrame) -> list[str]:
    """One line per pair of runs whose order reverses on a metric (``order_flips`` rows, where
    rank 1 is the highest mean): "nDCG@10: A ahead under full ranking, B under sampled"."""
    lines = []
    for metric, group in flips.groupby("metric", sort=False):
        rows = list(group[["run", "full", "sampled"]].itertuples(index=False))
        for i, (run_a, full_a, sampled_a) in enumerate(rows):
            for run_b, full_b, sampled_b in rows[i + 1 :]:
                if (full_a - full_b) * (sampled_a - sampled_b) < 0:
                    ahead, behind = (run_a, run_b) if full_a > full_b else (run_b, run_a)
                    lines.append(
                        f"{metric}: {ahead} ahead under full ranking, {behind} under sampled"
                    )
    return lines


def labelled(
    comparison: Comparison,
    labels: Mapping[str, str],
    *,
    settings: Mapping[str, str] | None = None,
) -> Comparison:
    """The comparison as a person reads it: every run id replaced by the run's label.

    Runs, baseline, the parents named in lineages, ``flipped_with``, our rows of the reference
    table and the pointwise labels' keys all name runs by label; metric values read as
    ``metric_label``s (``family`` keeps the raw family, for directions). The runs frame gains
    ``settings`` and the run id as its last column; the reference table lists metrics first,
    then a short source and its address. An id without a label keeps its id.

    Args:
        comparison: ``build_comparison``'s result, keyed by run id.
        labels: run id -> label (``registry.labels.run_labels``), for the compared runs and
            any parent they name.
        settings: run id -> the run's changed settings as text; "" when not given.
    """

    def name(run_id: object) -> str:
        return labels.get(str(run_id), str(run_id))

    def names(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
        frame = frame.copy()
        for column in columns:
            frame[column] = frame[column].map(name)
        if "metric" in frame:
            frame["metric"] = frame["metric"].map(metric_label)
        return frame

    sampled = comparison.sampled
    if sampled is not None:
        flips = names(sampled.flips, "run")
        flips["flipped_with"] = [
            ", ".join(name(run) for run in text.split(", ")) if text else ""
            for text in flips["flipped_with"]
        ]
        sampled = dataclasses.replace(
            sampled,
            full=names(sampled.full, "run"),
            sampled=names(sampled.sampled, "run"),
            flips=flips,
        )
    return dataclasses.replace(
        comparison,
        baseline=name(comparison.baseline),
        runs=_runs(comparison.runs, name, settings or {}),
        table=names(comparison.table, "run"),
        paired=None if comparison.paired is None else names(comparison.paired, "run", "baseline"),
        references=_references(comparison.references, name),
        segments=None if comparison.segments is None else names(comparison.segments, "run"),
        sampled=sampled,
        pointwise_labels={name(run): text for run, text in comparison.pointwise_labels.items()},
    )


def _runs(
    runs: pd.DataFrame, name: Callable[[object], str], settings: Mapping[str, str]
) -> pd.DataFrame:
    """Runs by label, lineage naming the parent by label, settings, creation time, run id last."""

    def lineage(text: str) -> str:
        words, _, parent = text.rpartition(" ")
        return f"{words} {name(parent)}" if words else text

    out = pd.DataFrame({"run": runs["run"].map(name), "stage": runs["stage"]})
    out["lineage"] = runs["lineage"].map(lineage)
    out["settings"] = [settings.get(run, "") for run in runs["run"]]
    if "created" in runs:
        out["created"] = [iso_utc(moment) if pd.notna(moment) else "" for moment in runs["created"]]
    out["run_id"] = runs["run"].to_numpy()
    return out


def _references(
    references: pd.DataFrame | None, name: Callable[[object], str]
) -> pd.DataFrame | None:
    """Our rows by label; metric columns first, then the short source and its address."""
    if references is None:
        return None
    out = references.copy()
    ours = out["source"] == OUR_SOURCE
    out.loc[ours, "model"] = out.loc[ours, "model"].map(name)
    parts = [split_source(str(source)) for source in out["source"]]
    out["source"] = [short for short, _ in parts]
    out["link"] = [address or None for _, address in parts]
    metrics = [column for column in out.columns if column not in {"model", "source", "link"}]
    return out[["model", *metrics, "source", "link"]]
