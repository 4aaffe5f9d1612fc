"""What a logging policy showed and what was clicked: totals and click-through rate by position."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.types import FloatArray, IntArray

#: Impressions beyond this position are left out of the by-position table.
MAX_POSITIONS = 100
#: Two-sided 95% normal quantile for the Wilson interval of click-through rates.
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class ImpressionSummary:
    """What the logging policy showed and what was clicked.

    Attributes:
        n_impressions: impression rows.
        n_requests: distinct requests (lists shown).
        n_clicks: clicked impressions.
        ctr: n_clicks / n_impressions.
        by_position: one row per position 1..``MAX_POSITIONS`` that occurs; columns position,
            impressions, clicks, ctr, ctr_low, ctr_high (Wilson 95% interval), examination (the
            logged examination probability's mean, NaN where not logged).
    """

    n_impressions: int
    n_requests: int
    n_clicks: int
    ctr: float
    by_position: pd.DataFrame


def wilson_interval(successes: IntArray, trials: IntArray) -> tuple[FloatArray, FloatArray]:
    """95% Wilson score interval of binomial proportions (valid for 0 or all successes).

    Args:
        successes: (P,) clicks.
        trials: (P,) impressions, each > 0.

    Returns:
        (low, high), each (P,).
    """
    n = np.asarray(trials, dtype=np.float64)
    p = np.asarray(successes, dtype=np.float64) / n
    z2 = _Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z95 * np.sqrt(p * (1 - p) / n + z2 / (4 * n**2)) / (1 + z2 / n)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def summarise_impressions(impressions: pd.DataFrame | None) -> ImpressionSummary | None:
    """Totals and click-through rate by position of logged impressions; None when there are none.

    Args:
        impressions: ``Dataset.impressions`` (request_id, position, clicked, examination, ...).
    """
    if impressions is None or len(impressions) == 0:
        return None
    clicked = impressions["clicked"].to_numpy(np.float64, na_value=0.0) > 0
    position = impressions["position"].to_numpy(np.float64, na_value=np.nan)
    examination = impressions["examination"].to_numpy(np.float64, na_value=np.nan)
    shown = np.isfinite(position) & (position >= 1) & (position <= MAX_POSITIONS)
    slot = position[shown].astype(np.int64)
    n_slots = int(slot.max()) + 1 if len(slot) else 1
    trials = np.bincount(slot, minlength=n_slots)
    clicks = np.bincount(slot, weights=clicked[shown], minlength=n_slots).astype(np.int64)
    logged = np.isfinite(examination[shown])
    exam_sum = np.bincount(slot[logged], weights=examination[shown][logged], minlength=n_slots)
    exam_n = np.bincount(slot[logged], minlength=n_slots)
    present = np.flatnonzero(trials)
    low, high = wilson_interval(clicks[present], trials[present])
    with np.errstate(invalid="ignore", divide="ignore"):
        exam_mean = np.where(exam_n[present] > 0, exam_sum[present] / exam_n[present], np.nan)
    by_position = pd.DataFrame(
        {
            "position": present,
            "impressions": trials[present],
            "clicks": clicks[present],
            "ctr": clicks[present] / trials[present],
            "ctr_low": low,
            "ctr_high": high,
            "examination": exam_mean,
        }
    )
    return ImpressionSummary(
        n_impressions=len(impressions),
        n_requests=int(impressions["request_id"].nunique(dropna=True)),
        n_clicks=int(clicked.sum()),
        ctr=float(clicked.mean()),
        by_position=by_position,
    )
