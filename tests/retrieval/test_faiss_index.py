"""FaissIndex against exact numpy top-k: inner product, cosine, self-exclusion, padding, errors."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import ConfigError, DataError
from recsys_core.models import get_model_class
from recsys_core.retrieval import FaissIndex


def numpy_top_k(queries: np.ndarray, items: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference: full (B, I) similarity matrix, sorted descending per row."""
    sims = queries.astype(np.float64) @ items.astype(np.float64).T
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(sims, order, axis=1)


def normalise(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture()
def item_vectors() -> np.ndarray:
    return np.random.default_rng(3).standard_normal((300, 16)).astype(np.float32)


def test_search_matches_exact_inner_product_top_k(item_vectors: np.ndarray) -> None:
    queries = np.random.default_rng(4).standard_normal((7, 16)).astype(np.float32)
    top = FaissIndex(item_vectors, metric="ip").search(queries, 10)
    expected_idx, expected_scores = numpy_top_k(queries, item_vectors, 10)
    assert top.item_idx.shape == (7, 10)
    np.testing.assert_array_equal(top.item_idx, expected_idx)
    np.testing.assert_allclose(top.scores, expected_scores, rtol=1e-5, atol=1e-5)


def test_cosine_normalises_items_and_queries(item_vectors: np.ndarray) -> None:
    scaled = item_vectors * np.random.default_rng(5).uniform(0.1, 10.0, (300, 1)).astype(np.float32)
    queries = np.random.default_rng(6).standard_normal((4, 16)).astype(np.float32) * 7.0
    top = FaissIndex(scaled, metric="cosine").search(queries, 5)
    expected_idx, expected_scores = numpy_top_k(normalise(queries), normalise(scaled), 5)
    np.testing.assert_array_equal(top.item_idx, expected_idx)
    np.testing.assert_allclose(top.scores, expected_scores, rtol=1e-5, atol=1e-5)
    assert np.all(top.scores <= 1.0 + 1e-5)


def test_similar_items_excludes_the_item_itself(item_vectors: np.ndarray) -> None:
    items = np.array([0, 17, 299])
    top = FaissIndex(item_vectors, metric="cosine").similar_items(items, 8)
    unit = normalise(item_vectors)
    for row, item in enumerate(items):
        sims = unit @ unit[item]
        sims[item] = -np.inf
        expected = np.argsort(-sims, kind="stable")[:8]
        np.testing.assert_array_equal(top.item_idx[row], expected)
        np.testing.assert_allclose(top.scores[row], sims[expected], rtol=1e-5, atol=1e-5)
        assert item not in top.item_idx[row]


def test_similar_items_under_inner_product_when_the_item_is_not_its_own_best_match() -> None:
    # Item 1 is longer than item 0 in the same direction: it beats item 0 on item 0's own query.
    vectors = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 1.0], [-1.0, 0.5]], dtype=np.float32)
    top = FaissIndex(vectors, metric="ip").similar_items(np.array([0]), 2)
    np.testing.assert_array_equal(top.item_idx, [[1, 2]])
    np.testing.assert_allclose(top.scores, [[3.0, 0.0]])


def test_short_catalogues_pad_with_minus_one_and_minus_inf() -> None:
    vectors = np.eye(3, dtype=np.float32)
    top = FaissIndex(vectors).similar_items(np.array([1]), 4)
    assert sorted(top.item_idx[0, :2].tolist()) == [0, 2]
    np.testing.assert_array_equal(top.item_idx[0, 2:], [-1, -1])
    assert np.isneginf(top.scores[0, 2:]).all()


def test_from_model_indexes_the_item_embeddings_of_bpr() -> None:
    rng = np.random.default_rng(0)
    train = TrainSplit(
        user_idx=rng.integers(0, 40, 600),
        item_idx=rng.integers(0, 30, 600),
        rating=None,
        timestamp=None,
        n_users=40,
        n_items=30,
    )
    model = get_model_class("bpr")(n_epochs=2, dim=8).fit(train)
    index = FaissIndex.from_model(model)
    item_emb = model.embeddings().item
    assert (index.n_items, index.dim) == item_emb.shape
    top = index.similar_items(np.array([3]), 5)
    sims = item_emb @ item_emb[3]
    sims[3] = -np.inf
    np.testing.assert_array_equal(top.item_idx[0], np.argsort(-sims, kind="stable")[:5])


def test_a_model_without_item_embeddings_is_refused_clearly() -> None:
    train = TrainSplit(
        user_idx=np.array([0, 1, 1]),
        item_idx=np.array([0, 0, 1]),
        rating=None,
        timestamp=None,
        n_users=2,
        n_items=2,
    )
    model = get_model_class("popularity")().fit(train)
    with pytest.raises(DataError, match="no item embeddings.*bpr"):
        FaissIndex.from_model(model)


def test_invalid_inputs_raise_library_errors(item_vectors: np.ndarray) -> None:
    index = FaissIndex(item_vectors)
    with pytest.raises(ConfigError, match="metric"):
        FaissIndex(item_vectors, metric="l2")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="k must be"):
        index.search(item_vectors[:1], 0)
    with pytest.raises(DataError, match="shape"):
        index.search(np.ones((1, 3), dtype=np.float32), 2)
    with pytest.raises(DataError, match=r"\[0, 300\)"):
        index.similar_items(np.array([300]), 2)
    with pytest.raises(DataError, match="NaN"):
        FaissIndex(np.full((2, 2), np.nan, dtype=np.float32))
