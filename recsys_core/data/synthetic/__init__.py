"""Synthetic catalogue: interactions, impressions and side information drawn from planted factors.

The offline default dataset of RecScope (it needs no network) and the only one with impressions, so
position bias, click models and off-policy estimates can be studied against a known truth.

Generative story (vectorised over users, items or rows; loops run only over blocks and labels):

1. Users get latent factors ``p_u`` and items ``q_i`` (``n_factors`` each), scaled so that the
   affinity ``<p_u, q_i>`` has unit variance. Items get a Zipf-like popularity
   ``w_i ∝ rank_i^-popularity_exponent`` (ranks shuffled over ids) and a release time: a back
   catalogue (60 % of items) released before the span, the rest during it.
2. Genres, tags, title words and provider of an item, and gender, age and occupation of a user, are
   drawn from logits that depend on the factors, so side information carries the same signal as ids.
3. Users get a heavy-tailed (log-normal) activity ``k_u >= min_user_interactions`` summing exactly
   to ``n_interactions``, and ``~k_u / mean_session_length`` session starts in a personal window.
4. Each user picks ``k_u`` distinct items by an exact Plackett-Luce draw (successive sampling) from
   ``P(i | u) ∝ w_i exp(<p_u, q_i> / temperature)``, among items released by their last session.
5. Each interaction falls in one of the user's sessions that starts after the item's release, a few
   minutes after the previous one in that session. ``session_id`` then cuts each user's timeline at
   gaps over ``session_gap_minutes``, so the ids follow that rule exactly. The rating is
   ``2.5 + <p_u, q_i> + noise``, rounded and clipped to 1..5.
6. Impressions: ``requests_per_user`` requests per user, each at one of their session starts, show
   ``slots_per_request`` distinct items released by then, drawn (Plackett-Luce) from a logging
   policy that mixes the users' own choice distribution (share ``policy_personalization``) with
   popularity. A logged stochastic ranker then orders each slate: with probability
   ``exploration_share`` a uniformly random permutation (the exploration bucket), otherwise a
   Plackett-Luce draw over the slate with the same mixture weights. Each row stores ``propensity``,
   the logging probability of its item at its position given the items above it (marginalised over
   the bucket; at position 1, ``eps / K + (1 - eps) * p_1 / sum_S p``), and ``explored``, whether
   its request was in the uniform bucket, so off-policy estimates can be checked against the truth.
   A position-based click model clicks with probability ``examination * relevance``, where
   ``examination = position^-examination_exponent`` and
   ``relevance = sigmoid(<p_u, q_i> / temperature + relevance_bias)``; both are stored.

Everything follows from ``seed``: each step draws from its own stream, so that the planted factors,
for example, stay the same when ``n_interactions`` changes.

Modules, one job each: ``config`` (options, random streams), ``truth`` (step 1), ``side_info``
(step 2; label vocabularies in ``names``), ``sessions`` (step 3 and the times of steps 5 and 6),
``choices`` (the Plackett-Luce sampler of steps 4 and 6), ``interactions`` (step 5),
``slate_order`` (the logged ranker and its propensities, step 6) and ``impressions`` (the click
model of step 6).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from recsys_core.data.frames import DatasetFrames
from recsys_core.data.synthetic.choices import draw_choices
from recsys_core.data.synthetic.columns import format_ids
from recsys_core.data.synthetic.config import (
    MAX_IMPRESSIONS,
    MAX_USER_ITEM_PAIRS,
    MAX_USER_SHARE,
    SyntheticConfig,
    resolve_config,
    stream,
)
from recsys_core.data.synthetic.impressions import build_impressions, impression_frame
from recsys_core.data.synthetic.interactions import build_interactions, interaction_frame
from recsys_core.data.synthetic.names import GENRE_NAMES, OCCUPATION_NAMES, TAG_NAMES
from recsys_core.data.synthetic.sessions import draw_activity, draw_requests, draw_sessions
from recsys_core.data.synthetic.side_info import item_frame, user_frame
from recsys_core.data.synthetic.slate_order import order_slates
from recsys_core.data.synthetic.truth import PlantedTruth, planted_truth

__all__ = [
    "GENRE_NAMES",
    "MAX_IMPRESSIONS",
    "MAX_USER_ITEM_PAIRS",
    "MAX_USER_SHARE",
    "OCCUPATION_NAMES",
    "TAG_NAMES",
    "PlantedTruth",
    "SyntheticConfig",
    "generate_synthetic",
    "planted_truth",
]


def generate_synthetic(
    config: SyntheticConfig | None = None, *, name: str = "synthetic", **overrides: Any
) -> DatasetFrames:
    """Generate the synthetic catalogue as ``DatasetFrames`` with impressions.

    Args:
        config: the options; defaults to ``SyntheticConfig()``.
        name: the dataset's name in the store.
        **overrides: options replacing those of ``config`` (``n_users=500``, ``seed=7``).

    Returns:
        Interactions sorted by user then time, users and items by id, impressions by request then
        position; dtypes as documented in ``recsys_core.data.frames``.

    Raises:
        ConfigError: an unknown option or an invalid value; the message names the valid ones.
    """
    config = resolve_config(config, overrides)
    truth = planted_truth(config)
    activity = draw_activity(config, stream(config, "activity"))
    sessions = draw_sessions(config, activity, stream(config, "sessions"))
    requests = draw_requests(config, sessions, stream(config, "requests"))
    chosen, shown = draw_choices(config, truth, activity, sessions, requests)
    user_ids, item_ids = format_ids("u", config.n_users), format_ids("i", config.n_items)
    rows = build_interactions(config, truth, sessions, chosen)
    del chosen  # free each large intermediate as soon as its frame exists
    interactions = interaction_frame(rows, user_ids, item_ids)
    del rows
    logged = order_slates(config, truth, requests, shown)
    del shown
    impressions = impression_frame(
        build_impressions(config, truth, requests, logged), user_ids, item_ids
    )
    return DatasetFrames(
        name=name,
        source=f"generator:seed={config.seed}",
        interactions=interactions,
        items=item_frame(config, truth, item_ids),
        users=user_frame(config, truth, user_ids),
        impressions=impressions,
        meta={
            "generator": "recsys_core.data.synthetic",
            "config": dataclasses.asdict(config),
            "rating_scale": [1.0, 5.0],
            "session_gap_seconds": config.session_gap_minutes * 60,
            "license": "synthetic data, free to use",
        },
    )
