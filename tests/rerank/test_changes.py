"""What a re-ranking changed: entered/left counts, displacement and rank-biased overlap, against
hand computations and a plain-Python RBO_ext written from Webber, Moffat & Zobel (2010)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recsys_core.errors import ConfigError, DataError
from recsys_core.rerank.changes import RBO_P, list_changes


def reference_rbo(before: list[int], after: list[int], p: float = RBO_P) -> float:
    """RBO_ext of two rankings (padding -1 dropped), eq. (32) of the paper, one depth at a time."""
    short = [item for item in before if item >= 0]
    long = [item for item in after if item >= 0]
    if len(short) > len(long):
        short, long = long, short
    s, l_ = len(short), len(long)
    if l_ == 0:
        return 1.0
    if s == 0:
        return 0.0
    overlap = {d: len(set(short[:d]) & set(long[:d])) for d in range(1, l_ + 1)}
    agreement = sum(overlap[d] / d * p**d for d in range(1, l_ + 1))
    tail = sum(overlap[s] * (d - s) / (s * d) * p**d for d in range(s + 1, l_ + 1))
    last = ((overlap[l_] - overlap[s]) / l_ + overlap[s] / s) * p**l_
    return (1 - p) / p * (agreement + tail) + last


def test_rbo_by_hand() -> None:
    # X_1 = 1, X_2 = 1, X_3 = 3: (0.1/0.9)(0.9 + 0.81/2 + 0.729) + 0.729 = 0.955
    changes = list_changes(np.array([[1, 2, 3]]), np.array([[1, 3, 2]]))
    assert changes.rbo[0] == pytest.approx(0.955)
    # uneven: S = [4, 1], L = [1, 2, 3]; X = 0, 1, 1; s = 2, l = 3
    # (0.1/0.9)(0.81/2 + 0.729/3 + 1 * 1/(2*3) * 0.729) + (0/3 + 1/2) * 0.729 = 0.45
    uneven = list_changes(np.array([[4, 1, -1]]), np.array([[1, 2, 3]]))
    assert uneven.rbo[0] == pytest.approx(0.45)
    # a list that is a prefix of the other agrees with it everywhere it is seen: RBO_ext = 1
    prefix = list_changes(np.array([[1, 2, -1]]), np.array([[1, 2, 3]]))
    assert prefix.rbo[0] == pytest.approx(1.0)


def test_identical_lists_give_one_and_disjoint_lists_zero() -> None:
    before = np.array([[5, 1, 7, 2], [3, -1, -1, -1], [-1, -1, -1, -1]])
    same = list_changes(before, before)
    np.testing.assert_allclose(same.rbo, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(same.entered, [0, 0, 0])
    np.testing.assert_array_equal(same.left, [0, 0, 0])
    np.testing.assert_array_equal(same.mean_displacement, [0.0, 0.0, math.nan])
    disjoint = list_changes(before, np.array([[0, 3, 4, 6], [1, 2, -1, -1], [8, -1, -1, -1]]))
    np.testing.assert_array_equal(disjoint.rbo, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(disjoint.entered, [4, 2, 1])
    np.testing.assert_array_equal(disjoint.left, [4, 1, 0])
    assert np.isnan(disjoint.mean_displacement).all()


def test_entered_left_and_displacement_by_hand() -> None:
    changes = list_changes(np.array([[1, 2, 3, 4]]), np.array([[3, 1, 5, -1]]))
    assert changes.entered[0] == 1  # item 5
    assert changes.left[0] == 2  # items 2 and 4
    assert changes.mean_displacement[0] == pytest.approx((1 + 2) / 2)  # 1: 0 -> 1, 3: 2 -> 0
    assert changes.rbo[0] == pytest.approx(reference_rbo([1, 2, 3, 4], [3, 1, 5]))


def test_ranks_count_real_items_only() -> None:
    holed = list_changes(np.array([[1, -1, 2, 3]]), np.array([[1, 2, 3, -1]]))
    assert holed.rbo[0] == pytest.approx(1.0)
    assert holed.mean_displacement[0] == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_the_reference_on_random_lists(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_users, width, n_items = 200, 10, 18
    before = np.full((n_users, width), -1, dtype=np.int64)
    after = np.full((n_users, width), -1, dtype=np.int64)
    for u in range(n_users):  # building the fixture, not the code under test
        n_before, n_after = rng.integers(0, width + 1, 2) if u % 3 == 0 else (width, width)
        before[u, :n_before] = rng.choice(n_items, n_before, replace=False)
        after[u, :n_after] = rng.choice(n_items, n_after, replace=False)
    changes = list_changes(before, after)
    for u in range(n_users):
        b = [int(i) for i in before[u] if i >= 0]
        a = [int(i) for i in after[u] if i >= 0]
        assert changes.rbo[u] == pytest.approx(reference_rbo(b, a), abs=1e-12)
        assert changes.entered[u] == len(set(a) - set(b))
        assert changes.left[u] == len(set(b) - set(a))
        shifts = [abs(b.index(i) - a.index(i)) for i in set(a) & set(b)]
        if shifts:
            assert changes.mean_displacement[u] == pytest.approx(np.mean(shifts))
        else:
            assert np.isnan(changes.mean_displacement[u])
    assert ((changes.rbo >= 0) & (changes.rbo <= 1 + 1e-12)).all()
    one = list_changes(before[7:8], after[7:8])  # a row alone gives the same as in the batch
    assert one.rbo[0] == changes.rbo[7] and one.entered[0] == changes.entered[7]


def test_rbo_depends_on_p_and_means_skip_nan() -> None:
    before, after = np.array([[1, 2, 3], [1, 2, 3]]), np.array([[2, 1, 3], [4, 5, 6]])
    shallow = list_changes(before, after, p=0.5)
    assert shallow.rbo[0] == pytest.approx(reference_rbo([1, 2, 3], [2, 1, 3], p=0.5))
    assert shallow.rbo[0] != pytest.approx(list_changes(before, after).rbo[0])
    means = shallow.means()
    assert means["mean_displacement"] == pytest.approx(2 / 3)  # the disjoint row is NaN
    assert means["entered"] == pytest.approx(1.5) and means["left"] == pytest.approx(1.5)
    assert means["rbo"] == pytest.approx(shallow.rbo[0] / 2)


def test_rejects_mismatched_lists_and_bad_p() -> None:
    with pytest.raises(DataError, match="same users"):
        list_changes(np.zeros((2, 3), dtype=int), np.zeros((3, 3), dtype=int))
    with pytest.raises(DataError, match="integer"):
        list_changes(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ConfigError, match="persistence"):
        list_changes(np.array([[1]]), np.array([[1]]), p=1.0)
