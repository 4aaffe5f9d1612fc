"""Sampled-negative evaluation, kept only for comparison with older papers.

Each relevant test item is ranked against N sampled items the user never interacted with, instead
of against the whole catalogue. This inflates every number (Krichene & Rendle, "On Sampled Metrics
for Item Recommendation", KDD 2020), so results carry ``mode="sampled"`` and their label says so.
Negatives are a pure function of (pairs, known interactions, N, seed): fix the seed per split and
every model faces the same negatives. Shape legend: P test pairs, N negatives per pair, U users,
I items.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation.metrics import lookup_pairs
from recsys_core.evaluation.topk import TopKEvaluation
from recsys_core.types import BoolArray, FloatArray, IntArray


def _repeats_in_rows(items: IntArray) -> BoolArray:
    """(P, N) True at every occurrence of a value after its first one in the same row."""
    order = np.argsort(items, axis=1, kind="stable")
    ranked = np.take_along_axis(items, order, axis=1)
    repeat_sorted = np.zeros(items.shape, dtype=bool)
    repeat_sorted[:, 1:] = ranked[:, 1:] == ranked[:, :-1]
    repeats = np.zeros(items.shape, dtype=bool)
    np.put_along_axis(repeats, order, repeat_sorted, axis=1)
    return repeats


def sample_negatives(
    pair_users: IntArray, known: sp.csr_matrix, n_negatives: int, seed: int
) -> IntArray:
    """(P, N) distinct items per test pair that the pair's user never interacted with.

    Vectorised rejection sampling: draw uniformly from the catalogue, then redraw, all rows at
    once, every slot that hits a known item or repeats an item of its row, until none is left.

    Args:
        pair_users: (P,) the user of each test pair.
        known: (U, I) every interaction of each user (train, validation and test): any stored entry
            counts as known.
        n_negatives: N, negatives per pair.
        seed: fixes the draw, so the same inputs always give the same negatives.
    """
    if n_negatives < 1:
        raise ConfigError(f"n_negatives must be at least 1, got {n_negatives}")
    pair_users = np.asarray(pair_users, dtype=np.int64)
    known = sp.csr_matrix(known, copy=True)
    known.sum_duplicates()
    known.eliminate_zeros()
    known.sort_indices()
    n_users, n_items = known.shape
    if len(pair_users) and (pair_users.min() < 0 or pair_users.max() >= n_users):
        raise DataError(f"pair_users must lie in [0, {n_users}) to index the known matrix")
    free = n_items - np.diff(known.indptr)[pair_users]
    if (free < n_negatives).any():
        raise DataError(
            f"some users have fewer than {n_negatives} items they never interacted with "
            f"(as few as {int(free.min())}); ask for fewer negatives"
        )
    rng = np.random.default_rng(seed)
    negatives = rng.integers(0, n_items, size=(len(pair_users), n_negatives))
    rows = np.arange(len(pair_users))
    while len(rows):
        block = negatives[rows]
        found, _ = lookup_pairs(known, pair_users[rows, None], block)
        bad = found | _repeats_in_rows(block)
        rows = rows[bad.any(axis=1)]
        bad = bad[bad.any(axis=1)]
        redrawn = negatives[rows]
        redrawn[bad] = rng.integers(0, n_items, size=int(bad.sum()))
        negatives[rows] = redrawn
    return negatives


def evaluate_sampled(
    pos_scores: FloatArray,
    neg_scores: FloatArray,
    pair_users: IntArray,
    ks: Sequence[int] = (10,),
) -> TopKEvaluation:
    """Hit rate, nDCG and MRR at each k of each positive ranked among its sampled negatives.

    Rank = 1 + number of negatives scoring >= the positive, so ties count against the model (a
    constant scorer gets the worst rank, not a lucky one). With one relevant item per pair,
    nDCG@k = 1 / log2(rank + 1) and MRR@k = 1 / rank when rank <= k, else 0. Pair values are
    averaged per user, so users with many test items do not dominate.

    Args:
        pos_scores: (P,) score of each test pair's positive item.
        neg_scores: (P, N) scores of its negatives (``sample_negatives``).
        pair_users: (P,) user of each pair.
        ks: cut-offs.

    Returns:
        A ``TopKEvaluation`` with ``mode="sampled"`` over the users that have pairs; no catalogue
        metrics (a sampled protocol produces no top-k lists).
    """
    pos = np.asarray(pos_scores, dtype=np.float64)
    neg = np.asarray(neg_scores, dtype=np.float64)
    pair_users = np.asarray(pair_users, dtype=np.int64)
    if neg.ndim != 2 or pos.shape != (len(neg),) or pair_users.shape != pos.shape:
        raise DataError(
            f"need pos_scores (P,), neg_scores (P, N) and pair_users (P,); got {pos.shape}, "
            f"{neg.shape} and {pair_users.shape}"
        )
    if np.isnan(pos).any() or np.isnan(neg).any():
        raise DataError("sampled evaluation got NaN scores; check the model's score() output")
    if not ks or any(int(k) < 1 for k in ks):
        raise ConfigError(f"ks must be positive list lengths, got {list(ks)}")
    ranks = 1 + (neg >= pos[:, None]).sum(axis=1)
    users, inverse = np.unique(pair_users, return_inverse=True)
    pairs_per_user = np.bincount(inverse)
    per_user: dict[str, FloatArray] = {}
    for k in sorted({int(k) for k in ks}):
        inside = ranks <= k
        per_pair = {
            "hit_rate": inside.astype(np.float64),
            "ndcg": np.where(inside, 1.0 / np.log2(ranks + 1.0), 0.0),
            "mrr": np.where(inside, 1.0 / ranks, 0.0),
        }
        for name, values in per_pair.items():
            per_user[f"{name}@{k}"] = np.bincount(inverse, weights=values) / pairs_per_user
    return TopKEvaluation(
        users=users, per_user=per_user, catalogue={}, mode="sampled", n_negatives=neg.shape[1]
    )
