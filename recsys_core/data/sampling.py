"""Negative sampling for every model, in torch on the training device with a seeded generator.

Samplers take the sorted ``user * I + item`` keys of the known positives (``positive_keys``) and
never return an accidental hit (an item the user has interacted with) unless the user has no
other item to give. In-batch negatives and their log-Q correction follow Yi et al., "Sampling-
Bias-Corrected Neural Modeling for Large Corpus Item Recommendations", RecSys 2019.
Shape legend: B batch, N rows, U users, I items.
"""

from __future__ import annotations

import torch

from recsys_core.types import IntArray


def positive_keys(
    user_idx: torch.Tensor | IntArray, item_idx: torch.Tensor | IntArray, n_items: int
) -> torch.Tensor:
    """Sorted distinct ``user * I + item`` keys of the (user, item) pairs, for membership tests.

    Args:
        user_idx: (N,) users (a tensor, or an array that becomes a CPU tensor).
        item_idx: (N,) items.
        n_items: I.

    Returns:
        (P,) int64 sorted keys, one per distinct pair, on the device of ``user_idx``.
    """
    users = torch.as_tensor(user_idx, dtype=torch.int64)
    items = torch.as_tensor(item_idx, dtype=torch.int64, device=users.device)
    return torch.unique(users * n_items + items, sorted=True)


def uniform_negatives(
    users: torch.Tensor, positive_keys: torch.Tensor, n_items: int, generator: torch.Generator
) -> torch.Tensor:
    """One item per row, drawn uniformly from the items its user has not interacted with.

    Draws all negatives at once, then re-draws only those that hit a positive until none does
    (the draws BPR-MF has always made: the same generator state gives the same items). A user
    who has interacted with every item has no negative; such rows keep their first draw.

    Args:
        users: (N,) user of each row; repeat a user to draw several negatives for it.
        positive_keys: (P,) sorted ``user * I + item`` keys of the known positives.
        n_items: I.
        generator: the fit's seeded generator, on the device of ``users``.

    Returns:
        (N,) int64 item indices.
    """
    device = users.device
    negatives = torch.randint(n_items, users.shape, generator=generator, device=device)
    saturated = _positives_per_user(users, positive_keys, n_items)[users] >= n_items
    pending = torch.nonzero(~saturated).squeeze(-1)
    while len(pending):
        keys = users[pending] * n_items + negatives[pending]
        pending = pending[_contains(positive_keys, keys)]
        negatives[pending] = torch.randint(
            n_items, pending.shape, generator=generator, device=device
        )
    return negatives


def popularity_negatives(
    users: torch.Tensor,
    positive_keys: torch.Tensor,
    item_counts: torch.Tensor | IntArray,
    alpha: float,
    generator: torch.Generator,
) -> torch.Tensor:
    """One item per row, drawn with probability proportional to ``count ** alpha``.

    ``alpha`` = 0 is uniform over all items, 1 follows popularity, 0.75 is word2vec's smoothing;
    with ``alpha`` > 0 items of count 0 are never drawn. Draws that hit one of the user's
    positives are re-drawn until none does, as in ``uniform_negatives``; a user whose positives
    cover every drawable item keeps the first draw.

    Args:
        users: (N,) user of each row.
        positive_keys: (P,) sorted ``user * I + item`` keys of the known positives.
        item_counts: (I,) non-negative counts per item (e.g. ``TrainSplit.item_counts()``).
        alpha: the exponent, at least 0.
        generator: the fit's seeded generator, on the device of ``users``.

    Returns:
        (N,) int64 item indices.

    Raises:
        ValueError: a negative ``alpha`` or count, or no item with positive weight.
    """
    device = users.device
    counts = torch.as_tensor(item_counts, dtype=torch.float64).to(device)
    if alpha < 0 or bool((counts < 0).any()):
        raise ValueError(f"alpha ({alpha}) and the item counts must be non-negative")
    weights = counts.pow(alpha)  # 0 ** 0 is 1: alpha = 0 gives every item the same weight
    drawable = weights > 0
    if not bool(drawable.any()):
        raise ValueError("no item has a positive count to draw from; pass the training counts")
    n_items = len(weights)
    cumulative = torch.cumsum(weights, 0)
    last = int(torch.nonzero(drawable)[-1])  # guards against u * total rounding up to total

    def draw(n: int) -> torch.Tensor:
        u = torch.rand(n, generator=generator, device=device, dtype=torch.float64)
        return torch.searchsorted(cumulative, u * cumulative[-1], right=True).clamp_(max=last)

    key_users = torch.div(positive_keys, n_items, rounding_mode="floor")
    on_drawable = drawable[positive_keys % n_items]
    covered = torch.bincount(key_users[on_drawable], minlength=_n_rows(users, key_users))
    saturated = covered[users] >= int(drawable.sum())
    negatives = draw(len(users))
    pending = torch.nonzero(~saturated).squeeze(-1)
    while len(pending):
        keys = users[pending] * n_items + negatives[pending]
        pending = pending[_contains(positive_keys, keys)]
        negatives[pending] = draw(len(pending))
    return negatives


