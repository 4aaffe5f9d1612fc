"""Sampled negatives and the (labelled) sampled-negative protocol."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation import evaluate_sampled, sample_negatives


def _known(seed: int, n_users: int = 200, n_items: int = 120, density: float = 0.4):
    rng = np.random.default_rng(seed)
    return sp.csr_matrix((rng.random((n_users, n_items)) < density).astype(np.float32))


def test_negatives_avoid_known_items_and_are_distinct_per_pair() -> None:
    known = _known(0)
    pair_users = np.repeat(np.arange(200), 3)
    negatives = sample_negatives(pair_users, known, 50, seed=1)
    assert negatives.shape == (600, 50)
    dense = known.toarray() > 0
    assert not dense[pair_users[:, None], negatives].any()
    assert all(len(set(row)) == 50 for row in negatives.tolist())
    assert negatives.min() >= 0 and negatives.max() < known.shape[1]


def test_negatives_are_fixed_by_the_seed() -> None:
    known = _known(1)
    pair_users = np.arange(200)
    first = sample_negatives(pair_users, known, 20, seed=7)
    np.testing.assert_array_equal(first, sample_negatives(pair_users, known, 20, seed=7))
    assert not np.array_equal(first, sample_negatives(pair_users, known, 20, seed=8))


def test_a_user_with_exactly_n_free_items_gets_those_items() -> None:
    known = sp.lil_matrix((2, 10))
    known[0, :7] = 1.0  # user 0 knows items 0..6: only 7, 8, 9 are free
    known[1, 0] = 1.0
    negatives = sample_negatives(np.array([0, 1]), known.tocsr(), 3, seed=0)
    assert sorted(negatives[0].tolist()) == [7, 8, 9]
    with pytest.raises(DataError, match="fewer than 4"):
        sample_negatives(np.array([0]), known.tocsr(), 4, seed=0)
    with pytest.raises(ConfigError):
        sample_negatives(np.array([0]), known.tocsr(), 0, seed=0)


def test_evaluate_sampled_hand_case_with_pessimistic_ties() -> None:
    pos = np.array([0.5, 0.9, 0.2])
    neg = np.array(
        [
            [0.9, 0.5, 0.1],  # one higher, one tie -> rank 3
            [0.1, 0.2, 0.3],  # rank 1
            [0.1, 0.0, 0.1],  # rank 1
        ]
    )
    users = np.array([4, 4, 9])
    evaluation = evaluate_sampled(pos, neg, users, ks=(1, 3))
    assert evaluation.mode == "sampled" and evaluation.n_negatives == 3
    assert evaluation.label() == "sampled: 3 negatives per test item"
    assert evaluation.users.tolist() == [4, 9]
    assert evaluation.catalogue == {}
    # user 4 averages its two pairs: ranks 3 and 1
    assert evaluation.per_user["hit_rate@1"].tolist() == [0.5, 1.0]
    assert evaluation.per_user["hit_rate@3"].tolist() == [1.0, 1.0]
    assert evaluation.per_user["ndcg@3"].tolist() == pytest.approx([(0.5 + 1.0) / 2, 1.0])
    assert evaluation.per_user["mrr@3"].tolist() == pytest.approx([(1 / 3 + 1.0) / 2, 1.0])
    assert evaluation.per_user["ndcg@1"].tolist() == pytest.approx([0.5, 1.0])


def test_a_constant_scorer_gets_the_worst_rank() -> None:
    evaluation = evaluate_sampled(np.zeros(4), np.zeros((4, 99)), np.arange(4), ks=(100,))
    assert evaluation.per_user["mrr@100"] == pytest.approx(np.full(4, 1 / 100))


def test_evaluate_sampled_rejects_bad_shapes_and_nan() -> None:
    with pytest.raises(DataError, match="neg_scores"):
        evaluate_sampled(np.zeros(3), np.zeros((2, 5)), np.arange(3))
    with pytest.raises(DataError, match="NaN"):
        evaluate_sampled(np.array([np.nan]), np.zeros((1, 5)), np.arange(1))
