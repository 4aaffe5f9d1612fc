"""The canonical in-memory form of a dataset before storing: raw string ids, one frame per table.

Every source (GroupLens files, the synthetic generator, a user's CSV/Parquet) produces a
``DatasetFrames``; ``data.store.write_dataset`` maps ids to contiguous indices and stores it
atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: Columns of ``DatasetFrames.interactions`` (rating, timestamp and session_id may be all-NA).
INTERACTION_COLUMNS: tuple[str, ...] = ("user_id", "item_id", "rating", "timestamp", "session_id")
#: Columns of ``DatasetFrames.items``; genres and tags are ``|``-joined strings ("" when none).
ITEM_COLUMNS: tuple[str, ...] = (
    "item_id",
    "title",
    "genres",
    "year",
    "provider",
    "release_ts",
    "tags",
)
#: Columns of ``DatasetFrames.users``; demographics are NA where a source has none.
USER_COLUMNS: tuple[str, ...] = ("user_id", "age", "gender", "occupation", "zip")
#: Columns of ``DatasetFrames.impressions`` (only the synthetic catalogue has them). ``propensity``
#: is the logging policy's probability of the row's item at its position given the items above it;
#: ``explored`` marks requests ordered uniformly at random (the exploration bucket).
IMPRESSION_COLUMNS: tuple[str, ...] = (
    "request_id",
    "user_id",
    "item_id",
    "position",
    "clicked",
    "relevance",
    "examination",
    "timestamp",
    "propensity",
    "explored",
)
#: Impression columns a frame may leave out (a log without a known logging policy): stored as NULL.
OPTIONAL_IMPRESSION_COLUMNS: tuple[str, ...] = ("propensity", "explored")


@dataclass
class DatasetFrames:
    """One dataset as pandas frames keyed by raw string ids.

    Attributes:
        name: the dataset's name in the store (``ml-100k``, ``synthetic``, a user's choice).
        source: where it came from (URL, path, ``generator:seed=42``), shown in the app.
        interactions: ``INTERACTION_COLUMNS``; user_id/item_id as str, rating float64, timestamp
            Int64
            (Unix seconds), session_id Int64.
        items: ``ITEM_COLUMNS``; every item_id that interactions mention must be present.
        users: ``USER_COLUMNS``; every user_id that interactions mention must be present.
        impressions: ``IMPRESSION_COLUMNS`` (``OPTIONAL_IMPRESSION_COLUMNS`` may be absent) or
            None.
        meta: free-form facts about the source (rating scale, license note), stored as JSON.
    """

    name: str
    source: str
    interactions: pd.DataFrame
    items: pd.DataFrame
    users: pd.DataFrame
    impressions: pd.DataFrame | None = None
    meta: dict[str, object] = field(default_factory=dict)
