"""Sequence views: chronological order with ties by row, truncation and left padding, the shifted
next-item pairs and the evaluation inputs, checked by hand and against a per-user loop."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_core.data.dataset import TrainSplit
from recsys_core.data.sequences import history_inputs, next_item_targets, user_sequences
from recsys_core.errors import ConfigError


def _split(
    users: list[int], items: list[int], ts: list[int] | None, n_users: int = 4
) -> TrainSplit:
    timestamp = None if ts is None else np.array(ts, dtype=np.int64)
    return TrainSplit(np.array(users), np.array(items), None, timestamp, n_users, 10)


#: user 0: items 5 (t=30), 1 (t=10), 7 (t=10, a tie after item 1 by row), 2 (t=20)
#: user 2: item 9 (t=5); users 1 and 3 have no rows.
TOY = _split([0, 0, 2, 0, 0], [5, 1, 9, 7, 2], [30, 10, 5, 10, 20])


def test_user_sequences_are_chronological_left_padded_and_truncated() -> None:
    seq = user_sequences(TOY, 3)
    # user 0 in time order: 1, 7 (tie keeps row order), 2, 5; the last 3 are kept, each + 1.
    assert seq.items.tolist() == [[8, 3, 6], [0, 0, 0], [0, 0, 10], [0, 0, 0]]
    assert seq.lengths.tolist() == [3, 0, 1, 0]
    assert seq.mask.tolist() == (seq.items != 0).tolist()
    assert seq.user_idx.tolist() == [0, 1, 2, 3]
    assert seq.items.dtype == np.int64 and seq.mask.dtype == bool
    wide = user_sequences(TOY, 6)
    assert wide.items[0].tolist() == [0, 0, 2, 8, 3, 6]


def test_without_timestamps_row_order_is_the_order() -> None:
    seq = user_sequences(_split([0, 0, 2, 0, 0], [5, 1, 9, 7, 2], None), 4)
    assert seq.items[0].tolist() == [6, 2, 8, 3]


def test_next_item_targets_shift_by_one() -> None:
    batch = next_item_targets(TOY, 3)
    # user 0's last 4 items (+1): 2, 8, 3, 6; user 2 has one item, so no pair and no row.
    assert batch.user_idx.tolist() == [0]
    assert batch.inputs.tolist() == [[2, 8, 3]]
    assert batch.targets.tolist() == [[8, 3, 6]]
    assert batch.mask.tolist() == [[True, True, True]]
    short = next_item_targets(TOY, 5)
    assert short.inputs.tolist() == [[0, 0, 2, 8, 3]]
    assert short.targets.tolist() == [[0, 2, 8, 3, 6]]
    assert short.mask.tolist() == [[False, False, True, True, True]]


def test_history_inputs_follow_the_requested_users() -> None:
    seq = history_inputs(TOY, np.array([2, 0, 3, 2]), 2)
    assert seq.user_idx.tolist() == [2, 0, 3, 2]
    assert seq.items.tolist() == [[0, 10], [3, 6], [0, 0], [0, 10]]
    assert seq.lengths.tolist() == [1, 2, 0, 1]
    assert seq.mask.tolist() == (seq.items != 0).tolist()


def test_vectorised_views_match_a_loop_over_users() -> None:
    rng = np.random.default_rng(0)
    n, n_users, max_len = 3000, 60, 7
    users = rng.integers(0, n_users, n)
    items = rng.integers(0, 40, n)
    ts = rng.integers(0, 50, n)  # many ties
    train = TrainSplit(users, items, None, ts, n_users, 40)
    expected = np.zeros((n_users, max_len), dtype=np.int64)
    for user in range(n_users):
        rows = np.flatnonzero(users == user)
        rows = rows[np.argsort(ts[rows], kind="stable")][-max_len:]
        expected[user, max_len - len(rows) :] = items[rows] + 1
    assert np.array_equal(user_sequences(train, max_len).items, expected)
    picked = rng.integers(0, n_users, 25)
    assert np.array_equal(history_inputs(train, picked, max_len).items, expected[picked])
    longer = user_sequences(train, max_len + 1).items
    batch = next_item_targets(train, max_len)
    assert np.array_equal(batch.inputs, longer[batch.user_idx, :-1])
    assert np.array_equal(batch.targets, longer[batch.user_idx, 1:])


@pytest.mark.parametrize("make", [user_sequences, next_item_targets])
def test_max_len_must_be_positive(make: object) -> None:
    with pytest.raises(ConfigError, match="max_len"):
        make(TOY, 0)  # type: ignore[operator]
