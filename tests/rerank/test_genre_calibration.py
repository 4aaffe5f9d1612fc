"""Steck's calibration: the KL against hand computations and lists that move it down."""

from __future__ import annotations

import math

import numpy as np

from recsys_core.rerank.base import Candidates
from recsys_core.rerank.genre_calibration import (
    GenreCalibration,
    genre_kl,
    item_genre_shares,
)
from recsys_core.rerank.pipeline import RerankPipeline

# Items 0-3 are genre A, 4-5 genre B; the user's history is half A, half B.
GENRES = np.array([[1, 0]] * 4 + [[0, 1]] * 2)
RELEVANCE = np.array([[1.0, 0.95, 0.9, 0.85, 0.5, 0.45]])
USER_GENRES = np.array([[0.5, 0.5]])


def calibrate(context, weight, k, relevance=RELEVANCE, items=None):
    items = np.array(items or [list(range(relevance.shape[1]))])
    cands = Candidates(np.arange(len(items)), items, np.asarray(relevance, float))
    return GenreCalibration(weight=weight).order(np.asarray(relevance, float), cands, context, k)


def test_genre_kl_matches_a_hand_computation() -> None:
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [0.0, 0.0, 0.0]])
    q = np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5], [0.3, 0.3, 0.4]])
    # Row 0: q~ = (.99 + .005, .005, 0); row 1: q == p so q~ == p; row 2: no history.
    expected = 0.5 * math.log(0.5 / 0.995) + 0.5 * math.log(0.5 / 0.005)
    np.testing.assert_allclose(genre_kl(p, q), [expected, 0.0, 0.0], atol=1e-12)
    tilde = 0.9 * np.array([1.0, 0.0, 0.0]) + 0.1 * p[0]
    expected = 0.5 * math.log(0.5 / tilde[0]) + 0.5 * math.log(0.5 / tilde[1])
    np.testing.assert_allclose(genre_kl(p[0], q[0], alpha=0.1), expected)


