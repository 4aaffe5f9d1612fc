"""Pointwise rows of a comparison: AUC, GAUC and log loss of ranking runs, and their paired tests.

A ranking run keeps its pointwise evaluation per user (``PointwiseEvaluation.to_frame``: rows,
positives, AUC and mean log loss of each user). GAUC and log loss are ratios of per-user sums
(GAUC: Σ n_rows·auc / Σ n_rows over users with both classes; log loss: Σ n_rows·logloss /
Σ n_rows), so their means and bootstrap intervals are recomputed from those arrays with the
resamples ``evaluation.pointwise`` draws (``intervals.resample_counts``, same seed: the same
numbers it stored). AUC ranks all scored rows at once and the rows are not kept, so its value and
interval are the stored ones and it has no paired test. Retrieval runs have no pointwise
evaluation: their rows are empty (NaN), never 0. Shape legend: B users, R resamples.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.evaluation.compare.names import USER_COLUMN
from recsys_core.evaluation.intervals import (
    PairedComparison,
    paired_compare,
    percentile_bounds,
    resample_counts,
)
from recsys_core.types import FloatArray

#: Confidence of the stored AUC interval (``evaluate_pointwise``'s default, used by every run).
STORED_CONFIDENCE = 0.95
#: Bootstrap resamples, as ``evaluate_pointwise`` and ``paired_compare`` draw them.
N_RESAMPLES = 1000
#: The metrics recomputed (and paired) from the per-user arrays.
RATIO_METRICS = ("gauc", "logloss")
#: ``protocol`` of the pointwise rows of a run that was not evaluated pointwise.
NOT_EVALUATED = "not evaluated pointwise (retrieval run)"


@dataclass(frozen=True)
class PointwiseRun:
    """A ranking run's saved pointwise evaluation, as a comparison reads it.

    Attributes:
        per_user: one row per user: user_idx, n_rows, n_positive, auc (NaN for a user with one
            class only), logloss (``registry.runs.load_pointwise_per_user``).
        label: how the rows were obtained (``PointwiseEvaluation.label``: sampled negatives,
            log loss on sigmoid(score)); shown beside the numbers.
    """

    per_user: pd.DataFrame
    label: str


def ratio_parts(frame: pd.DataFrame, metric: str) -> tuple[FloatArray, FloatArray]:
    """(B,) numerator and denominator of each user's share of ``metric`` ("gauc" | "logloss").

    GAUC weighs a user's AUC by its rows and counts only users with both classes (denominator 0
    for the others); log loss weighs a user's mean loss by its rows.
    """
    weights = frame["n_rows"].to_numpy(np.float64)
    if metric == "gauc":
        auc = frame["auc"].to_numpy(np.float64)
        weights = np.where(np.isnan(auc), 0.0, weights)
        return weights * np.nan_to_num(auc), weights
    return weights * frame["logloss"].to_numpy(np.float64), weights


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Elementwise numerator / denominator, NaN where the denominator is 0."""
    out = np.full(np.shape(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def ratio_means(
    numerators: FloatArray, denominators: FloatArray, *, seed: int = 0
) -> tuple[FloatArray, FloatArray]:
    """(M,) ratios Σ num / Σ den of M statistics, and their (R, M) values over bootstrap resamples.

    Args:
        numerators: (B, M) per-user numerators.
        denominators: (B, M) per-user denominators.
        seed: bootstrap seed; the resamples are ``resample_counts(B)``'s, the ones
            ``evaluate_pointwise`` draws.
    """
    blocks = resample_counts(len(numerators), n_resamples=N_RESAMPLES, seed=seed)
    resampled = np.concatenate(
        [_ratio(counts @ numerators, counts @ denominators) for counts in blocks]
    )
    return _ratio(numerators.sum(axis=0), denominators.sum(axis=0)), resampled


def _linearised(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """(B,) values whose mean is the ratio r = Σ num / Σ den: r + (num - r den) / mean(den)."""
    ratio = numerator.sum() / denominator.sum()
    return ratio + (numerator - ratio * denominator) / denominator.mean()


def paired_ratio_compare(
    a: tuple[FloatArray, FloatArray],
    b: tuple[FloatArray, FloatArray],
    *,
    metric: str,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedComparison:
    """Run B against run A on a ratio of per-user sums, on the same users.

    The interval is a paired percentile bootstrap of ratio_b - ratio_a (each resample draws the
    same users for both runs). The p-value is ``paired_compare``'s paired t-test on the users'
    linearised values (delta method: their mean is the ratio, and with equal weights they are the
    per-user values themselves).

    Args:
        a: (B,) numerators and denominators of run A (``ratio_parts``), users with den > 0 only.
        b: the same for run B, for the same users in the same order.
        metric: name to carry into the result.
        confidence: level of the interval and of the significance call.
        seed: bootstrap seed.
    """
    tested = paired_compare(
        _linearised(*a), _linearised(*b), metric=metric, confidence=confidence, seed=seed
    )
    numerators = np.column_stack([a[0], b[0]])
    denominators = np.column_stack([a[1], b[1]])
    _, resampled = ratio_means(numerators, denominators, seed=seed)
    low, high = percentile_bounds(resampled[:, 1] - resampled[:, 0], confidence)
    return dataclasses.replace(tested, ci_low=float(low[0]), ci_high=float(high[0]))


def _run_rows(
    run_id: str,
    run: PointwiseRun,
    stored: Mapping[str, float],
    metrics: Sequence[str],
    confidence: float,
    seed: int,
) -> list[tuple[object, ...]]:
    """(run, metric, mean, ci_low, ci_high, n_users, protocol) of one ranking run."""
    frame = run.per_user
    parts = [ratio_parts(frame, name) for name in RATIO_METRICS]
    values, resampled = ratio_means(
        np.column_stack([num for num, _ in parts]),
        np.column_stack([den for _, den in parts]),
        seed=seed,
    )
    low, high = percentile_bounds(resampled, confidence)
    n_users = len(frame)
    summary = {
        name: (values[i], low[i], high[i], int((parts[i][1] > 0).sum()))
        for i, name in enumerate(RATIO_METRICS)
    }
    auc_interval = (stored.get("auc_lo", np.nan), stored.get("auc_hi", np.nan))
    if confidence != STORED_CONFIDENCE:
        auc_interval = (np.nan, np.nan)
    summary["auc"] = (stored.get("auc", np.nan), *auc_interval, n_users)
    return [(run_id, name, *summary[name], run.label) for name in metrics]


def pointwise_table(
    run_ids: Sequence[str],
    pointwise: Mapping[str, PointwiseRun],
    stored: Mapping[str, Mapping[str, float]],
    metrics: Sequence[str],
    *,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Value and bootstrap interval of each chosen pointwise metric for each run.

    Args:
        run_ids: the compared runs, in order.
        pointwise: run id -> its pointwise evaluation, for the ranking runs among them.
        stored: run id -> the run's stored metrics (``auc``, ``auc_lo``, ``auc_hi``).
        metrics: the chosen pointwise metric names.
        confidence: level of the recomputed intervals; the AUC interval is the stored 95% one
            (NaN at another level).
        seed: bootstrap seed (the same for every run).

    Returns:
        Columns run, metric, mean, ci_low, ci_high, n_users (users counted: with both classes for
        gauc), protocol (the run's pointwise label); a run without pointwise evaluation has NaN
        values, 0 users and ``NOT_EVALUATED``.
    """
    rows: list[tuple[object, ...]] = []
    for run_id in run_ids:
        if run_id in pointwise:
            run = pointwise[run_id]
            rows += _run_rows(run_id, run, stored.get(run_id, {}), metrics, confidence, seed)
        else:
            rows += [(run_id, name, np.nan, np.nan, np.nan, 0, NOT_EVALUATED) for name in metrics]
    columns = ["run", "metric", "mean", "ci_low", "ci_high", "n_users", "protocol"]
    return pd.DataFrame(rows, columns=columns)


def pointwise_pairs(
    pointwise: Mapping[str, PointwiseRun],
    baseline: str,
    metrics: Sequence[str],
    *,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[tuple[str, PairedComparison, int]]:
    """Each other ranking run against a ranking ``baseline`` on the chosen GAUC and log loss.

    Users are aligned by ``user_idx``; GAUC pairs the users with both classes in both runs. A
    metric no user can pair is left out, as are runs (or a baseline) without pointwise evaluation.

    Returns:
        (run id, comparison, users only one of the two runs scored) per pair and metric.
    """
    names = [name for name in RATIO_METRICS if name in metrics]
    if baseline not in pointwise or not names:
        return []
    base = pointwise[baseline].per_user
    out = []
    for run_id, run in pointwise.items():
        if run_id == baseline:
            continue
        merged = base.merge(
            run.per_user, on=USER_COLUMN, suffixes=(" a", " b"), validate="one_to_one"
        )
        n_unshared = len(np.setxor1d(base[USER_COLUMN], run.per_user[USER_COLUMN]))
        for name in names:
            part_a = ratio_parts(_side(merged, " a"), name)
            part_b = ratio_parts(_side(merged, " b"), name)
            kept = (part_a[1] > 0) & (part_b[1] > 0)
            if not kept.any():
                continue
            result = paired_ratio_compare(
                (part_a[0][kept], part_a[1][kept]),
                (part_b[0][kept], part_b[1][kept]),
                metric=name,
                confidence=confidence,
                seed=seed,
            )
            out.append((run_id, result, n_unshared))
    return out


def _side(merged: pd.DataFrame, suffix: str) -> pd.DataFrame:
    """One run's columns of a frame merged on ``user_idx``, under their own names."""
    columns = [column for column in merged.columns if column.endswith(suffix)]
    return merged[columns].rename(columns=lambda column: column.removesuffix(suffix))
