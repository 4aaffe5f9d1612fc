"""What the interactions fall on: the genre mix of items and the demographic mix of users."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from recsys_core.evaluation.segments import UNKNOWN, demographic_segments
from recsys_core.types import IntArray

#: Most groups a demographic bar chart shows; the rarest others are pooled.
MAX_GROUPS = 25


def genre_mix(items: pd.DataFrame, item_counts: IntArray) -> pd.DataFrame | None:
    """Share of items and of interactions per genre; None when no item has a genre.

    Items have several genres, so each column sums to more than 1.

    Args:
        items: indexed by item_idx 0..I-1 with a ``|``-joined ``genres`` column.
        item_counts: (I,) interactions per item.

    Returns:
        Columns genre, items, item_share, interactions, interaction_share; most interactions
        first.
    """
    if "genres" not in items:
        return None
    dummies = items["genres"].fillna("").astype(str).str.get_dummies(sep="|")
    # pandas 3's string dtype turns an empty value into a column named "": no genre, not a genre
    dummies = dummies.drop(columns=[""], errors="ignore")
    if dummies.shape[1] == 0:
        return None
    members = dummies.to_numpy(dtype=np.int64)
    counts = np.asarray(item_counts, dtype=np.int64)
    n_items = members.sum(axis=0)
    interactions = counts @ members
    frame = pd.DataFrame(
        {
            "genre": pd.Series(dummies.columns, dtype=str),
            "items": n_items,
            "item_share": n_items / len(items),
            "interactions": interactions,
            "interaction_share": interactions / max(int(counts.sum()), 1),
        }
    )
    return frame.sort_values(["interactions", "genre"], ascending=[False, True], ignore_index=True)


def demographic_mix(users: pd.DataFrame, user_counts: IntArray) -> dict[str, pd.DataFrame]:
    """Users and interactions per gender, age group and occupation, for those the data has.

    Groups are those of ``evaluation.segments`` (so they match the per-segment metrics); missing
    values form an ``unknown`` group. Beyond ``MAX_GROUPS`` the rarest groups are pooled.

    Args:
        users: indexed by user_idx 0..U-1 (``Dataset.users``).
        user_counts: (U,) interactions per user.

    Returns:
        Attribute -> frame with columns group, users, user_share, interactions,
        interaction_share; ages in age order, other attributes most users first.
    """
    counts = np.asarray(user_counts, dtype=np.int64)
    labels = demographic_segments(users, np.arange(len(users)))
    out: dict[str, pd.DataFrame] = {}
    for attribute, values in labels.items():
        grouped = (
            pd.DataFrame({"group": values.astype(str), "interactions": counts})
            .groupby("group", sort=False)["interactions"]
            .agg(users="size", interactions="sum")
            .reset_index()
        )
        if attribute == "age":
            keys = grouped["group"].map(_age_order)
            grouped = grouped.iloc[np.argsort(keys.to_numpy(), kind="stable")]
        else:
            grouped = grouped.sort_values(["users", "group"], ascending=[False, True])
            grouped = _pool_rare(grouped.reset_index(drop=True))
        grouped = grouped.reset_index(drop=True)
        grouped["group"] = grouped["group"].astype(str)
        grouped["user_share"] = grouped["users"] / max(len(counts), 1)
        grouped["interaction_share"] = grouped["interactions"] / max(int(counts.sum()), 1)
        out[attribute] = grouped[
            ["group", "users", "user_share", "interactions", "interaction_share"]
        ]
    return out


def _age_order(label: str) -> float:
    """Sort key of an age group label: 'under 18' first, then by lower bound, 'unknown' last."""
    if label == UNKNOWN:
        return math.inf
    if label.startswith("under "):
        return -1.0
    return float(label.split("–")[0].rstrip("+"))


def _pool_rare(grouped: pd.DataFrame) -> pd.DataFrame:
    """Keep the ``MAX_GROUPS`` - 1 largest groups and pool the rest into one row."""
    if len(grouped) <= MAX_GROUPS:
        return grouped
    kept, rest = grouped.iloc[: MAX_GROUPS - 1], grouped.iloc[MAX_GROUPS - 1 :]
    pooled = pd.DataFrame(
        {
            "group": [f"{len(rest)} other groups"],
            "users": [int(rest["users"].sum())],
            "interactions": [int(rest["interactions"].sum())],
        }
    )
    return pd.concat([kept, pooled], ignore_index=True)
