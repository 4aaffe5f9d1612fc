"""Look inside one run for one user: their training history, their top-k list, and the hits.

The Recommendations page shows these tables. A run's split is rebuilt from the protocol stored with
the run (``protocol_from_dict``) and read back from the store, so "held out" and "relevant" mean
here exactly what they meant when the run was evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys_core.data.dataset import Dataset
from recsys_core.data.protocols import Protocol, protocol_from_dict
from recsys_core.data.splits import SplitData
from recsys_core.errors import DataError
from recsys_core.evaluation.protocol import evaluated_users, relevance_matrix
from recsys_core.evaluation.segments import GENDER_WORDS
from recsys_core.experiment import prepare_split
from recsys_core.models.base import Recommender
from recsys_core.registry import get_run
from recsys_core.types import FloatArray, IntArray

#: Demographics a user picker shows, where the dataset has them.
DESCRIBED_COLUMNS = ("gender", "age", "occupation")

#: Keys of ``Protocol.to_dict()``; ``name`` and ``split`` are required, the rest have defaults.
#: Columns of ``user_history``.
HISTORY_COLUMNS: tuple[str, ...] = ("item_id", "title", "genres", "rating", "time")
#: Columns of ``recommendation_table``.
LIST_COLUMNS: tuple[str, ...] = (
    "rank",
    "item_id",
    "title",
    "genres",
    "score",
    "in_test",
    "relevant",
)


@dataclass(frozen=True)
class RunContext:
    """What a run was evaluated on: its dataset, split and protocol, and the test truth.

    Attributes:
        run_id: the run.
        dataset: the run's dataset as stored.
        split: the run's split (train/valid/test views over the dataset's index space).
        protocol: the run's protocol, rebuilt from the stored dict.
        held_out: (U, I) binary matrix of every test row.
        truth: (U, I) gains of the relevant test rows under the protocol.
        evaluated: (E,) users with at least one relevant test item, ascending.
    """

    run_id: str
    dataset: Dataset
    split: SplitData
    protocol: Protocol
    held_out: sp.csr_matrix
    truth: sp.csr_matrix
    evaluated: IntArray

    def evaluated_user_ids(self) -> list[str]:
        """Raw ids of the evaluated users, in index order."""
        return self.dataset.users["user_id"].to_numpy()[self.evaluated].astype(str).tolist()

    def user_idx(self, user_id: str) -> int:
        """The index of a raw user id; DataError when the dataset has no such user."""
        found = np.flatnonzero(self.dataset.users["user_id"].to_numpy() == str(user_id))
        if len(found) == 0:
            raise DataError(
                f"dataset {self.dataset.name!r} has no user {user_id!r}; pick one of its users"
            )
        return int(found[0])


def user_descriptions(context: RunContext) -> dict[str, str]:
    """Evaluated user id -> how a picker shows them: ``"196 · 39 in training · male, 49,
    writer"`` (the demographics the dataset has), so a person picks a user by what they did."""
    users = context.dataset.users.iloc[context.evaluated].reset_index(drop=True)
    counts = pd.Series(context.split.train.user_counts()[context.evaluated])
    text = users["user_id"].astype(str) + " · " + counts.map("{:,} in training".format)
    present = [c for c in DESCRIBED_COLUMNS if c in users and users[c].notna().any()]
    if present:
        facts = pd.DataFrame({column: _shown(users[column]) for column in present})
        about = facts.apply(lambda row: ", ".join(value for value in row if value), axis=1)
        text = text + about.map(lambda line: f" · {line}" if line else "")
    return dict(zip(users["user_id"].astype(str), text, strict=True))


def _shown(values: pd.Series) -> pd.Series:
    """A demographic column as text: gender codes as words, missing values empty."""
    words = values.map(lambda value: GENDER_WORDS.get(value, value))
    return words.where(values.notna(), "").astype(str)


