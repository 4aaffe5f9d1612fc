"""Metric maths: pure functions vectorised over users, no loop per user.

Top-k metrics take ``gains`` (B, K): the gain of each recommended item, best first, 0 where the
item is not relevant or the slot is padding (``relevance_gains`` builds it from lists and truth).
Every list metric shares one signature ``(gains, n_relevant, k)`` so a table of them can be applied
uniformly; lists shorter than ``k`` count as padded with misses, and ``k`` stays the precision
denominator (as Microsoft Recommenders and Spark do). Beyond-accuracy metrics (coverage, novelty,
diversity, popularity bias) take the lists themselves; pointwise metrics (AUC, log loss) take
labelled rows. Shape legend: B batch of users, K list length, U users, I items, D dim.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation.auc import weighted_auc
from recsys_core.types import BoolArray, FloatArray, IntArray

#: The shared signature of list metrics: (gains (B, K), n_relevant (B,), k) -> (B,).
ListMetric = Callable[[FloatArray, IntArray, int], FloatArray]

#: Item vectors gathered per block of users in ``intra_list_diversity`` (bounds B x K x D memory).
DIVERSITY_BLOCK_USERS = 8192


def positive_truth(truth: sp.csr_matrix) -> sp.csr_matrix:
    """A canonical copy of ``truth`` that stores only its relevant (> 0) entries, indices sorted."""
    matrix = sp.csr_matrix(truth, dtype=np.float64, copy=True)
    matrix.sum_duplicates()
    matrix.data[matrix.data < 0] = 0.0
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return matrix


def lookup_pairs(
    matrix: sp.csr_matrix, users: IntArray, items: IntArray
) -> tuple[BoolArray, FloatArray]:
    """Find (user, item) pairs among the stored entries of a canonical csr matrix.

    Searches the sorted keys ``u * I + i`` of the stored entries, so any shape of query is
    answered in one vectorised pass.

    Args:
        matrix: (U, I) csr with sorted indices and no duplicates (see ``positive_truth``).
        users: user indices, any shape broadcastable with ``items``.
        items: item indices; negative values (padding) never match.

    Returns:
        ``(found, values)`` of the broadcast shape: whether each pair is stored, and its value
        (0 where it is not).
    """
    n_items = matrix.shape[1]
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    keys = rows * n_items + matrix.indices.astype(np.int64)
    users_b, items_b = np.broadcast_arrays(np.asarray(users, np.int64), np.asarray(items, np.int64))
    query = users_b * n_items + items_b
    if len(keys) == 0:
        return np.zeros(query.shape, dtype=bool), np.zeros(query.shape)
    pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    found = (items_b >= 0) & (keys[pos] == query)
    return found, np.where(found, matrix.data[pos], 0.0)


def relevance_gains(recs: IntArray, users: IntArray, truth: sp.csr_matrix) -> FloatArray:
    """(B, K) gain of each recommended item: its truth value if relevant (> 0), else 0.

    Args:
        recs: (B, K) item indices best first; -1 pads lists shorter than K. A list must not repeat
            an item (a repeat would count as a second hit).
        users: (B,) user index of each list.
        truth: (U, I) csr whose stored values are gains; binary truth stores 1.0.
    """
    recs = np.asarray(recs, dtype=np.int64)
    _, values = lookup_pairs(positive_truth(truth), np.asarray(users)[:, None], recs)
    return values.astype(np.float64)


def count_relevant(users: IntArray, truth: sp.csr_matrix) -> IntArray:
    """(B,) number of relevant (> 0) truth items of each user."""
    return np.diff(positive_truth(truth).indptr)[np.asarray(users, dtype=np.int64)].astype(np.int64)


def ideal_gains(users: IntArray, truth: sp.csr_matrix, k: int) -> FloatArray:
    """(B, k) each user's relevant truth gains sorted descending, zero-padded: the ideal list."""
    sub = positive_truth(truth)[np.asarray(users, dtype=np.int64)]
    counts = np.diff(sub.indptr)
    rows = np.repeat(np.arange(sub.shape[0]), counts)
    order = np.lexsort((-sub.data, rows))
    position = np.arange(len(order)) - np.repeat(sub.indptr[:-1], counts)
    keep = position < k
    out = np.zeros((sub.shape[0], k), dtype=np.float64)
    out[rows[keep], position[keep]] = sub.data[order][keep]
    return out


