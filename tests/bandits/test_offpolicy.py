"""Replay, IPS and SNIPS: hand-made logs with known answers; unbiased over simulated logs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from recsys_core.bandits.offpolicy import (
    Z95,
    Estimate,
    ips_estimate,
    replay_estimate,
    snips_estimate,
)
from recsys_core.errors import ConfigError


def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def test_ips_and_snips_on_a_hand_made_log() -> None:
    # Four requests; the target policy matched the logged action in the first three.
    weights = np.array([1 / 0.5, 1 / 0.25, 1 / 0.5, 0.0])
    rewards = np.array([1.0, 0.0, 1.0, 1.0])
    ips = ips_estimate(weights, rewards)
    assert ips.value == pytest.approx((2 + 0 + 2 + 0) / 4)
    terms = np.array([2.0, 0.0, 2.0, 0.0])
    half = Z95 * terms.std(ddof=1) / 2
    assert (ips.low, ips.high, ips.n) == (pytest.approx(1 - half), pytest.approx(1 + half), 4)
    snips = snips_estimate(weights, rewards)
    assert snips.value == pytest.approx(4 / 8)
    se = math.sqrt(4 * 0.25 + 16 * 0.25 + 4 * 0.25) / 8  # sum w^2 (r - V)^2, over sum w
    assert snips.high - snips.value == pytest.approx(Z95 * se)


def test_replay_on_a_hand_made_log_with_its_wilson_interval() -> None:
    matched = np.array([True, True, False, True, True, False])
    rewards = np.array([1.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    replay = replay_estimate(matched, rewards)
    assert replay.value == pytest.approx(0.75) and replay.n == 4
    z2, n, p = Z95**2, 4, 0.75
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    assert (replay.low, replay.high) == (pytest.approx(centre - half), pytest.approx(centre + half))
    assert replay.contains(0.75) and not replay.contains(0.0)
    none = replay_estimate(np.zeros(3, bool), np.ones(3))
    assert math.isnan(none.value) and not none.contains(0.5) and none.n == 0


def test_undefined_estimates_are_null_in_strict_json() -> None:
    estimate = snips_estimate(np.zeros(3), np.ones(3))
    assert math.isnan(estimate.value)
    text = json.dumps(estimate.to_dict(), allow_nan=False)
    assert _strict(text) == {"value": None, "low": None, "high": None, "n": 3}
    assert Estimate(0.5, 0.4, 0.6, 10).to_dict()["value"] == 0.5


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ConfigError, match="same length|one length"):
        ips_estimate(np.ones(3), np.ones(2))
    with pytest.raises(ConfigError, match="non-negative"):
        snips_estimate(np.array([1.0, -1.0]), np.ones(2))
    with pytest.raises(ConfigError, match="0/1 rewards"):
        replay_estimate(np.ones(2, bool), np.array([0.5, 1.0]))


def test_ips_is_unbiased_and_covers_the_truth_over_many_simulated_logs() -> None:
    """2,000 logs of 500 requests: 4 actions, a skewed logging policy, a deterministic target."""
    rng = np.random.default_rng(0)
    n_logs, n, k = 2_000, 500, 4
    context_ctr = rng.uniform(0.05, 0.9, size=(n, k))  # click probability of each action
    logging = rng.dirichlet(np.full(k, 2.0), size=n) * 0.9 + 0.1 / k
    target = rng.integers(0, k, n)
    truth = context_ctr[np.arange(n), target].mean()
    draws = rng.random((n_logs, n, 1))
    action = (draws > np.cumsum(logging, axis=1)[None]).sum(axis=2)
    reward = (rng.random((n_logs, n)) < context_ctr[np.arange(n), action]).astype(float)
    propensity = logging[np.arange(n), action]
    weights = (action == target) / propensity
    ips = [ips_estimate(w, r) for w, r in zip(weights, reward, strict=True)]
    snips = [snips_estimate(w, r) for w, r in zip(weights, reward, strict=True)]
    values = np.array([e.value for e in ips])
    se_of_mean = values.std() / np.sqrt(n_logs)
    assert abs(values.mean() - truth) < 4 * se_of_mean
    assert abs(values.mean() - truth) < 0.01
    coverage = np.mean([e.contains(truth) for e in ips])
    assert 0.92 < coverage < 0.98
    snips_values = np.array([e.value for e in snips])
    assert abs(snips_values.mean() - truth) < 0.01  # its bias is O(1/n)
    assert snips_values.std() < values.std()
    assert 0.92 < np.mean([e.contains(truth) for e in snips]) < 0.98
