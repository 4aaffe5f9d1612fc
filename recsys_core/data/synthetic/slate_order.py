"""The logged ranker: the order of each request's slate, and the propensity of every position.

The slate's items (candidate generation, ``choices``) are drawn first; a stochastic ranker then
orders them, and that order is what is logged. With probability ``exploration_share`` a request
falls in the exploration bucket and its order is a uniformly random permutation; otherwise it is a
Plackett-Luce draw over the slate with weights ``p_j``, the logging policy's own mixture
``policy_personalization * P(j | u) + (1 - policy_personalization) * w_j`` that the slate was
drawn from. Both are Gumbel-top-k draws over the slate (Gumbel noise plus ``log p_j``, or plus
nothing for the uniform order), vectorised over requests.

The propensity of the item at position k is its probability under this logging policy,
marginalised over the bucket, given the items above it (prefix ``s_<k``):
``P(s_k | s_<k) = M(s_<=k) / M(s_<k)`` with ``M = eps * U + (1 - eps) * PL``, ``U`` the uniform
permutation probability of the prefix (``prod_j 1 / (K - j + 1)``) and ``PL`` its Plackett-Luce
probability over the slate. At position 1 it is ``eps / K + (1 - eps) * p_1 / sum_S p``, which
sums to 1 over the slate; at position K it is 1. Off-policy estimators (``recsys_core.bandits``)
weight the logged position-1 click by its inverse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys_core.data.synthetic.choices import Picks, logging_log_weights
from recsys_core.data.synthetic.config import SyntheticConfig, stream
from recsys_core.data.synthetic.sessions import Requests
from recsys_core.data.synthetic.truth import PlantedTruth
from recsys_core.types import BoolArray, FloatArray


@dataclass(frozen=True)
class LoggedSlates:
    """The slates in logged order: rows grouped by request, each request's by position.

    Attributes:
        shown: (N,) request and item of each row, N = R * K.
        propensity: (N,) logging probability of the row's item at its position given the items
            above it.
        explored: (N,) whether the row's request was in the uniform exploration bucket.
    """

    shown: Picks
    propensity: FloatArray
    explored: BoolArray


def order_slates(
    config: SyntheticConfig, truth: PlantedTruth, requests: Requests, shown: Picks
) -> LoggedSlates:
    """Re-draw the order of every slate with the logged ranker (see the module docstring).

    Args:
        config: the options (``exploration_share``, ``policy_personalization``, ...).
        truth: the planted structure the logging policy's weights come from.
        requests: the logged requests (their users).
        shown: (R * K,) the slates as drawn, K = ``slots_per_request`` items per request, grouped
            by request in request order.
    """
    n_requests, n_slots = len(requests.user), config.slots_per_request
    user = requests.user[shown.group]
    log_p = logging_log_weights(config, truth, user, shown.item).reshape(n_requests, n_slots)
    rng = stream(config, "slate_order")
    explored = rng.random(n_requests) < config.exploration_share
    keys = rng.gumbel(size=(n_requests, n_slots)) + np.where(explored[:, None], 0.0, log_p)
    order = np.argsort(-keys, axis=1, kind="stable")
    item = np.take_along_axis(shown.item.reshape(n_requests, n_slots), order, axis=1)
    log_p = np.take_along_axis(log_p, order, axis=1)
    propensity = prefix_propensities(log_p, config.exploration_share)
    return LoggedSlates(
        shown=Picks(shown.group, item.ravel()),
        propensity=propensity.ravel(),
        explored=np.repeat(explored, n_slots),
    )


def prefix_propensities(log_p: FloatArray, exploration_share: float) -> FloatArray:
    """(R, K) ``P(s_k | s_<k)`` of each position under the mixed logging ranker.

    Args:
        log_p: (R, K) log Plackett-Luce weights of each request's items in logged order.
        exploration_share: eps, the probability of the uniform-permutation bucket.

    Returns:
        (R, K) float64 propensities; computed in log space with cumulative sums per request.
    """
    n_slots = log_p.shape[1]
    shifted = log_p - log_p.max(axis=1, keepdims=True)
    remaining = np.cumsum(np.exp(shifted)[:, ::-1], axis=1)[:, ::-1]  # mass of s_k..s_K
    log_pl = np.cumsum(shifted - np.log(remaining), axis=1)
    log_uniform = -np.cumsum(np.log(np.arange(n_slots, 0, -1, dtype=np.float64)))
    with np.errstate(divide="ignore"):
        log_mix = np.logaddexp(
            np.log(exploration_share) + log_uniform, np.log1p(-exploration_share) + log_pl
        )
    before = np.hstack([np.zeros((len(log_p), 1)), log_mix[:, :-1]])
    return np.exp(log_mix - before)
