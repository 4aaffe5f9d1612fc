"""Off-policy estimates of a policy's click-through rate from another policy's log, with 95% CIs.

Each logged event is one request: the logging policy showed action ``a`` (the item at position 1)
with known propensity ``mu(a | x)`` and observed reward ``r`` (a click, 0 or 1). A target policy
puts probability ``pi(a | x)`` on that same action (1 or 0 for a deterministic choice), and the
importance weight is ``w = pi(a | x) / mu(a | x)``.

* IPS (Horvitz & Thompson, JASA 1952; for bandits e.g. Dudik, Langford & Li, ICML 2011):
  ``mean(w r)``, unbiased whenever ``mu > 0`` wherever ``pi > 0``; 95% interval by the central
  limit theorem over requests.
* SNIPS (Swaminathan & Joachims, "The Self-Normalized Estimator for Counterfactual Learning",
  NeurIPS 2015): ``sum(w r) / sum(w)``, slightly biased but of lower variance; 95% interval by the
  delta method for a ratio, ``se^2 = sum(w^2 (r - V)^2) / sum(w)^2`` (Hesterberg, Technometrics
  1995, for self-normalised importance sampling).
* Replay (Li, Chu, Langford & Wang, "Unbiased Offline Evaluation of Contextual-bandit-based News
  Article Recommendation Algorithms", WSDM 2011): on requests whose action was drawn uniformly at
  random, the mean reward of the events where the target policy chose the logged action; 95%
  Wilson score interval over those matched events (Wilson, JASA 1927), which keeps its coverage
  for the few dozen matches a small exploration bucket gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from recsys_core.errors import ConfigError
from recsys_core.types import BoolArray, FloatArray

#: Two-sided 95% normal quantile.
Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Estimate:
    """An estimated click-through rate with its 95% interval (NaN where undefined).

    Attributes:
        value: the estimate.
        low: lower end of the 95% interval.
        high: upper end of the 95% interval.
        n: events it averages over (requests for IPS/SNIPS, matched events for replay).
    """

    value: float
    low: float
    high: float
    n: int

    def contains(self, truth: float) -> bool:
        """Whether ``truth`` lies in the interval (False when the interval is undefined)."""
        return bool(self.low <= truth <= self.high)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN becomes None."""
        return {
            "value": _finite(self.value),
            "low": _finite(self.low),
            "high": _finite(self.high),
            "n": int(self.n),
        }


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _check(weights: FloatArray, rewards: FloatArray) -> tuple[FloatArray, FloatArray]:
    weights = np.asarray(weights, dtype=np.float64)
    rewards = np.asarray(rewards, dtype=np.float64)
    if weights.shape != rewards.shape or weights.ndim != 1:
        raise ConfigError(
            f"weights and rewards must be (N,) arrays of one length, got {weights.shape} and "
            f"{rewards.shape}"
        )
    if not (np.isfinite(weights).all() and (weights >= 0).all()):
        raise ConfigError("importance weights must be finite and non-negative")
    return weights, rewards


def ips_estimate(weights: FloatArray, rewards: FloatArray) -> Estimate:
    """Inverse propensity scoring: ``mean(w r)`` with a CLT interval over the N requests.

    Args:
        weights: (N,) ``pi(a | x) / mu(a | x)`` of each logged action.
        rewards: (N,) observed rewards of the logged actions.
    """
    weights, rewards = _check(weights, rewards)
    n = len(weights)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    terms = weights * rewards
    value = float(terms.mean())
    half = Z95 * float(terms.std(ddof=1)) / math.sqrt(n) if n > 1 else math.nan
    return Estimate(value, value - half, value + half, n)


def snips_estimate(weights: FloatArray, rewards: FloatArray) -> Estimate:
    """Self-normalised IPS: ``sum(w r) / sum(w)`` with a delta-method interval.

    Args:
        weights: (N,) ``pi(a | x) / mu(a | x)`` of each logged action.
        rewards: (N,) observed rewards of the logged actions.
    """
    weights, rewards = _check(weights, rewards)
    total = float(weights.sum())
    if total <= 0:
        return Estimate(math.nan, math.nan, math.nan, len(weights))
    value = float((weights * rewards).sum() / total)
    half = Z95 * math.sqrt(float((weights**2 * (rewards - value) ** 2).sum())) / total
    return Estimate(value, value - half, value + half, len(weights))


def replay_estimate(matched: BoolArray, rewards: FloatArray) -> Estimate:
    """Replay on uniformly explored events: mean reward where the policy matched the log.

    Args:
        matched: (N,) whether the target policy chose the logged action, over the explored
            requests only (their action was drawn uniformly at random).
        rewards: (N,) observed 0/1 rewards (clicks) of the logged actions.

    Returns:
        The mean reward of the matched events with its Wilson 95% interval; NaN without matches.
    """
    matched = np.asarray(matched, dtype=bool)
    rewards = np.asarray(rewards, dtype=np.float64)
    if matched.shape != rewards.shape:
        raise ConfigError("matched and rewards must be (N,) arrays of one length")
    hits = rewards[matched]
    if not np.isin(hits, (0.0, 1.0)).all():
        raise ConfigError("replay's Wilson interval needs 0/1 rewards (clicks)")
    n = len(hits)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    share = float(hits.mean())
    z2 = Z95**2
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Estimate(share, centre - half, centre + half, n)