def load_run_context(run_id: str, *, path: Path | None = None) -> RunContext:
    """Read a run's record and rebuild its dataset, split and relevance truth.

    The split is stored when the run is trained, so this reads it back (it is created only if it
    has been deleted since, e.g. by re-importing the dataset).

    Raises:
        DataError: unknown run, or the stored protocol names another split than the run.
        ConfigError: the stored protocol cannot be rebuilt.
    """
    record = get_run(run_id, path=path)
    protocol = protocol_from_dict(record.protocol)
    if protocol.split_name != record.split_name:
        raise DataError(
            f"run {run_id} was trained on split {record.split_name!r}, but its stored protocol "
            f"describes {protocol.split_name!r}; retrain the run"
        )
    dataset, split = prepare_split(record.dataset, protocol, path=path)
    truth = relevance_matrix(split.test, protocol)
    return RunContext(
        run_id=run_id,
        dataset=dataset,
        split=split,
        protocol=protocol,
        held_out=split.test.csr(),
        truth=truth,
        evaluated=evaluated_users(truth),
    )


def user_history(context: RunContext, user_idx: int) -> pd.DataFrame:
    """The user's training rows of the run's split, newest first (row order without timestamps).

    Returns:
        ``HISTORY_COLUMNS``: raw item id, title, genres, rating (NaN if none) and time (UTC).
    """
    train = context.split.train
    rows = np.flatnonzero(train.user_idx == user_idx)
    if train.timestamp is not None:
        rows = rows[np.argsort(-train.timestamp[rows], kind="stable")]
    items = train.item_idx[rows]
    rating = (
        train.rating[rows].astype(np.float64)
        if train.rating is not None
        else np.full(len(rows), np.nan)
    )
    time = (
        train.timestamp[rows].astype("datetime64[s]")
        if train.timestamp is not None
        else np.full(len(rows), np.datetime64("NaT"), dtype="datetime64[s]")
    )
    table = _item_columns(context.dataset, items)
    table["rating"] = rating
    table["time"] = time
    return table[list(HISTORY_COLUMNS)]


def recommendation_table(
    context: RunContext, user_idx: int, item_idx: IntArray, scores: FloatArray
) -> pd.DataFrame:
    """One user's top-k list with the item details and whether each item was held out/relevant.

    Args:
        context: the run's context.
        user_idx: the user.
        item_idx: (K,) recommended items, best first; -1 padding is dropped.
        scores: (K,) their scores.

    Returns:
        ``LIST_COLUMNS``: 1-based rank, raw item id, title, genres, score, ``in_test`` (a test row
        of the user) and ``relevant`` (relevant under the protocol: what the run's metrics count).
    """
    item_idx = np.asarray(item_idx, dtype=np.int64)
    keep = item_idx >= 0
    items = item_idx[keep]
    table = _item_columns(context.dataset, items)
    table.insert(0, "rank", np.flatnonzero(keep) + 1)
    table["score"] = np.asarray(scores, dtype=np.float64)[keep]
    table["in_test"] = np.isin(items, _row_items(context.held_out, user_idx))
    table["relevant"] = np.isin(items, _row_items(context.truth, user_idx))
    return table[list(LIST_COLUMNS)]


def shared_items(first: pd.DataFrame, second: pd.DataFrame) -> int:
    """How many items two ``recommendation_table`` lists have in common."""
    return len(set(first["item_id"]) & set(second["item_id"]))


def recommend_for_user(
    model: Recommender, context: RunContext, user_idx: int, k: int
) -> pd.DataFrame:
    """The run model's top-k for one user (training items excluded) as ``recommendation_table``.

    Raises:
        DataError: the model was fitted on another index space than the run's dataset (the
            dataset was re-imported with other users or items since the run).
    """
    shape = (context.dataset.n_users, context.dataset.n_items)
    if (model.n_users_, model.n_items_) != shape:
        raise DataError(
            f"run {context.run_id}'s model covers {model.n_users_} users x {model.n_items_} items "
            f"but dataset {context.dataset.name!r} now has {shape[0]} x {shape[1]}; the dataset "
            "was re-imported since the run: retrain it"
        )
    top = model.recommend(np.array([user_idx], dtype=np.int64), k)
    return recommendation_table(context, user_idx, top.item_idx[0], top.scores[0])


