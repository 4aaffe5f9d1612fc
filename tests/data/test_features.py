"""Multi-hot genre vectors: one column per real genre; items without genres get zero rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.data.features import genre_matrix, genre_table


def test_genre_matrix_is_multi_hot_in_item_order() -> None:
    items = pd.DataFrame({"genres": ["Action|Drama", "", "Drama", None]})
    matrix = genre_matrix(items)
    assert matrix is not None
    np.testing.assert_array_equal(matrix, [[1, 1], [0, 0], [0, 1], [0, 0]])


def test_genre_matrix_is_none_without_genres() -> None:
    assert genre_matrix(pd.DataFrame({"genres": ["", ""]})) is None
    assert genre_matrix(pd.DataFrame({"title": ["x"]})) is None


def test_genre_table_names_the_columns_of_the_genre_matrix() -> None:
    items = pd.DataFrame({"genres": ["Comedy|Action", "Drama", None]})
    matrix, names = genre_table(items)
    assert names == ("Action", "Comedy", "Drama")
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(genre_matrix(items), matrix)
    assert genre_table(pd.DataFrame({"genres": ["", None]})) is None
