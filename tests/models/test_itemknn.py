"""ItemKNN: the similarity against scikit-learn's cosine and hand-computed shrinkage and pruning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.metrics.pairwise import cosine_similarity

from recsys_core.data.dataset import TrainSplit
from recsys_core.models.retrieval import itemknn
from recsys_core.models.retrieval.itemknn import ItemKNN, build_item_similarity


def random_matrix(n_users: int = 40, n_items: int = 25, seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = (rng.random((n_users, n_items)) < 0.3) * rng.integers(1, 6, (n_users, n_items))
    return sp.csr_matrix(dense.astype(np.float32))


def split_of(matrix: sp.csr_matrix) -> TrainSplit:
    coo = matrix.tocoo()
    frame = pd.DataFrame({"user_idx": coo.row, "item_idx": coo.col, "rating": coo.data})
    return TrainSplit.from_frame(frame, *matrix.shape)


def test_unpruned_unshrunk_similarity_is_sklearn_cosine() -> None:
    matrix = random_matrix()
    similarity = build_item_similarity(
        matrix, neighbours=1000, by_target=True, shrink=0.0, normalize=False
    )
    expected = cosine_similarity(matrix.T.toarray())
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(similarity.toarray(), expected, rtol=1e-5, atol=1e-6)


def test_shrinkage_adds_to_the_norm_product() -> None:
    matrix = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1]], dtype=np.float32))
    similarity = build_item_similarity(
        matrix, neighbours=5, by_target=True, shrink=2.0, normalize=False
    ).toarray()
    # items 0 and 1 co-occur twice; |a| = sqrt(3), |b| = sqrt(2)
    assert similarity[0, 1] == pytest.approx(2.0 / (np.sqrt(3) * np.sqrt(2) + 2.0), rel=1e-6)
    assert similarity[1, 2] == pytest.approx(1.0 / (2.0 + 2.0), rel=1e-6)


@pytest.mark.parametrize("by_target", [True, False])
def test_pruning_keeps_each_items_largest_neighbours(by_target: bool) -> None:
    matrix = random_matrix(seed=1)
    full = cosine_similarity(matrix.T.toarray())
    np.fill_diagonal(full, 0.0)
    pruned = build_item_similarity(
        matrix, neighbours=3, by_target=by_target, shrink=0.0, normalize=False
    ).toarray()
    lists = pruned.T if by_target else pruned  # row j: the neighbours of item j
    for item in range(full.shape[0]):
        kept = np.flatnonzero(lists[item])
        assert len(kept) == 3
        assert set(kept) == set(np.argsort(-full[item], kind="stable")[:3])
        np.testing.assert_allclose(lists[item, kept], full[item, kept], rtol=1e-5)


def test_normalize_makes_each_neighbour_list_sum_to_one() -> None:
    pruned = build_item_similarity(
        random_matrix(seed=2), neighbours=4, by_target=False, shrink=1.0, normalize=True
    )
    np.testing.assert_allclose(np.asarray(pruned.sum(axis=1)).ravel(), 1.0, rtol=1e-5)


def test_blocked_build_equals_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    matrix = random_matrix(seed=3)
    whole = build_item_similarity(matrix, neighbours=5, by_target=True, shrink=3.0, normalize=True)
    monkeypatch.setattr(itemknn, "BLOCK_ENTRIES", 2 * matrix.shape[1])
    blocked = build_item_similarity(
        matrix, neighbours=5, by_target=True, shrink=3.0, normalize=True
    )
    np.testing.assert_array_equal(blocked.toarray(), whole.toarray())


@pytest.mark.parametrize("values", ["binary", "rating"])
def test_scores_are_user_rows_times_similarity(values: str) -> None:
    matrix = random_matrix(seed=4)
    model = ItemKNN(neighbours=6, shrink=5.0, values=values).fit(split_of(matrix))
    x = matrix.toarray() if values == "rating" else (matrix.toarray() > 0).astype(np.float64)
    expected_sim = build_item_similarity(
        sp.csr_matrix(x), neighbours=6, by_target=True, shrink=5.0, normalize=False
    ).toarray()
    users = np.arange(matrix.shape[0])
    np.testing.assert_allclose(model.score(users), x @ expected_sim, rtol=1e-5, atol=1e-6)


def test_target_neighbourhood_scores_a_candidate_from_its_own_neighbours() -> None:
    # every item has one nearest neighbour (no ties): 0 -> 2, 1 -> 0, 2 -> 0, 3 -> 1
    matrix = sp.csr_matrix(
        np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 0, 1]], float)
    )
    split = split_of(matrix)
    by_target = ItemKNN(neighbours=1, shrink=0.0, neighbourhood="target").fit(split)
    sim = cosine_similarity(matrix.T.toarray())
    np.fill_diagonal(sim, 0.0)
    best = sim.argmax(axis=0)  # each target's single neighbour
    expected = matrix.toarray() @ (np.eye(4)[best].T * sim.max(axis=0))
    np.testing.assert_allclose(by_target.score(np.arange(5)), expected, rtol=1e-5)
