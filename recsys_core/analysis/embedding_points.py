"""What each point of an embedding map is: projection coordinates joined with catalogue facts.

Popularity (items) and activity (users) are counted in the run's training data, from the fitted
model's ``seen_`` matrix: the number of distinct training interactions of the item or user. That is
what the model learned from, and under a temporal split it never includes the future.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.analysis.projection import SIDES, Side, side_vectors
from recsys_core.data.dataset import Dataset
from recsys_core.errors import ConfigError, DataError
from recsys_core.models.base import Recommender
from recsys_core.retrieval import FaissIndex
from recsys_core.types import FloatArray, IntArray

#: Colour fields of each side, in the order offered: column -> what it means (legend title).
COLOUR_FIELDS: dict[Side, dict[str, str]] = {
    "item": {
        "genre": "First genre",
        "log_popularity": "Popularity (log10 of 1 + training interactions)",
        "year": "Release year",
        "provider": "Provider",
    },
    "user": {
        "log_activity": "Activity (log10 of 1 + training interactions)",
        "age": "Age",
        "gender": "Gender",
        "occupation": "Occupation",
    },
}
NO_GENRE = "(none)"


def training_counts(model: Recommender, side: Side) -> IntArray:
    """(N,) distinct training interactions per item (``side="item"``) or per user."""
    if model.seen_ is None:
        raise DataError(f"{model.name} is not fitted: load the run's model before counting")
    axis = 0 if side == "item" else 1
    return np.asarray(model.seen_.sum(axis=axis), dtype=np.int64).ravel()


def point_table(
    dataset: Dataset, model: Recommender, side: Side, projection: pd.DataFrame
) -> pd.DataFrame:
    """One row per projected point with its coordinates and what to colour and show it by.

    Args:
        dataset: the run's dataset (for titles, genres, demographics).
        model: the run's fitted model (for training counts).
        side: ``"item"`` or ``"user"``.
        projection: idx, x, y as returned by ``projection.run_projection``.

    Returns:
        Items: idx, id, label (title, else id), genres, genre (first genre), year, provider,
        popularity, log_popularity, x, y. Users: idx, id, label, age, gender, occupation, activity,
        log_activity, x, y. Rows in ``projection`` order.
    """
    if side not in SIDES:
        raise ConfigError(f"side must be one of {list(SIDES)}, got {side!r}")
    table = dataset.items if side == "item" else dataset.users
    counts = training_counts(model, side)
    if len(counts) != len(table):
        raise DataError(
            f"the run's model has {len(counts)} {side}s but dataset {dataset.name!r} has "
            f"{len(table)}; the dataset changed since the run was trained: train it again"
        )
    idx = projection["idx"].to_numpy(dtype=np.int64)
    rows = table.iloc[idx].reset_index(drop=True)
    id_column = f"{side}_id"
    points = pd.DataFrame({"idx": idx, "id": rows[id_column].astype("str")})
    if side == "item":
        title = rows["title"].astype("str")
        points["label"] = title.where(title.notna() & (title != ""), points["id"])
        points["genres"] = rows["genres"].fillna("").astype("str")
        points["genre"] = first_genres(points["genres"])
        points["year"] = rows["year"].astype("Int64")
        points["provider"] = rows["provider"].astype("str")
        count_name = "popularity"
    else:
        points["label"] = points["id"]
        points["age"] = rows["age"].astype("Int64")
        points["gender"] = rows["gender"].astype("str")
        points["occupation"] = rows["occupation"].astype("str")
        count_name = "activity"
    points[count_name] = counts[idx]
    points[f"log_{count_name}"] = np.log10(1.0 + counts[idx])
    points["x"] = projection["x"].to_numpy(dtype=np.float32)
    points["y"] = projection["y"].to_numpy(dtype=np.float32)
    return points


def first_genres(genres: pd.Series) -> pd.Series:
    """The first of each ``|``-joined genre list; ``NO_GENRE`` where there is none."""
    first = genres.fillna("").astype("str").str.split("|", n=1).str[0]
    return first.where(first != "", NO_GENRE)


def colour_fields(points: pd.DataFrame, side: Side) -> dict[str, str]:
    """The side's colour fields that the data actually has (at least one known, non-empty value),
    as column -> legend title; MovieLens, for example, has no provider."""
    available = {}
    for column, title in COLOUR_FIELDS[side].items():
        values = points[column] if column in points else pd.Series(dtype="object")
        known = values.dropna()
        if column == "genre":
            known = known[known != NO_GENRE]
        elif pd.api.types.is_string_dtype(values):
            known = known[known != ""]
        if len(known):
            available[column] = title
    return available


def describe_items(dataset: Dataset, item_idx: IntArray, scores: FloatArray) -> pd.DataFrame:
    """A ranked list of items as a table: rank, item_idx, item_id, title, genres, score.

    Args:
        dataset: where titles and genres come from.
        item_idx: (K,) item indices, best first; -1 pads (dropped).
        scores: (K,) their scores or similarities.
    """
    items = np.asarray(item_idx, dtype=np.int64)
    keep = items >= 0
    rows = dataset.items.iloc[items[keep]]
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(items) + 1)[keep],
            "item_idx": items[keep],
            "item_id": rows["item_id"].astype("str").to_numpy(),
            "title": rows["title"].astype("str").to_numpy(),
            "genres": rows["genres"].fillna("").astype("str").to_numpy(),
            "score": np.asarray(scores, dtype=np.float64)[keep],
        }
    )


def similar_item_table(index: FaissIndex, dataset: Dataset, item_idx: int, k: int) -> pd.DataFrame:
    """The k items nearest one item in embedding space (itself excluded), as ``describe_items``."""
    top = index.similar_items(np.array([item_idx]), k)
    return describe_items(dataset, top.item_idx[0], top.scores[0])


def user_item_tables(
    model: Recommender, index: FaissIndex, dataset: Dataset, user_idx: int, k: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two top-k item lists of one user, as ``describe_items``.

    Returns:
        ``(nearest, recommended)``: the items nearest the user's vector in the item index (raw
        embedding similarity: no item bias, seen items included), and the model's recommendations
        (its full score, seen items excluded). They differ where a model adds biases.
    """
    user_vector = side_vectors(model, "user")[[user_idx]]
    nearest = index.search(user_vector, k)
    recommended = model.recommend(np.array([user_idx]), k)
    return (
        describe_items(dataset, nearest.item_idx[0], nearest.scores[0]),
        describe_items(dataset, recommended.item_idx[0], recommended.scores[0]),
    )


def highlight_points(points: pd.DataFrame, groups: dict[str, IntArray]) -> pd.DataFrame:
    """Rows of ``points`` to draw on top of a map, one group per role, in the order given.

    Args:
        points: a point table (idx, id, label, x, y, …).
        groups: role -> (K,) indices in rank order (``{"selected": [7], "nearest": [3, 9]}``);
            -1 pads and indices not on the map (left out of a subsample) are skipped.

    Returns:
        Frame with role, rank (1-based position within the role), idx, id, label, x, y.
    """
    by_idx = points.set_index("idx")
    parts = []
    for role, idx in groups.items():
        wanted = np.asarray(idx, dtype=np.int64)
        ranks = np.arange(1, len(wanted) + 1)
        on_map = np.isin(wanted, by_idx.index.to_numpy())
        rows = by_idx.loc[wanted[on_map], ["id", "label", "x", "y"]].reset_index()
        parts.append(rows.assign(role=role, rank=ranks[on_map]))
    columns = ["role", "rank", "idx", "id", "label", "x", "y"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]
