"""Item-based k-nearest-neighbour recommender.

Sarwar, Karypis, Konstan & Riedl, "Item-based collaborative filtering recommendation algorithms"
(WWW 2001); Deshpande & Karypis, "Item-based top-N recommendation algorithms" (TOIS 2004).
Item-item cosine similarity on the user-item matrix, shrunk towards zero for items with little
co-occurrence and pruned to each item's ``neighbours`` most similar items. A user's score for an
item sums the similarities between it and the user's items, counting only pairs in which one item
is among the other's neighbours: the candidate's neighbours (Sarwar, ``neighbourhood="target"``)
or the neighbours of each item the user has (Deshpande & Karypis, ``"basket"``), optionally
normalised to sum to one per item. Scores are ``X_u · S``; the similarity is built in blocks of
items, so memory stays O(block · I + I · n).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import scipy.sparse as sp

from recsys_core.data.dataset import TrainSplit
from recsys_core.models.base import Callback, ModelConfig, RetrievalModel, param, register
from recsys_core.models.saved_state import csr_from_state
from recsys_core.types import FloatArray, IntArray

#: Upper bound on the entries of one dense (block, I) similarity block.
BLOCK_ENTRIES = 1 << 22


@dataclass(frozen=True)
class ItemKNNConfig(ModelConfig):
    """Options of the item-item neighbourhood model."""

    neighbours: int = param(
        300, "Most similar items kept per item (the neighbourhood size n).", min=1
    )
    neighbourhood: str = param(
        "target",
        "Whose neighbours count: the candidate item's (target, Sarwar et al.) or those of each "
        "item the user has (basket, Deshpande & Karypis).",
        choices=("target", "basket"),
    )
    shrink: float = param(
        10.0,
        "Shrinkage s in dot / (|a| |b| + s): damps similarities backed by few co-occurrences.",
        min=0.0,
    )
    values: str = param(
        "binary",
        "Matrix the similarity is computed on: 1 per interaction, or the rating.",
        choices=("binary", "rating"),
    )
    normalize: bool = param(
        False,
        "Scale each item's kept similarities to sum to 1 (Deshpande & Karypis; meant for the "
        "basket neighbourhood), so items with many strong neighbours do not dominate.",
    )


@register
class ItemKNN(RetrievalModel):
    """Scores items by their summed cosine similarity to the user's training items."""

    name = "itemknn"
    label = "Item k-NN (cosine)"
    requires = frozenset({"ids"})
    config_class = ItemKNNConfig
    config: ItemKNNConfig

    def fit(
        self,
        train: TrainSplit,
        *,
        valid: TrainSplit | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> Self:
        self._start_fit(train)
        self.user_items_ = train.csr(self.config.values)
        self.similarity_ = build_item_similarity(
            self.user_items_,
            neighbours=self.config.neighbours,
            by_target=self.config.neighbourhood == "target",
            shrink=self.config.shrink,
            normalize=self.config.normalize,
        )
        return self

    def _score_users(self, user_idx: IntArray) -> FloatArray:
        scores = self.user_items_[user_idx] @ self.similarity_
        return np.asarray(scores.toarray(), dtype=np.float32)

    def _state(self) -> dict[str, np.ndarray]:
        return {
            **csr_to_state("similarity", self.similarity_),
            **csr_to_state("user_items", self.user_items_),
        }

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.similarity_ = csr_from_state("similarity", state, (self.n_items_, self.n_items_))
        self.user_items_ = csr_from_state("user_items", state, (self.n_users_, self.n_items_))


def build_item_similarity(
    user_items: sp.csr_matrix,
    *,
    neighbours: int,
    by_target: bool,
    shrink: float,
    normalize: bool,
) -> sp.csr_matrix:
    """Sparse (I, I) shrunk cosine similarity pruned to each item's ``neighbours`` largest entries.

    The scores of a user are ``X_u · S``. With ``by_target`` column j holds the neighbours of
    item j (a candidate is scored from its own neighbourhood); otherwise row i holds the
    neighbours of item i (each item the user has votes for its neighbours). The diagonal is 0
    and only positive similarities are kept.

    Args:
        user_items: (U, I) interaction matrix (binary or ratings).
        neighbours: entries kept per item.
        by_target: keep neighbours per column (target item) instead of per row (basket item).
        shrink: shrinkage added to the norm product in the denominator.
        normalize: scale each item's kept similarities to sum to 1.

    Returns:
        (I, I) float32 CSR matrix.
    """
    item_users = sp.csr_matrix(user_items.T, dtype=np.float64)
    n_items = item_users.shape[0]
    norms = np.sqrt(np.asarray(item_users.multiply(item_users).sum(axis=1)).ravel())
    keep = min(neighbours, max(n_items - 1, 1))
    block = max(1, BLOCK_ENTRIES // max(n_items, 1))
    rows, cols, vals = [], [], []
    for start in range(0, n_items, block):
        stop = min(start + block, n_items)
        dots = (item_users[start:stop] @ item_users.T).toarray()
        sims = dots / (np.outer(norms[start:stop], norms) + shrink + 1e-12)
        sims[np.arange(stop - start), np.arange(start, stop)] = 0.0
        top = np.argpartition(-sims, keep - 1, axis=1)[:, :keep]
        top_vals = np.take_along_axis(sims, top, axis=1)
        positive = top_vals > 0
        rows.append(np.repeat(np.arange(start, stop), keep)[positive.ravel()])
        cols.append(top[positive])
        vals.append(top_vals[positive])
    similarity = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_items, n_items),
    )
    if normalize:
        sums = np.asarray(similarity.sum(axis=1)).ravel()
        scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
        similarity = sp.diags(scale) @ similarity
    if by_target:
        similarity = similarity.T
    similarity = sp.csr_matrix(similarity, dtype=np.float32)
    similarity.sort_indices()
    return similarity


def csr_to_state(prefix: str, matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    """The three arrays of a CSR matrix under ``prefix.indptr/indices/data`` (read back, checked,
    by ``saved_state.csr_from_state``, which this module re-exports)."""
    return {
        f"{prefix}.indptr": matrix.indptr.astype(np.int64),
        f"{prefix}.indices": matrix.indices.astype(np.int64),
        f"{prefix}.data": matrix.data.astype(np.float32),
    }
