"""The context features phi(u, i, position): every block by hand on a tiny catalogue."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_core.bandits.features import FeatureMap
from recsys_core.errors import DataError

GENRES = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # 3 items, 2 genres
SHARES = np.array([[0.25, 0.75], [0.0, 0.0]])  # user 1 has no training history
POPULARITY = np.array([0.0, 3.0, 15.0])


def test_rows_hold_bias_position_popularity_genres_and_their_cross_with_the_user() -> None:
    features = FeatureMap.build(POPULARITY, GENRES, SHARES, n_positions=3)
    assert features.dim == 1 + 3 + 1 + 2 + 4
    rows = features.rows(np.array([0, 1, 0]), np.array([2, 1, 0]), np.array([1, 3, 7]))
    log_pop = np.log1p(POPULARITY) / np.log1p(15.0)
    np.testing.assert_allclose(rows[0], [1, 1, 0, 0, log_pop[2], 1, 1, 0.25, 0.25, 0.75, 0.75])
    np.testing.assert_allclose(rows[1], [1, 0, 0, 1, log_pop[1], 0, 1, 0, 0, 0, 0])
    # Position 7 is past the last one-hot column: it shares position 3's.
    np.testing.assert_allclose(rows[2], [1, 0, 0, 1, 0.0, 1, 0, 0.25, 0, 0.75, 0])


def test_without_genres_only_bias_position_and_popularity_remain() -> None:
    features = FeatureMap.build(POPULARITY, None, None, n_positions=2)
    assert features.dim == 4
    rows = features.rows(np.array([5]), np.array([1]), np.array([2]))
    np.testing.assert_allclose(rows, [[1, 0, 1, np.log1p(3) / np.log1p(15)]])
    assert FeatureMap.build(POPULARITY, GENRES, None, 2).dim == 4  # the cross needs both sides


def test_indices_outside_the_catalogue_are_refused() -> None:
    features = FeatureMap.build(POPULARITY, GENRES, SHARES, n_positions=2)
    with pytest.raises(DataError, match="item indices must lie in 0..2"):
        features.rows(np.array([0]), np.array([3]), np.array([1]))
    with pytest.raises(DataError, match="user indices must lie in 0..1"):
        features.rows(np.array([2]), np.array([0]), np.array([1]))
    with pytest.raises(DataError, match="at least one position"):
        FeatureMap.build(POPULARITY, None, None, n_positions=0)
