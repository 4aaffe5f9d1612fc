"""evaluate_topk against the plain pandas reference in bench/, and its contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from bench.reference_metrics import reference_topk_metrics
from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation import TopKEvaluation, evaluate_topk
from recsys_core.models import get_model_class


def _random_case(seed: int, n_users: int = 300, n_items: int = 60, width: int = 15):
    """Graded truth and distinct-item lists, some padded, with popularity-skewed hits."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_items + 1)
    popularity /= popularity.sum()
    dense = np.zeros((n_users, n_items))
    for_user = rng.integers(1, 12, n_users)
    recs = np.full((n_users, width), -1, dtype=np.int64)
    for u in range(n_users):  # building the fixture, not the code under test
        dense[u, rng.choice(n_items, for_user[u], replace=False, p=popularity)] = rng.integers(
            1, 6, for_user[u]
        )
        length = rng.integers(0, width + 1) if u % 7 == 0 else width
        recs[u, :length] = rng.choice(n_items, length, replace=False, p=popularity)
    return recs, np.arange(n_users), sp.csr_matrix(dense)


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_the_pandas_reference_on_random_lists(seed: int) -> None:
    recs, users, truth = _random_case(seed)
    ks = (1, 5, 10, 20)  # 20 is longer than the lists (15)
    evaluation = evaluate_topk(recs, users, truth, ks)
    for k in ks:
        expected = reference_topk_metrics(recs, users, truth, k)
        for column in expected.columns:
            np.testing.assert_allclose(
                evaluation.per_user[column], expected[column].to_numpy(), atol=1e-12, err_msg=column
            )


def test_binary_truth_has_no_graded_ndcg_and_graded_truth_has_one() -> None:
    recs, users, truth = _random_case(2, n_users=40)
    graded = evaluate_topk(recs, users, truth, (5,))
    binary_truth = truth.copy()
    binary_truth.data[:] = 1.0
    binary = evaluate_topk(recs, users, binary_truth, (5,))
    assert "graded_ndcg@5" in graded.per_user
    assert "graded_ndcg@5" not in binary.per_user
    np.testing.assert_allclose(binary.per_user["ndcg@5"], graded.per_user["ndcg@5"])


def test_optional_metrics_appear_only_with_their_inputs() -> None:
    recs, users, truth = _random_case(3, n_users=30)
    n_items = truth.shape[1]
    plain = evaluate_topk(recs, users, truth, (10,))
    assert set(plain.catalogue) == {"coverage@10", "gini@10"}
    assert not {"novelty@10", "arp@10", "diversity@10"} & set(plain.per_user)
    full = evaluate_topk(
        recs,
        users,
        truth,
        (10,),
        item_popularity=np.arange(n_items, dtype=float),
        n_train_users=100,
        item_vectors=np.eye(n_items),
    )
    assert {"novelty@10", "arp@10", "diversity@10"} <= set(full.per_user)
    # one-hot vectors: every pair of distinct items is at cosine distance 1
    diversity = full.per_user["diversity@10"]
    assert np.all((diversity == 1.0) | np.isnan(diversity))


def test_evaluation_object_means_label_and_frame() -> None:
    recs, users, truth = _random_case(4, n_users=50)
    evaluation = evaluate_topk(recs, users, truth, (5,))
    means = evaluation.means()
    assert means["ndcg@5"] == pytest.approx(evaluation.per_user["ndcg@5"].mean())
    assert means["coverage@5"] == evaluation.catalogue["coverage@5"]
    assert evaluation.label() == "full ranking"
    frame = evaluation.to_frame()
    assert list(frame.columns) == ["user_idx", *evaluation.per_user]
    assert frame["user_idx"].tolist() == users.tolist()
    sampled = TopKEvaluation(users, {}, {}, mode="sampled", n_negatives=100)
    assert sampled.label() == "sampled: 100 negatives per test item"
    with pytest.raises(ConfigError, match="negatives"):
        TopKEvaluation(users, {}, {}, mode="sampled")


def test_rejects_inconsistent_inputs_with_a_fix() -> None:
    recs, users, truth = _random_case(5, n_users=20)
    with pytest.raises(ConfigError, match="n_train_users"):
        evaluate_topk(recs, users, truth, item_popularity=np.ones(truth.shape[1]))
    with pytest.raises(DataError, match="no relevant truth item"):
        empty = sp.csr_matrix(truth.shape)
        evaluate_topk(recs, users, empty)
    with pytest.raises(DataError, match="recs must be"):
        evaluate_topk(recs[:, 0], users, truth)
    with pytest.raises(DataError, match="recs must lie"):
        evaluate_topk(recs + truth.shape[1], users, truth)
    with pytest.raises(ConfigError, match="ks"):
        evaluate_topk(recs, users, truth, ks=(0,))


@pytest.mark.needs_movielens
def test_popularity_on_ml100k_matches_the_reference(ml100k_frame: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    in_train = rng.random(len(ml100k_frame)) < 0.75
    n_users, n_items = 943, 1682
    train = TrainSplit.from_frame(ml100k_frame[in_train], n_users, n_items)
    test = ml100k_frame[~in_train]
    truth = sp.csr_matrix(
        (np.ones(len(test)), (test["user_idx"], test["item_idx"])), shape=(n_users, n_items)
    )
    truth.data[:] = 1.0
    users = np.unique(test["user_idx"].to_numpy())
    model = get_model_class("popularity")().fit(train)
    recs = model.recommend(users, 10).item_idx
    evaluation = evaluate_topk(recs, users, truth, (10,))
    expected = reference_topk_metrics(recs, users, truth, 10)
    for column in expected.columns.drop("graded_ndcg@10"):
        np.testing.assert_allclose(evaluation.per_user[column], expected[column], atol=1e-12)
    # a sanity band: most-popular on ML-100K has precision@10 well above chance, below 0.3
    assert 0.05 < evaluation.means()["precision@10"] < 0.3
