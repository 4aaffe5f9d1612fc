"""The canonical interaction, item and user frames, built from a release's parsed text columns.

Ratings become float and timestamps Unix seconds; titles stay as published (with their "(1995)"
year) and the year is taken from the title, else from a fallback (ml-100k's release date).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.data.frames import ITEM_COLUMNS, USER_COLUMNS

_YEAR_IN_TITLE = r"\((\d{4})(?:[-\u2013]\d{4})?\)\s*$"


def build_interactions(ratings: pd.DataFrame) -> pd.DataFrame:
    """Interactions from text columns ``user_id, item_id, rating, timestamp`` (no sessions)."""
    return pd.DataFrame(
        {
            "user_id": ratings["user_id"],
            "item_id": ratings["item_id"],
            "rating": ratings["rating"].astype(np.float64),
            "timestamp": ratings["timestamp"].astype(np.int64).astype("Int64"),
            "session_id": pd.array([pd.NA] * len(ratings), dtype="Int64"),
        }
    )


def build_items(
    movies: pd.DataFrame, genres: pd.Series, year_fallback: pd.Series | None = None
) -> pd.DataFrame:
    """Items in ``ITEM_COLUMNS`` order.

    Args:
        movies: text columns ``item_id, title`` and optionally ``release_ts``, ``tags``.
        genres: ``|``-joined genres per movie ("" when none).
        year_fallback: the year where the title has none (e.g. from a release date).

    Returns:
        One row per movie, rated or not.
    """
    year = pd.to_numeric(movies["title"].str.extract(_YEAR_IN_TITLE)[0]).astype("Int64")
    if year_fallback is not None:
        year = year.fillna(year_fallback)
    frame = pd.DataFrame(
        {
            "item_id": movies["item_id"],
            "title": movies["title"].str.strip(),
            "genres": genres,
            "year": year,
            "provider": pd.Series(pd.NA, index=movies.index, dtype="str"),
            "release_ts": movies["release_ts"] if "release_ts" in movies else pd.NA,
            "tags": movies["tags"] if "tags" in movies else "",
        }
    )
    frame["release_ts"] = frame["release_ts"].astype("Int64")
    return frame[list(ITEM_COLUMNS)]


def build_users(
    user_id: pd.Series,
    age: pd.Series | None = None,
    gender: pd.Series | None = None,
    occupation: pd.Series | None = None,
    zip_code: pd.Series | None = None,
) -> pd.DataFrame:
    """Users in ``USER_COLUMNS`` order; a column the release lacks is all missing."""

    def text(values: pd.Series | None) -> pd.Series:
        if values is None:
            return pd.Series(pd.NA, index=user_id.index, dtype="str")
        return values.astype("str")

    frame = pd.DataFrame(
        {
            "user_id": user_id,
            "age": (
                pd.Series(pd.NA, index=user_id.index, dtype="Int64")
                if age is None
                else pd.to_numeric(age).astype("Int64")
            ),
            "gender": text(gender),
            "occupation": text(occupation),
            "zip": text(zip_code),
        }
    )
    return frame[list(USER_COLUMNS)]