def test_item_genre_shares_spread_an_item_uniformly() -> None:
    shares = item_genre_shares(np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]))
    np.testing.assert_array_equal(shares, [[0.5, 0.5, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])


def test_calibrated_list_by_hand(make_context) -> None:
    context = make_context(item_genres=GENRES, user_genres=USER_GENRES)
    # lambda .5: 0 (best), then 4 (KL of {0, 4} is 0), then 1 (A and B tie on KL .060, A is
    # more relevant), then 2 (.5 * .9 - .5 * KL .1405 = .380 beats B's .225 - 0).
    np.testing.assert_array_equal(calibrate(context, 0.5, 4), [[0, 4, 1, 2, 3, 5]])
    # lambda .9: the fourth pick is B (.045 - 0 beats .09 - .9 * .1405).
    np.testing.assert_array_equal(calibrate(context, 0.9, 4), [[0, 4, 1, 5, 2, 3]])
    np.testing.assert_array_equal(calibrate(context, 0.0, 4), [[0, 1, 2, 3, 4, 5]])


def list_kl(items: np.ndarray, genres: np.ndarray, user_genres: np.ndarray) -> np.ndarray:
    shares = item_genre_shares(genres[items]).sum(axis=1)
    return genre_kl(user_genres, shares / shares.sum(axis=1, keepdims=True))


def test_calibration_moves_kl_down_on_random_users(make_context) -> None:
    rng = np.random.default_rng(0)
    n_users, n_items, n_genres, n, k = 30, 300, 8, 60, 10
    genres = (rng.random((n_items, n_genres)) < 0.25).astype(float)
    genres[np.arange(n_items), rng.integers(0, n_genres, n_items)] = 1.0
    user_genres = rng.dirichlet(np.ones(n_genres), n_users)
    context = make_context(item_genres=genres, user_genres=user_genres)
    items = np.stack([rng.permutation(n_items)[:n] for _ in range(n_users)])
    relevance = np.sort(rng.random((n_users, n)), axis=1)[:, ::-1]
    cands = Candidates(np.arange(n_users), items, relevance)
    plain = list_kl(items[:, :k], genres, user_genres)
    kls = []
    for weight in (0.3, 0.7, 1.0):
        order = GenreCalibration(weight=weight).order(relevance, cands, context, k)
        kls.append(list_kl(np.take_along_axis(items, order[:, :k], axis=1), genres, user_genres))
    assert (kls[0] <= plain + 1e-12).all() and kls[0].mean() < plain.mean()
    assert kls[2].mean() < kls[1].mean() < kls[0].mean()


def naive_calibrated_list(relevance, genres, p, weight, k):
    """Steck's greedy for one user, pricing each candidate list with genre_kl directly."""
    chosen: list[int] = []
    for _ in range(k):
        best, best_value = -1, -np.inf
        for i in np.argsort(-relevance, kind="stable"):
            if i in chosen or not np.isfinite(relevance[i]):
                continue
            mass = item_genre_shares(genres[chosen + [i]]).sum(axis=0)
            q = mass / mass.sum() if mass.sum() > 0 else mass
            value = (1 - weight) * relevance[i] - weight * genre_kl(p, q)
            if value > best_value + 1e-9:
                best, best_value = i, value
        chosen.append(best)
    return chosen


def test_vectorised_greedy_matches_a_direct_computation(make_context) -> None:
    rng = np.random.default_rng(3)
    n_users, n_items, n_genres, n, k = 12, 80, 6, 25, 8
    genres = (rng.random((n_items, n_genres)) < 0.3).astype(float)
    genres[:10] = 0.0  # items without genres
    user_genres = rng.dirichlet(np.ones(n_genres) * 0.5, n_users)
    user_genres[0] = 0.0
    user_genres[1, :3] = 0.0
    user_genres[1] /= user_genres[1].sum()
    context = make_context(item_genres=genres, user_genres=user_genres)
    items = np.stack([rng.permutation(n_items)[:n] for _ in range(n_users)])
    relevance = rng.random((n_users, n))
    relevance[2, 5:] = -np.inf
    cands = Candidates(np.arange(n_users), items, relevance)
    for weight in (0.2, 0.6, 0.95):
        order = GenreCalibration(weight=weight).order(relevance, cands, context, k)
        for b in range(n_users):
            expected = naive_calibrated_list(
                relevance[b], genres[items[b]], user_genres[b], weight, k
            )
            finite = int(np.isfinite(relevance[b]).sum())
            np.testing.assert_array_equal(order[b, : min(k, finite)], expected[: min(k, finite)])


def test_users_without_history_get_relevance_order(make_context) -> None:
    shuffled = np.array([[0.2, 0.9, 0.5, 1.0, 0.1, 0.3]])
    context = make_context(item_genres=GENRES, user_genres=np.zeros((1, 2)))
    np.testing.assert_array_equal(calibrate(context, 0.8, 3, shuffled), [[3, 1, 2, 0, 4, 5]])


def test_without_genres_nothing_changes(make_context) -> None:
    relevance = np.array([[0.2, -np.inf, 0.5, 1.0, 0.1, 0.3]])
    order = calibrate(make_context(n_items=6), 0.8, 3, relevance)
    np.testing.assert_array_equal(order, [[0, 2, 3, 1, 4, 5]])


def test_dropped_and_padded_candidates_never_enter_the_list(make_context) -> None:
    context = make_context(item_genres=GENRES, user_genres=USER_GENRES)
    # B items are dropped or padding, so the list is all A even though KL would want B.
    relevance = np.array([[1.0, 0.95, 0.9, 0.85, -np.inf, -np.inf]])
    order = calibrate(context, 1.0, 4, relevance, [[0, 1, 2, 3, 4, -1]])
    np.testing.assert_array_equal(order, [[0, 1, 2, 3, 4, 5]])


def test_through_the_pipeline(make_context) -> None:
    context = make_context(item_genres=GENRES, user_genres=[[0.9, 0.1], [0.5, 0.5]])
    cands = Candidates(np.array([1]), np.array([[0, 1, 2, 3, 4, 5]]), RELEVANCE)
    out = (
        RerankPipeline.from_settings({"genre_calibration": 0.5})
        .prepare(context)
        .apply(cands, context, 2)
    )
    np.testing.assert_array_equal(out.item_idx, [[0, 4]])  # user 1 is half A, half B
