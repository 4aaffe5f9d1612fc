"""Last items' neighbours: the first next-item (sequence) baseline.

The "sequential rules" baseline of Ludewig & Jannach, "Evaluation of Session-based Recommendation
Algorithms", UMUAI 2018: item b is a neighbour of item a when b follows a within ``window`` steps
of a user's chronological history, weighted 1/gap (a preceding b counts ``backward_weight`` as
much), normalised by sqrt(freq(a) freq(b)) and pruned to the ``neighbours`` strongest per item. A
user's next item is scored from their last ``n_last`` training items, the most recent weighing
most (``decay`` per step back). GRU4Rec and SASRec have to beat it. Shape legend: U users, I items,
L the kept history length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import scipy.sparse as sp

from recsys_core.data.dataset import TrainSplit
from recsys_core.data.sequences import user_sequences
from recsys_core.errors import DataError
from recsys_core.models.base import Callback, ModelConfig, RetrievalModel, param, register
from recsys_core.models.retrieval.itemknn import csr_from_state, csr_to_state
from recsys_core.types import FloatArray, IntArray


@dataclass(frozen=True)
class LastItemKNNConfig(ModelConfig):
    """Options of the last-items' neighbours baseline."""

    window: int = param(5, "Items within this many steps of each other count as a rule.", min=1)
    backward_weight: float = param(
        0.5,
        "Weight of an item that came before (1: order does not matter, 0: only what came next).",
        min=0.0,
        max=1.0,
    )
    neighbours: int = param(200, "Strongest neighbours kept per item.", min=1, max=100_000)
    n_last: int = param(3, "Most recent training items a user is scored from.", min=1, max=200)
    decay: float = param(
        0.6, "Weight of each step back in the user's history (1: all equal).", min=0.0, max=1.0
    )


@register
class LastItemKNN(RetrievalModel):
    """Scores items by their rule strength from each user's last few items."""

    name = "last_item_knn"
    label = "Last items' neighbours (sequence)"
    requires = frozenset({"ids", "sequences"})
    config_class = LastItemKNNConfig
    config: LastItemKNNConfig

    def fit(
        self,
        train: TrainSplit,
        *,
        valid: TrainSplit | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> Self:
        if train.timestamp is None:
            raise DataError(
                "last_item_knn orders each user's history by time, but the split has no "
                "timestamps; use a dataset with timestamps"
            )
        self._start_fit(train)
        cfg = self.config
        rules = transition_rules(train, cfg.window, cfg.backward_weight)
        self.similarity_ = keep_top_per_row(rules, cfg.neighbours)
        self.last_items_ = user_sequences(train, cfg.n_last).items
        return self

    def _score_users(self, user_idx: IntArray) -> FloatArray:
        history = self.last_items_[user_idx]  # (B, L) item_idx + 1, left-padded with 0
        n_last = history.shape[1]
        steps_back = np.arange(n_last - 1, -1, -1)
        weights = np.broadcast_to(self.config.decay**steps_back, history.shape)
        rows, cols = np.nonzero(history)
        recent = sp.csr_matrix(
            (weights[rows, cols], (rows, history[rows, cols] - 1)),
            shape=(len(user_idx), self.n_items_),
        )
        return np.asarray((recent @ self.similarity_).todense(), dtype=np.float32)

    def _state(self) -> dict[str, np.ndarray]:
        return {**csr_to_state("similarity", self.similarity_), "last_items": self.last_items_}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.similarity_ = csr_from_state("similarity", state, (self.n_items_, self.n_items_))
        self.last_items_ = state["last_items"].astype(np.int64)
        if self.last_items_.shape != (self.n_users_, self.config.n_last):
            raise ValueError(
                f"last_items has shape {self.last_items_.shape}, expected "
                f"{(self.n_users_, self.config.n_last)}"
            )


def transition_rules(train: TrainSplit, window: int, backward_weight: float) -> sp.csr_matrix:
    """(I, I) rule strengths: Σ 1/gap over ordered pairs within ``window`` steps, normalised.

    Args:
        train: rows with timestamps (ties keep row order).
        window: largest gap counted.
        backward_weight: weight of the reverse direction (b before a) relative to a before b.

    Returns:
        A CSR matrix with w(a, b) / sqrt(freq(a) freq(b)); the diagonal (repeats) is zero.
    """
    order = np.lexsort((np.arange(len(train)), train.timestamp, train.user_idx))
    users, items = train.user_idx[order], train.item_idx[order]
    sources, targets, weights = [], [], []
    for gap in range(1, window + 1):
        same_user = users[gap:] == users[:-gap]
        before, after = items[:-gap][same_user], items[gap:][same_user]
        sources += [before, after]
        targets += [after, before]
        weights += [np.full(len(before), 1.0 / gap), np.full(len(before), backward_weight / gap)]
    n_items = train.n_items
    rules = sp.csr_matrix(
        (np.concatenate(weights), (np.concatenate(sources), np.concatenate(targets))),
        shape=(n_items, n_items),
    )
    rules.setdiag(0)
    rules.eliminate_zeros()
    inv_sqrt = 1.0 / np.sqrt(np.maximum(train.item_counts(), 1)).astype(np.float64)
    return sp.csr_matrix(sp.diags(inv_sqrt) @ rules @ sp.diags(inv_sqrt), dtype=np.float32)


def keep_top_per_row(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """The ``k`` largest entries of each row of a CSR matrix (ties to the lower column)."""
    matrix = sp.csr_matrix(matrix)
    matrix.sort_indices()
    row_of = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    order = np.lexsort((matrix.indices, -matrix.data, row_of))
    rank = np.arange(len(order)) - matrix.indptr[row_of[order]]
    kept = order[rank < k]
    pruned = sp.csr_matrix(
        (matrix.data[kept], (row_of[kept], matrix.indices[kept])), shape=matrix.shape
    )
    pruned.sort_indices()
    return pruned