def _first_k(gains: FloatArray, k: int) -> FloatArray:
    """(B, k) the first k columns of ``gains``, zero-padded when the lists are shorter than k."""
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    gains = np.asarray(gains, dtype=np.float64)
    if gains.shape[1] >= k:
        return gains[:, :k]
    return np.pad(gains, ((0, 0), (0, k - gains.shape[1])))


def _safe_divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Elementwise division that gives 0 where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.broadcast_to(np.asarray(denominator, dtype=np.float64), numerator.shape)
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _hits(gains: FloatArray, k: int) -> FloatArray:
    """(B, k) 1.0 where the item at that rank is relevant."""
    return (_first_k(gains, k) > 0).astype(np.float64)


def precision_at_k(gains: FloatArray, n_relevant: IntArray, k: int) -> FloatArray:
    """(B,) hits in the top k divided by k, even when a list is shorter than k.

    ``n_relevant`` is not needed here; it is accepted so all list metrics share one signature.
    """
    return _hits(gains, k).sum(axis=1) / k


def recall_at_k(gains: FloatArray, n_relevant: IntArray, k: int) -> FloatArray:
    """(B,) hits in the top k divided by the user's number of relevant items (0 if none)."""
    return _safe_divide(_hits(gains, k).sum(axis=1), n_relevant)


def f1_at_k(gains: FloatArray, n_relevant: IntArray, k: int) -> FloatArray:
    """(B,) harmonic mean of precision@k and recall@k per user (0 when both are 0)."""
    precision = precision_at_k(gains, n_relevant, k)
    recall = recall_at_k(gains, n_relevant, k)
    return _safe_divide(2.0 * precision * recall, precision + recall)


def _precision_sum(gains: FloatArray, k: int) -> FloatArray:
    """(B,) sum over relevant ranks r <= k of precision@r (the numerator of average precision)."""
    hits = _hits(gains, k)
    precision_at_rank = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    return (precision_at_rank * hits).sum(axis=1)


def map_at_k(gains: FloatArray, n_relevant: IntArray, k: int) -> FloatArray:
    """(B,) average precision at k normalised by min(|relevant|, k): 1.0 for a perfect list.

    This is the conventional AP@k (and Microsoft Recommenders' ``map_at_k`` from 1.2 on).
    """
    return _safe_divide(_precision_sum(gains, k), np.minimum(np.asarray(n_relevant), k))


def msr_map_at_k(gains: FloatArray, n_relevant: IntArray, k: int) -> FloatArray:
    """(B,) average precision at k normalised by |relevant|, as Microsoft Recommenders' ``map``.

    A user with more than k relevant items can never reach 1.0 here; kept for comparison with
    numbers reported by that library.
    """
    return _safe_divide(_precision_sum(gains, k), n_relevant)


def _discounts(k: int) -> FloatArray:
    """(k,) 1 / log2(rank + 1) for ranks 1..k."""
    return 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))


def ndcg_at_k(gains: FloatArray, ideal_gains: FloatArray, k: int) -> FloatArray:
    """(B,) DCG@k / ideal DCG@k with linear gains and a log2(rank + 1) discount.

    Binary nDCG passes 0/1 gains and the ideal 0/1 gains; graded nDCG passes the truth values
    (as scikit-learn's ``ndcg_score`` does). 0 for a user with no relevant item.

    Args:
        gains: (B, K) gain of each recommended item.
        ideal_gains: (B, L) each user's truth gains sorted descending, zero-padded (the
            function ``ideal_gains`` builds them); L may differ from k.
        k: cut-off.
    """
    discounts = _discounts(k)
    dcg = _first_k(gains, k) @ discounts
    idcg = _first_k(ideal_gains, k) @ discounts
    return _safe_divide(dcg, idcg)


