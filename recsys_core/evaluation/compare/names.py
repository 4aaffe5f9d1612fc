"""Metric names of a comparison, the runs it can hold and the captions that label its tables.

Per-user metric frames (``user_idx`` plus one column per metric, as ``TopKEvaluation.to_frame``
writes them) are keyed by run id. Only runs on the same split evaluate the same users, so only they
are comparable: ``split_groups`` sorts a selection into such groups. Top-N metrics are named
``family@k``; the pointwise metrics of ranking runs (``auc``, ``gauc``, ``logloss``) have no k.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from recsys_core.data.protocols import Protocol as EvaluationProtocol
from recsys_core.errors import DataError
from recsys_core.evaluation.headline import headline_metrics
from recsys_core.evaluation.pointwise import POINTWISE_METRICS

#: Run id -> that run's per-user metric frame.
PerUser = Mapping[str, pd.DataFrame]

#: Metric families that are one number per run (kept in the run's metrics, not per user).
CATALOGUE_FAMILIES: tuple[str, ...] = ("coverage", "gini")
#: Metric families of sampled evaluation (one positive ranked among sampled negatives).
SAMPLED_FAMILIES: tuple[str, ...] = ("hit_rate", "ndcg", "mrr")
#: Column of the per-user frames that holds the user index.
USER_COLUMN = "user_idx"
#: How a derived run is described, by its kind: "<words> <parent run id>".
LINEAGE_WORDS = {"rerank": "rerank of", "cascade": "cascade over", "calibrated": "calibration of"}
#: Pointwise metric name -> its headline spec (display label, direction).
POINTWISE_SPECS = {
    spec.name: spec for spec in headline_metrics(stage="ranking") if spec.name in POINTWISE_METRICS
}
#: Metric families where a lower value is the better one: log loss, genre miscalibration (Steck's
#: KL) and the Gini of exposure (a lower one spreads exposure more evenly).
LOWER_IS_BETTER = frozenset(
    {name for name, s in POINTWISE_SPECS.items() if not s.higher_is_better} | {"genre_kl", "gini"}
)
#: Families that describe a list rather than grade it: neither direction is better.
NO_DIRECTION = frozenset({"mean_item_age", "arp"})


class RunInfo(Protocol):
    """What a comparison reads of a saved run (``registry.runs.RunRecord`` satisfies it)."""

    run_id: str
    split_name: str
    model: str
    metrics: dict[str, float]

    @property
    def protocol(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class MetricChoices:
    """The metrics a selection of runs can be compared on.

    Attributes:
        available: metric names of the first run's per-user frame, then its catalogue metrics,
            then the pointwise metrics when ranking runs are compared.
        families: distinct families among them (``ndcg``, ``coverage``, ``auc``), in that order.
        ks: distinct list lengths of the top-N metrics, ascending.
        defaults: the families preselected: hit rate, nDCG and MRR for next-item protocols (one
            held-out item per user), nDCG, recall, precision and MAP otherwise, plus the
            pointwise ones when offered.
    """

    available: list[str]
    families: list[str]
    ks: list[int]
    defaults: list[str]


def protocol_caption(protocol: EvaluationProtocol, evaluation_label: str) -> str:
    """One line shown with every table: protocol name, description, relevance rule, evaluation."""
    relevance = protocol.relevance_label[:1].upper() + protocol.relevance_label[1:]
    return (
        f"Protocol {protocol.name}: {protocol.description}. {relevance}. "
        f"Evaluation: {evaluation_label}."
    )


def split_groups(records: Sequence[RunInfo]) -> dict[str, list[str]]:
    """Run ids grouped by the split they were evaluated on, groups and runs in selection order."""
    groups: dict[str, list[str]] = {}
    for record in records:
        groups.setdefault(record.split_name, []).append(record.run_id)
    return groups


def is_ranking(record: RunInfo) -> bool:
    """Whether a run's model is a ranker (it was evaluated pointwise as well as top-N)."""
    return getattr(record, "stage", "retrieval") == "ranking"


def any_ranking(records: Sequence[RunInfo]) -> bool:
    """Whether ranking runs are among ``records`` (they bring the pointwise metrics)."""
    return any(is_ranking(record) for record in records)


