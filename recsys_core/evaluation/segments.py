"""Break per-user metrics down by user segment: activity (training counts) and demographics.

A mean over all users hides who a model serves well; segments show it, e.g. that a model helps
heavy users and fails newcomers. Labels are plain strings so tables and charts can show them as is.
Shape legend: B evaluated users, U users.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation.topk import TopKEvaluation
from recsys_core.types import IntArray

#: Lower edges of the age groups (MovieLens 1M's groups; ML-100K's exact ages fall into them too).
AGE_EDGES: tuple[int, ...] = (18, 25, 35, 45, 50, 56)
#: Demographic columns of a users frame that become segment kinds, in this order.
DEMOGRAPHIC_COLUMNS: tuple[str, ...] = ("gender", "age", "occupation")
#: How stored gender codes are shown (other values are shown as they are).
GENDER_WORDS: dict[str, str] = {"M": "male", "F": "female"}
#: Label of users whose demographic value is missing.
UNKNOWN = "unknown"

_FIRST_NUMBER = re.compile(r"\d+")


def _range_label(low: int, high: int, unit: str = "") -> str:
    """'1–19 interactions', '5 interactions', '1 interaction' (unit pluralised when needed)."""
    suffix = ""
    if unit:
        suffix = f" {unit}" if low == high == 1 else f" {unit}s"
    return f"{low}{suffix}" if low == high else f"{low}–{high}{suffix}"


def activity_segments(
    user_counts: IntArray, users: IntArray, n_bins: int = 4
) -> npt.NDArray[np.object_]:
    """(B,) activity label of each evaluated user from quantile bins of training interaction counts.

    Bin edges are quantiles of the evaluated users' counts (so bins hold similar numbers of users);
    equal edges merge, so heavily tied counts give fewer bins.

    Args:
        user_counts: (U,) training interactions per user (``TrainSplit.user_counts()``).
        users: (B,) evaluated user indices.
        n_bins: number of bins wanted.
    """
    if n_bins < 1:
        raise ConfigError(f"n_bins must be at least 1, got {n_bins}")
    counts = np.asarray(user_counts, dtype=np.int64)[np.asarray(users, dtype=np.int64)]
    if len(counts) == 0:
        return np.empty(0, dtype=object)
    quantiles = np.quantile(counts, np.arange(1, n_bins) / n_bins, method="lower")
    upper = np.unique(quantiles)
    upper = upper[upper < counts.max()]
    bins = np.searchsorted(upper, counts, side="left")
    lows = np.concatenate([[counts.min()], upper + 1])
    highs = np.concatenate([upper, [counts.max()]])
    labels = np.array(
        [_range_label(int(lo), int(hi), "interaction") for lo, hi in zip(lows, highs, strict=True)],
        dtype=object,
    )
    return labels[bins]


def _age_labels(ages: pd.Series) -> npt.NDArray[np.object_]:
    """Age groups 'under 18', '18–24', ..., '56+' and 'unknown' for missing ages."""
    edges = np.asarray(AGE_EDGES)
    names = [f"under {edges[0]}"]
    names += [
        _range_label(int(low), int(high) - 1)
        for low, high in zip(edges[:-1], edges[1:], strict=True)
    ]
    names.append(f"{edges[-1]}+")
    values = pd.to_numeric(ages, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    groups = np.searchsorted(edges, np.nan_to_num(values), side="right")
    labels = np.asarray(names, dtype=object)[groups]
    labels[np.isnan(values)] = UNKNOWN
    return labels


def demographic_segments(
    users_frame: pd.DataFrame, users: IntArray
) -> dict[str, npt.NDArray[np.object_]]:
    """(B,) labels per demographic the users frame has data for: gender, age (grouped), occupation.

    Args:
        users_frame: users indexed by user_idx (``Dataset.users``); columns among gender, age,
            occupation. A column that is missing or all-NA for the evaluated users is skipped.
        users: (B,) evaluated user indices.
    """
    users = np.asarray(users, dtype=np.int64)
    missing = np.setdiff1d(users, users_frame.index.to_numpy())
    if len(missing):
        raise DataError(
            f"{len(missing)} evaluated users (e.g. {int(missing[0])}) are not in the users frame; "
            "pass the frame indexed by user_idx from the same dataset"
        )
    selected = users_frame.loc[users]
    out: dict[str, npt.NDArray[np.object_]] = {}
    for column in DEMOGRAPHIC_COLUMNS:
        if column not in selected or not selected[column].notna().any():
            continue
        if column == "age":
            out[column] = _age_labels(selected[column])
        elif column == "gender":  # MovieLens and the synthetic catalogue store M / F
            values = selected[column].astype(object).map(lambda v: GENDER_WORDS.get(v, v))
            out[column] = np.asarray(values.where(values.notna(), UNKNOWN).map(str), dtype=object)
        else:
            values = selected[column].astype(object)
            out[column] = np.asarray(values.where(values.notna(), UNKNOWN).map(str), dtype=object)
    return out


def _segment_order(label: str) -> tuple[float, str]:
    """Sort key that puts numeric ranges in numeric order ('under 18' first) and words A-Z."""
    match = _FIRST_NUMBER.search(label)
    if match is None:
        return float("inf"), label
    number = float(match.group())
    return (number - 0.5 if label.startswith("under ") else number), label


def metrics_by_segment(
    evaluation: TopKEvaluation, segments: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    """Mean of every per-user metric within each segment.

    Args:
        evaluation: the per-user metrics.
        segments: segment kind ("activity", "gender", ...) -> (B,) labels aligned with
            ``evaluation.users``.

    Returns:
        Columns segment_kind, segment, n_users, then one column per per-user metric (means over the
        users where the metric is defined). ``attrs["protocol"]`` holds ``evaluation.label()``.
    """
    frame = evaluation.to_frame().drop(columns="user_idx")
    metric_names = list(frame.columns)
    parts = []
    for kind, labels in segments.items():
        labels = np.asarray(labels, dtype=object)
        if labels.shape != (len(frame),):
            raise DataError(
                f"segment {kind!r} has {labels.shape} labels for {len(frame)} users; "
                "build it from the evaluation's users"
            )
        grouped = frame.groupby(pd.Series(labels, name="segment").astype(str), sort=False)
        part = grouped[metric_names].mean()
        part.insert(0, "n_users", grouped.size())
        part = part.reset_index()
        part.insert(0, "segment_kind", kind)
        keys = [_segment_order(label) for label in part["segment"]]
        parts.append(part.iloc[sorted(range(len(part)), key=keys.__getitem__)])
    columns = ["segment_kind", "segment", "n_users", *metric_names]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    out = out[columns]
    out.attrs["protocol"] = evaluation.label()
    return out
