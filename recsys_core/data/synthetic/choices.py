"""Users' choices and logged slates: an exact Plackett-Luce sampler of distinct items.

Each user picks ``k_u`` distinct items from ``P(i | u) ∝ w_i exp(<p_u, q_i> / temperature)`` among
items released by their last session; each request's slate mixes that distribution with popularity
(share ``policy_personalization``), among items released by the request's time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from recsys_core.data.synthetic.arrays import rank_in_group, sorted_contains, sorted_uniforms
from recsys_core.data.synthetic.config import BLOCK_CELLS, SyntheticConfig, stream
from recsys_core.data.synthetic.sessions import Requests, Sessions
from recsys_core.data.synthetic.truth import PlantedTruth
from recsys_core.types import FloatArray, IntArray

#: I.i.d. draws per missing item in the first sampling round (doubling each round), plus a constant.
_DRAWS_PER_ITEM = 1.25
_DRAWS_EXTRA = 3
#: Rounds of i.i.d. draws before the exact Gumbel-top-k fallback takes the groups still short.
_SAMPLING_ROUNDS = 5


@dataclass(frozen=True)
class _ChoiceModel:
    """Users' choice logits ``log w_i + <p_u, q_i> / temperature``, mixed with popularity ``w``."""

    truth: PlantedTruth
    inverse_temperature: float

    def logits(self, user_idx: IntArray) -> npt.NDArray[np.float32]:
        """(B,) users -> (B, I) float32 logits, as one product of augmented factors."""
        users = self.truth.user_factors[user_idx] * np.float32(self.inverse_temperature)
        users = np.hstack([users, np.ones((len(user_idx), 1), dtype=np.float32)])
        log_w = self.truth.item_log_popularity.astype(np.float32)[:, None]
        return users @ np.hstack([self.truth.item_factors, log_w]).T

    def log_probabilities(self, user_idx: IntArray, personal: FloatArray) -> FloatArray:
        """(B, I) float64 log of ``personal * P(i | u) + (1 - personal) * w_i`` per row."""
        log_taste = self.logits(user_idx).astype(np.float64)
        log_taste -= np.logaddexp.reduce(log_taste, axis=1, keepdims=True)
        share = personal[:, None]
        with np.errstate(divide="ignore"):
            return np.logaddexp(
                np.log(share) + log_taste, np.log1p(-share) + self.truth.item_log_popularity
            )

    def log_normalisers(self, user_idx: IntArray) -> FloatArray:
        """(B,) ``log sum_i exp(logit_ui)`` per user, in blocks of users (bounded memory)."""
        n_items = len(self.truth.item_log_popularity)
        step = max(1, BLOCK_CELLS // n_items)
        out = np.empty(len(user_idx))
        for lo in range(0, len(user_idx), step):
            logits = self.logits(user_idx[lo : lo + step])
            top = logits.max(axis=1, keepdims=True)
            logits -= top
            total = np.exp(logits, out=logits).sum(axis=1, dtype=np.float64)
            out[lo : lo + step] = top[:, 0] + np.log(total)
        return out

    def pair_log_probabilities(
        self, user_idx: IntArray, item_idx: IntArray, personal: float
    ) -> FloatArray:
        """(N,) pairs -> (N,) log of ``personal * P(i | u) + (1 - personal) * w_i``, as
        ``log_probabilities`` gives for those cells, without the dense (N, I) matrix."""
        users, inverse = np.unique(user_idx, return_inverse=True)
        log_w = self.truth.item_log_popularity[item_idx]
        affinity = self.truth.affinity(user_idx, item_idx).astype(np.float64)
        log_taste = (
            affinity * self.inverse_temperature + log_w - self.log_normalisers(users)[inverse]
        )
        with np.errstate(divide="ignore"):
            return np.logaddexp(np.log(personal) + log_taste, np.log1p(-personal) + log_w)

    def cumulative(self, user_idx: IntArray, shares: FloatArray) -> list[FloatArray]:
        """Per share s, a (B * I,) float64 array whose row b (of I entries) is ``b + CDF`` of
        ``s * P(i | u_b) + (1 - s) * w_i``: the flat array is sorted, and a draw for row b is
        ``searchsorted(flat, b + uniform)``. Each user's CDF is summed once, in float32 (several
        times faster), which misplaces only items of probability below about 1e-7.
        """
        popularity = np.cumsum(np.exp(self.truth.item_log_popularity))
        popularity /= popularity[-1]
        offset = np.arange(len(user_idx), dtype=np.float64)[:, None]
        taste = None
        if shares.max() > 0.0:
            logits = self.logits(user_idx)
            logits -= logits.max(axis=1, keepdims=True)
            taste = np.cumsum(np.exp(logits, out=logits), axis=1, out=logits)
            taste /= taste[:, -1:]
        flats = []
        for share in shares:
            flat = np.empty((len(user_idx), len(popularity)))
            if taste is None:
                np.add(offset, popularity, out=flat)
            elif share == 1.0:
                np.add(taste, offset, out=flat)
            else:
                np.multiply(taste, share, out=flat)
                flat += offset
                flat += (1.0 - share) * popularity
            flats.append(flat.ravel())
        return flats


@dataclass(frozen=True)
class _Groups:
    """Groups of distinct items to draw (a user's interactions, or a request's slate).

    Attributes:
        user: (G,) the user of each group.
        size: (G,) how many distinct items the group needs.
        limit: (G,) latest release time (Unix seconds) of an item the group may hold.
        personal: (G,) share of the group's draws from the user's choice distribution; the rest
            come from popularity ``w``.
    """

    user: IntArray
    size: IntArray
    limit: IntArray
    personal: FloatArray


def _sample_distinct(
    model: _ChoiceModel, groups: _Groups, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Per group, ``size`` distinct items released by ``limit``, as an exact Plackett-Luce draw.

    A Plackett-Luce draw without replacement (successive sampling) is the sequence of first
    occurrences in i.i.d. draws from the same distribution, and is drawn so, exactly. Per block of
    users, the CDF of each distinct mixture (``personal``) is computed once; each round draws
    i.i.d. by inverse CDF, rejects items released after the group's limit (exact conditioning) and
    keeps the first occurrences not yet held. Groups still short draw again from the same CDF with
    twice as many draws, continuing the sequence; the rare ones still short after the last round
    (users whose activity nears ``MAX_USER_SHARE`` of the catalogue) take the exact Gumbel-top-k
    over their remaining items. The draws of a group are made as sorted uniforms with independent
    arrival times (the same i.i.d. sequence), so the CDF search reads memory in order and the
    copies of an item sit side by side. Candidates sampled from popularity would avoid the dense
    (U, I) pass, but a few candidates per draw bias the result towards popular items and hide the
    planted taste; exactness costs time in proportion to ``n_users * n_items`` instead.

    Returns:
        (N,) group index and (N,) item index of the draws: each group's draws together and in
        draw order, groups ordered by (user, group index).
    """
    n_items = len(model.truth.item_log_popularity)
    by_user = np.argsort(groups.user, kind="stable")
    users, first = np.unique(groups.user[by_user], return_index=True)
    bounds = np.append(first, len(by_user))
    step = max(1, BLOCK_CELLS // n_items)
    out = []
    for lo in range(0, len(users), step):
        hi = min(lo + step, len(users))
        block = by_user[bounds[lo] : bounds[hi]]
        local = _sample_block(model, groups, users[lo:hi], block, rng)
        out.append(block[local // n_items] * n_items + local % n_items)
    keys = np.concatenate(out)
    return keys // n_items, keys % n_items


def _sample_block(
    model: _ChoiceModel,
    groups: _Groups,
    users: IntArray,
    block: IntArray,
    rng: np.random.Generator,
) -> IntArray:
    """Keys ``position * I + item`` (position in ``block``) of the block's draws, by position,
    each position's in draw order."""
    n_items = len(model.truth.item_log_popularity)
    draw = _BlockDraw(
        release=model.truth.item_release_ts,
        row=np.searchsorted(users, groups.user[block]),
        limit=groups.limit[block],
        missing=groups.size[block].astype(np.int64),
    )
    personal = groups.personal[block]
    shares = np.unique(personal)
    cdfs = model.cumulative(users, shares)
    taken: list[IntArray] = []
    for round_no in range(_SAMPLING_ROUNDS):
        active = np.flatnonzero(draw.missing > 0)
        if not len(active):
            break
        held = _sorted_keys(taken)
        for share, cdf in zip(shares, cdfs, strict=True):
            part = active[personal[active] == share]
            n_draws = np.ceil(_DRAWS_PER_ITEM * 2**round_no * draw.missing[part]).astype(np.int64)
            n_draws += _DRAWS_EXTRA
            keys = draw.fresh(cdf, part, n_draws, held, rng)
            draw.missing[:] -= np.bincount(keys // n_items, minlength=len(block))
            taken.append(keys)
    active = np.flatnonzero(draw.missing > 0)
    if len(active):
        held = _sorted_keys(taken)
        logp = model.log_probabilities(groups.user[block[active]], personal[active])
        taken.append(draw.exact(logp, active, held, rng))
    keys = np.concatenate(taken)
    return keys[np.argsort(keys // n_items, kind="stable")]


def _sorted_keys(taken: list[IntArray]) -> IntArray:
    """The keys drawn so far, sorted for membership tests."""
    return np.sort(np.concatenate(taken)) if taken else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class _BlockDraw:
    """The groups of one block of users (indexed by position) and what they still miss."""

    release: IntArray
    row: IntArray
    limit: IntArray
    missing: IntArray

    def fresh(
        self,
        cdf: FloatArray,
        positions: IntArray,
        n_draws: IntArray,
        held: IntArray,
        rng: np.random.Generator,
    ) -> IntArray:
        """Keys of the new items of ``positions`` from ``n_draws`` i.i.d. draws each, in order."""
        n_items = len(self.release)
        target = sorted_uniforms(n_draws, rng)
        position = np.repeat(positions, n_draws)
        row = self.row[position]
        target += row
        item = np.minimum(np.searchsorted(cdf, target, side="right") - row * n_items, n_items - 1)
        arrival = rng.random(len(item), dtype=np.float32)
        released = self.release[item] <= self.limit[position]
        keys, arrival = (position * n_items + item)[released], arrival[released]
        if not len(keys):
            return keys
        run_start = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        keys, arrival = keys[run_start], np.minimum.reduceat(arrival, run_start)
        if len(held):
            fresh = ~sorted_contains(held, keys)
            keys, arrival = keys[fresh], arrival[fresh]
        position = keys // n_items  # non-decreasing; arrival < 1 orders items within a position
        order = np.argsort(position + arrival.astype(np.float64))
        keys, position = keys[order], position[order]
        return keys[rank_in_group(position) < self.missing[position]]

    def exact(
        self, log_p: FloatArray, positions: IntArray, held: IntArray, rng: np.random.Generator
    ) -> IntArray:
        """Exact Gumbel-top-k of ``positions`` over released items not held; ``log_p`` (P, I)."""
        n_items = len(self.release)
        scores = log_p + rng.gumbel(size=log_p.shape)
        scores[self.release[None, :] > self.limit[positions][:, None]] = -np.inf
        mine = held[np.isin(held // n_items, positions)]
        scores[np.searchsorted(positions, mine // n_items), mine % n_items] = -np.inf
        ranked = np.argsort(-scores, axis=1, kind="stable")
        keep = np.arange(n_items)[None, :] < self.missing[positions][:, None]
        rows = np.broadcast_to(positions[:, None], ranked.shape)
        return rows[keep] * n_items + ranked[keep]


@dataclass(frozen=True)
class Picks:
    """Drawn (group, item) rows, grouped by group, each group in Plackett-Luce order."""

    group: IntArray
    item: IntArray


def draw_choices(
    config: SyntheticConfig,
    truth: PlantedTruth,
    activity: IntArray,
    sessions: Sessions,
    requests: Requests,
) -> tuple[Picks, Picks]:
    """Users' chosen items (groups = users) and requests' slates (groups = request ids).

    Both are drawn in one pass so that each user's choice distribution is computed once.
    """
    n_users, n_requests = config.n_users, len(requests.user)
    groups = _Groups(
        user=np.concatenate([np.arange(n_users), requests.user]),
        size=np.concatenate([activity, np.full(n_requests, config.slots_per_request)]),
        limit=np.concatenate([sessions.last_start, requests.time]),
        personal=np.concatenate(
            [np.ones(n_users), np.full(n_requests, config.policy_personalization)]
        ),
    )
    model = _ChoiceModel(truth, 1.0 / config.temperature)
    group, item = _sample_distinct(model, groups, stream(config, "choices"))
    is_user = group < n_users
    chosen = Picks(group[is_user], item[is_user])
    shown = Picks(group[~is_user] - n_users, item[~is_user])
    return chosen, shown


def logging_log_weights(
    config: SyntheticConfig, truth: PlantedTruth, user: IntArray, item: IntArray
) -> FloatArray:
    """(N,) log weight of each (user, item) pair under the logging policy the slates come from:
    ``policy_personalization * P(i | u) + (1 - policy_personalization) * w_i``."""
    model = _ChoiceModel(truth, 1.0 / config.temperature)
    return model.pair_log_probabilities(user, item, config.policy_personalization)
