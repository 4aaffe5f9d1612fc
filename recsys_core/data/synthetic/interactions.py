"""Interaction rows: each choice placed in a session, rated, and given its session id."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from recsys_core.data.frames import INTERACTION_COLUMNS
from recsys_core.data.synthetic.choices import Picks
from recsys_core.data.synthetic.columns import strings
from recsys_core.data.synthetic.config import SyntheticConfig, stream
from recsys_core.data.synthetic.sessions import Sessions, cut_sessions, place_in_sessions
from recsys_core.data.synthetic.truth import PlantedTruth
from recsys_core.types import FloatArray, IntArray


@dataclass(frozen=True)
class Interactions:
    """Interaction rows by index, sorted by user then time; see ``interaction_frame``."""

    user: IntArray
    item: IntArray
    rating: FloatArray
    timestamp: IntArray
    session: IntArray


def build_interactions(
    config: SyntheticConfig, truth: PlantedTruth, sessions: Sessions, chosen: Picks
) -> Interactions:
    """The rows of the users' chosen items: timestamps, ratings ``2.5 + <p_u, q_i> + noise``
    rounded and clipped to 1..5, and session ids."""
    release = truth.item_release_ts[chosen.item]
    timestamp = place_in_sessions(chosen.group, release, sessions, config)
    # One int64 key (user, time); the stable sort keeps choice order among equal timestamps.
    width = int(timestamp.max()) - config.start_ts + 1
    order = np.argsort(chosen.group * width + (timestamp - config.start_ts), kind="stable")
    user, item, timestamp = chosen.group[order], chosen.item[order], timestamp[order]
    affinity = truth.affinity(user, item).astype(np.float64)
    noise = config.rating_noise * stream(config, "ratings").standard_normal(len(user))
    rating = np.clip(np.rint(2.5 + affinity + noise), 1.0, 5.0)
    return Interactions(user, item, rating, timestamp, cut_sessions(user, timestamp, config))


def interaction_frame(rows: Interactions, user_ids: pa.Array, item_ids: pa.Array) -> pd.DataFrame:
    """The interactions frame (columns ``INTERACTION_COLUMNS``) with raw string ids."""
    return pd.DataFrame(
        {
            "user_id": strings(user_ids.take(pa.array(rows.user))),
            "item_id": strings(item_ids.take(pa.array(rows.item))),
            "rating": rows.rating,
            "timestamp": pd.array(rows.timestamp, dtype="Int64"),
            "session_id": pd.array(rows.session, dtype="Int64"),
        },
        columns=list(INTERACTION_COLUMNS),
        copy=False,
    )
