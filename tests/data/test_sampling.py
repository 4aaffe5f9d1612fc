"""Negative samplers: BPR's exact draws, no accidental hits, saturated users, popularity shares,
the in-batch hit mask and the log-Q correction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys_core.data.sampling import (
    in_batch_negatives,
    log_q_correction,
    popularity_negatives,
    positive_keys,
    uniform_negatives,
)


def _reference_bpr_sampler(
    users: torch.Tensor, keys: torch.Tensor, n_items: int, generator: torch.Generator
) -> torch.Tensor:
    """A verbatim copy of ``_sample_negatives`` from bpr.py before it moved here."""
    device = users.device
    negatives = torch.randint(n_items, users.shape, generator=generator, device=device)
    saturated = torch.bincount(users)[users] >= n_items
    pending = torch.nonzero(~saturated).squeeze(-1)
    while len(pending):
        query = users[pending] * n_items + negatives[pending]
        position = torch.searchsorted(keys, query).clamp_(max=len(keys) - 1)
        pending = pending[keys[position] == query]
        negatives[pending] = torch.randint(
            n_items, pending.shape, generator=generator, device=device
        )
    return negatives


def _random_positives(
    n_users: int, n_items: int, density: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One row per distinct positive pair (as BPR builds them), plus their sorted keys."""
    rng = np.random.default_rng(seed)
    user, item = np.nonzero(rng.random((n_users, n_items)) < density)
    users, items = torch.tensor(user), torch.tensor(item)
    return users, items, positive_keys(users, items, n_items)


@pytest.mark.parametrize(("density", "seed"), [(0.1, 0), (0.6, 1), (0.95, 2)])
def test_uniform_negatives_repeat_bprs_draws_exactly(density: float, seed: int) -> None:
    users, _, keys = _random_positives(30, 25, density, seed)
    saturated_user = torch.full((25,), 30)  # a user who saw every item
    users = torch.cat([users, saturated_user])
    keys = torch.sort(torch.cat([keys, 30 * 25 + torch.arange(25)])).values
    ours, theirs = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
    for _ in range(3):  # the generator state carries over between epochs identically
        expected = _reference_bpr_sampler(users, keys, 25, theirs)
        assert torch.equal(uniform_negatives(users, keys, 25, ours), expected)


def test_uniform_negatives_never_hit_a_positive_and_cover_the_rest() -> None:
    users, _, keys = _random_positives(40, 30, 0.5, 3)
    generator = torch.Generator().manual_seed(0)
    draws = torch.stack([uniform_negatives(users, keys, 30, generator) for _ in range(200)])
    drawn_keys = (users * 30 + draws).flatten()
    assert not bool(torch.isin(drawn_keys, keys).any())
    negatives_of_user0 = set(draws[:, users == 0].flatten().tolist())
    positives_of_user0 = set((keys[keys < 30]).tolist())
    assert negatives_of_user0 == set(range(30)) - positives_of_user0


def test_uniform_negatives_handle_repeated_rows_and_saturated_users() -> None:
    n_items = 4
    keys = positive_keys(torch.tensor([0, 0, 0, 0, 1]), torch.tensor([0, 1, 2, 3, 2]), n_items)
    users = torch.tensor([0, 0, 0, 1, 1, 1, 1, 1])  # several negatives per user, user 0 saturated
    negatives = uniform_negatives(users, keys, n_items, torch.Generator().manual_seed(5))
    assert bool(((negatives >= 0) & (negatives < n_items)).all())
    assert not bool((negatives[users == 1] == 2).any())


def test_positive_keys_are_sorted_and_distinct() -> None:
    keys = positive_keys(np.array([2, 0, 2, 1]), np.array([1, 3, 1, 0]), 5)
    assert keys.tolist() == [3, 5, 11]


