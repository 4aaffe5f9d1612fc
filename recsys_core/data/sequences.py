"""Sequence views of a training split for next-item models (SASRec, GRU4Rec).

Each user's interactions in chronological order (by timestamp, ties by row order; by row order
without timestamps), the most recent ``L`` kept and left-padded. Items are stored as
``item_idx + 1`` so that 0 is padding, as in RecBole and the SASRec reference code: an embedding
table for these ids has I + 1 rows with ``padding_idx=0``.
Shape legend: B batch, U users, I items, L length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import ConfigError
from recsys_core.types import BoolArray, IntArray


@dataclass(frozen=True)
class UserSequences:
    """Users' most recent items, oldest first, left-padded.

    Attributes:
        user_idx: (U,) the user of each row.
        items: (U, L) int64 ``item_idx + 1``; the most recent item is in the last column, 0 pads.
        mask: (U, L) True where ``items`` holds an item.
        lengths: (U,) int64 items kept per row, at most L.
    """

    user_idx: IntArray
    items: IntArray
    mask: BoolArray
    lengths: IntArray


@dataclass(frozen=True)
class SequenceBatch:
    """Next-item training pairs: ``inputs[b, t]`` is followed by ``targets[b, t]``.

    Attributes:
        user_idx: (B,) the user of each row.
        inputs: (B, L) int64 ``item_idx + 1`` of a user's sequence without its last item.
        targets: (B, L) int64 ``item_idx + 1`` of the same sequence shifted by one: the next item.
        mask: (B, L) True where a (input, target) pair exists; the loss is taken there only.
    """

    user_idx: IntArray
    inputs: IntArray
    targets: IntArray
    mask: BoolArray


def user_sequences(train: TrainSplit, max_len: int) -> UserSequences:
    """Every user's chronological history, the last ``max_len`` items kept.

    Args:
        train: the rows; ``timestamp`` orders them when present.
        max_len: L, at least 1.

    Returns:
        One row per user of the index space (row u is user u; users without rows are all
        padding with length 0).
    """
    _check_max_len(max_len)
    items, lengths = _left_padded(
        train.user_idx, train.item_idx, train.timestamp, train.n_users, max_len
    )
    return UserSequences(np.arange(train.n_users, dtype=np.int64), items, items != 0, lengths)


def next_item_targets(train: TrainSplit, max_len: int) -> SequenceBatch:
    """(input, next item) pairs by shifting each user's last ``max_len + 1`` items by one.

    As SASRec and GRU4Rec train: ``inputs = seq[:-1]``, ``targets = seq[1:]``, so a user with n
    kept items contributes n - 1 pairs. Users with fewer than two items have no pair and no row.

    Args:
        train: the rows; ``timestamp`` orders them when present.
        max_len: L, the input length, at least 1.

    Returns:
        One row per user with at least two items, in user order.
    """
    _check_max_len(max_len)
    sequences = user_sequences(train, max_len + 1)
    keep = sequences.lengths >= 2
    inputs = sequences.items[keep, :-1]
    return SequenceBatch(
        user_idx=sequences.user_idx[keep],
        inputs=inputs,
        targets=sequences.items[keep, 1:],
        mask=inputs != 0,
    )


def history_inputs(train: TrainSplit, user_idx: IntArray, max_len: int) -> UserSequences:
    """The input a next-item model predicts held-out items from: each user's training history.

    Only the requested users' rows are sorted, so evaluation can call this batch by batch.

    Args:
        train: the training rows (the history the model may see).
        user_idx: (B,) users to evaluate, in any order, repeats allowed.
        max_len: L, at least 1; the last L training items are kept.

    Returns:
        One row per entry of ``user_idx``, in that order; a user without training rows gets an
        all-padding row of length 0.
    """
    _check_max_len(max_len)
    wanted = np.asarray(user_idx, dtype=np.int64)
    unique, inverse = np.unique(wanted, return_inverse=True)
    group_of_user = np.full(train.n_users, -1, dtype=np.int64)
    group_of_user[unique] = np.arange(len(unique))
    group = group_of_user[train.user_idx]
    rows = group >= 0
    timestamp = None if train.timestamp is None else train.timestamp[rows]
    items, lengths = _left_padded(
        group[rows], train.item_idx[rows], timestamp, len(unique), max_len
    )
    items, lengths = items[inverse], lengths[inverse]
    return UserSequences(wanted, items, items != 0, lengths)


def _left_padded(
    group: IntArray, item: IntArray, timestamp: IntArray | None, n_groups: int, max_len: int
) -> tuple[IntArray, IntArray]:
    """(G, L) last ``max_len`` items + 1 per group in time order, left-padded, and (G,) lengths.

    One stable sort by (group, time) keeps row order among ties; each row's distance from its
    group's end then gives its column, so no Python loop runs over groups.
    """
    if timestamp is None:
        order = np.argsort(group, kind="stable")
    else:
        order = np.lexsort((timestamp, group))  # lexsort is stable: ties keep row order
    sorted_group = group[order]
    counts = np.bincount(group, minlength=n_groups)
    from_end = np.cumsum(counts)[sorted_group] - np.arange(len(order))  # 1 = the group's last
    keep = from_end <= max_len
    items = np.zeros((n_groups, max_len), dtype=np.int64)
    items[sorted_group[keep], max_len - from_end[keep]] = item[order[keep]] + 1
    return items, np.minimum(counts, max_len).astype(np.int64)


def _check_max_len(max_len: int) -> None:
    if max_len < 1:
        raise ConfigError(f"max_len must be at least 1, got {max_len}")
