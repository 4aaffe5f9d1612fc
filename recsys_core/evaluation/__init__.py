"""Evaluation: per-user metric arrays, means with confidence intervals, segments, sampled mode.

``evaluate_topk`` is the entry point for top-k lists; ``evaluate_pointwise`` for scored 0/1 rows
(AUC, GAUC, log loss); ``summarise`` and ``paired_compare`` add uncertainty;
``metrics_by_segment`` breaks results down by user group; ``evaluate_sampled`` is the labelled
sampled-negative protocol kept for comparison with older papers; ``headline_metrics`` names what
every page shows of a run. Models are seen only through the ``Scorer`` protocol: this package
never imports ``recsys_core.models``, ``recsys_core.registry`` or ``recsys_core.experiment``.
"""

from __future__ import annotations

from recsys_core.evaluation.headline import MetricSpec, headline_metrics
from recsys_core.evaluation.intervals import (
    PairedComparison,
    bootstrap_ci,
    paired_compare,
    summarise,
)
from recsys_core.evaluation.metrics import (
    average_recommendation_popularity,
    catalogue_coverage,
    f1_at_k,
    gini_of_exposure,
    hit_rate_at_k,
    ideal_gains,
    intra_list_diversity,
    log_loss,
    mae,
    map_at_k,
    mrr_at_k,
    msr_map_at_k,
    ndcg_at_k,
    novelty_at_k,
    precision_at_k,
    recall_at_k,
    relevance_gains,
    rmse,
    roc_auc,
)
from recsys_core.evaluation.pointwise import PointwiseEvaluation, evaluate_pointwise
from recsys_core.evaluation.sampled import evaluate_sampled, sample_negatives
from recsys_core.evaluation.scorer import Scorer
from recsys_core.evaluation.segments import (
    activity_segments,
    demographic_segments,
    metrics_by_segment,
)
from recsys_core.evaluation.topk import TopKEvaluation, evaluate_topk

__all__ = [
    "MetricSpec",
    "PairedComparison",
    "PointwiseEvaluation",
    "Scorer",
    "TopKEvaluation",
    "activity_segments",
    "average_recommendation_popularity",
    "bootstrap_ci",
    "catalogue_coverage",
    "demographic_segments",
    "evaluate_pointwise",
    "evaluate_sampled",
    "evaluate_topk",
    "f1_at_k",
    "gini_of_exposure",
    "headline_metrics",
    "hit_rate_at_k",
    "ideal_gains",
    "intra_list_diversity",
    "log_loss",
    "mae",
    "map_at_k",
    "metrics_by_segment",
    "mrr_at_k",
    "msr_map_at_k",
    "ndcg_at_k",
    "novelty_at_k",
    "paired_compare",
    "precision_at_k",
    "recall_at_k",
    "relevance_gains",
    "rmse",
    "roc_auc",
    "sample_negatives",
    "summarise",
]
