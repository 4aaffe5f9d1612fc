"""Uncertainty of metric means: percentile bootstrap intervals and paired comparisons of two runs.

The bootstrap of a mean depends only on how often each user is drawn, so resamples are turned into
(R, B) count matrices and all metrics are averaged with one matrix product; no loop per user.
``paired_compare_many`` compares many metrics of two runs that way at once (the re-ranking view
re-measures every metric on each slider move). Shape legend: B users, R resamples, M metrics.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation.topk import TopKEvaluation
from recsys_core.types import FloatArray, IntArray

#: Resampled indices drawn per block (R_block x B), bounding the bootstrap's memory.
RESAMPLE_BLOCK_ENTRIES = 4_000_000


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence must lie strictly between 0 and 1, got {confidence}")


def resample_counts(n_rows: int, *, n_resamples: int = 1000, seed: int = 0) -> Iterator[IntArray]:
    """(R_block, B) how often each of B rows is drawn in each bootstrap resample, block by block.

    The blocks stacked are R resamples; each block holds at most ``RESAMPLE_BLOCK_ENTRIES`` draws,
    bounding memory. The draws depend only on B, R and the seed, so every statistic computed from
    these counts (``bootstrap_means``, the pointwise AUC) sees the same resamples of the users.
    """
    if n_resamples < 1:
        raise ConfigError(f"n_resamples must be at least 1, got {n_resamples}")
    if n_rows == 0:
        raise DataError("cannot bootstrap an empty array of per-user values")
    return _count_blocks(n_rows, n_resamples, seed)


def _count_blocks(n_rows: int, n_resamples: int, seed: int) -> Iterator[IntArray]:
    rng = np.random.default_rng(seed)
    block = max(1, RESAMPLE_BLOCK_ENTRIES // n_rows)
    for start in range(0, n_resamples, block):
        stop = min(start + block, n_resamples)
        drawn = rng.integers(0, n_rows, size=(stop - start, n_rows))
        offsets = np.arange(stop - start)[:, None] * n_rows
        counts = np.bincount((drawn + offsets).ravel(), minlength=(stop - start) * n_rows)
        yield counts.reshape(stop - start, n_rows)


def bootstrap_means(values: FloatArray, *, n_resamples: int = 1000, seed: int = 0) -> FloatArray:
    """(R, M) means of ``values`` (B, M) over R bootstrap resamples of its rows.

    Every column sees the same resamples, and the draws depend only on B, R and the seed, so one
    column's result equals a separate call on that column alone.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n_rows = values.shape[0]
    blocks = resample_counts(n_rows, n_resamples=n_resamples, seed=seed)
    return np.concatenate([counts @ values / n_rows for counts in blocks])


