"""Beyond-accuracy metrics of re-ranking (long tail, genre miscalibration, item age) and their
inputs, against hand computations; and that the top-N evaluation reports them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys_core.data import store
from recsys_core.data.dataset import TrainSplit
from recsys_core.data.features import genre_matrix
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation.beyond import (
    SECONDS_PER_YEAR,
    age_reference_time,
    beyond_inputs,
    genre_kl_at_k,
    item_age_years,
    kl_divergence,
    list_genre_distribution,
    long_tail_items,
    mean_item_age_at_k,
    mix,
    tail_share_at_k,
    user_genre_distribution,
)
from recsys_core.evaluation.protocol import evaluate_model
from recsys_core.evaluation.topk import evaluate_topk
from recsys_core.experiment import prepare_split
from recsys_core.models.retrieval.popularity import Popularity

NAN = float("nan")
#: item 0: genre A; item 1: A and B; item 2: no genre; item 3: C.
ITEM_GENRES = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0], [0, 0, 1]], dtype=np.float32)


def test_tail_share_counts_real_slots_only() -> None:
    recs = np.array([[0, 1, 2, -1], [3, -1, -1, -1], [-1, -1, -1, -1]])
    long_tail = np.array([False, True, True, False])
    np.testing.assert_array_equal(tail_share_at_k(recs, long_tail, 3), [2 / 3, 0.0, NAN])
    np.testing.assert_array_equal(tail_share_at_k(recs, long_tail, 1), [0.0, 0.0, NAN])
    np.testing.assert_array_equal(tail_share_at_k(recs, long_tail, 10), [2 / 3, 0.0, NAN])


def test_kl_core_and_mix() -> None:
    assert kl_divergence(np.array([1.0, 0.0]), np.array([0.5, 0.5])) == pytest.approx(math.log(2))
    p = np.array([[0.2, 0.8], [0.5, 0.5]])
    np.testing.assert_allclose(kl_divergence(p, p), [0.0, 0.0], atol=1e-15)
    assert kl_divergence(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == math.inf
    np.testing.assert_allclose(mix(np.array([1.0, 0.0]), np.array([0.5, 0.5]), 0.1), [0.95, 0.05])
    with pytest.raises(ConfigError, match="alpha"):
        mix(p, p, 1.5)


def test_list_genre_distribution_leaves_out_items_without_genre() -> None:
    recs = np.array([[0, 1, -1], [0, 2, -1], [2, -1, -1]])
    q = list_genre_distribution(recs, ITEM_GENRES, 3)
    np.testing.assert_allclose(q[0], [0.75, 0.25, 0.0])
    np.testing.assert_allclose(q[1], [1.0, 0.0, 0.0])
    assert np.isnan(q[2]).all()


def test_genre_kl_by_hand() -> None:
    recs = np.array([[0, 1], [0, 2], [2, -1], [0, 1], [0, 1]])
    p = np.array([[0.5, 0.5, 0], [0.5, 0.5, 0], [0.5, 0.5, 0], [0, 0, 0], [0.75, 0.25, 0]])
    kl = genre_kl_at_k(recs, p, ITEM_GENRES, 2, alpha=0.01)
    # q = [0.75, 0.25, 0], q~ = 0.99 q + 0.01 p = [0.7475, 0.2525, 0]
    assert kl[0] == pytest.approx(0.5 * math.log(0.5 / 0.7475) + 0.5 * math.log(0.5 / 0.2525))
    # item 2 has no genre: q = [1, 0, 0], q~ = [0.995, 0.005, 0]
    assert kl[1] == pytest.approx(0.5 * math.log(0.5 / 0.995) + 0.5 * math.log(0.5 / 0.005))
    assert np.isnan(kl[2])  # no listed item has a genre
    assert np.isnan(kl[3])  # no training history
    assert kl[4] == pytest.approx(0.0, abs=1e-12)  # the list matches p exactly
    first_only = genre_kl_at_k(recs, p, ITEM_GENRES, 1)  # lists [0]: q~ = [0.995, 0.005, 0]
    np.testing.assert_allclose(first_only[:2], kl[1], rtol=1e-12)


def test_genre_kl_matches_a_loop_on_random_lists() -> None:
    rng = np.random.default_rng(0)
    n_items, n_genres, n_users = 30, 5, 40
    genres = (rng.random((n_items, n_genres)) < 0.3).astype(float)
    p = rng.dirichlet(np.ones(n_genres), n_users) * (rng.random((n_users, 1)) < 0.9)
    recs = np.stack([rng.choice(n_items, 8, replace=False) for _ in range(n_users)])
    recs[::5, 6:] = -1
    got = genre_kl_at_k(recs, p, genres, 8, alpha=0.05)
    for u in range(n_users):  # the plain reference, one user at a time
        listed = [i for i in recs[u] if i >= 0 and genres[i].sum() > 0]
        if p[u].sum() == 0 or not listed:
            assert np.isnan(got[u])
            continue
        q = np.mean([genres[i] / genres[i].sum() for i in listed], axis=0)
        q_tilde = 0.95 * q + 0.05 * p[u]
        expected = sum(
            pg * math.log(pg / qg) for pg, qg in zip(p[u], q_tilde, strict=True) if pg > 0
        )
        assert got[u] == pytest.approx(expected, rel=1e-12)


def test_mean_item_age_skips_unknown_ages() -> None:
    ages = np.array([1.0, NAN, 3.0])
    recs = np.array([[0, 1, 2], [1, -1, -1], [2, 0, -1]])
    np.testing.assert_array_equal(mean_item_age_at_k(recs, ages, 3), [2.0, NAN, 2.0])
    np.testing.assert_array_equal(mean_item_age_at_k(recs, ages, 1), [1.0, NAN, 3.0])


def test_long_tail_is_outside_the_top_fifth_with_ties_by_index() -> None:
    counts = np.array([5, 0, 7, 5, 1, 5, 0, 0, 0, 0])
    # head = 2 items: item 2 (7), then item 0 wins the tie at 5 against items 3 and 5
    np.testing.assert_array_equal(np.flatnonzero(~long_tail_items(counts)), [0, 2])
    np.testing.assert_array_equal(np.flatnonzero(~long_tail_items(counts, 0.5)), [0, 2, 3, 4, 5])
    # a head larger than the interacted items never takes an item nobody interacted with
    np.testing.assert_array_equal(np.flatnonzero(~long_tail_items(counts, 0.8)), [0, 2, 3, 4, 5])
    # floor(0.2 * 15) = 3 despite 0.2 * 15 = 3.0000000000000004; floor(0.2 * 7) = 1
    assert (~long_tail_items(np.arange(15, 0, -1))).sum() == 3
    assert (~long_tail_items(np.arange(7, 0, -1))).sum() == 1
    with pytest.raises(ConfigError, match="head_share"):
        long_tail_items(counts, 1.2)


def test_user_genre_distribution_by_hand() -> None:
    train = TrainSplit(
        user_idx=np.array([0, 0, 1, 3, 3, 3]),
        item_idx=np.array([0, 1, 2, 3, 3, 1]),
        rating=None,
        timestamp=None,
        n_users=4,
        n_items=4,
    )
    p = user_genre_distribution(train, ITEM_GENRES)
    np.testing.assert_allclose(p[0], [0.75, 0.25, 0.0])  # ([1,0,0] + [.5,.5,0]) / 2
    np.testing.assert_array_equal(p[1], [0, 0, 0])  # only an item without genre
    np.testing.assert_array_equal(p[2], [0, 0, 0])  # no history
    np.testing.assert_allclose(p[3], [1 / 6, 1 / 6, 2 / 3])  # the repeat counts twice
    with pytest.raises(DataError, match="one row per item"):
        user_genre_distribution(train, ITEM_GENRES[:3])


def _items(release_ts: list[int | None], year: list[int | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {"release_ts": pd.array(release_ts, dtype="Int64"), "year": pd.array(year, dtype="Int64")}
    )


def test_item_age_from_release_time_else_mid_year() -> None:
    reference = int((2010 - 1970) * SECONDS_PER_YEAR)
    two_years = int(2 * SECONDS_PER_YEAR)
    items = _items(
        [reference - two_years, None, None, reference + two_years], [1990, 2000, None, 1990]
    )
    np.testing.assert_allclose(item_age_years(items, reference), [2.0, 9.5, NAN, -2.0])
    assert np.isnan(item_age_years(pd.DataFrame({"title": ["x"]}), reference)).all()


def test_age_reference_is_the_end_of_the_training_window() -> None:
    items = _items([None, int((1995.5 - 1970) * SECONDS_PER_YEAR)], [1998, None])
    timed = TrainSplit(np.array([0, 0]), np.array([0, 1]), None, np.array([100, 900]), 1, 2)
    assert age_reference_time(timed, items) == 900
    untimed = TrainSplit(np.array([0]), np.array([0]), None, None, 1, 2)
    # no timestamps: the start of the year after the latest item year (1998 + 1)
    reference = age_reference_time(untimed, items)
    assert reference == round((1999 - 1970) * SECONDS_PER_YEAR)
    assert item_age_years(items, reference)[0] == pytest.approx(0.5)
    released_only = _items([int((1995.5 - 1970) * SECONDS_PER_YEAR)], [None])
    assert age_reference_time(untimed, released_only) == round((1996 - 1970) * SECONDS_PER_YEAR)
    assert age_reference_time(untimed, _items([None], [None])) is None


def _case() -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
    recs = np.array([[0, 1, 2], [3, 2, -1], [1, 0, 3]])
    truth = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [1, 1, 0, 0]]))
    return recs, np.array([0, 1, 3]), truth


def test_evaluate_topk_reports_them_for_the_evaluated_users() -> None:
    recs, users, truth = _case()
    long_tail = np.array([False, True, True, False])
    user_genres = np.array([[1, 0, 0], [0, 0, 0], [0, 0, 1], [0.75, 0.25, 0]])
    ages = np.array([1.0, 2.0, NAN, 4.0])
    plain = evaluate_topk(recs, users, truth, (2, 3))
    full = evaluate_topk(
        recs,
        users,
        truth,
        (2, 3),
        long_tail=long_tail,
        user_genres=user_genres,
        item_genres=ITEM_GENRES,
        item_age=ages,
    )
    for name, values in plain.per_user.items():
        np.testing.assert_array_equal(full.per_user[name], values)
    np.testing.assert_allclose(full.per_user["tail_share@3"], [2 / 3, 0.5, 1 / 3])
    np.testing.assert_allclose(full.per_user["mean_item_age@3"], [1.5, 4.0, 7 / 3])
    kl = full.per_user["genre_kl@2"]  # users 0, 1 (no history) and 3 (p = q of items 1, 0)
    assert kl[0] == pytest.approx(math.log(1 / (0.99 * 0.75 + 0.01)))
    assert np.isnan(kl[1]) and kl[2] == pytest.approx(0.0, abs=1e-12)
    assert full.means()["genre_kl@2"] == pytest.approx(kl[0] / 2)
    with pytest.raises(ConfigError, match="both"):
        evaluate_topk(recs, users, truth, user_genres=user_genres)
    with pytest.raises(DataError, match="long_tail"):
        evaluate_topk(recs, users, truth, long_tail=long_tail[:3])
    with pytest.raises(DataError, match="user_genres"):
        evaluate_topk(recs, users, truth, user_genres=user_genres[:2], item_genres=ITEM_GENRES)


def test_evaluate_model_reports_them_from_the_split(tmp_path) -> None:
    path = tmp_path / "db.duckdb"
    frames = generate_synthetic(name="tiny", n_users=120, n_items=80, n_interactions=2500, seed=4)
    store.write_dataset(frames, path=path)
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    dataset, split = prepare_split("tiny", protocol, path=path)
    genres = genre_matrix(dataset.items)
    inputs = beyond_inputs(split.train, dataset.items, genres)
    assert inputs.long_tail.sum() == dataset.n_items - int(0.2 * dataset.n_items)
    assert inputs.user_genres is not None and inputs.item_age is not None
    model = Popularity().fit(split.train)
    plain = evaluate_model(model, split, protocol, ks=(10,))
    result = evaluate_model(model, split, protocol, ks=(10,), beyond=inputs)
    means = result.full.means()
    assert {"tail_share@10", "genre_kl@10", "mean_item_age@10"} <= set(means)
    assert not {"tail_share@10", "genre_kl@10"} & set(plain.full.means())
    assert means["ndcg@10"] == plain.full.means()["ndcg@10"]
    assert 0.0 <= means["tail_share@10"] < 0.5  # popularity recommends the head
    assert means["genre_kl@10"] > 0.0


def test_kl_broadcasts_users_against_candidate_lists() -> None:
    p = np.array([[[0.5, 0.5]], [[1.0, 0.0]]])  # (B=2, 1, G)
    q = np.array([[[0.5, 0.5], [1.0, 0.0]], [[0.5, 0.5], [1.0, 0.0]]])  # (B, N=2, G)
    got = kl_divergence(p, mix(q, p, 0.0))
    np.testing.assert_allclose(got, [[0.0, math.inf], [math.log(2), 0.0]])
