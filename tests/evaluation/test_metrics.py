"""The metric functions against scikit-learn and against hand-computed cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import metrics as skm

from recsys_core.errors import DataError
from recsys_core.evaluation.metrics import (
    average_recommendation_popularity,
    catalogue_coverage,
    count_relevant,
    f1_at_k,
    gini_of_exposure,
    hit_rate_at_k,
    ideal_gains,
    intra_list_diversity,
    log_loss,
    mae,
    map_at_k,
    mrr_at_k,
    msr_map_at_k,
    ndcg_at_k,
    novelty_at_k,
    precision_at_k,
    recall_at_k,
    relevance_gains,
    rmse,
    roc_auc,
)


def _random_full_rankings(seed: int, n_users: int = 40, n_items: int = 15):
    """Graded truth (some users with many relevant items) and a full-catalogue ranking per user."""
    rng = np.random.default_rng(seed)
    dense = rng.integers(1, 6, size=(n_users, n_items)) * (rng.random((n_users, n_items)) < 0.35)
    dense[np.arange(n_users), rng.integers(0, n_items, n_users)] = rng.integers(1, 6, n_users)
    recs = np.argsort(rng.random((n_users, n_items)), axis=1)
    # A score vector whose descending order is exactly the list.
    scores = np.empty((n_users, n_items))
    np.put_along_axis(scores, recs, np.arange(n_items, 0, -1, dtype=float)[None, :], axis=1)
    return dense.astype(float), recs, scores


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 3, 5, 15])
def test_ndcg_matches_sklearn_binary_and_graded(seed: int, k: int) -> None:
    dense, recs, scores = _random_full_rankings(seed)
    truth = sp.csr_matrix(dense)
    users = np.arange(len(dense))
    gains = relevance_gains(recs, users, truth)
    ideal = ideal_gains(users, truth, k)
    graded = ndcg_at_k(gains, ideal, k)
    binary = ndcg_at_k((gains > 0).astype(float), (ideal > 0).astype(float), k)
    for u in users:
        expected_graded = skm.ndcg_score(dense[u : u + 1], scores[u : u + 1], k=k)
        expected_binary = skm.ndcg_score((dense[u : u + 1] > 0), scores[u : u + 1], k=k)
        assert graded[u] == pytest.approx(expected_graded, abs=1e-12)
        assert binary[u] == pytest.approx(expected_binary, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_map_over_full_ranking_equals_sklearn_average_precision(seed: int) -> None:
    dense, recs, scores = _random_full_rankings(seed)
    truth = sp.csr_matrix(dense)
    users = np.arange(len(dense))
    gains = relevance_gains(recs, users, truth)
    n_rel = count_relevant(users, truth)
    k = dense.shape[1]  # every item ranked: AP@k is the full AP, and min(|rel|, k) = |rel|
    conventional = map_at_k(gains, n_rel, k)
    msr = msr_map_at_k(gains, n_rel, k)
    for u in users:
        expected = skm.average_precision_score(dense[u] > 0, scores[u])
        assert conventional[u] == pytest.approx(expected, abs=1e-12)
        assert msr[u] == pytest.approx(expected, abs=1e-12)


def test_hand_case_where_map_variants_differ() -> None:
    # relevant {0, 1, 2, 3}; list [0, 9, 1] at k = 3 -> hits at ranks 1 and 3.
    truth = sp.csr_matrix(([1.0] * 4, ([0] * 4, [0, 1, 2, 3])), shape=(1, 10))
    gains = relevance_gains(np.array([[0, 9, 1]]), np.array([0]), truth)
    n_rel = np.array([4])
    assert gains.tolist() == [[1.0, 0.0, 1.0]]
    assert precision_at_k(gains, n_rel, 3)[0] == pytest.approx(2 / 3)
    assert recall_at_k(gains, n_rel, 3)[0] == pytest.approx(1 / 2)
    assert f1_at_k(gains, n_rel, 3)[0] == pytest.approx(4 / 7)
    # sum of precision at hit ranks = 1/1 + 2/3
    assert map_at_k(gains, n_rel, 3)[0] == pytest.approx((5 / 3) / 3)
    assert msr_map_at_k(gains, n_rel, 3)[0] == pytest.approx((5 / 3) / 4)
    assert mrr_at_k(gains, n_rel, 3)[0] == pytest.approx(1.0)
    assert hit_rate_at_k(gains, n_rel, 3)[0] == 1.0
    # at k = 2 only the first hit is inside
    assert map_at_k(gains, n_rel, 2)[0] == pytest.approx(1 / 2)
    assert msr_map_at_k(gains, n_rel, 2)[0] == pytest.approx(1 / 4)


def test_mrr_and_hit_rate_hand_cases() -> None:
    gains = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0]])
    n_rel = np.array([2, 1, 1])
    assert mrr_at_k(gains, n_rel, 4).tolist() == pytest.approx([1 / 3, 0.0, 1.0])
    assert mrr_at_k(gains, n_rel, 2).tolist() == pytest.approx([0.0, 0.0, 1.0])
    assert hit_rate_at_k(gains, n_rel, 2).tolist() == [0.0, 0.0, 1.0]
    assert f1_at_k(gains, n_rel, 2).tolist() == pytest.approx([0.0, 0.0, 2 * 0.5 * 1 / 1.5])


def test_padding_never_counts_even_when_its_key_collides() -> None:
    # Key u * I + i: user 1 with item -1 has the key of (user 0, item I - 1), which is relevant.
    n_items = 5
    truth = sp.csr_matrix(([1.0, 1.0], ([0, 1], [n_items - 1, 2])), shape=(2, n_items))
    recs = np.array([[n_items - 1, -1], [-1, -1]])
    gains = relevance_gains(recs, np.array([0, 1]), truth)
    assert gains.tolist() == [[1.0, 0.0], [0.0, 0.0]]


def test_lists_shorter_than_k_keep_k_in_the_precision_denominator() -> None:
    gains = np.array([[1.0, 1.0]])
    n_rel = np.array([3])
    assert precision_at_k(gains, n_rel, 5)[0] == pytest.approx(2 / 5)
    assert recall_at_k(gains, n_rel, 5)[0] == pytest.approx(2 / 3)
    assert map_at_k(gains, n_rel, 5)[0] == pytest.approx(2 / 3)
    ideal = np.array([[1.0, 1.0, 1.0]])
    expected = (1 + 1 / np.log2(3)) / (1 + 1 / np.log2(3) + 1 / np.log2(4))
    assert ndcg_at_k(gains, ideal, 5)[0] == pytest.approx(expected)


def test_relevance_gains_reads_graded_values_and_ignores_non_positive_entries() -> None:
    # Stored entries 0 (explicit), 4, -1 and 2 for items 0..3.
    truth = sp.csr_matrix(
        (np.array([0.0, 4.0, -1.0, 2.0]), np.arange(4), np.array([0, 4])), shape=(1, 4)
    )
    gains = relevance_gains(np.array([[3, 2, 1, 0]]), np.array([0]), truth)
    assert gains.tolist() == [[2.0, 0.0, 4.0, 0.0]]
    assert count_relevant(np.array([0]), truth).tolist() == [2]
    assert ideal_gains(np.array([0]), truth, 3).tolist() == [[4.0, 2.0, 0.0]]


def test_pointwise_metrics_match_sklearn() -> None:
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 500)
    scores = np.round(rng.random(500) + 0.3 * labels, 1)  # rounding creates ties
    probs = np.clip(rng.random(500), 0.0, 1.0)
    probs[:3] = [0.0, 1.0, 0.5]
    assert roc_auc(labels, scores) == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)
    assert log_loss(labels, probs) == pytest.approx(skm.log_loss(labels, probs), rel=1e-9)
    y, y_hat = rng.normal(3, 1, 200), rng.normal(3, 1, 200)
    assert rmse(y, y_hat) == pytest.approx(np.sqrt(skm.mean_squared_error(y, y_hat)), abs=1e-12)
    assert mae(y, y_hat) == pytest.approx(skm.mean_absolute_error(y, y_hat), abs=1e-12)


def test_pointwise_metrics_reject_unusable_input() -> None:
    with pytest.raises(DataError, match="both positive and negative"):
        roc_auc(np.ones(4), np.arange(4.0))
    with pytest.raises(DataError, match="equal length"):
        rmse(np.ones(3), np.ones(4))
    with pytest.raises(DataError, match="probabilities"):
        log_loss(np.array([0, 1]), np.array([-0.1, 2.0]))


def test_coverage_and_gini_of_exposure() -> None:
    n_items = 8
    uniform = np.arange(n_items).reshape(4, 2)  # every item shown exactly once
    assert gini_of_exposure(uniform, n_items, 2) == pytest.approx(0.0)
    assert catalogue_coverage(uniform, n_items, 2) == 1.0
    single = np.array([[3, -1], [3, -1], [3, -1]])
    assert gini_of_exposure(single, n_items, 2) == pytest.approx((n_items - 1) / n_items)
    assert catalogue_coverage(single, n_items, 2) == pytest.approx(1 / n_items)
    assert catalogue_coverage(uniform, n_items, 1) == pytest.approx(4 / n_items)
    assert np.isnan(gini_of_exposure(np.full((2, 2), -1), n_items, 2))


def test_gini_matches_the_mean_absolute_difference_definition() -> None:
    rng = np.random.default_rng(5)
    n_items = 30
    recs = rng.integers(-1, n_items, size=(50, 6))
    counts = np.bincount(recs[recs >= 0], minlength=n_items).astype(float)
    pairs = np.abs(counts[:, None] - counts[None, :]).sum()
    expected = pairs / (2 * n_items**2 * counts.mean())
    assert gini_of_exposure(recs, n_items, 6) == pytest.approx(expected)


def test_novelty_and_arp_hand_case() -> None:
    popularity = np.array([8.0, 4.0, 1.0, 0.0])
    recs = np.array([[0, 1, -1], [2, 3, 0], [-1, -1, -1]])
    novelty = novelty_at_k(recs, popularity, n_users=16, k=3)
    assert novelty[0] == pytest.approx((1.0 + 2.0) / 2)  # -log2(8/16), -log2(4/16)
    assert novelty[1] == pytest.approx((4.0 + 4.0 + 1.0) / 3)  # an unseen item counts as seen once
    assert np.isnan(novelty[2])
    arp = average_recommendation_popularity(recs, popularity, k=2)
    assert arp[:2].tolist() == pytest.approx([6.0, 0.5])
    assert np.isnan(arp[2])


def test_intra_list_diversity_matches_pairwise_cosine_distances() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.integers(0, 2, size=(20, 6)).astype(float)
    vectors[4] = 0.0  # a zero vector: cosine 0 with everything
    recs = rng.integers(-1, 20, size=(30, 5))
    recs[0] = [4, 4, -1, -1, -1]
    recs[1] = [2, -1, -1, -1, -1]
    got = intra_list_diversity(recs, vectors, 5)
    similarity = skm.pairwise.cosine_similarity(vectors)
    for row, items in enumerate(recs):
        items = items[items >= 0]
        if len(items) < 2:
            assert np.isnan(got[row])
            continue
        pairs = list(itertools.combinations(range(len(items)), 2))
        expected = np.mean([1 - similarity[items[i], items[j]] for i, j in pairs])
        assert got[row] == pytest.approx(expected, abs=1e-12)
