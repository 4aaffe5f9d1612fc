"""Platt scaling, isotonic regression and BBQ on scores with a known calibration curve.

The scores are logits s ~ N(0, 1.5); the true probability is sigmoid(2 s - 1) and the labels are
drawn from it, so sigmoid(s) itself is miscalibrated (too flat and shifted). Calibrators are
fitted on one draw and judged on a fresh draw of the same curve.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import betainc, expit
from scipy.stats import beta as beta_distribution
from sklearn.isotonic import IsotonicRegression

from recsys_core.calibration.base import METHODS
from recsys_core.calibration.bayesian import (
    BayesianBinningCalibrator,
    bin_counts,
    equal_frequency_edges,
)
from recsys_core.calibration.isotonic import IsotonicCalibrator
from recsys_core.calibration.methods import CALIBRATORS, make_calibrator
from recsys_core.calibration.platt import PlattCalibrator
from recsys_core.calibration.reliability import expected_calibration_error
from recsys_core.errors import ConfigError, DataError, NotFittedError

SLOPE, INTERCEPT = 2.0, -1.0


def draw(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scores, true probabilities, labels) of n rows of the known curve."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(0.0, 1.5, size=n)
    truth = expit(SLOPE * scores + INTERCEPT)
    return scores, truth, (rng.uniform(size=n) < truth).astype(np.float64)


@pytest.fixture(scope="module")
def fitted() -> dict[str, object]:
    scores, _, labels = draw(20_000, seed=1)
    return {method: make_calibrator(method).fit(scores, labels) for method in METHODS}


def test_the_methods_registry_names_every_method_once() -> None:
    assert tuple(CALIBRATORS) == METHODS
    assert all(cls.method == name for name, cls in CALIBRATORS.items())
    with pytest.raises(ConfigError, match="platt, isotonic, bayes"):
        make_calibrator("temperature")


def test_platt_recovers_the_curve_parameters() -> None:
    scores, _, labels = draw(50_000, seed=2)
    platt = PlattCalibrator().fit(scores, labels)
    assert platt.slope_ == pytest.approx(SLOPE, abs=0.08)
    assert platt.intercept_ == pytest.approx(INTERCEPT, abs=0.05)
    expected = expit(platt.slope_ * 0.5 + platt.intercept_)
    np.testing.assert_allclose(platt.transform(np.array([0.5])), [expected])


@pytest.mark.parametrize("method", METHODS)
def test_every_method_reduces_held_out_ece_to_near_zero(
    fitted: dict[str, object], method: str
) -> None:
    scores, truth, labels = draw(50_000, seed=3)
    before = expected_calibration_error(expit(scores), labels)
    after = expected_calibration_error(fitted[method].transform(scores), labels)  # type: ignore[attr-defined]
    assert before > 0.1
    assert after < 0.015, (method, before, after)
    # and close to the true curve itself, row by row
    error = np.mean(np.abs(fitted[method].transform(scores) - truth))  # type: ignore[attr-defined]
    assert error < 0.03, (method, error)


def test_isotonic_is_sklearns_fit_rebuilt_with_interp() -> None:
    scores, _, labels = draw(5000, seed=4)
    ours = IsotonicCalibrator().fit(scores, labels)
    theirs = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(scores, labels)
    probe = np.concatenate([draw(2000, seed=5)[0], [-50.0, 50.0]])  # beyond the range: clipped
    np.testing.assert_allclose(ours.transform(probe), theirs.predict(probe), atol=1e-12)
    assert ours.transform(np.array([-50.0]))[0] == ours.y_thresholds_[0]


def test_calibrated_probabilities_are_monotone_in_the_score(fitted: dict[str, object]) -> None:
    grid = np.linspace(-6, 6, 500)
    for method in METHODS:
        probs = fitted[method].transform(grid)  # type: ignore[attr-defined]
        assert np.all(np.diff(probs) >= -1e-12), method
        assert probs.min() >= 0.0 and probs.max() <= 1.0


def test_bbq_weights_its_binnings_by_bayesian_score(fitted: dict[str, object]) -> None:
    bbq = fitted["bayes"]
    assert isinstance(bbq, BayesianBinningCalibrator)
    assert bbq.weights_.sum() == pytest.approx(1.0)
    scores = [model.log_score for model in bbq.models_]
    assert np.argmax(bbq.weights_) == np.argmax(scores)  # the best-scored model weighs most
    # weights are the normalised marginal likelihoods: w_i / w_j = exp(score_i - score_j)
    i, j = np.argsort(bbq.weights_)[-2:]
    assert bbq.weights_[i] / bbq.weights_[j] == pytest.approx(np.exp(scores[i] - scores[j]))
    assert list(bin_counts(20_000)) == list(range(2, 273))  # N^(1/3) / 10 .. 10 N^(1/3)


def test_equal_frequency_edges_split_evenly_and_never_inside_ties() -> None:
    scores = np.arange(12.0)
    np.testing.assert_allclose(equal_frequency_edges(scores, 3), [3.5, 7.5])
    tied = np.array([0.0, 1.0, 1.0, 1.0, 1.0, 2.0])
    edges = equal_frequency_edges(tied, 3)  # both cuts fall on the tie: they collapse into one
    np.testing.assert_allclose(edges, [1.0])
    assert np.searchsorted(edges, tied, side="right").tolist() == [0, 1, 1, 1, 1, 1]


def test_bbq_interval_is_the_quantiles_of_the_weighted_beta_mixture(
    fitted: dict[str, object],
) -> None:
    bbq = fitted["bayes"]
    assert isinstance(bbq, BayesianBinningCalibrator)
    scores = draw(3000, seed=6)[0]
    low, high = bbq.interval(scores, level=0.9)
    mean = bbq.transform(scores)
    assert np.all(low <= mean + 1e-9) and np.all(mean <= high + 1e-9)
    # the mixture CDF sum_k w_k I_x(alpha_k, beta_k) of each row is 5% at low and 95% at high
    alpha, beta = bbq._posteriors(scores)
    np.testing.assert_allclose(betainc(alpha, beta, low[:, None]) @ bbq.weights_, 0.05, atol=1e-9)
    np.testing.assert_allclose(betainc(alpha, beta, high[:, None]) @ bbq.weights_, 0.95, atol=1e-9)
    wider_low, wider_high = bbq.interval(scores, level=0.99)
    assert np.all(wider_low <= low + 1e-9) and np.all(high <= wider_high + 1e-9)
    with pytest.raises(ConfigError, match=r"\(0, 1\)"):
        bbq.interval(scores, level=1.0)


def test_bbq_with_one_binning_gives_that_bins_beta_quantiles() -> None:
    scores, _, labels = draw(3000, seed=7)
    bbq = BayesianBinningCalibrator().fit(scores, labels)
    best = bbq.models_[int(np.argmax(bbq.weights_))]
    bbq.models_, bbq.weights_ = [best], np.ones(1)
    probe = np.array([-2.0, 0.0, 1.5])
    bins = np.searchsorted(best.edges, probe, side="right")
    low, high = bbq.interval(probe, level=0.9)
    alpha, beta = best.alpha[bins], best.beta[bins]
    exact = 2.0**-40  # the bisection's precision
    np.testing.assert_allclose(low, beta_distribution.ppf(0.05, alpha, beta), atol=exact)
    np.testing.assert_allclose(high, beta_distribution.ppf(0.95, alpha, beta), atol=exact)
    np.testing.assert_allclose(bbq.transform(probe), alpha / (alpha + beta))


def test_bbq_intervals_narrow_as_validation_rows_grow() -> None:
    probe = draw(2000, seed=8)[0]
    widths = []
    for n_rows in (1000, 30_000):
        scores, _, labels = draw(n_rows, seed=9)
        low, high = BayesianBinningCalibrator().fit(scores, labels).interval(probe)
        widths.append(float(np.mean(high - low)))
    assert widths[1] < 0.6 * widths[0], widths


@pytest.mark.parametrize("method", METHODS)
def test_bad_fits_are_refused(method: str) -> None:
    with pytest.raises(NotFittedError, match="call fit"):
        make_calibrator(method).transform(np.array([0.0]))
    with pytest.raises(DataError, match="one class only"):
        make_calibrator(method).fit(np.array([0.1, 0.2, 0.3]), np.array([1, 1, 1]))
    with pytest.raises(DataError, match="NaN or infinite"):
        make_calibrator(method).fit(np.array([0.1, np.nan]), np.array([0, 1]))
    with pytest.raises(DataError, match="one label per row"):
        make_calibrator(method).fit(np.array([0.1, 0.2]), np.array([0, 1, 1]))
