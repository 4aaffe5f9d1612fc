"""Interactions and active users over time, at the finest calendar period that keeps the chart
small (day, week, month, quarter or year; UTC)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.data.stats.counting import distinct
from recsys_core.errors import DataError
from recsys_core.types import IntArray

#: Most periods the timeline may have; the finest granularity that stays within it is chosen.
MAX_TIME_PERIODS = 400
#: Granularities of the timeline, finest first.
GRANULARITIES: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Timeline:
    """Interactions per period, at the finest granularity giving at most ``MAX_TIME_PERIODS``.

    Attributes:
        frame: one row per period (empty periods included, as zeros); columns period (start of
            the period, datetime64), interactions, active_users (distinct users in the period).
        granularity: one of ``GRANULARITIES``.
    """

    frame: pd.DataFrame
    granularity: str


def interaction_timeline(timestamps: IntArray, user_idx: IntArray) -> Timeline:
    """Interactions and active users per day, week, month, quarter or year (the finest that fits).

    Weeks start on Monday; all periods are in UTC.

    Args:
        timestamps: (N,) Unix seconds.
        user_idx: (N,) the user of each row.
    """
    stamps = np.asarray(timestamps, dtype=np.int64)
    if len(stamps) == 0:
        raise DataError("no timestamps to describe; this dataset has no interaction times")
    for granularity in GRANULARITIES:
        codes = _period_codes(stamps, granularity)
        first, last = int(codes.min()), int(codes.max())
        if last - first + 1 <= MAX_TIME_PERIODS or granularity == GRANULARITIES[-1]:
            break
    offset = codes - first
    n_periods = last - first + 1
    users = np.asarray(user_idx, dtype=np.int64)
    width = int(users.max()) + 1
    period_users = distinct(offset * width + users)  # distinct (period, user) pairs
    active = np.bincount(period_users // width, minlength=n_periods)
    interactions = np.bincount(offset, minlength=n_periods)
    frame = pd.DataFrame(
        {
            "period": _period_starts(np.arange(first, last + 1), granularity),
            "interactions": interactions,
            "active_users": active,
        }
    )
    return Timeline(frame=frame, granularity=granularity)


def _period_codes(stamps: IntArray, granularity: str) -> IntArray:
    """(N,) consecutive integer codes of each timestamp's period."""
    days = np.floor_divide(stamps, SECONDS_PER_DAY)
    if granularity == "day":
        return days
    if granularity == "week":
        return np.floor_divide(days + 3, 7)  # 1970-01-01 was a Thursday: weeks start on Monday
    months = stamps.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    if granularity == "month":
        return months
    if granularity == "quarter":
        return np.floor_divide(months, 3)
    return np.floor_divide(months, 12)


def _period_starts(codes: IntArray, granularity: str) -> np.ndarray:
    """(P,) datetime64[ns] start of each period code of ``_period_codes``."""
    if granularity == "day":
        days = codes
    elif granularity == "week":
        days = codes * 7 - 3
    else:
        months = {"month": codes, "quarter": codes * 3, "year": codes * 12}[granularity]
        return months.astype("datetime64[M]").astype("datetime64[ns]")
    return days.astype("datetime64[D]").astype("datetime64[ns]")
