"""Reliability curves, ECE, MCE, Brier score and log loss against hand computations and sklearn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss
from sklearn.metrics import log_loss as sklearn_log_loss

from recsys_core.calibration.reliability import (
    brier_score,
    calibration_metrics,
    expected_calibration_error,
    maximum_calibration_error,
    reliability_curve,
)
from recsys_core.errors import ConfigError, DataError

# Four bins of width 0.25: [0, .25) holds .1 .2 (labels 0 0), [.25, .5) holds .3 (1),
# [.5, .75) is empty, [.75, 1] holds .8 .9 1.0 (labels 1 0 1).
PROBS = np.array([0.1, 0.2, 0.3, 0.8, 0.9, 1.0])
LABELS = np.array([0, 0, 1, 1, 0, 1])


def test_uniform_curve_bins_rows_by_width_with_counts_and_empty_bins() -> None:
    curve = reliability_curve(PROBS, LABELS, n_bins=4)
    np.testing.assert_allclose(curve.lower, [0.0, 0.25, 0.5, 0.75])
    np.testing.assert_allclose(curve.upper, [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_array_equal(curve.count, [2, 1, 0, 3])
    np.testing.assert_allclose(curve.mean_predicted[[0, 1, 3]], [0.15, 0.3, 0.9])
    np.testing.assert_allclose(curve.fraction_positive[[0, 1, 3]], [0.0, 1.0, 2 / 3])
    assert np.isnan(curve.mean_predicted[2]) and np.isnan(curve.fraction_positive[2])
    assert curve.to_dict()["mean_predicted"][2] is None  # strict JSON for an empty bin


def test_ece_and_mce_match_the_hand_computation() -> None:
    # gaps: |0 - .15| = .15, |1 - .3| = .7, |2/3 - .9| = 7/30; weights 2/6, 1/6, 3/6.
    expected_ece = (2 * 0.15 + 1 * 0.7 + 3 * (0.9 - 2 / 3)) / 6
    assert expected_calibration_error(PROBS, LABELS, n_bins=4) == pytest.approx(expected_ece)
    assert maximum_calibration_error(PROBS, LABELS, n_bins=4) == pytest.approx(0.7)


def test_headline_ece_uses_fifteen_equal_width_bins() -> None:
    probs = np.array([0.05, 0.06, 0.5, 0.52, 0.95])  # bins 0, 0, 7, 7, 14 of 15
    labels = np.array([0, 1, 1, 1, 1])
    expected = (2 * abs(0.5 - 0.055) + 2 * abs(1 - 0.51) + abs(1 - 0.95)) / 5
    assert expected_calibration_error(probs, labels) == pytest.approx(expected)
    assert calibration_metrics(probs, labels).ece == pytest.approx(expected)


def test_a_perfectly_calibrated_bin_has_no_error() -> None:
    probs = np.full(4, 0.25)
    labels = np.array([1, 0, 0, 0])
    assert expected_calibration_error(probs, labels) == pytest.approx(0.0)
    assert maximum_calibration_error(probs, labels) == pytest.approx(0.0)


def test_brier_and_log_loss_match_hand_values_and_sklearn() -> None:
    metrics = calibration_metrics(PROBS, LABELS)
    hand_brier = np.mean([0.01, 0.04, 0.49, 0.04, 0.81, 0.0])
    assert metrics.brier == pytest.approx(hand_brier)
    assert brier_score(PROBS, LABELS) == pytest.approx(brier_score_loss(LABELS, PROBS))
    probs = np.array([0.1, 0.2, 0.3, 0.8, 0.9, 0.7])
    hand_loss = -np.mean(np.log([0.9, 0.8, 0.3, 0.8, 0.1, 0.7]))
    assert calibration_metrics(probs, LABELS).logloss == pytest.approx(hand_loss)
    assert calibration_metrics(probs, LABELS).logloss == pytest.approx(
        sklearn_log_loss(LABELS, probs)
    )


def test_quantile_curve_has_equal_counts_and_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    probs = rng.uniform(size=1000)
    labels = (rng.uniform(size=1000) < probs).astype(float)
    curve = reliability_curve(probs, labels, n_bins=10, strategy="quantile")
    assert curve.count.sum() == 1000
    assert np.all(np.abs(curve.count - 100) <= 1)
    assert curve.lower[0] == 0.0 and curve.upper[-1] == 1.0
    true, predicted = calibration_curve(labels, probs, n_bins=10, strategy="quantile")
    np.testing.assert_allclose(curve.fraction_positive, true, atol=1e-12)
    np.testing.assert_allclose(curve.mean_predicted, predicted, atol=1e-12)


def test_bad_inputs_are_refused_with_a_fix() -> None:
    with pytest.raises(DataError, match="apply a sigmoid"):
        calibration_metrics(np.array([0.2, 1.5]), np.array([0, 1]))
    with pytest.raises(DataError, match="0 or 1"):
        calibration_metrics(np.array([0.2, 0.5]), np.array([0, 2]))
    with pytest.raises(DataError, match="one length"):
        calibration_metrics(np.array([0.2]), np.array([0, 1]))
    with pytest.raises(ConfigError, match="uniform or quantile"):
        reliability_curve(PROBS, LABELS, strategy="kmeans")  # type: ignore[arg-type]
