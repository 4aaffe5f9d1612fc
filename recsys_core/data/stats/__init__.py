"""Descriptive statistics of a dataset and of a split: what the Data page shows, as plain numbers.

Everything is vectorised (``bincount``, ``unique``, ``groupby``) so that a profile of tens of
millions of interactions takes seconds, and every table meant for a chart is aggregated to a few
hundred rows at most, whatever the dataset's size. Shape legend: N interactions, U users, I items.

``profile`` assembles the whole ``DatasetProfile`` from ``popularity`` (long tail, Gini),
``distributions`` (user activity, ratings), ``timeline``, ``groups`` (genres, demographics) and
``impressions`` (CTR by position); ``split_report`` describes a split (sizes, cold start,
leakage).
"""

from __future__ import annotations

from recsys_core.data.stats.distributions import (
    ACTIVITY_BINS,
    MAX_RATING_VALUES,
    RATING_BINS,
    log_bin_edges,
    rating_distribution,
    user_activity_histogram,
)
from recsys_core.data.stats.groups import MAX_GROUPS, demographic_mix, genre_mix
from recsys_core.data.stats.impressions import (
    MAX_POSITIONS,
    ImpressionSummary,
    summarise_impressions,
    wilson_interval,
)
from recsys_core.data.stats.popularity import (
    HEAD_ITEM_SHARE,
    MAX_CURVE_POINTS,
    LongTail,
    gini,
    long_tail,
)
from recsys_core.data.stats.profile import (
    DatasetOverview,
    DatasetProfile,
    dataset_overview,
    describe_dataset,
)
from recsys_core.data.stats.split_report import (
    PART_ORDER,
    LeakageLevel,
    LeakageReport,
    SplitSummary,
    leakage_report,
    split_summary,
)
from recsys_core.data.stats.timeline import (
    GRANULARITIES,
    MAX_TIME_PERIODS,
    Timeline,
    interaction_timeline,
)

__all__ = [
    "ACTIVITY_BINS",
    "GRANULARITIES",
    "HEAD_ITEM_SHARE",
    "MAX_CURVE_POINTS",
    "MAX_GROUPS",
    "MAX_POSITIONS",
    "MAX_RATING_VALUES",
    "MAX_TIME_PERIODS",
    "PART_ORDER",
    "RATING_BINS",
    "DatasetOverview",
    "DatasetProfile",
    "ImpressionSummary",
    "LeakageLevel",
    "LeakageReport",
    "LongTail",
    "SplitSummary",
    "Timeline",
    "dataset_overview",
    "demographic_mix",
    "describe_dataset",
    "genre_mix",
    "gini",
    "interaction_timeline",
    "leakage_report",
    "log_bin_edges",
    "long_tail",
    "rating_distribution",
    "split_summary",
    "summarise_impressions",
    "user_activity_histogram",
    "wilson_interval",
]