def percentile_bounds(means: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Lower and upper percentile of bootstrap statistics (R, M) -> two (M,) arrays.

    NaN resamples (a statistic undefined on that resample) are left out; a column with no
    defined resample gives NaN bounds.
    """
    _check_confidence(confidence)
    means = np.asarray(means, dtype=np.float64)
    if means.ndim == 1:
        means = means[:, None]
    alpha = 1.0 - confidence
    defined = ~np.isnan(means).all(axis=0)
    low = np.full(means.shape[1], np.nan)
    high = np.full(means.shape[1], np.nan)
    if defined.any():
        kept = means[:, defined]
        quantile = np.nanquantile if np.isnan(kept).any() else np.quantile
        low[defined], high[defined] = quantile(kept, [alpha / 2.0, 1.0 - alpha / 2.0], axis=0)
    return low, high


def bootstrap_ci(
    values: FloatArray, *, confidence: float = 0.95, n_resamples: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean of per-user values.

    NaN entries (a metric undefined for a user) are dropped; an all-NaN input gives (NaN, NaN).
    """
    _check_confidence(confidence)
    values = np.asarray(values, dtype=np.float64).ravel()
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    means = bootstrap_means(values, n_resamples=n_resamples, seed=seed)
    low, high = percentile_bounds(means, confidence)
    return float(low[0]), float(high[0])


@dataclass(frozen=True)
class PairedComparison:
    """Run B against run A on the same users: difference of means (B - A), its CI and a p-value."""

    metric: str
    mean_a: float
    mean_b: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    n_users: int
    significant: bool


#: Differences closer than this to each other count as constant (floating-point noise).
CONSTANT_TOLERANCE = 1e-12


def _paired_t_p_value(diffs: FloatArray) -> float:
    """Two-sided paired t-test p-value of mean(diffs) = 0, defined for constant differences too."""
    if np.ptp(diffs) <= CONSTANT_TOLERANCE:
        return 1.0 if abs(diffs.mean()) <= CONSTANT_TOLERANCE else 0.0
    if len(diffs) < 2:
        return float("nan")
    return float(stats.ttest_1samp(diffs, 0.0).pvalue)


def paired_compare(
    a: FloatArray,
    b: FloatArray,
    *,
    metric: str = "",
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedComparison:
    """Compare two runs' per-user values of one metric, user by user.

    The interval is a paired percentile bootstrap of mean(b - a). The p-value is a two-sided paired
    t-test (scipy ``ttest_1samp`` on the differences): it tests the same quantity as the interval,
    the mean difference, and with hundreds of users the mean is close to normal even for 0/1
    metrics such as hit rate (a Wilcoxon test would instead drop the many zero differences).
    All-zero differences give p = 1; identical non-zero differences give p = 0. Users where either
    value is NaN are left out. ``significant`` is p < 1 - confidence.

    Args:
        a: (B,) run A's per-user values.
        b: (B,) run B's per-user values for the same users in the same order.
        metric: name to carry into the result.
        confidence: level of the interval and of the significance call.
        seed: bootstrap seed.
    """
    _check_confidence(confidence)
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise DataError(
            f"paired comparison needs the same users in both runs; got {len(a)} and {len(b)} "
            "values (align both runs on the users they share)"
        )
    both = ~(np.isnan(a) | np.isnan(b))
    a, b = a[both], b[both]
    if len(a) == 0:
        raise DataError(f"no user has a value of {metric or 'the metric'} in both runs")
    diffs = b - a
    low, high = bootstrap_ci(diffs, confidence=confidence, seed=seed)
    p_value = _paired_t_p_value(diffs)
    return PairedComparison(
        metric=metric,
        mean_a=float(a.mean()),
        mean_b=float(b.mean()),
        diff=float(diffs.mean()),
        ci_low=low,
        ci_high=high,
        p_value=p_value,
        n_users=len(diffs),
        significant=bool(not math.isnan(p_value) and p_value < 1.0 - confidence),
    )


def paired_compare_many(
    a: Mapping[str, FloatArray],
    b: Mapping[str, FloatArray],
    *,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, PairedComparison]:
    """``paired_compare`` of every metric of ``a`` against the same metric of ``b``, at once.

    The interval of each metric is the same paired percentile bootstrap of mean(b - a) over the
    users with both values, and its p-value the same paired t-test: each result equals
    ``paired_compare`` of that metric alone. Only the work is shared: the bootstrap's draws depend
    on nothing but the number of users, R and the seed, so metrics defined for the same users use
    one (R, B) count matrix and one matrix product for all their (B, M) differences, and their
    t-tests run as one vectorised call. Metrics that no user has in both are left out.

    Args:
        a: metric name -> (B,) run A's per-user values.
        b: the same names -> (B,) run B's values for the same users in the same order.
        confidence: level of the intervals and of the significance call.
        seed: bootstrap seed.
    """
    _check_confidence(confidence)
    groups: dict[bytes, list[str]] = {}
    pairs: dict[str, tuple[FloatArray, FloatArray]] = {}
    for name, values in a.items():
        x = np.asarray(values, dtype=np.float64).ravel()
        y = np.asarray(b[name], dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise DataError(
                f"paired comparison of {name} needs the same users in both runs; got {len(x)} "
                f"and {len(y)} values (align both runs on the users they share)"
            )
        both = ~(np.isnan(x) | np.isnan(y))
        if both.any():
            pairs[name] = (x[both], y[both])
            groups.setdefault(both.tobytes(), []).append(name)
    out: dict[str, PairedComparison] = {}
    for names in groups.values():
        before = np.column_stack([pairs[name][0] for name in names])  # (B, M)
        after = np.column_stack([pairs[name][1] for name in names])
        diffs = after - before
        low, high = percentile_bounds(bootstrap_means(diffs, seed=seed), confidence)
        p_values = _paired_t_p_values(diffs)
        for j, name in enumerate(names):
            p_value = float(p_values[j])
            out[name] = PairedComparison(
                metric=name,
                mean_a=float(before[:, j].mean()),
                mean_b=float(after[:, j].mean()),
                diff=float(diffs[:, j].mean()),
                ci_low=float(low[j]),
                ci_high=float(high[j]),
                p_value=p_value,
                n_users=len(diffs),
                significant=bool(not math.isnan(p_value) and p_value < 1.0 - confidence),
            )
    return {name: out[name] for name in a if name in out}


def _paired_t_p_values(diffs: FloatArray) -> FloatArray:
    """(M,) ``_paired_t_p_value`` of each column of (B, M) differences, one scipy call for all."""
    spread = np.ptp(diffs, axis=0)
    constant = spread <= CONSTANT_TOLERANCE
    means = diffs.mean(axis=0)
    p_values = np.where(np.abs(means) <= CONSTANT_TOLERANCE, 1.0, 0.0)
    varying = ~constant
    if varying.any():
        if len(diffs) < 2:
            p_values[varying] = np.nan
        else:
            p_values[varying] = stats.ttest_1samp(diffs[:, varying], 0.0, axis=0).pvalue
    return p_values


def _intervals(
    per_user: Mapping[str, FloatArray], confidence: float, seed: int
) -> dict[str, tuple[float, float]]:
    """Bootstrap interval of each per-user metric.

    Metrics defined for every user share one pass over the same resamples (each result equals
    ``bootstrap_ci`` of that metric alone); the others are resampled over the users they cover.
    """
    complete = [name for name, v in per_user.items() if len(v) and not np.isnan(v).any()]
    out: dict[str, tuple[float, float]] = {}
    if complete:
        matrix = np.column_stack([per_user[name] for name in complete]).astype(np.float64)
        low, high = percentile_bounds(bootstrap_means(matrix, seed=seed), confidence)
        out = {n: (float(lo), float(hi)) for n, lo, hi in zip(complete, low, high, strict=True)}
    for name, values in per_user.items():
        if name not in out:
            out[name] = bootstrap_ci(values, confidence=confidence, seed=seed)
    return out


def summarise(
    evaluation: TopKEvaluation, *, confidence: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """One row per metric: mean, bootstrap interval and users counted, labelled with the protocol.

    Columns: metric, mean, ci_low, ci_high, n_users, protocol. Catalogue metrics (coverage, gini)
    are one number per run, so their interval is NaN. ``protocol`` repeats ``evaluation.label()``
    (also in ``attrs["protocol"]``) so a sampled result is never shown as a full-ranking one.
    """
    _check_confidence(confidence)
    intervals = _intervals(evaluation.per_user, confidence, seed)
    means = evaluation.means()
    rows = [
        (name, means[name], *intervals[name], int((~np.isnan(values)).sum()))
        for name, values in evaluation.per_user.items()
    ]
    rows += [
        (name, float(value), float("nan"), float("nan"), len(evaluation.users))
        for name, value in evaluation.catalogue.items()
    ]
    frame = pd.DataFrame(rows, columns=["metric", "mean", "ci_low", "ci_high", "n_users"])
    frame["protocol"] = evaluation.label()
    frame.attrs["protocol"] = evaluation.label()
    return frame
