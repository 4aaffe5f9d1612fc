"""Fixtures of the re-ranking tests: a factory of small hand-made ``RerankContext`` objects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import scipy.sparse as sp

from recsys_core.rerank.base import RerankContext


def _make_context(
    *,
    n_items: int | None = None,
    item_genres: npt.ArrayLike | None = None,
    genre_names: tuple[str, ...] | None = None,
    item_age: npt.ArrayLike | None = None,
    item_vectors: npt.ArrayLike | None = None,
    item_popularity: npt.ArrayLike | None = None,
    long_tail: npt.ArrayLike | None = None,
    user_genres: npt.ArrayLike | None = None,
    train_ratings: npt.ArrayLike | sp.spmatrix | None = None,
    item_ids: npt.ArrayLike | None = None,
    extras: dict[str, Any] | None = None,
) -> RerankContext:
    """A ``RerankContext`` from keyword arguments; every field left out gets a neutral value.

    ``n_items`` defaults to the length of the first item array given (or the ratings' width).
    Neutral values: no genres (names ``g0``, ``g1``, ... when ``item_genres`` is given), no ages,
    vectors, user genres or ratings, zero popularity, no long-tail items, raw ids ``"0"``,
    ``"1"``, ..., no extras.
    ``train_ratings`` may be dense (U, I); it is stored as csr.
    """
    item_arrays = (item_genres, item_age, item_vectors, item_popularity, long_tail, item_ids)
    if n_items is None:
        lengths = [len(np.asarray(a)) for a in item_arrays if a is not None]
        if train_ratings is not None:
            lengths.append(sp.csr_matrix(train_ratings).shape[1])
        if not lengths:
            raise ValueError("make_context needs n_items or an item array")
        n_items = lengths[0]
    genres = None if item_genres is None else np.asarray(item_genres, dtype=np.float64)
    if genre_names is None:
        genre_names = () if genres is None else tuple(f"g{j}" for j in range(genres.shape[1]))
    return RerankContext(
        n_items=n_items,
        item_genres=genres,
        genre_names=genre_names,
        item_age=None if item_age is None else np.asarray(item_age, dtype=np.float64),
        item_vectors=None if item_vectors is None else np.asarray(item_vectors, dtype=np.float64),
        item_popularity=(
            np.zeros(n_items)
            if item_popularity is None
            else np.asarray(item_popularity, dtype=np.float64)
        ),
        long_tail=(
            np.zeros(n_items, dtype=bool) if long_tail is None else np.asarray(long_tail, bool)
        ),
        user_genres=None if user_genres is None else np.asarray(user_genres, dtype=np.float64),
        train_ratings=None if train_ratings is None else sp.csr_matrix(train_ratings),
        item_ids=(
            np.array([str(i) for i in range(n_items)], dtype=object)
            if item_ids is None
            else np.asarray(item_ids, dtype=object)
        ),
        extras={} if extras is None else dict(extras),
    )


@pytest.fixture
def make_context() -> Callable[..., RerankContext]:
    """The ``RerankContext`` factory (keyword arguments for every field; see ``_make_context``)."""
    return _make_context