def in_batch_negatives(
    user_idx: torch.Tensor,
    item_idx: torch.Tensor,
    positive_keys: torch.Tensor | None = None,
    n_items: int | None = None,
) -> torch.Tensor:
    """(B, B) mask of the accidental hits among in-batch negatives, for sampled softmax.

    Row i scores its own item (the diagonal, the label) against every other item of the batch.
    Entry (i, j), j != i, is True when item j is no negative for user i: it is user i's own item
    (the same item twice in a batch) or, given ``positive_keys``, a known positive of user i.
    Set those logits to -inf before the softmax.

    Args:
        user_idx: (B,) users of the batch's positive pairs.
        item_idx: (B,) their items.
        positive_keys: (P,) sorted ``user * I + item`` keys of the known positives, or None to
            mask only repeated items.
        n_items: I; required with ``positive_keys``.

    Returns:
        (B, B) bool, False on the diagonal.
    """
    hits = item_idx[None, :] == item_idx[:, None]
    if positive_keys is not None:
        if n_items is None:
            raise ValueError("in_batch_negatives needs n_items to look up positive_keys")
        keys = user_idx[:, None] * n_items + item_idx[None, :]
        hits |= _contains(positive_keys, keys.reshape(-1)).reshape(keys.shape)
    hits.fill_diagonal_(False)
    return hits


def log_q_correction(item_idx: torch.Tensor, item_counts: torch.Tensor | IntArray) -> torch.Tensor:
    """(B,) log sampling probability of each in-batch item, log(count / total count).

    In-batch items are the batch's positives, so an item appears as a negative in proportion to
    its frequency in the training stream; subtracting this from the logits (``logits - log_q``
    along the item axis) removes the popularity bias of in-batch sampling (Yi et al. 2019, eq.
    3). Counts are exact here, not streamed estimates; an item of count 0 is treated as count 1.

    Args:
        item_idx: (B,) the batch's items.
        item_counts: (I,) rows per item in the training data (``TrainSplit.item_counts()``).

    Returns:
        (B,) float32 on the device of ``item_idx``.
    """
    counts = torch.as_tensor(item_counts, dtype=torch.float64).to(item_idx.device)
    log_p = torch.log(counts.clamp(min=1.0)) - torch.log(counts.sum().clamp(min=1.0))
    return log_p[item_idx].to(torch.float32)


def _positives_per_user(
    users: torch.Tensor, positive_keys: torch.Tensor, n_items: int
) -> torch.Tensor:
    """(max user + 1,) number of known positive pairs of each user."""
    key_users = torch.div(positive_keys, n_items, rounding_mode="floor")
    return torch.bincount(key_users, minlength=_n_rows(users, key_users))


def _n_rows(users: torch.Tensor, key_users: torch.Tensor) -> int:
    """A bincount length that covers every user of ``users`` and of the keys."""
    top = [int(t.max()) for t in (users, key_users) if len(t)]
    return max(top, default=-1) + 1


def _contains(sorted_keys: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """(M,) whether each of ``keys`` is in ``sorted_keys``."""
    if len(sorted_keys) == 0:
        return torch.zeros(keys.shape, dtype=torch.bool, device=keys.device)
    position = torch.searchsorted(sorted_keys, keys).clamp_(max=len(sorted_keys) - 1)
    return sorted_keys[position] == keys
