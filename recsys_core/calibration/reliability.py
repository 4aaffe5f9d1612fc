"""How well probabilities are calibrated: reliability curves, ECE, MCE, Brier score, log loss.

Rows are binned by their predicted probability, either into equal-width bins of [0, 1] (a bin
holds [lower, upper); the last one also holds 1) or into quantile bins of about equal counts. In
each bin the mean prediction (confidence) is set against the share of positives (accuracy); the
reliability curve is those pairs with the bin counts. Following Guo et al., "On Calibration of
Modern Neural Networks" (ICML 2017): ECE = sum_b (N_b / N) |accuracy_b - confidence_b| over 15
equal-width bins, MCE = max_b |accuracy_b - confidence_b| over the non-empty ones. The Brier score
is the mean squared error of the probabilities, the log loss their mean binary cross-entropy.
Shape legend: N rows, M bins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation.metrics import log_loss
from recsys_core.types import FloatArray, IntArray

#: Equal-width bins of the headline ECE and MCE.
ECE_BINS = 15
#: How a reliability curve bins its rows.
Strategy = Literal["uniform", "quantile"]


@dataclass(frozen=True)
class ReliabilityCurve:
    """Per-bin confidence against accuracy, with counts.

    Attributes:
        strategy: ``uniform`` (equal-width bins of [0, 1]) or ``quantile`` (equal-count bins).
        lower: (M,) lower bin edges.
        upper: (M,) upper bin edges.
        mean_predicted: (M,) mean probability of the bin's rows (NaN for an empty bin).
        fraction_positive: (M,) share of positive rows in the bin (NaN for an empty bin).
        count: (M,) rows in the bin.
    """

    strategy: Strategy
    lower: FloatArray
    upper: FloatArray
    mean_predicted: FloatArray
    fraction_positive: FloatArray
    count: IntArray

    def gaps(self) -> FloatArray:
        """(M,) |accuracy - confidence| of each bin (NaN for an empty bin)."""
        return np.abs(self.fraction_positive - self.mean_predicted)

    def to_dict(self) -> dict[str, Any]:
        """The curve as strict-JSON lists (an empty bin's means as null)."""

        def listed(values: FloatArray) -> list[float | None]:
            return [None if np.isnan(v) else float(v) for v in values]

        return {
            "strategy": self.strategy,
            "lower": listed(self.lower),
            "upper": listed(self.upper),
            "mean_predicted": listed(self.mean_predicted),
            "fraction_positive": listed(self.fraction_positive),
            "count": [int(c) for c in self.count],
        }


@dataclass(frozen=True)
class CalibrationMetrics:
    """ECE and MCE (15 equal-width bins), Brier score and log loss of one set of probabilities."""

    ece: float
    mce: float
    brier: float
    logloss: float

    def to_dict(self) -> dict[str, float]:
        return {"ece": self.ece, "mce": self.mce, "brier": self.brier, "logloss": self.logloss}


def check_probabilities(probs: FloatArray, labels: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(N,) float64 probabilities in [0, 1] and (N,) 0/1 labels, validated."""
    p = np.asarray(probs, dtype=np.float64).ravel()
    y = np.asarray(labels, dtype=np.float64).ravel()
    if len(p) != len(y) or len(p) == 0:
        raise DataError(
            f"calibration metrics need non-empty probabilities and labels of one length; got "
            f"{len(p)} and {len(y)}"
        )
    if not np.isfinite(p).all() or p.min() < 0.0 or p.max() > 1.0:
        raise DataError("calibration metrics need probabilities in [0, 1]; apply a sigmoid")
    if not np.isin(y, (0.0, 1.0)).all():
        raise DataError("calibration labels must be 0 or 1; binarise graded feedback first")
    return p, y


def reliability_curve(
    probs: FloatArray, labels: FloatArray, n_bins: int = ECE_BINS, strategy: Strategy = "uniform"
) -> ReliabilityCurve:
    """Confidence, accuracy and count of each bin of the rows.

    Args:
        probs: (N,) predicted probabilities.
        labels: (N,) 0/1 outcomes.
        n_bins: M equal-width bins, or at most M quantile bins (tied quantiles merge; the
            outer quantile bins reach down to 0 and up to 1).
        strategy: ``uniform`` or ``quantile``.
    """
    p, y = check_probabilities(probs, labels)
    if n_bins < 1:
        raise ConfigError(f"a reliability curve needs at least 1 bin, got {n_bins}")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        inner = np.unique(np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1)[1:-1]))
        edges = np.concatenate([[0.0], inner[(inner > 0.0) & (inner < 1.0)], [1.0]])
    else:
        raise ConfigError(f"unknown binning {strategy!r}; choose uniform or quantile")
    bins = np.searchsorted(edges[1:-1], p, side="right")
    size = len(edges) - 1
    count = np.bincount(bins, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_predicted = np.bincount(bins, weights=p, minlength=size) / count
        fraction_positive = np.bincount(bins, weights=y, minlength=size) / count
    return ReliabilityCurve(
        strategy=strategy,
        lower=edges[:-1],
        upper=edges[1:],
        mean_predicted=mean_predicted,
        fraction_positive=fraction_positive,
        count=count.astype(np.int64),
    )


def expected_calibration_error(
    probs: FloatArray, labels: FloatArray, n_bins: int = ECE_BINS
) -> float:
    """Count-weighted mean |accuracy - confidence| over ``n_bins`` equal-width bins."""
    curve = reliability_curve(probs, labels, n_bins, "uniform")
    filled = curve.count > 0
    return float(np.sum(curve.count[filled] * curve.gaps()[filled]) / curve.count.sum())


def maximum_calibration_error(
    probs: FloatArray, labels: FloatArray, n_bins: int = ECE_BINS
) -> float:
    """Largest |accuracy - confidence| over the non-empty ones of ``n_bins`` equal-width bins."""
    curve = reliability_curve(probs, labels, n_bins, "uniform")
    return float(np.max(curve.gaps()[curve.count > 0]))


def brier_score(probs: FloatArray, labels: FloatArray) -> float:
    """Mean squared difference between the probabilities and the 0/1 outcomes."""
    p, y = check_probabilities(probs, labels)
    return float(np.mean((p - y) ** 2))


def calibration_metrics(probs: FloatArray, labels: FloatArray) -> CalibrationMetrics:
    """ECE, MCE, Brier score and log loss of (N,) probabilities against (N,) 0/1 labels."""
    p, y = check_probabilities(probs, labels)
    return CalibrationMetrics(
        ece=expected_calibration_error(p, y),
        mce=maximum_calibration_error(p, y),
        brier=brier_score(p, y),
        logloss=log_loss(y, p),
    )
