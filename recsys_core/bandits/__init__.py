"""Contextual bandits over logged impressions: learned and evaluated offline against the truth.

One job per module: ``features`` (context features phi(u, i, position) from the training window),
``linear`` (LinUCB and linear Thompson sampling over one ridge posterior), ``logs`` (a dataset's
impressions as bandit data, split by request time), ``offpolicy`` (replay, IPS and SNIPS
estimates with 95% intervals) and ``evaluation`` (the offline report, with each policy's true CTR
from the synthetic catalogue's planted relevance). The ``bandit`` re-ranker
(``recsys_core.rerank.bandit``) puts the same policies in front of a run's lists.
"""

from __future__ import annotations

from recsys_core.bandits.evaluation import BanditReport, PolicyEstimates, evaluate_bandits
from recsys_core.bandits.features import FeatureMap
from recsys_core.bandits.linear import (
    POLICIES,
    LinearPolicy,
    LinearThompson,
    LinUCB,
    LinUCBConfig,
    ThompsonConfig,
    make_policy,
)
from recsys_core.bandits.offpolicy import Estimate, ips_estimate, replay_estimate, snips_estimate

__all__ = [
    "POLICIES",
    "BanditReport",
    "Estimate",
    "FeatureMap",
    "LinUCB",
    "LinUCBConfig",
    "LinearPolicy",
    "LinearThompson",
    "PolicyEstimates",
    "ThompsonConfig",
    "evaluate_bandits",
    "ips_estimate",
    "make_policy",
    "replay_estimate",
    "snips_estimate",
]
