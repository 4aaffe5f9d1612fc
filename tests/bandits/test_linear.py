"""LinUCB and linear Thompson sampling: the ridge posterior, hand-computed scores, seeded draws."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_core.bandits.linear import (
    LinearThompson,
    LinUCB,
    RidgePosterior,
    keyed_normals,
    make_policy,
)
from recsys_core.errors import ConfigError, NotFittedError

# A 2-d example: A = I + X^T X = [[3, 1], [1, 3]], b = X^T r = [2, 1], theta = [5/8, 1/8].
X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
R = np.array([1.0, 0.0, 1.0])


def test_ridge_posterior_by_hand() -> None:
    posterior = RidgePosterior(2, ridge=1.0).update(X, R)
    np.testing.assert_allclose(posterior.precision, [[3.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(posterior.target, [2.0, 1.0])
    np.testing.assert_allclose(posterior.theta, [0.625, 0.125])
    # Folding rows in two updates gives the same posterior as one.
    split = RidgePosterior(2, ridge=1.0).update(X[:1], R[:1]).update(X[1:], R[1:])
    np.testing.assert_allclose(split.theta, posterior.theta)
    assert split.n_rows == 3


def test_linucb_score_is_the_hand_computed_upper_confidence_bound() -> None:
    policy = LinUCB(alpha=0.5, ridge=1.0).fit(X, R)
    x = np.array([[1.0, 2.0], [0.0, 0.0]])
    # theta^T x = 0.625 + 0.25; x^T A^-1 x = (3 - 2 * 2 + 3 * 4) / 8 = 11 / 8.
    expected = 0.875 + 0.5 * np.sqrt(11 / 8)
    np.testing.assert_allclose(policy.score(x, np.zeros(2)), [expected, 0.0])
    greedy = LinUCB(alpha=0.0).fit(X, R)
    np.testing.assert_allclose(greedy.score(x, np.zeros(2)), [0.875, 0.0])


def test_thompson_samples_follow_the_posterior_and_repeat_per_key() -> None:
    policy = LinearThompson(scale=2.0, seed=3).fit(X, R)
    n = 40_000
    unit = np.eye(2)
    rows, keys = np.tile(unit, (n, 1)), np.repeat(np.arange(n), 2)
    theta = policy.score(rows, keys).reshape(n, 2)  # each key's sampled theta, read off e1, e2
    np.testing.assert_allclose(theta.mean(axis=0), [0.625, 0.125], atol=0.03)
    covariance = 4.0 * np.linalg.inv([[3.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(np.cov(theta.T), covariance, atol=0.05)
    # The same key gets the same sample whatever else is scored with it; another seed differs.
    again = policy.score(unit, np.array([7, 7]))
    np.testing.assert_allclose(again, theta[7])
    other = LinearThompson(scale=2.0, seed=4).fit(X, R).score(unit, np.array([7, 7]))
    assert not np.allclose(other, theta[7])
    greedy = LinearThompson(scale=0.0).fit(X, R).score(unit, np.array([1, 2]))
    np.testing.assert_allclose(greedy, [0.625, 0.125])


def test_keyed_normals_are_standard_normal_and_independent_across_columns() -> None:
    z = keyed_normals(0, np.arange(50_000), 4)
    assert z.shape == (50_000, 4)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=0.02)
    np.testing.assert_allclose(np.cov(z.T), np.eye(4), atol=0.02)
    np.testing.assert_array_equal(keyed_normals(0, np.array([9, 3]), 4), z[[9, 3]])


def test_bad_use_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="unknown bandit policy 'ucb'"):
        make_policy("ucb")
    with pytest.raises(ConfigError, match="LinUCBConfig has no option 'scale'"):
        make_policy("linucb", scale=1.0)
    with pytest.raises(ConfigError, match="alpha=-1.0 is below its minimum"):
        LinUCB(alpha=-1.0)
    with pytest.raises(NotFittedError, match="call fit"):
        LinUCB().score(X, np.zeros(3))
    with pytest.raises(ConfigError, match=r"expected \(N, 2\) features"):
        RidgePosterior(2, 1.0).update(np.ones((3, 3)), R)