def test_popularity_negatives_follow_count_to_the_alpha() -> None:
    counts = np.array([1, 2, 4, 8, 16, 0, 3], dtype=np.int64)
    users = torch.zeros(200_000, dtype=torch.int64)
    keys = positive_keys(torch.tensor([1]), torch.tensor([0]), len(counts))  # user 0 has none
    for alpha in (0.0, 0.75, 1.0):
        drawn = popularity_negatives(users, keys, counts, alpha, torch.Generator().manual_seed(1))
        shares = np.bincount(drawn.numpy(), minlength=len(counts)) / len(users)
        weights = counts.astype(float) ** alpha
        np.testing.assert_allclose(shares, weights / weights.sum(), atol=0.005)
    assert shares[5] == 0.0  # a never-seen item is never drawn when alpha > 0


def test_popularity_negatives_redraw_hits_in_proportion_to_the_rest() -> None:
    counts = np.array([10, 5, 5, 20, 0], dtype=np.int64)
    users = torch.cat([torch.zeros(100_000, dtype=torch.int64), torch.ones(8, dtype=torch.int64)])
    keys = positive_keys(torch.tensor([0, 1, 1, 1]), torch.tensor([3, 0, 1, 2]), 5)
    generator = torch.Generator().manual_seed(2)
    drawn = popularity_negatives(users, keys, counts, 1.0, generator)
    user0 = drawn[:100_000].numpy()
    assert not (user0 == 3).any()
    shares = np.bincount(user0, minlength=5) / len(user0)
    np.testing.assert_allclose(shares, [0.5, 0.25, 0.25, 0.0, 0.0], atol=0.01)
    # user 1 has every drawable item (4 has count 0): saturated, so it keeps its first draw.
    assert bool(((drawn[100_000:] >= 0) & (drawn[100_000:] < 4)).all())


def test_popularity_negatives_are_seeded_and_reject_bad_arguments() -> None:
    users = torch.arange(50) % 5
    keys = positive_keys(torch.arange(5), torch.arange(5), 9)
    counts = np.arange(1, 10)
    first = popularity_negatives(users, keys, counts, 0.75, torch.Generator().manual_seed(3))
    again = popularity_negatives(users, keys, counts, 0.75, torch.Generator().manual_seed(3))
    assert torch.equal(first, again)
    with pytest.raises(ValueError, match="non-negative"):
        popularity_negatives(users, keys, counts, -1.0, torch.Generator())
    with pytest.raises(ValueError, match="positive count"):
        popularity_negatives(users, keys, np.zeros(9), 1.0, torch.Generator())


def test_in_batch_mask_marks_repeated_items_and_known_positives() -> None:
    # batch rows (user, item): (0, 2), (1, 3), (2, 2), (0, 1)
    user_idx, item_idx = torch.tensor([0, 1, 2, 0]), torch.tensor([2, 3, 2, 1])
    keys = positive_keys(torch.tensor([0, 0, 1, 2, 0]), torch.tensor([2, 1, 3, 2, 3]), 4)
    expected = torch.tensor(
        [
            [False, True, True, True],  # item 3 and item 1 are user 0's; item 2 is its own
            [False, False, False, False],
            [True, False, False, False],  # item 2 again
            [True, True, True, False],
        ]
    )
    assert torch.equal(in_batch_negatives(user_idx, item_idx, keys, 4), expected)
    only_repeats = in_batch_negatives(user_idx, item_idx)
    assert only_repeats.nonzero().tolist() == [[0, 2], [2, 0]]
    with pytest.raises(ValueError, match="n_items"):
        in_batch_negatives(user_idx, item_idx, keys)


def test_log_q_is_the_log_share_of_each_items_count() -> None:
    counts = np.array([6, 3, 1, 0], dtype=np.int64)
    log_q = log_q_correction(torch.tensor([0, 2, 0, 3]), counts)
    assert log_q.dtype == torch.float32
    np.testing.assert_allclose(log_q.numpy(), np.log([0.6, 0.1, 0.6, 0.1]), rtol=1e-6)
