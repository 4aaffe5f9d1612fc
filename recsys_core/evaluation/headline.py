"""The headline metrics of a run: the one definition every page, table and picker shows.

Retrieval runs are summed up by top-N accuracy at the protocol's k; ranking runs add the pointwise
metrics (AUC, GAUC, log loss). Names are the keys of a run's stored metrics (``ndcg@10``, ``auc``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from recsys_core.errors import ConfigError

#: Model stages (``Recommender.stage``).
STAGES: tuple[str, ...] = ("retrieval", "ranking")
#: k of the headline columns of tables listing runs whose protocols may differ in k (every run is
#: evaluated at 5, 10 and 20 as well as at its protocol's k).
TABLE_K = 10
#: Top-N families of the headline, with their display names.
_TOP_N = (("ndcg", "nDCG"), ("precision", "Precision"), ("recall", "Recall"), ("map", "MAP"))


@dataclass(frozen=True)
class MetricSpec:
    """How one headline metric is named, labelled and shown.

    Attributes:
        name: key in a run's metrics (``"ndcg@10"``, ``"auc"``).
        label: what a person reads (``"nDCG@10"``, ``"AUC"``).
        format: printf-style number format (Streamlit's ``NumberColumn`` format).
        higher_is_better: False for losses (log loss).
    """

    name: str
    label: str
    format: str = "%.4f"
    higher_is_better: bool = True

    def render(self, value: float | None) -> str:
        """The value in this metric's format; an en dash when it is missing or NaN."""
        if value is None or value != value:
            return "–"
        return self.format % value


_POINTWISE = (
    MetricSpec("auc", "AUC"),
    MetricSpec("gauc", "GAUC"),
    MetricSpec("logloss", "LogLoss", higher_is_better=False),
)


def headline_metrics(k: int = TABLE_K, stage: str = "retrieval") -> list[MetricSpec]:
    """The headline metrics of a run of ``stage`` under a protocol with list length ``k``.

    Args:
        k: the protocol's k.
        stage: ``"retrieval"``: nDCG, precision, recall and MAP at k; ``"ranking"``: AUC, GAUC
            and log loss first (what a ranker is trained for), then those.
    """
    if stage not in STAGES:
        raise ConfigError(f"stage must be one of {', '.join(STAGES)}, got {stage!r}")
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    specs = [MetricSpec(f"{family}@{k}", f"{label}@{k}") for family, label in _TOP_N]
    return [*_POINTWISE, *specs] if stage == "ranking" else specs


def table_metrics(stages: Iterable[str], k: int = TABLE_K) -> list[MetricSpec]:
    """The headline columns of a table of runs of these stages: top-N, then pointwise if any
    ranking run is in it."""
    present = set(stages)
    unknown = present - set(STAGES)
    if unknown:
        raise ConfigError(f"stage must be one of {', '.join(STAGES)}, got {sorted(unknown)}")
    if not present:
        return []
    top_n = headline_metrics(k, "retrieval")
    return [*top_n, *_POINTWISE] if "ranking" in present else top_n