def lineage_label(record: RunInfo) -> str:
    """Where a run comes from: "trained", or e.g. "rerank of <parent run id>"."""
    kind = getattr(record, "kind", "train") or "train"
    parent = getattr(record, "parent_run_id", None)
    if parent:
        return f"{LINEAGE_WORDS.get(kind, f'{kind} of')} {parent}"
    return "trained" if kind == "train" else kind


def parse_metric(name: str) -> tuple[str, int]:
    """``"ndcg@10"`` -> ``("ndcg", 10)``."""
    family, sep, k = name.partition("@")
    if not sep or not k.isdigit():
        raise DataError(f"metric {name!r} is not of the form family@k (e.g. ndcg@10)")
    return family, int(k)


def is_pointwise(name: str) -> bool:
    """Whether ``name`` is a pointwise metric of ranking runs (``auc``, ``gauc``, ``logloss``)."""
    return name in POINTWISE_METRICS


def metric_family(name: str) -> tuple[str, int | None]:
    """``"ndcg@10"`` -> ``("ndcg", 10)``; a pointwise metric is its own family, with no k."""
    return (name, None) if is_pointwise(name) else parse_metric(name)


def catalogue_metrics(metrics: Mapping[str, float]) -> dict[str, float]:
    """The catalogue metrics (coverage@k, gini@k) among a run's stored aggregate metrics."""
    return {
        name: float(value)
        for name, value in metrics.items()
        if "@" in name and name.partition("@")[0] in CATALOGUE_FAMILIES
    }


def available_metrics(
    frame: pd.DataFrame, catalogue: Mapping[str, float] | None = None
) -> list[str]:
    """Metric names of a per-user frame (in its order), then the run's catalogue metrics."""
    names = [column for column in frame.columns if column != USER_COLUMN]
    return names + [name for name in (catalogue or {}) if name not in names]


#: Families preselected for top-N protocols, and for next-item (leave-last-out) protocols.
TOP_N_DEFAULTS = ("ndcg", "recall", "precision", "msr_map")
NEXT_ITEM_DEFAULTS = ("hit_rate", "ndcg", "mrr")


def metric_choices(
    frame: pd.DataFrame,
    catalogue: Mapping[str, float] | None = None,
    *,
    pointwise: bool = False,
    next_item: bool = False,
) -> MetricChoices:
    """The metrics, families and ks a comparison offers, from one run's per-user frame.

    Args:
        frame: the first run's per-user top-N frame.
        catalogue: its catalogue metrics.
        pointwise: whether ranking runs are among the compared runs (they add AUC, GAUC and log
            loss, which retrieval runs do not have).
        next_item: whether the protocol holds out each user's next item (leave-last-out).
    """
    available = available_metrics(frame, catalogue)
    ks = sorted({parse_metric(name)[1] for name in available})
    if pointwise:
        available += list(POINTWISE_METRICS)
    families = list(dict.fromkeys(metric_family(name)[0] for name in available))
    wanted = [*(NEXT_ITEM_DEFAULTS if next_item else TOP_N_DEFAULTS), *POINTWISE_METRICS]
    return MetricChoices(
        available=available,
        families=families,
        ks=ks,
        defaults=[family for family in wanted if family in families],
    )


def is_next_item(protocol: Mapping[str, object]) -> bool:
    """Whether a stored protocol dict holds out each user's last interactions (next-item)."""
    split = protocol.get("split")
    return isinstance(split, Mapping) and split.get("kind") == "leave-last-out"


def select_metrics(
    available: Sequence[str], families: Sequence[str], ks: Sequence[int]
) -> list[str]:
    """The available metrics whose family and k were both chosen: families in the order they were
    chosen, each family's metrics by k ascending (a pointwise metric needs only its family)."""
    chosen_ks = {int(k) for k in ks}
    by_family: dict[str, list[tuple[int, str]]] = {}
    for name in available:
        family, k = metric_family(name)
        if k is None or k in chosen_ks:
            by_family.setdefault(family, []).append((k or 0, name))
    chosen = dict.fromkeys(families)
    return [name for family in chosen for _, name in sorted(by_family.get(family, []))]


def per_user_metrics(frame: pd.DataFrame, metrics: Sequence[str]) -> list[str]:
    """The chosen metrics that the per-user frame holds (catalogue metrics are not per user)."""
    return [name for name in metrics if name in frame.columns and name != USER_COLUMN]