def mrr_at_k(gains: FloatArray, n_relevant: IntArray, k: int) -> FloatArray:
    """(B,) 1 / rank of the first relevant item in the top k, 0 if there is none."""
    hits = _hits(gains, k) > 0
    first = np.argmax(hits, axis=1)
    return np.where(hits.any(axis=1), 1.0 / (first + 1.0), 0.0)


def hit_rate_at_k(gains: FloatArray, n_relevant: IntArray, k: int) -> FloatArray:
    """(B,) 1.0 when at least one relevant item is in the top k."""
    return _hits(gains, k).max(axis=1)


# --- pointwise metrics ----------------------------------------------------------------------------
def _paired(y: FloatArray, y_hat: FloatArray, what: str) -> tuple[FloatArray, FloatArray]:
    y = np.asarray(y, dtype=np.float64).ravel()
    y_hat = np.asarray(y_hat, dtype=np.float64).ravel()
    if y.shape != y_hat.shape or len(y) == 0:
        raise DataError(
            f"{what} needs two non-empty arrays of equal length, got {y.shape} and {y_hat.shape}"
        )
    if not (np.isfinite(y).all() and np.isfinite(y_hat).all()):
        raise DataError(f"{what} got NaN or infinite values; drop or impute them first")
    return y, y_hat


