"""The offline report: fit bandits on the early log, estimate their CTR on the late one, check it.

Protocol. A dataset's logged requests are cut by time (``bandits.logs.split_log``): the first 80%
train, the last 20% test. Each policy's ridge posterior is fitted on every impression of the
training requests (all positions, clicks as rewards; the position one-hot lets it learn position
bias), with features from the training window's interactions (``bandits.features``). On each test
request the policy then chooses the item for position 1 among that request's slate, scored at
position 1 (Thompson sampling draws one posterior sample per request). Its estimated CTR comes
from the logged position-1 clicks by replay (on the exploration bucket), IPS and SNIPS, each with
a 95% interval (``bandits.offpolicy``).

The truth. Position 1 is always examined, so a chosen item's click probability is its planted
relevance, which the impressions store for every shown item: a policy's true CTR is the mean
relevance of the items it chose. Two baselines come with every report: ``logging`` (the policy
that wrote the log: its estimate is the observed position-1 CTR, its truth the mean relevance of
the logged position-1 items) and ``random`` (a uniform choice within the slate; IPS with its exact
probability 1/K, truth the slate's mean relevance).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recsys_core.bandits.features import FeatureMap
from recsys_core.bandits.linear import POLICIES, LinearPolicy, make_policy
from recsys_core.bandits.logs import LogSplit, Slates, logged_impressions, split_log
from recsys_core.bandits.offpolicy import (
    Estimate,
    ips_estimate,
    replay_estimate,
    snips_estimate,
)
from recsys_core.data.dataset import Dataset
from recsys_core.data.features import genre_table
from recsys_core.errors import ConfigError
from recsys_core.evaluation.beyond import user_genre_distribution
from recsys_core.types import FloatArray, IntArray

#: The baselines every report holds besides the requested policies.
BASELINES = ("logging", "random")
#: Share of requests (earliest first) whose impressions train the policies.
TRAIN_SHARE = 0.8


@dataclass(frozen=True)
class PolicyEstimates:
    """One policy's estimated and true position-1 CTR on the test requests.

    Attributes:
        policy: its name (``linucb``, ``thompson``, ``logging``, ``random``).
        replay: replay on the explored test requests, or None where replay does not apply (the
            logging policy).
        ips: IPS over all test requests.
        snips: SNIPS over all test requests.
        true_ctr: mean planted relevance of its choices.
        n_requests: test requests.
        n_matched: test requests whose logged position-1 item is the policy's choice (for the
            random policy, its drawn choice; for the logging policy, all).
    """

    policy: str
    replay: Estimate | None
    ips: Estimate
    snips: Estimate
    true_ctr: float
    n_requests: int
    n_matched: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with whether each interval contains the true CTR."""
        return {
            "policy": self.policy,
            "replay": self._estimate_dict(self.replay),
            "ips": self._estimate_dict(self.ips),
            "snips": self._estimate_dict(self.snips),
            "true_ctr": float(self.true_ctr),
            "n_requests": int(self.n_requests),
            "n_matched": int(self.n_matched),
        }

    def _estimate_dict(self, estimate: Estimate | None) -> dict[str, Any] | None:
        if estimate is None:
            return None
        return {**estimate.to_dict(), "contains_truth": estimate.contains(self.true_ctr)}


