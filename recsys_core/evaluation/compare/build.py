"""One comparison of saved runs on one split, assembled once for the Compare page and its report.

``build_comparison`` takes the runs' records and per-user frames (loading them is the caller's
job: the registry's, or the app's caches) and returns a ``Comparison`` that holds every table the
page shows and the captions that label them, so the page only renders and the HTML report repeats
exactly what the page showed. Ranking runs add their pointwise evaluation (AUC, GAUC, log loss),
which retrieval runs lack: their cells stay empty. Shape legend: U users.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from recsys_core.data.protocols import Protocol, protocol_from_dict
from recsys_core.errors import DataError
from recsys_core.evaluation import published
from recsys_core.evaluation.compare.display import family_label
from recsys_core.evaluation.compare.names import (
    SAMPLED_FAMILIES,
    PerUser,
    RunInfo,
    available_metrics,
    catalogue_metrics,
    is_pointwise,
    is_ranking,
    lineage_label,
    parse_metric,
    per_user_metrics,
    protocol_caption,
    select_metrics,
    split_groups,
)
from recsys_core.evaluation.compare.pointwise import PointwiseRun, pointwise_table
from recsys_core.evaluation.compare.tables import (
    headline_table,
    in_metric_order,
    metrics_table,
    order_flips,
    paired_table,
    segments_table,
    with_markers,
    with_pointwise_rows,
    with_references,
)
from recsys_core.types import IntArray

#: Columns of the full-vs-sampled side tables.
SIDE_COLUMNS = ["run", "metric", "mean", "ci_low", "ci_high"]


@dataclass(frozen=True)
class SampledComparison:
    """The same runs under full ranking and against sampled negatives, and the order flips.

    Attributes:
        n_negatives: sampled negatives per test item.
        full: ``metrics_table`` rows (``SIDE_COLUMNS``) of the sampled families, full ranking.
        sampled: the same metrics under sampled evaluation.
        flips: ``order_flips`` of the two.
        caption: protocol caption of the sampled side.
        flip_caption: what the flips table shows.
    """

    n_negatives: int
    full: pd.DataFrame
    sampled: pd.DataFrame
    flips: pd.DataFrame
    caption: str
    flip_caption: str


@dataclass(frozen=True)
class Comparison:
    """Everything the Compare page shows for runs on one split.

    Attributes:
        dataset: dataset name.
        split_name: the split every run was evaluated on.
        baseline: run id the others are tested against.
        protocol: the first run's protocol (the others' when ``mixed_protocols`` is False).
        mixed_protocols: the runs share a split but not their protocol (relevance rule or k).
        runs: one row per run: run, model, stage, lineage ("trained", "rerank of <parent>"),
            created (when the run was saved, UTC).
        metrics: the chosen metric names.
        table: ``metrics_table`` of the chosen metrics, with ``vs_baseline`` when paired.
        paired: ``paired_table`` against the baseline; None with a single run.
        references: our headline rows then published rows; None when nothing is published for
            this protocol and dataset.
        reference_metrics: metric columns of ``references``.
        segments: ``segments_table`` of the chosen per-user metrics; None when none is chosen.
        segment_metrics: the chosen top-N metrics that are per user.
        sampled: full vs sampled evaluation, when asked for.
        pointwise_labels: ranking run id -> how its pointwise metrics were obtained; empty when
            no pointwise metric is chosen.
    """

    dataset: str
    split_name: str
    baseline: str
    protocol: Protocol
    mixed_protocols: bool
    runs: pd.DataFrame
    metrics: list[str]
    table: pd.DataFrame
    paired: pd.DataFrame | None
    references: pd.DataFrame | None
    reference_metrics: list[str]
    segments: pd.DataFrame | None
    segment_metrics: list[str]
    sampled: SampledComparison | None
    pointwise_labels: dict[str, str]

    @property
    def run_ids(self) -> list[str]:
        """The compared runs, in selection order (their labels after ``display.labelled``)."""
        return self.runs["run"].tolist()

    @property
    def context(self) -> str:
        """Dataset, split and evaluation, for chart titles."""
        return f"{self.dataset}, split {self.split_name}, full ranking"

    @property
    def full_caption(self) -> str:
        """The protocol caption of every full-ranking table."""
        return protocol_caption(self.protocol, "full ranking")

    @property
    def shown_table(self) -> pd.DataFrame:
        """``table`` without the columns that repeat what the caption and metric name say."""
        return self.table.drop(columns=["family", "k", "protocol"])

    @property
    def n_unshared(self) -> int:
        """Most users that only one of a run and the baseline evaluated (0: all shared)."""
        if self.paired is None or self.paired.empty:
            return 0
        return int(self.paired["n_unshared"].max())

    @property
    def metrics_caption(self) -> str:
        """The caption of the metrics table: the protocol, then what the pointwise numbers are."""
        return " ".join(filter(None, (self.full_caption, self.pointwise_caption)))

    @property
    def pointwise_caption(self) -> str:
        """What the pointwise numbers are and how they were obtained; "" when none is shown."""
        if not any(is_pointwise(name) for name in self.metrics):
            return ""
        labels = set(self.pointwise_labels.values())
        if len(labels) == 1:
            how = labels.pop()
        else:
            how = "; ".join(f"{run}: {label}" for run, label in self.pointwise_labels.items())
        shown = ", ".join(family_label(name) for name in self.metrics if is_pointwise(name))
        text = f"{shown} of ranking runs, {how or 'not evaluated pointwise'}."
        if len(self.pointwise_labels) < len(self.runs):
            text += " Retrieval runs are not evaluated pointwise: their cells are empty."
        return (
            f"{text} AUC ranks all scored rows at once (stored 95% interval, no paired test); "
            "GAUC and log loss are recomputed and paired user by user."
        )

    @property
    def paired_caption(self) -> str:
        return (
            "Difference = run − baseline on the users both evaluated. Verdict: better or worse "
            "when the paired t-test finds a significant difference (p < 0.05), read with the "
            "metric's direction (lower log loss is better); the metrics table marks the same "
            "runs ▲/▼ (= no significant difference). Intervals: paired bootstrap. "
            f"{self.full_caption}"
        )

    @property
    def reference_caption(self) -> str:
        if self.references is None:
            return (
                f"No published numbers for protocol {self.protocol.name} on {self.dataset}: "
                "references exist for msr-100k on ml-100k and the recbole presets on ml-1m."
            )
        return (
            "Published rows come from other implementations under the same protocol and "
            f"dataset; each names its source. {self.full_caption}"
        )

    @property
    def segment_caption(self) -> str:
        return (
            "Activity bins are quantiles of the evaluated users' training interactions; "
            f"demographic segments appear where the dataset has them. {self.full_caption}"
        )


def runs_frame(records: Sequence[RunInfo]) -> pd.DataFrame:
    """One row per run: run, model, stage, lineage, created (None when the record has no time)."""
    return pd.DataFrame(
        {
            "run": [record.run_id for record in records],
            "model": [record.model for record in records],
            "stage": [getattr(record, "stage", "retrieval") for record in records],
            "lineage": [lineage_label(record) for record in records],
            "created": pd.Series(
                [getattr(record, "created_at", None) for record in records], dtype=object
            ),
        }
    )


def _sampled(
    per_user: PerUser,
    sampled_per_user: PerUser,
    n_negatives: int,
    metrics: Sequence[str],
    protocol: Protocol,
    confidence: float,
    seed: int,
) -> SampledComparison:
    """Sampled families at the chosen ks under both evaluations (those chosen first, in their
    order), and the runs they reorder."""
    first = next(iter(per_user.values()))
    top_n = [parse_metric(name) for name in metrics if not is_pointwise(name)]
    chosen = [family for family, _ in top_n if family in SAMPLED_FAMILIES]
    families = list(dict.fromkeys([*chosen, *SAMPLED_FAMILIES]))  # the chosen ones first
    ks = sorted({k for _, k in top_n})
    sampled_metrics = select_metrics(available_metrics(first), families, ks)
    full = metrics_table(per_user, sampled_metrics, confidence=confidence, seed=seed)
    sampled = metrics_table(
        sampled_per_user,
        sampled_metrics,
        mode="sampled",
        n_negatives=n_negatives,
        confidence=confidence,
        seed=seed,
    )
    label = str(sampled["protocol"].iloc[0]) if len(sampled) else "sampled"
    return SampledComparison(
        n_negatives=n_negatives,
        full=full[SIDE_COLUMNS],
        sampled=sampled[SIDE_COLUMNS],
        flips=order_flips(full, sampled),
        caption=protocol_caption(protocol, label),
        flip_caption=(
            "Rank 1 = best under each evaluation; crossing lines in the chart mark runs whose "
            f"order reverses under sampled evaluation. Protocol {protocol.name}: full ranking vs "
            f"{n_negatives} sampled negatives per test item."
        ),
    )


def build_comparison(
    records: Sequence[RunInfo],
    per_user: PerUser,
    metrics: Sequence[str],
    baseline: str,
    *,
    dataset: str,
    user_counts: IntArray,
    users_frame: pd.DataFrame | None,
    sampled_per_user: PerUser | None = None,
    n_negatives: int | None = None,
    pointwise: Mapping[str, PointwiseRun] | None = None,
    confidence: float = 0.95,
    seed: int = 0,
) -> Comparison:
    """Every table of a comparison of runs on one split.

    Args:
        records: the runs, in selection order, all on one split (``split_groups`` sorts a
            selection); the first run's protocol labels the tables.
        per_user: run id -> full-ranking per-user frame, for every run.
        metrics: chosen metric names (``select_metrics``); catalogue ones come from the records,
            pointwise ones (``auc``, ``gauc``, ``logloss``) from ``pointwise`` and the records'
            stored AUC.
        baseline: run id the others are tested against.
        dataset: name of the dataset, for the published references and the titles.
        user_counts: (U,) training interactions per user on the split (activity segments).
        users_frame: ``Dataset.users`` for demographic segments, or None.
        sampled_per_user: run id -> sampled per-user frame, to compare with sampled evaluation.
        n_negatives: the negatives per test item of ``sampled_per_user``.
        pointwise: run id -> pointwise evaluation, for every ranking run when a pointwise metric
            is chosen.
        confidence: level of every interval and significance call.
        seed: bootstrap seed (the same for every run).
    """
    if not records:
        raise DataError("pick at least one run to compare")
    groups = split_groups(records)
    if len(groups) > 1:
        raise DataError(
            f"the runs were evaluated on {len(groups)} splits ({', '.join(groups)}); compare "
            "runs of one split at a time (split_groups sorts them)"
        )
    run_ids = [record.run_id for record in records]
    missing = [run_id for run_id in run_ids if run_id not in per_user]
    if missing:
        raise DataError(f"no per-user metrics given for run(s) {', '.join(missing)}")
    if baseline not in run_ids:
        raise DataError(f"baseline {baseline!r} is not among the compared runs; pick one of them")
    frames = {run_id: per_user[run_id] for run_id in run_ids}
    protocol = protocol_from_dict(records[0].protocol)
    catalogue = {record.run_id: catalogue_metrics(record.metrics) for record in records}
    bootstrap = {"confidence": confidence, "seed": seed}
    top_n = [name for name in metrics if not is_pointwise(name)]
    chosen_pointwise = [name for name in metrics if is_pointwise(name)]
    ranking = _pointwise_runs(records, pointwise or {}) if chosen_pointwise else {}

    table = metrics_table(frames, top_n, catalogue=catalogue, **bootstrap)
    if chosen_pointwise:
        stored = {record.run_id: record.metrics for record in records}
        rows = pointwise_table(run_ids, ranking, stored, chosen_pointwise, **bootstrap)
        table = in_metric_order(with_pointwise_rows(table, rows), metrics)
    paired = None
    if len(run_ids) > 1:
        paired = paired_table(frames, baseline, metrics, pointwise=ranking, **bootstrap)
        table = with_markers(table, paired, baseline)

    published_rows = published.reference_rows(protocol.name, dataset)
    references, reference_metrics = None, []
    if not published_rows.empty:
        available = available_metrics(frames[run_ids[0]], catalogue[run_ids[0]])
        reference_metrics = [name for name in published_rows.columns[2:] if name in available]
        ours = headline_table(
            metrics_table(frames, reference_metrics, catalogue=catalogue, **bootstrap),
            reference_metrics,
            source="this run",
        )
        references = with_references(ours, published_rows)

    segment_metrics = per_user_metrics(frames[run_ids[0]], metrics)
    segments = None
    if segment_metrics:
        segments = segments_table(frames, segment_metrics, user_counts, users_frame)

    sampled = None
    if sampled_per_user is not None:
        if not n_negatives:
            raise DataError("sampled per-user metrics need the number of negatives they used")
        sampled_frames = {run_id: sampled_per_user[run_id] for run_id in run_ids}
        sampled = _sampled(frames, sampled_frames, n_negatives, metrics, protocol, confidence, seed)

    return Comparison(
        dataset=dataset,
        split_name=records[0].split_name,
        baseline=baseline,
        protocol=protocol,
        mixed_protocols=any(record.protocol != records[0].protocol for record in records),
        runs=runs_frame(records),
        metrics=list(metrics),
        table=table,
        paired=paired,
        references=references,
        reference_metrics=reference_metrics,
        segments=segments,
        segment_metrics=segment_metrics,
        sampled=sampled,
        pointwise_labels={run_id: run.label for run_id, run in ranking.items()},
    )


def _pointwise_runs(
    records: Sequence[RunInfo], pointwise: Mapping[str, PointwiseRun]
) -> dict[str, PointwiseRun]:
    """The pointwise evaluations of the ranking runs among ``records``, in their order."""
    ranking = [record.run_id for record in records if is_ranking(record)]
    missing = [run_id for run_id in ranking if run_id not in pointwise]
    if missing:
        raise DataError(
            f"no pointwise per-user metrics given for ranking run(s) {', '.join(missing)}; "
            "load them with registry.runs.load_pointwise_per_user"
        )
    return {run_id: pointwise[run_id] for run_id in ranking}
