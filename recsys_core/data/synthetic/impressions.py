"""Impression rows: the logged slates under a position-based click model.

A shown item is clicked with probability ``examination * relevance``, where
``examination = position^-examination_exponent`` and
``relevance = sigmoid(<p_u, q_i> / temperature + relevance_bias)``; both are stored, with the
logged ranker's ``propensity`` and ``explored`` flag of each row (``slate_order``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from recsys_core.data.frames import IMPRESSION_COLUMNS
from recsys_core.data.synthetic.arrays import rank_in_group
from recsys_core.data.synthetic.columns import strings
from recsys_core.data.synthetic.config import SyntheticConfig, stream
from recsys_core.data.synthetic.sessions import Requests
from recsys_core.data.synthetic.slate_order import LoggedSlates
from recsys_core.data.synthetic.truth import PlantedTruth
from recsys_core.types import BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class Impressions:
    """Impression rows by index, sorted by request then position; see ``impression_frame``."""

    request: IntArray
    user: IntArray
    item: IntArray
    position: IntArray
    clicked: IntArray
    relevance: FloatArray
    examination: FloatArray
    timestamp: IntArray
    propensity: FloatArray
    explored: BoolArray


def build_impressions(
    config: SyntheticConfig, truth: PlantedTruth, requests: Requests, logged: LoggedSlates
) -> Impressions:
    """The position-based click model over the logged slates."""
    shown = logged.shown
    user, item = requests.user[shown.group], shown.item
    position = rank_in_group(shown.group) + 1
    affinity = truth.affinity(user, item).astype(np.float64)
    relevance = 1.0 / (1.0 + np.exp(-(affinity / config.temperature + config.relevance_bias)))
    examination = position.astype(np.float64) ** -config.examination_exponent
    clicks = stream(config, "clicks").random(len(item)) < examination * relevance
    return Impressions(
        request=shown.group,
        user=user,
        item=item,
        position=position,
        clicked=clicks.astype(np.int64),
        relevance=relevance,
        examination=examination,
        timestamp=requests.time[shown.group],
        propensity=logged.propensity,
        explored=logged.explored,
    )


def impression_frame(rows: Impressions, user_ids: pa.Array, item_ids: pa.Array) -> pd.DataFrame:
    """The impressions frame (columns ``IMPRESSION_COLUMNS``) with raw string ids."""
    return pd.DataFrame(
        {
            "request_id": pd.array(rows.request, dtype="Int64"),
            "user_id": strings(user_ids.take(pa.array(rows.user))),
            "item_id": strings(item_ids.take(pa.array(rows.item))),
            "position": pd.array(rows.position, dtype="Int64"),
            "clicked": pd.array(rows.clicked, dtype="Int64"),
            "relevance": rows.relevance,
            "examination": rows.examination,
            "timestamp": pd.array(rows.timestamp, dtype="Int64"),
            "propensity": rows.propensity,
            "explored": rows.explored,
        },
        columns=list(IMPRESSION_COLUMNS),
        copy=False,
    )