@dataclass(frozen=True)
class BanditReport:
    """The offline evaluation of bandit policies on one dataset's log.

    Attributes:
        dataset: the dataset's name.
        policies: policy name -> its estimates, requested policies first, then ``BASELINES``.
        n_train_requests: requests the policies were fitted on.
        n_test_requests: requests they were evaluated on.
        n_explored_test: test requests of the uniform exploration bucket (replay's events).
        cut_time: Unix seconds of the first test request.
        settings: each fitted policy's options.
    """

    dataset: str
    policies: Mapping[str, PolicyEstimates]
    n_train_requests: int
    n_test_requests: int
    n_explored_test: int
    cut_time: int
    settings: Mapping[str, Mapping[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """Strict JSON (no NaN or infinity): undefined estimates are null."""
        return {
            "dataset": self.dataset,
            "protocol": (
                f"first {TRAIN_SHARE:.0%} of requests by time train, the rest test; the policy "
                "chooses position 1 from the logged slate; true CTR = mean planted relevance"
            ),
            "n_train_requests": int(self.n_train_requests),
            "n_test_requests": int(self.n_test_requests),
            "n_explored_test": int(self.n_explored_test),
            "cut_time": int(self.cut_time),
            "settings": {name: dict(options) for name, options in self.settings.items()},
            "policies": {name: p.to_dict() for name, p in self.policies.items()},
        }


def fit_policy(
    name: str,
    train: pd.DataFrame,
    features: FeatureMap,
    options: Mapping[str, Any] | None = None,
) -> LinearPolicy:
    """A policy fitted on training impression rows (user_idx, item_idx, position, clicked)."""
    rows = features.rows(
        train["user_idx"].to_numpy(np.int64),
        train["item_idx"].to_numpy(np.int64),
        train["position"].to_numpy(np.int64),
    )
    rewards = train["clicked"].to_numpy(np.float64, na_value=0.0)
    return make_policy(name, **dict(options or {})).fit(rows, rewards)


def choose(policy: LinearPolicy, slates: Slates, features: FeatureMap) -> IntArray:
    """(R,) the slate column each request's policy puts at position 1 (scored at position 1).

    Ties go to the lowest item index, never to the logged order: a choice that leaned on the
    logged positions would no longer be independent of the logged action, and IPS would be biased.
    """
    n, k = slates.item.shape
    valid = slates.valid
    user = np.repeat(slates.user, k)[valid.ravel()]
    rows = features.rows(user, slates.item[valid], np.ones(len(user), dtype=np.int64))
    keys = np.repeat(slates.request_id, k)[valid.ravel()]
    scores = np.full((n, k), -np.inf)
    scores[valid] = policy.score(rows, keys)
    best = scores == scores.max(axis=1, keepdims=True)
    return np.where(best, slates.item, np.iinfo(np.int64).max).argmin(axis=1)


def evaluate_bandits(
    dataset: Dataset,
    policies: Sequence[str] = tuple(POLICIES),
    *,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    seed: int = 0,
) -> BanditReport:
    """Fit each policy on the early log and estimate its CTR on the late log (module docstring).

    Args:
        dataset: a dataset with logged impressions and their propensities (the synthetic
            catalogue).
        policies: names among ``bandits.linear.POLICIES``.
        options: policy name -> its options (``{"linucb": {"alpha": 0.5}}``).
        seed: seed of the random baseline's choices.

    Raises:
        DataError: the dataset has no impressions or no propensities (the message says how to
            regenerate the synthetic catalogue).
        ConfigError: an unknown policy or option.
    """
    unknown = [p for p in policies if p not in POLICIES]
    if unknown or not policies:
        raise ConfigError(
            f"unknown bandit policy {', '.join(map(repr, unknown)) or '(none given)'}; choose "
            f"among: {', '.join(POLICIES)}"
        )
    options = options or {}
    split = split_log(logged_impressions(dataset), TRAIN_SHARE)
    features = training_features(dataset, split)
    test = split.test
    out: dict[str, PolicyEstimates] = {}
    settings: dict[str, Mapping[str, Any]] = {}
    for name in policies:
        policy = fit_policy(name, split.train, features, options.get(name))
        settings[name] = policy.config.to_dict()
        out[name] = _chosen_estimates(name, test, choose(policy, test, features))
    out["logging"] = _logging_estimates(test)
    out["random"] = _random_estimates(test, np.random.default_rng(seed))
    return BanditReport(
        dataset=dataset.name,
        policies=out,
        n_train_requests=int(split.train["request_id"].nunique()),
        n_test_requests=len(test),
        n_explored_test=int(test.explored.sum()),
        cut_time=split.cut_time,
        settings=settings,
    )


def training_features(dataset: Dataset, split: LogSplit) -> FeatureMap:
    """The feature map of the training window: interactions before the first test request."""
    frame = dataset.interactions
    before = frame["timestamp"].to_numpy(np.int64, na_value=np.iinfo(np.int64).max)
    train = dataset.rows(frame["row_id"].to_numpy(np.int64)[before < split.cut_time])
    table = genre_table(dataset.items)
    item_genres = None if table is None else table[0]
    user_genres = None if item_genres is None else user_genre_distribution(train, item_genres)
    n_positions = int(split.train["position"].max())
    return FeatureMap.build(train.item_counts(), item_genres, user_genres, n_positions)


def _chosen_estimates(name: str, test: Slates, column: IntArray) -> PolicyEstimates:
    """Estimates of a policy that puts slate column ``column`` (R,) at position 1."""
    matched = column == 0  # the logged position-1 item is in column 0
    weights = matched / test.propensity
    relevance = np.take_along_axis(test.relevance, column[:, None], axis=1)[:, 0]
    return PolicyEstimates(
        policy=name,
        replay=replay_estimate(matched[test.explored], test.clicked[test.explored]),
        ips=ips_estimate(weights, test.clicked),
        snips=snips_estimate(weights, test.clicked),
        true_ctr=float(relevance.mean()),
        n_requests=len(test),
        n_matched=int(matched.sum()),
    )


def _logging_estimates(test: Slates) -> PolicyEstimates:
    """The policy that wrote the log: weight 1 on every event (IPS = observed CTR)."""
    ones = np.ones(len(test))
    return PolicyEstimates(
        policy="logging",
        replay=None,
        ips=ips_estimate(ones, test.clicked),
        snips=snips_estimate(ones, test.clicked),
        true_ctr=float(test.relevance[:, 0].mean()),
        n_requests=len(test),
        n_matched=len(test),
    )


def _random_estimates(test: Slates, rng: np.random.Generator) -> PolicyEstimates:
    """A uniform choice within the slate: IPS with its exact probability 1/K, replay with draws."""
    sizes = test.valid.sum(axis=1)
    weights = (1.0 / sizes) / test.propensity
    drawn = (rng.random(len(test)) * sizes).astype(np.int64)
    matched = drawn == 0
    truth: FloatArray = np.nanmean(test.relevance, axis=1)
    return PolicyEstimates(
        policy="random",
        replay=replay_estimate(matched[test.explored], test.clicked[test.explored]),
        ips=ips_estimate(weights, test.clicked),
        snips=snips_estimate(weights, test.clicked),
        true_ctr=float(truth.mean()),
        n_requests=len(test),
        n_matched=int(matched.sum()),
    )
