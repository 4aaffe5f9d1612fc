"""Speed of the list builders on an ML-100K-sized batch: 943 users x 100 candidates, k = 10.

The time is printed (run with ``-s`` to see it), not asserted: CI machines differ too much. The
lists are checked to be valid permutations so the timed code is the code that works.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from recsys_core.rerank.base import Candidates
from recsys_core.rerank.fairness import Fairness
from recsys_core.rerank.genre_balance import GenreBalance
from recsys_core.rerank.genre_calibration import GenreCalibration
from recsys_core.rerank.mmr import MMR

N_USERS, N_ITEMS, N_GENRES, DIM, N, K = 943, 1682, 19, 64, 100, 10


@pytest.mark.parametrize("reranker_cls", [MMR, GenreBalance, GenreCalibration, Fairness])
def test_list_builder_speed(make_context, reranker_cls) -> None:
    rng = np.random.default_rng(0)
    genres = (rng.random((N_ITEMS, N_GENRES)) < 0.1).astype(float)
    genres[np.arange(N_ITEMS), rng.integers(0, N_GENRES, N_ITEMS)] = 1.0
    context = make_context(
        item_genres=genres,
        item_vectors=rng.normal(size=(N_ITEMS, DIM)),
        long_tail=rng.random(N_ITEMS) < 0.8,
        user_genres=rng.dirichlet(np.ones(N_GENRES), N_USERS),
    )
    items = np.argsort(rng.random((N_USERS, N_ITEMS)), axis=1)[:, :N]
    relevance = np.sort(rng.random((N_USERS, N)), axis=1)[:, ::-1]
    cands = Candidates(np.arange(N_USERS), items, relevance)
    reranker = reranker_cls(weight=0.5).prepare(context)
    reranker.order(relevance, cands, context, K)  # warm up
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        order = reranker.order(relevance, cands, context, K)
        runs.append(time.perf_counter() - start)
    print(f"\n{reranker.name}: {min(runs) * 1e3:.1f} ms for {N_USERS} users x {N} x k={K}")
    np.testing.assert_array_equal(
        np.sort(order, axis=1), np.broadcast_to(np.arange(N), order.shape)
    )
