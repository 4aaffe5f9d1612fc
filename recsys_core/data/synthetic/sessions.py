"""Users' timelines: activity, planted sessions, logged requests, and interactions placed in them.

Activity ``k_u`` says how many interactions a user has; sessions start in a personal window;
requests fall at session starts; each interaction lands in one of its user's sessions, and
``session_id`` is then cut at gaps, so that the ids follow the documented rule exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys_core.data.synthetic.arrays import rank_in_group
from recsys_core.data.synthetic.config import SECONDS_PER_DAY, SyntheticConfig, stream
from recsys_core.types import IntArray

#: Mean gap in seconds between consecutive interactions of a session (exponential).
_MEAN_SESSION_STEP_S = 120.0


def draw_activity(config: SyntheticConfig, rng: np.random.Generator) -> IntArray:
    """(U,) interactions per user: log-normal, within [min, cap], summing to ``n_interactions``.

    The part above the minimum is water-filled (users over the cap are clipped and their excess is
    spread over the others), then rounded by largest remainder, so that the total is exact.
    """
    low, cap = config.min_user_interactions, config.max_user_interactions
    weight = rng.lognormal(0.0, config.activity_sigma, config.n_users)
    extra_total = config.n_interactions - config.n_users * low
    room = float(cap - low)
    extra = np.zeros(config.n_users)
    free = np.ones(config.n_users, dtype=bool)
    remaining = float(extra_total)
    while remaining > 1e-9 and free.any():
        extra[free] += remaining * weight[free] / weight[free].sum()
        over = extra > room
        remaining = float((extra[over] - room).sum())
        extra[over] = room
        free &= ~over
    whole = np.floor(extra).astype(np.int64)
    fraction = np.where(whole < cap - low, extra - whole, -1.0)
    whole[np.argsort(-fraction, kind="stable")[: extra_total - int(whole.sum())]] += 1
    return low + whole


@dataclass(frozen=True)
class Sessions:
    """Planted session starts, grouped by user and sorted by time within a user.

    Attributes:
        start: (S,) int64 Unix seconds.
        user_offset: (U + 1,) user u's sessions are ``start[user_offset[u] : user_offset[u + 1]]``.
    """

    start: IntArray
    user_offset: IntArray

    @property
    def last_start(self) -> IntArray:
        """(U,) each user's last session start: no item released later can be chosen."""
        return self.start[self.user_offset[1:] - 1]


def draw_sessions(
    config: SyntheticConfig, activity: IntArray, rng: np.random.Generator
) -> Sessions:
    """About ``k_u / mean_session_length`` session starts per user within a personal window."""
    span = (config.span_days - 1) * SECONDS_PER_DAY  # the last day holds the sessions' tails
    length = rng.beta(1.0, 2.0, config.n_users) * span
    window_start = config.start_ts + rng.random(config.n_users) * (span - length)
    n_sessions = 1 + rng.binomial(activity - 1, 1.0 / config.mean_session_length)
    owner = np.repeat(np.arange(config.n_users), n_sessions)
    times = (window_start[owner] + rng.random(len(owner)) * length[owner]).astype(np.int64)
    return Sessions(
        start=times[np.lexsort((times, owner))],
        user_offset=np.concatenate(([0], np.cumsum(n_sessions))),
    )


@dataclass(frozen=True)
class Requests:
    """Logged recommendation requests, sorted by user then time; the index is the request id.

    Attributes:
        user: (R,) the user of each request.
        time: (R,) int64 Unix seconds: the start of one of the user's sessions.
    """

    user: IntArray
    time: IntArray


def draw_requests(
    config: SyntheticConfig, sessions: Sessions, rng: np.random.Generator
) -> Requests:
    """``requests_per_user`` requests per user, each at one of their session starts."""
    user = np.repeat(np.arange(config.n_users), config.requests_per_user)
    n_sessions = np.diff(sessions.user_offset)
    pick = (rng.random(len(user)) * n_sessions[user]).astype(np.int64)
    time = sessions.start[sessions.user_offset[user] + pick]
    return Requests(user, np.sort(time.reshape(config.n_users, -1), axis=1).ravel())


def place_in_sessions(
    user: IntArray, release: IntArray, sessions: Sessions, config: SyntheticConfig
) -> IntArray:
    """(N,) timestamps: a random session of the user that starts after the release, plus steps.

    Sessions are found by one binary search on ``user * W + start`` (W exceeds any time offset);
    the item's release is at most the user's last session start, so a session always exists.
    """
    rng = stream(config, "timing")
    origin = config.start_ts
    width = config.span_days * SECONDS_PER_DAY + 1
    owner = np.repeat(np.arange(config.n_users), np.diff(sessions.user_offset))
    session_keys = owner * width + (sessions.start - origin)
    earliest = np.maximum(release, origin) - origin
    first = np.searchsorted(session_keys, user * width + earliest, side="left")
    end = sessions.user_offset[user + 1]
    session = first + (rng.random(len(user)) * (end - first)).astype(np.int64)
    step = 1 + rng.exponential(_MEAN_SESSION_STEP_S, len(user)).astype(np.int64)
    order = np.argsort(session + rng.random(len(user)))  # by session, randomly within one
    elapsed = np.cumsum(step[order])
    run_start = np.arange(len(user)) - rank_in_group(session[order])
    offset = np.empty(len(user), dtype=np.int64)
    offset[order] = elapsed - elapsed[run_start] + step[order][run_start]
    return sessions.start[session] + offset


def cut_sessions(user: IntArray, timestamp: IntArray, config: SyntheticConfig) -> IntArray:
    """(N,) session ids 0..S-1 for rows sorted by user then time: cut at user changes and gaps."""
    new = np.ones(len(user), dtype=bool)
    new[1:] = (user[1:] != user[:-1]) | (np.diff(timestamp) > config.session_gap_minutes * 60)
    return np.cumsum(new) - 1