def roc_auc(labels: FloatArray, scores: FloatArray) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties counting half.

    ``weighted_auc`` with every row weighted 1: exact and O(n log n).
    """
    y, s = _paired(labels, scores, "roc_auc")
    positive = y > 0
    if positive.all() or not positive.any():
        raise DataError("roc_auc needs both positive and negative labels; evaluate on mixed data")
    return float(weighted_auc(np.ones((1, len(y))), positive, s)[0])


def binary_cross_entropy(labels: FloatArray, probs: FloatArray) -> FloatArray:
    """(N,) log loss of each row; probabilities are clipped to [eps, 1 - eps] (float64 eps)."""
    y, p = _paired(labels, probs, "log_loss")
    if ((p < 0) | (p > 1)).any():
        raise DataError("log_loss needs probabilities in [0, 1]; apply a sigmoid to raw scores")
    eps = np.finfo(np.float64).eps
    p = np.clip(p, eps, 1.0 - eps)
    return -(y * np.log(p) + (1.0 - y) * np.log1p(-p))


def log_loss(labels: FloatArray, probs: FloatArray) -> float:
    """Mean binary cross-entropy over the rows (``binary_cross_entropy`` averaged)."""
    return float(np.mean(binary_cross_entropy(labels, probs)))


def rmse(y: FloatArray, y_hat: FloatArray) -> float:
    """Root mean squared error."""
    y, y_hat = _paired(y, y_hat, "rmse")
    return float(np.sqrt(np.mean((y - y_hat) ** 2)))


def mae(y: FloatArray, y_hat: FloatArray) -> float:
    """Mean absolute error."""
    y, y_hat = _paired(y, y_hat, "mae")
    return float(np.mean(np.abs(y - y_hat)))


# --- beyond accuracy ------------------------------------------------------------------------------
def _valid_top(recs: IntArray, k: int) -> tuple[IntArray, BoolArray]:
    """(B, k') the first k columns of ``recs`` and the mask of real (non-padding) items."""
    top = np.asarray(recs, dtype=np.int64)[:, :k]
    return top, top >= 0


def exposure_counts(recs: IntArray, n_items: int, k: int) -> IntArray:
    """(I,) how many top-k lists each item appears in (padding ignored)."""
    top, valid = _valid_top(recs, k)
    return np.bincount(top[valid], minlength=n_items).astype(np.int64)


def catalogue_coverage(recs: IntArray, n_items: int, k: int) -> float:
    """Share of the catalogue that appears in at least one top-k list."""
    return float((exposure_counts(recs, n_items, k) > 0).sum() / n_items)


def gini_of_exposure(recs: IntArray, n_items: int, k: int) -> float:
    """Gini coefficient of top-k exposure counts over all I items (0 equal, ~1 one item gets all).

    NaN when the lists hold no item at all.
    """
    counts = np.sort(exposure_counts(recs, n_items, k)).astype(np.float64)
    total = counts.sum()
    if total == 0:
        return float("nan")
    index = np.arange(1, n_items + 1, dtype=np.float64)
    return float(((2.0 * index - n_items - 1.0) * counts).sum() / (n_items * total))


def _mean_over_valid(values: FloatArray, valid: BoolArray) -> FloatArray:
    """(B,) mean of each row's valid entries; NaN for a row with none."""
    n_valid = valid.sum(axis=1)
    totals = np.where(valid, values, 0.0).sum(axis=1)
    out = np.full(len(n_valid), np.nan)
    np.divide(totals, n_valid, out=out, where=n_valid > 0)
    return out


def novelty_at_k(recs: IntArray, item_popularity: FloatArray, n_users: int, k: int) -> FloatArray:
    """(B,) mean self-information -log2(pop_i / n_users) of the recommended items.

    Popularity comes from training; an item never seen in training counts as seen once so the
    value stays finite. NaN for an empty list.

    Args:
        recs: (B, K) item indices, -1 padding.
        item_popularity: (I,) training interactions (or users) per item.
        n_users: number of training users.
        k: cut-off.
    """
    if n_users < 1:
        raise DataError(f"novelty needs n_users >= 1 (the number of training users), got {n_users}")
    top, valid = _valid_top(recs, k)
    popularity = np.maximum(np.asarray(item_popularity, dtype=np.float64), 1.0)
    information = -np.log2(popularity[np.where(valid, top, 0)] / n_users)
    return _mean_over_valid(information, valid)


def average_recommendation_popularity(
    recs: IntArray, item_popularity: FloatArray, k: int
) -> FloatArray:
    """(B,) mean training popularity of the recommended items (ARP); NaN for an empty list."""
    top, valid = _valid_top(recs, k)
    popularity = np.asarray(item_popularity, dtype=np.float64)
    return _mean_over_valid(popularity[np.where(valid, top, 0)], valid)


def intra_list_diversity(recs: IntArray, item_vectors: FloatArray, k: int) -> FloatArray:
    """(B,) mean pairwise cosine distance (1 - cosine) between the items of each top-k list.

    Uses sum_{i != j} cos(v_i, v_j) = ||sum_i u_i||^2 - sum_i ||u_i||^2 with unit vectors u, so it
    costs O(B K D) rather than O(B K^2 D). An all-zero item vector has cosine 0 with everything.
    NaN for a list with fewer than two items.

    Args:
        recs: (B, K) item indices, -1 padding.
        item_vectors: (I, D) e.g. multi-hot genres or learned embeddings.
        k: cut-off.
    """
    vectors = np.asarray(item_vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    top, valid = _valid_top(recs, k)
    out = np.full(len(top), np.nan)
    for start in range(0, len(top), DIVERSITY_BLOCK_USERS):
        block = slice(start, start + DIVERSITY_BLOCK_USERS)
        gathered = unit[np.where(valid[block], top[block], 0)] * valid[block][..., None]
        summed = gathered.sum(axis=1)
        self_sim = (gathered**2).sum(axis=(1, 2))
        pair_sim = (summed**2).sum(axis=1) - self_sim
        n = valid[block].sum(axis=1).astype(np.float64)
        n_pairs = n * (n - 1.0)
        block_out = np.full(len(n), np.nan)
        np.divide(pair_sim, n_pairs, out=block_out, where=n_pairs > 0)
        out[block] = 1.0 - block_out
    return out
