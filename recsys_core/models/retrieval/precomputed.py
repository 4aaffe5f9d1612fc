"""Embeddings or scores produced by another system, explored and evaluated like any model.

Not a learning method: ``fit`` reads the files named by ``source`` and aligns them to the
dataset's indices, so that RecScope's evaluation, embedding views and re-ranking work on the output
of any external recommender (the "bring your own model" path of Microsoft Recommenders' and
RecBole's evaluators). Files are read with ``allow_pickle=False``; nothing is ever unpickled.

Accepted sources:

- ``kind="embeddings"``: a directory holding ``user_embeddings`` and ``item_embeddings``, each as
  ``.npy`` (a (U, D) or (I, D) numeric array, rows in the dataset's user_idx / item_idx order) or
  as ``.parquet`` (a ``user_id`` / ``item_id`` column with the dataset's raw ids plus either one
  numeric column per dimension or a single list-valued column). Score = dot product.
- ``kind="scores"``: a ``.parquet`` or ``.csv`` file with columns ``user_id``, ``item_id``,
  ``score`` (raw ids). Score = the given score.

Anything the source does not cover scores ``-inf``, so it is never recommended: items or users
without a vector, and (user, item) pairs without a score. Ids absent from the dataset are
ignored; a source matching none of its ids is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import ConfigError, DataError
from recsys_core.models.base import Callback, ModelConfig, RetrievalModel, param, register
from recsys_core.models.retrieval.itemknn import csr_from_state, csr_to_state
from recsys_core.models.saved_state import expect_array
from recsys_core.types import Embeddings, FloatArray, IntArray

#: File stems looked up in an embeddings directory, per side.
EMBEDDING_STEMS = {"user": "user_embeddings", "item": "item_embeddings"}


@dataclass(frozen=True)
class PrecomputedConfig(ModelConfig):
    """Options of the precomputed model: where its vectors or scores come from."""

    source: str = param(
        "",
        "Path to a directory with user_embeddings/item_embeddings (.npy or .parquet) or to a "
        "scores file (.parquet or .csv with user_id, item_id, score).",
    )
    kind: str = param(
        "embeddings",
        "What source holds: user and item embeddings, or (user, item, score) rows.",
        choices=("embeddings", "scores"),
    )


@register
class Precomputed(RetrievalModel):
    """Serves externally computed embeddings (dot product) or scores, aligned to the dataset."""

    name = "precomputed"
    label = "Precomputed (external embeddings or scores)"
    requires = frozenset({"ids"})
    config_class = PrecomputedConfig
    config: PrecomputedConfig

    def fit(
        self,
        train: TrainSplit,
        *,
        valid: TrainSplit | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> Self:
        if not self.config.source:
            raise ConfigError(
                "precomputed needs source: the path of an embeddings directory or a scores file"
            )
        source = Path(self.config.source).expanduser()
        if not source.exists():
            raise DataError(f"precomputed source {source} does not exist; check the path")
        self._start_fit(train)
        if self.config.kind == "embeddings":
            user_ids = _raw_ids(train.users, "user_id", train.n_users)
            item_ids = _raw_ids(train.items, "item_id", train.n_items)
            self.user_emb_, self.user_known_ = read_embeddings(
                source, "user", train.n_users, user_ids
            )
            self.item_emb_, self.item_known_ = read_embeddings(
                source, "item", train.n_items, item_ids
            )
            if self.user_emb_.shape[1] != self.item_emb_.shape[1]:
                raise DataError(
                    f"{source}: user vectors have {self.user_emb_.shape[1]} dimensions but item "
                    f"vectors {self.item_emb_.shape[1]}; export both from the same model"
                )
        else:
            self.scores_ = read_scores(
                source,
                _raw_ids(train.users, "user_id", train.n_users),
                _raw_ids(train.items, "item_id", train.n_items),
            )
        return self

    def _score_users(self, user_idx: IntArray) -> FloatArray:
        if self.config.kind == "embeddings":
            scores = self.user_emb_[user_idx] @ self.item_emb_.T
            scores[:, ~self.item_known_] = -np.inf
            scores[~self.user_known_[user_idx]] = -np.inf
            return scores
        rows = self.scores_[user_idx]
        scores = np.full((len(user_idx), self.n_items_), -np.inf, dtype=np.float32)
        scores[np.repeat(np.arange(len(user_idx)), np.diff(rows.indptr)), rows.indices] = rows.data
        return scores

    def embeddings(self) -> Embeddings:
        """The aligned (U, D) and (I, D) vectors (zero rows where the source had none)."""
        self._check_fitted()
        if self.config.kind == "embeddings":
            return Embeddings(user=self.user_emb_, item=self.item_emb_)
        return Embeddings(user=None, item=None)

    def _state(self) -> dict[str, np.ndarray]:
        if self.config.kind == "embeddings":
            return {
                "user_emb": self.user_emb_,
                "item_emb": self.item_emb_,
                "user_known": self.user_known_,
                "item_known": self.item_known_,
            }
        return csr_to_state("scores", self.scores_)

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        if self.config.kind == "embeddings":
            self.user_emb_ = expect_array(state, "user_emb", (self.n_users_, None))
            dim = self.user_emb_.shape[1]
            self.item_emb_ = expect_array(state, "item_emb", (self.n_items_, dim))
            self.user_known_ = expect_array(state, "user_known", (self.n_users_,), "b")
            self.item_known_ = expect_array(state, "item_known", (self.n_items_,), "b")
        else:
            self.scores_ = csr_from_state("scores", state, (self.n_users_, self.n_items_))


def read_embeddings(
    directory: Path, side: str, n_rows: int, dataset_ids: pd.Index | None
) -> tuple[FloatArray, np.ndarray]:
    """Read one side's vectors from ``directory`` and align them to the dataset's indices.

    Args:
        directory: the embeddings directory.
        side: ``"user"`` or ``"item"``.
        n_rows: N, the number of users or items in the dataset.
        dataset_ids: the dataset's raw ids in index order (needed for Parquet), or None.

    Returns:
        (N, D) float32 vectors in index order (zero rows where missing) and the (N,) bool mask of
        rows the source covered.
    """
    stem = EMBEDDING_STEMS[side]
    npy, parquet = directory / f"{stem}.npy", directory / f"{stem}.parquet"
    if npy.is_file():
        vectors = _load_npy(npy)
        if vectors.shape[0] != n_rows:
            raise DataError(
                f"{npy} has {vectors.shape[0]} rows but the dataset has {n_rows} {side}s; an "
                f".npy file needs one row per {side} in {side}_idx order (or use {stem}.parquet "
                f"with a {side}_id column)"
            )
        return vectors, np.ones(vectors.shape[0], dtype=bool)
    if parquet.is_file():
        if dataset_ids is None:
            raise DataError(
                f"{parquet} is matched by {side}_id, but the dataset has no {side} table; "
                f"provide {stem}.npy in {side}_idx order instead"
            )
        return _load_parquet_vectors(parquet, side, dataset_ids)
    raise DataError(
        f"{directory} has no {stem}.npy or {stem}.parquet; export the {side} vectors under one of "
        "those names"
    )


def read_scores(path: Path, user_ids: pd.Index | None, item_ids: pd.Index | None) -> sp.csr_matrix:
    """Read (user_id, item_id, score) rows into a (U, I) CSR matrix of the given scores.

    Explicit zero scores are kept as stored entries: a stored entry means "scored", an absent one
    "not scored".
    """
    if user_ids is None or item_ids is None:
        raise DataError(
            f"{path} is matched by user_id and item_id, but the dataset lacks a user or item table"
        )
    frame = _read_table(path, ("user_id", "item_id", "score"))
    scores = pd.to_numeric(frame["score"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(scores)
    if bad.any():
        raise DataError(
            f"{path}: {int(bad.sum())} score(s) are missing, non-numeric or infinite (first at row "
            f"{int(np.flatnonzero(bad)[0])}); every row needs a finite score"
        )
    users = user_ids.get_indexer(_id_strings(frame["user_id"], path))
    items = item_ids.get_indexer(_id_strings(frame["item_id"], path))
    keep = (users >= 0) & (items >= 0)
    if not keep.any():
        raise DataError(
            f"{path}: no (user_id, item_id) pair matches the dataset's raw ids; check that the "
            "file uses the same ids as the dataset"
        )
    users, items, scores = users[keep], items[keep], scores[keep]
    order = np.lexsort((items, users))
    users, items, scores = users[order], items[order], scores[order]
    duplicate = (np.diff(users) == 0) & (np.diff(items) == 0)
    if duplicate.any():
        at = int(np.flatnonzero(duplicate)[0])
        raise DataError(
            f"{path} scores the pair ({user_ids[users[at]]}, {item_ids[items[at]]}) more than "
            "once; keep one row per pair"
        )
    indptr = np.concatenate(([0], np.cumsum(np.bincount(users, minlength=len(user_ids)))))
    return sp.csr_matrix(
        (scores.astype(np.float32), items.astype(np.int64), indptr.astype(np.int64)),
        shape=(len(user_ids), len(item_ids)),
    )


def _load_npy(path: Path) -> FloatArray:
    """A finite 2-D numeric array from an .npy file, as float32; never unpickles."""
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise DataError(
            f"{path} is not a plain numeric .npy array ({exc}); save it with numpy.save from a "
            "float array (object arrays are refused)"
        ) from None
    if array.ndim != 2 or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise DataError(
            f"{path} holds a {array.ndim}-D {array.dtype} array; it needs a 2-D float array "
            "(one row per entity, one column per dimension)"
        )
    return _finite_float32(array, path)


def _load_parquet_vectors(
    path: Path, side: str, dataset_ids: pd.Index
) -> tuple[FloatArray, np.ndarray]:
    """Vectors from a Parquet file keyed by ``{side}_id``, aligned to ``dataset_ids``."""
    id_column = f"{side}_id"
    frame = _read_table(path, (id_column,))
    value_columns = [c for c in frame.columns if c != id_column]
    if len(value_columns) == 1 and not pd.api.types.is_numeric_dtype(frame[value_columns[0]]):
        try:
            vectors = np.stack([np.asarray(v, dtype=np.float64) for v in frame[value_columns[0]]])
        except (TypeError, ValueError):
            raise DataError(
                f"{path}: column {value_columns[0]!r} must hold equal-length numeric lists"
            ) from None
    else:
        non_numeric = [c for c in value_columns if not pd.api.types.is_numeric_dtype(frame[c])]
        if non_numeric or not value_columns:
            raise DataError(
                f"{path}: besides {id_column} it needs numeric vector columns; "
                f"{non_numeric or 'none found'} is not numeric"
            )
        vectors = frame[value_columns].to_numpy(dtype=np.float64, na_value=np.nan)
    if vectors.ndim != 2:
        raise DataError(f"{path}: the vectors must form a 2-D table (one row per {side})")
    vectors = _finite_float32(vectors, path)
    ids = _id_strings(frame[id_column], path)
    if ids.duplicated().any():
        raise DataError(
            f"{path} lists {id_column} {ids[ids.duplicated()].iloc[0]!r} more than once; keep "
            "one row per id"
        )
    positions = dataset_ids.get_indexer(ids)
    matched = positions >= 0
    if not matched.any():
        raise DataError(
            f"{path}: none of its {id_column} values match the dataset's raw {side} ids; check "
            "that the file uses the dataset's ids"
        )
    aligned = np.zeros((len(dataset_ids), vectors.shape[1]), dtype=np.float32)
    aligned[positions[matched]] = vectors[matched]
    known = np.zeros(len(dataset_ids), dtype=bool)
    known[positions[matched]] = True
    return aligned, known


def _read_table(path: Path, required: Sequence[str]) -> pd.DataFrame:
    """A Parquet or CSV file as a frame (ids read as text) that must have ``required`` columns."""
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise DataError(f"{path} must be a .parquet or .csv file")
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype={"user_id": "string", "item_id": "string"})
    except (OSError, ValueError) as exc:
        raise DataError(f"{path} could not be read as {suffix[1:]} ({exc})") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path} lacks column(s) {missing}; it has {list(frame.columns)} and needs "
            f"{list(required)}"
        )
    return frame


def _id_strings(column: pd.Series, path: Path) -> pd.Series:
    """Raw ids as strings; missing ids are an error."""
    if column.isna().any():
        raise DataError(f"{path}: column {column.name!r} has missing ids; fill or drop those rows")
    return column.astype(str).reset_index(drop=True)


def _raw_ids(frame: pd.DataFrame | None, column: str, expected: int) -> pd.Index | None:
    """The dataset's raw ids in index order, or None when it has no such table."""
    if frame is None or column not in frame or len(frame) != expected:
        return None
    return pd.Index(frame[column].astype(str).to_numpy())


def _finite_float32(array: np.ndarray, path: Path) -> FloatArray:
    """``array`` as float32, refusing NaN or infinite entries."""
    values = np.asarray(array, dtype=np.float32)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise DataError(
            f"{path} has {int(bad.sum())} NaN or infinite value(s) (first in row {row}); "
            "replace them before importing"
        )
    return values
