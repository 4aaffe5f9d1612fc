"""Compare saved runs on one split: metric means with bootstrap intervals, paired tests against a
baseline, per-segment breakdowns and where sampled evaluation reorders the models.

``names`` holds metric names, run grouping and captions; ``tables`` the comparison tables computed
from per-user frames; ``pointwise`` the AUC, GAUC and log loss rows of ranking runs and their
paired tests; ``build`` assembles them into the one ``Comparison`` the Compare page and its
HTML report show. Loading runs is not done here (evaluation never imports the run registry):
callers pass records and frames, and ``registry.reevaluate`` computes sampled frames of saved runs.
"""

from __future__ import annotations

from recsys_core.evaluation.compare.build import (
    SIDE_COLUMNS,
    Comparison,
    SampledComparison,
    build_comparison,
    runs_frame,
)
from recsys_core.evaluation.compare.names import (
    CATALOGUE_FAMILIES,
    LINEAGE_WORDS,
    LOWER_IS_BETTER,
    SAMPLED_FAMILIES,
    USER_COLUMN,
    MetricChoices,
    PerUser,
    RunInfo,
    any_ranking,
    available_metrics,
    catalogue_metrics,
    family_label,
    is_next_item,
    is_pointwise,
    is_ranking,
    lineage_label,
    metric_choices,
    metric_family,
    parse_metric,
    per_user_metrics,
    protocol_caption,
    select_metrics,
    split_groups,
)
from recsys_core.evaluation.compare.pointwise import (
    PointwiseRun,
    paired_ratio_compare,
    pointwise_pairs,
    pointwise_table,
)
from recsys_core.evaluation.compare.tables import (
    BASELINE,
    HIGHER,
    LOWER,
    PAIRED_COLUMNS,
    SAME,
    headline_table,
    metrics_table,
    order_flips,
    paired_table,
    segment_labels,
    segments_table,
    with_markers,
    with_pointwise_rows,
    with_references,
)

__all__ = [
    "BASELINE",
    "CATALOGUE_FAMILIES",
    "HIGHER",
    "LINEAGE_WORDS",
    "LOWER",
    "LOWER_IS_BETTER",
    "PAIRED_COLUMNS",
    "SAME",
    "SAMPLED_FAMILIES",
    "SIDE_COLUMNS",
    "USER_COLUMN",
    "Comparison",
    "MetricChoices",
    "PerUser",
    "PointwiseRun",
    "RunInfo",
    "SampledComparison",
    "any_ranking",
    "is_next_item",
    "available_metrics",
    "build_comparison",
    "catalogue_metrics",
    "family_label",
    "headline_table",
    "is_pointwise",
    "is_ranking",
    "lineage_label",
    "metric_choices",
    "metric_family",
    "metrics_table",
    "order_flips",
    "paired_ratio_compare",
    "paired_table",
    "parse_metric",
    "per_user_metrics",
    "pointwise_pairs",
    "pointwise_table",
    "protocol_caption",
    "runs_frame",
    "segment_labels",
    "segments_table",
    "select_metrics",
    "split_groups",
    "with_markers",
    "with_pointwise_rows",
    "with_references",
]