@dataclass(frozen=True)
class UserSummary:
    """Counts for one user's list.

    Attributes:
        n_train: the user's training rows.
        n_test: distinct items in the user's test rows.
        n_relevant: distinct test items relevant under the protocol.
        hits: items of the list that are relevant.
        k: length of the list shown.
    """

    n_train: int
    n_test: int
    n_relevant: int
    hits: int
    k: int

    @property
    def recall(self) -> float:
        """hits / n_relevant (NaN for a user with nothing relevant)."""
        return self.hits / self.n_relevant if self.n_relevant else float("nan")


def summarise_user(
    context: RunContext, user_idx: int, recommendations: pd.DataFrame
) -> UserSummary:
    """Training/test counts of a user and the hits of their list (a ``recommendation_table``)."""
    return UserSummary(
        n_train=int(np.count_nonzero(context.split.train.user_idx == user_idx)),
        n_test=len(_row_items(context.held_out, user_idx)),
        n_relevant=len(_row_items(context.truth, user_idx)),
        hits=int(recommendations["relevant"].sum()),
        k=len(recommendations),
    )


def genre_shares(history: pd.DataFrame, recommendations: pd.DataFrame) -> pd.DataFrame:
    """Share of the history's items and of the list's items carrying each genre.

    A quick read of whether a list follows the user's taste. Shares are over items (an item with
    two genres counts towards both), so they need not sum to 1.

    Returns:
        Columns ``genre``, ``source`` ("history" | "recommended"), ``items`` and ``share``; one row
        per genre present in either table and per source, genres in alphabetical order.
    """
    sources = {"history": history, "recommended": recommendations}
    counts = {name: _genre_counts(frame["genres"]) for name, frame in sources.items()}
    genres = sorted(set().union(*(c.index for c in counts.values())))
    frames = []
    for name, frame in sources.items():
        items = counts[name].reindex(genres, fill_value=0).to_numpy(np.int64)
        share = items / max(len(frame), 1)
        frames.append(
            pd.DataFrame({"genre": genres, "source": name, "items": items, "share": share})
        )
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class UserInspection:
    """Everything the Recommendations page shows for one user of one run."""

    user_id: str
    history: pd.DataFrame
    recommendations: pd.DataFrame
    summary: UserSummary
    genres: pd.DataFrame


def inspect_user(model: Recommender, context: RunContext, user_id: str, k: int) -> UserInspection:
    """History, top-k list, summary and genre shares of the user with raw id ``user_id``."""
    user_idx = context.user_idx(user_id)
    history = user_history(context, user_idx)
    recommendations = recommend_for_user(model, context, user_idx, k)
    return UserInspection(
        user_id=str(user_id),
        history=history,
        recommendations=recommendations,
        summary=summarise_user(context, user_idx, recommendations),
        genres=genre_shares(history, recommendations),
    )


def _item_columns(dataset: Dataset, item_idx: IntArray) -> pd.DataFrame:
    """Raw id, title and genres of ``item_idx`` (title falls back to the id, genres to "")."""
    items = dataset.items.iloc[item_idx]
    ids = items["item_id"].astype(str).to_numpy()
    titles = items["title"].astype(object).to_numpy()
    return pd.DataFrame(
        {
            "item_id": ids,
            "title": np.where(pd.isna(titles), ids, titles).astype(str),
            "genres": items["genres"].fillna("").astype(str).to_numpy(),
        }
    )


def _row_items(matrix: sp.csr_matrix, user_idx: int) -> IntArray:
    """The stored column indices of one row of a CSR matrix."""
    start, end = matrix.indptr[user_idx], matrix.indptr[user_idx + 1]
    return matrix.indices[start:end].astype(np.int64)


def _genre_counts(genres: pd.Series) -> pd.Series:
    """Number of rows carrying each genre of ``|``-joined genre strings."""
    names = genres.fillna("").astype(str).str.split("|").explode()
    names = names[names != ""]
    return names.value_counts().sort_index()
