"""Top-k evaluation of recommendation lists: the one entry point the app and the CLI use.

``evaluate_topk`` turns (B, K) lists and a truth matrix into per-user metric arrays (kept, so means
get confidence intervals and runs can be compared user by user) and catalogue-level metrics.
Shape legend: B evaluated users, K list length, U users, I items, D dim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation.beyond import (
    check_beyond_inputs,
    genre_kl_at_k,
    mean_item_age_at_k,
    tail_share_at_k,
)
from recsys_core.evaluation.metrics import (
    ListMetric,
    average_recommendation_popularity,
    catalogue_coverage,
    count_relevant,
    f1_at_k,
    gini_of_exposure,
    hit_rate_at_k,
    ideal_gains,
    intra_list_diversity,
    map_at_k,
    mrr_at_k,
    msr_map_at_k,
    ndcg_at_k,
    novelty_at_k,
    positive_truth,
    precision_at_k,
    recall_at_k,
    relevance_gains,
)
from recsys_core.types import BoolArray, FloatArray, IntArray

#: Per-user list metrics computed for every k, in display order (ndcg variants are added apart).
LIST_METRICS: dict[str, ListMetric] = {
    "precision": precision_at_k,
    "recall": recall_at_k,
    "f1": f1_at_k,
    "map": map_at_k,
    "msr_map": msr_map_at_k,
    "mrr": mrr_at_k,
    "hit_rate": hit_rate_at_k,
}


@dataclass(frozen=True)
class TopKEvaluation:
    """Per-user and catalogue metrics of one set of recommendation lists.

    Attributes:
        users: (B,) evaluated user indices.
        per_user: metric name ("ndcg@10") -> (B,) values aligned with ``users``; NaN where a metric
            is undefined for a user (e.g. diversity of a one-item list).
        catalogue: metric name ("coverage@10", "gini@10") -> one value for the whole run.
        mode: "full" (ranked against the whole catalogue) or "sampled" (against sampled negatives,
            which inflates numbers: always show ``label()`` beside them).
        n_negatives: negatives per test item in sampled mode.
    """

    users: IntArray
    per_user: dict[str, FloatArray]
    catalogue: dict[str, float]
    mode: Literal["full", "sampled"] = "full"
    n_negatives: int | None = None

    def __post_init__(self) -> None:
        if self.mode not in ("full", "sampled"):
            raise ConfigError(f"mode must be 'full' or 'sampled', got {self.mode!r}")
        if self.mode == "sampled" and not self.n_negatives:
            raise ConfigError("a sampled evaluation must say how many negatives it used")
        for name, values in self.per_user.items():
            if np.shape(values) != np.shape(self.users):
                raise DataError(
                    f"per-user metric {name!r} has shape {np.shape(values)}, "
                    f"but there are {len(self.users)} users; align it with `users`"
                )

    def means(self) -> dict[str, float]:
        """Mean of every per-user metric (NaN entries skipped) followed by the catalogue metrics."""
        out = {name: _nanmean(values) for name, values in self.per_user.items()}
        out.update(self.catalogue)
        return out

    def label(self) -> str:
        """How the numbers were obtained, to show with every table or chart of them."""
        if self.mode == "sampled":
            return f"sampled: {self.n_negatives} negatives per test item"
        return "full ranking"

    def to_frame(self) -> pd.DataFrame:
        """One row per evaluated user: ``user_idx`` then one column per per-user metric."""
        return pd.DataFrame({"user_idx": np.asarray(self.users, dtype=np.int64), **self.per_user})


def _nanmean(values: FloatArray) -> float:
    """Mean of the finite entries; NaN when there are none (without a RuntimeWarning)."""
    values = np.asarray(values, dtype=np.float64)
    finite = ~np.isnan(values)
    return float(values[finite].mean()) if finite.any() else float("nan")


def _check_inputs(
    recs: IntArray, users: IntArray, truth: sp.csr_matrix, ks: Sequence[int]
) -> tuple[IntArray, IntArray, tuple[int, ...]]:
    """Validate shapes and index ranges; returns int64 copies and the sorted distinct ks."""
    recs = np.asarray(recs)
    users = np.asarray(users)
    if recs.ndim != 2 or users.ndim != 1 or len(recs) != len(users):
        raise DataError(f"recs must be (B, K) and users (B,); got {recs.shape} and {users.shape}")
    if not (np.issubdtype(recs.dtype, np.integer) and np.issubdtype(users.dtype, np.integer)):
        raise DataError("recs and users must hold integer indices (map raw ids with the dataset)")
    n_users, n_items = truth.shape
    if len(users) and (users.min() < 0 or users.max() >= n_users):
        raise DataError(f"users must lie in [0, {n_users}) to index the truth matrix")
    if recs.size and (recs.min() < -1 or recs.max() >= n_items):
        raise DataError(f"recs must lie in [0, {n_items}) with -1 as padding")
    if not ks or any(int(k) < 1 for k in ks):
        raise ConfigError(f"ks must be positive list lengths, got {list(ks)}")
    return recs.astype(np.int64), users.astype(np.int64), tuple(sorted({int(k) for k in ks}))


def _check_item_inputs(
    n_items: int,
    item_popularity: FloatArray | None,
    n_train_users: int | None,
    item_vectors: FloatArray | None,
) -> None:
    """Check that the optional item-side inputs cover the catalogue."""
    if item_popularity is not None:
        if np.shape(item_popularity) != (n_items,):
            raise DataError(
                f"item_popularity must have one count per item ({n_items},), "
                f"got {np.shape(item_popularity)}"
            )
        if n_train_users is None:
            raise ConfigError(
                "novelty needs n_train_users (the number of users in the training split) "
                "whenever item_popularity is given"
            )
    if item_vectors is not None and (
        np.ndim(item_vectors) != 2 or np.shape(item_vectors)[0] != n_items
    ):
        raise DataError(
            f"item_vectors must be (I, D) with I = {n_items}, got {np.shape(item_vectors)}"
        )


def evaluate_topk(
    recs: IntArray,
    users: IntArray,
    truth: sp.csr_matrix,
    ks: Sequence[int] = (10,),
    *,
    item_popularity: FloatArray | None = None,
    n_train_users: int | None = None,
    item_vectors: FloatArray | None = None,
    long_tail: BoolArray | None = None,
    user_genres: FloatArray | None = None,
    item_genres: FloatArray | None = None,
    item_age: FloatArray | None = None,
) -> TopKEvaluation:
    """Per-user accuracy and beyond-accuracy metrics of top-k lists under full ranking.

    For each k: precision, recall, f1, map (AP normalised by min(|rel|, k)), msr_map (normalised by
    |rel|), ndcg (binary gain), graded_ndcg (truth values as linear gains; only when the truth is
    not binary), mrr and hit_rate per user; novelty and arp when ``item_popularity`` is given,
    diversity when ``item_vectors`` is given; tail_share, genre_kl and mean_item_age when their
    inputs are (``evaluation.beyond``); coverage and gini of exposure for the catalogue.
    Lists shorter than k count as padded with misses.

    Args:
        recs: (B, K) item indices best first, -1 padding; seen items should already be excluded.
        users: (B,) the evaluated users, each with at least one relevant truth item.
        truth: (U, I) csr of gains (> 0 relevant; binary truth stores 1.0).
        ks: cut-offs.
        item_popularity: (I,) training interactions per item (training window only).
        n_train_users: number of training users, needed with ``item_popularity`` for novelty.
        item_vectors: (I, D) item vectors for intra-list diversity.
        long_tail: (I,) long-tail items of the training window, for tail_share.
        user_genres: (U, G) training genre distributions, with ``item_genres`` for genre_kl.
        item_genres: (I, G) multi-hot genres.
        item_age: (I,) item ages in years (NaN unknown), for mean_item_age.

    Returns:
        A full-ranking ``TopKEvaluation``.
    """
    recs, users, ks = _check_inputs(recs, users, truth, ks)
    _check_item_inputs(truth.shape[1], item_popularity, n_train_users, item_vectors)
    check_beyond_inputs(*truth.shape, long_tail, user_genres, item_genres, item_age)
    truth = positive_truth(truth)
    n_relevant = count_relevant(users, truth)
    if (n_relevant == 0).any():
        raise DataError(
            f"{int((n_relevant == 0).sum())} evaluated users have no relevant truth item; "
            "pass only users with one (e.g. np.flatnonzero(np.diff(truth.indptr)))"
        )
    gains = relevance_gains(recs, users, truth)
    binary = (gains > 0).astype(np.float64)
    ideal = ideal_gains(users, truth, max(ks))
    graded = bool((truth.data != 1.0).any())
    n_items = truth.shape[1]

    per_user: dict[str, FloatArray] = {}
    catalogue: dict[str, float] = {}
    for k in ks:
        for name, metric in LIST_METRICS.items():
            per_user[f"{name}@{k}"] = metric(gains, n_relevant, k)
        per_user[f"ndcg@{k}"] = ndcg_at_k(binary, (ideal > 0).astype(np.float64), k)
        if graded:
            per_user[f"graded_ndcg@{k}"] = ndcg_at_k(gains, ideal, k)
        if item_popularity is not None:
            per_user[f"novelty@{k}"] = novelty_at_k(recs, item_popularity, int(n_train_users), k)
            per_user[f"arp@{k}"] = average_recommendation_popularity(recs, item_popularity, k)
        if item_vectors is not None:
            per_user[f"diversity@{k}"] = intra_list_diversity(recs, item_vectors, k)
        if long_tail is not None:
            per_user[f"tail_share@{k}"] = tail_share_at_k(recs, long_tail, k)
        if user_genres is not None and item_genres is not None:
            user_p = np.asarray(user_genres)[users]
            per_user[f"genre_kl@{k}"] = genre_kl_at_k(recs, user_p, item_genres, k)
        if item_age is not None:
            per_user[f"mean_item_age@{k}"] = mean_item_age_at_k(recs, item_age, k)
        catalogue[f"coverage@{k}"] = catalogue_coverage(recs, n_items, k)
        catalogue[f"gini@{k}"] = gini_of_exposure(recs, n_items, k)
    return TopKEvaluation(users=users, per_user=per_user, catalogue=catalogue)
