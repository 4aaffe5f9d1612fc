"""EASE: a closed-form linear item-item autoencoder.

Steck, "Embarrassingly Shallow Autoencoders for Sparse Data" (WWW 2019). With the binary user-item
matrix X, ``P = (XᵀX + λI)⁻¹`` and ``B = I − P · diag(1 / diag(P))`` (so ``diag(B) = 0``); a user's
scores are ``X_u B``. The only hyperparameter, the L2 weight λ, is chosen on a validation split
carved from the training rows when it is not fixed, then B is refit on all training rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import DataError
from recsys_core.evaluation.metrics import ideal_gains, ndcg_at_k, relevance_gains
from recsys_core.models.base import (
    SCORE_CHUNK_USERS,
    Callback,
    EpochReport,
    ModelConfig,
    RetrievalModel,
    notify,
    param,
    register,
)
from recsys_core.models.saved_state import expect_array
from recsys_core.types import FloatArray, IntArray

#: List length of the validation nDCG that picks λ.
VALID_K = 10
#: Largest catalogue EASE accepts: it holds a few dense (I, I) float64 matrices (3.2 GB each here).
MAX_ITEMS = 20_000


@dataclass(frozen=True)
class EASEConfig(ModelConfig):
    """Options of EASE."""

    l2: float = param(
        0.0,
        "L2 weight λ on B. 0 chooses it from the grid l2_min..l2_max by validation nDCG@10.",
        min=0.0,
    )
    l2_min: float = param(50.0, "Smallest λ of the automatic grid.", min=1e-6)
    l2_max: float = param(2000.0, "Largest λ of the automatic grid.", min=1e-6)
    l2_steps: int = param(9, "Number of log-spaced λ values tried by the automatic grid.", min=1)
    valid_fraction: float = param(
        0.15,
        "Share of each user's training rows held out to choose λ when fit() gets no valid split.",
        min=0.01,
        max=0.5,
    )


@register
class EASE(RetrievalModel):
    """Linear item-item model with a closed-form solution and a zero diagonal."""

    name = "ease"
    label = "EASE (shallow autoencoder)"
    requires = frozenset({"ids"})
    config_class = EASEConfig
    config: EASEConfig

    def fit(
        self,
        train: TrainSplit,
        *,
        valid: TrainSplit | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> Self:
        if train.n_items > MAX_ITEMS:
            raise DataError(
                f"EASE needs dense {train.n_items} x {train.n_items} matrices, too large for "
                f"memory (limit {MAX_ITEMS} items); filter rare items or use itemknn"
            )
        self._start_fit(train)
        user_items = self.seen_
        if self.config.l2 > 0:
            self.chosen_l2_ = float(self.config.l2)
            self.weights_ = solve_ease(gram_matrix(user_items), self.chosen_l2_)
            notify(callbacks, EpochReport(1, 1, math.nan, {"l2": self.chosen_l2_}))
            return self
        grid = np.geomspace(self.config.l2_min, self.config.l2_max, self.config.l2_steps)
        if valid is None:
            fit_part, held_out = carve_validation(
                user_items, self.config.valid_fraction, self.config.seed
            )
        else:
            fit_part, held_out = user_items, valid.csr("binary")
        self.chosen_l2_, best_weights = self._search_l2(fit_part, held_out, grid, callbacks)
        if valid is None:
            best_weights = solve_ease(gram_matrix(user_items), self.chosen_l2_)
        self.weights_ = best_weights
        return self

    def _search_l2(
        self,
        fit_part: sp.csr_matrix,
        held_out: sp.csr_matrix,
        grid: FloatArray,
        callbacks: Sequence[Callback],
    ) -> tuple[float, FloatArray]:
        """Fit B per λ of ``grid`` on ``fit_part``; return the λ and B best on ``held_out``."""
        gram = gram_matrix(fit_part)
        users = np.flatnonzero(np.diff(held_out.indptr))
        if len(users) == 0:
            raise DataError(
                "EASE could not carve validation rows to choose l2 (every user has a single "
                "training row); set l2 > 0 or pass a valid split"
            )
        best = (-math.inf, 0.0, np.zeros((0, 0), dtype=np.float32))
        for step, l2 in enumerate(grid, start=1):
            weights = solve_ease(gram, float(l2))
            value = validation_ndcg(fit_part, held_out, weights, users, VALID_K)
            if value > best[0]:
                best = (value, float(l2), weights)
            metrics = {"l2": float(l2), f"valid_ndcg@{VALID_K}": value}
            if notify(callbacks, EpochReport(step, len(grid), math.nan, metrics)):
                break
        return best[1], best[2]

    def _score_users(self, user_idx: IntArray) -> FloatArray:
        return np.asarray(self.seen_[user_idx] @ self.weights_, dtype=np.float32)

    def _state(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights_, "chosen_l2": np.array([self.chosen_l2_])}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.weights_ = expect_array(state, "weights", (self.n_items_, self.n_items_))
        self.chosen_l2_ = float(expect_array(state, "chosen_l2", (1,))[0])


def gram_matrix(user_items: sp.csr_matrix) -> FloatArray:
    """(I, I) dense float64 ``XᵀX`` of a (U, I) sparse matrix."""
    item_users = sp.csr_matrix(user_items.T, dtype=np.float64)
    return (item_users @ item_users.T).toarray()


def solve_ease(gram: FloatArray, l2: float) -> FloatArray:
    """(I, I) float32 EASE weights ``B = I − P diag(1/diag P)`` with ``P = (G + λI)⁻¹``.

    ``G + λI`` is symmetric positive definite, so P comes from a Cholesky factorisation
    (LAPACK potrf/potri), about three times faster than a general inverse.
    """
    regularised = gram.copy()
    regularised[np.diag_indices_from(regularised)] += l2
    factor, info = lapack.dpotrf(regularised, lower=0, clean=1, overwrite_a=1)
    if info == 0:
        upper, info = lapack.dpotri(factor, lower=0, overwrite_c=1)
    if info != 0:
        raise DataError(
            f"EASE could not invert XᵀX + {l2:g}·I (LAPACK info {info}); raise l2 or l2_min"
        )
    inverse = np.triu(upper) + np.triu(upper, 1).T
    weights = inverse / -np.diag(inverse)
    weights[np.diag_indices_from(weights)] = 0.0
    return weights.astype(np.float32)


def carve_validation(
    user_items: sp.csr_matrix, fraction: float, seed: int
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Split each user's items at random into a fitting part and a held-out part.

    Each user with n items holds out round(fraction · n) of them, at most n − 1, so everyone
    keeps at least one item to be scored from.

    Args:
        user_items: (U, I) binary CSR matrix.
        fraction: share of each user's items held out.
        seed: seed of the random draw.

    Returns:
        (U, I) fitting part and (U, I) held-out part, both binary CSR.
    """
    coo = user_items.tocoo()
    draw = np.random.default_rng(seed).random(coo.nnz)
    order = np.lexsort((draw, coo.row))
    rows = coo.row[order]
    counts = np.bincount(rows, minlength=user_items.shape[0])
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(len(rows)) - starts[rows]
    n_held = np.minimum(np.round(fraction * counts), np.maximum(counts - 1, 0))
    held = rank < n_held[rows]
    parts = []
    for mask in (~held, held):
        parts.append(
            sp.csr_matrix(
                (np.ones(mask.sum(), dtype=np.float32), (rows[mask], coo.col[order][mask])),
                shape=user_items.shape,
            )
        )
    return parts[0], parts[1]


def validation_ndcg(
    fit_part: sp.csr_matrix,
    held_out: sp.csr_matrix,
    weights: FloatArray,
    users: IntArray,
    k: int,
) -> float:
    """Mean binary nDCG@k of ``held_out`` items ranked by ``X_u B``, ``fit_part`` items excluded.

    Args:
        fit_part: (U, I) binary matrix the weights were fitted on (the users' inputs).
        held_out: (U, I) binary matrix of the validation items.
        weights: (I, I) EASE weights.
        users: (B,) users with at least one held-out item.
        k: cut-off (at most I).
    """
    k = min(k, weights.shape[0])
    recs = np.empty((len(users), k), dtype=np.int64)
    for start in range(0, len(users), SCORE_CHUNK_USERS):
        chunk = users[start : start + SCORE_CHUNK_USERS]
        seen = fit_part[chunk]
        scores = np.asarray(seen @ weights, dtype=np.float64)
        scores[seen.toarray() > 0] = -np.inf
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        recs[start : start + len(chunk)] = np.take_along_axis(top, order, axis=1)
    gains = relevance_gains(recs, users, held_out)
    return float(ndcg_at_k(gains, ideal_gains(users, held_out, k), k).mean())
