"""Synthetic catalogue: interactions, impressions and side information drawn from planted factors.

The offline default dataset of RecScope (it needs no network) and the only one with impressions, so
position bias, click models and off-policy estimates can be studied against a known truth.

Generative story (vectorised over users, items or rows; loops run only over blocks and labels):

1. Users get latent factors ``p_u`` and items ``q_i`` (``n_factors`` each), scaled so that the
   affinity ``<p_u, q_i>`` has unit variance. Items get a Zipf-like popularity
   ``w_i ∝ rank_i^-popularity_exponent`` (ranks shuffled over ids) and a release time: a back
   catalogue (60 % of items) released before the span, the rest during it.
2. Genres, tags, title words and provider of an item, and gender, age and occupation of a user, are
   drawn from logits that depend on the factors, so side information carries the same signal as ids.
3. Users get a heavy-tailed (log-normal) activity ``k_u >= min_user_interactions`` summing exactly
   to ``n_interactions``, and ``~k_u / mean_session_length`` session starts in a personal window.
4. Each user picks ``k_u`` distinct items by an exact Plackett-Luce draw (successive sampling) from
   ``P(i | u) ∝ w_i exp(<p_u, q_i> / temperature)``, among items released by their last session.
5. Each interaction falls in one of the user's sessions that starts after the item's release, a few
   minutes after the previous one in that session. ``session_id`` then cuts each user's timeline at
   gaps over ``session_gap_minutes``, so the ids follow that rule exactly. The rating is
   ``2.5 + <p_u, q_i> + noise``, rounded and clipped to 1..5.
6. Impressions: ``requests_per_user`` requests per user, each at one of their session starts, show
   ``slots_per_request`` distinct items released by then, ranked by a Plackett-Luce logging policy
   that mixes the users' own choice distribution (share ``policy_personalization``) with popularity.
   A position-based click model clicks with probability ``examination * relevance``, where
   ``examination = position^-examination_exponent`` and
   ``relevance = sigmoid(<p_u, q_i> / temperature + relevance_bias)``; both are stored.

Everything follows from ``seed``: each step draws from its own stream, so that the planted factors,
for example, stay the same when ``n_interactions`` changes.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from recsys_core.config import param
from recsys_core.data.frames import (
    IMPRESSION_COLUMNS,
    INTERACTION_COLUMNS,
    ITEM_COLUMNS,
    USER_COLUMNS,
    DatasetFrames,
)
from recsys_core.errors import ConfigError
from recsys_core.types import BoolArray, FloatArray, IntArray

GENRE_NAMES: tuple[str, ...] = (
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War",
    "Western",
)  # fmt: skip
TAG_NAMES: tuple[str, ...] = (
    "award-winning", "based-on-a-book", "classic", "cult", "dark", "dialogue-driven", "epic",
    "family", "feel-good", "female-lead", "funny", "indie", "mind-bending", "nostalgic", "quirky",
    "slow-burn", "soundtrack", "stylish", "suspenseful", "tearjerker", "true-story", "twist-ending",
    "violent", "visually-stunning",
)  # fmt: skip
OCCUPATION_NAMES: tuple[str, ...] = (
    "administrator", "artist", "doctor", "educator", "engineer", "entertainment", "executive",
    "healthcare", "homemaker", "lawyer", "librarian", "marketing", "none", "other", "programmer",
    "retired", "salesman", "scientist", "student", "technician", "writer",
)  # fmt: skip
_TITLE_ADJECTIVES: tuple[str, ...] = (
    "Silent", "Golden", "Broken", "Hidden", "Crimson", "Endless", "Frozen", "Burning", "Lost",
    "Electric", "Midnight", "Savage", "Gentle", "Restless", "Hollow", "Iron", "Velvet", "Wild",
    "Distant", "Secret", "Bright", "Fallen", "Quiet", "Last",
)  # fmt: skip
_TITLE_NOUNS: tuple[str, ...] = (
    "Harbor", "Empire", "Garden", "River", "Signal", "Kingdom", "Mirror", "Storm", "Orchard",
    "Machine", "Frontier", "Summer", "Winter", "Highway", "Island", "Letter", "Planet", "Shadow",
    "Melody", "Circus", "Detective", "Voyage", "Dragon", "Station", "Promise", "Canyon", "Heart",
    "Witness", "Galaxy", "Family", "Engine", "Lantern",
)  # fmt: skip

#: A user interacts with at most this share of the catalogue (keeps every user's draw feasible).
MAX_USER_SHARE = 0.5
#: Largest n_users x n_items: sampling computes every user's exact choice distribution.
MAX_USER_ITEM_PAIRS = 2_000_000_000
#: Largest number of impression rows (users x requests x slots) one dataset may hold.
MAX_IMPRESSIONS = 20_000_000
#: Share of items released before the span; at least MAX_USER_SHARE, so that every user and every
#: request always has enough released items to choose from.
_BACK_CATALOGUE_SHARE = 0.6

_SECONDS_PER_DAY = 86_400
_SECONDS_PER_YEAR = 31_557_600
#: Mean gap in seconds between consecutive interactions of a session (exponential).
_MEAN_SESSION_STEP_S = 120.0
#: I.i.d. draws per missing item in the first sampling round (doubling each round), plus a constant.
_DRAWS_PER_ITEM = 1.25
_DRAWS_EXTRA = 3
#: Rounds of i.i.d. draws before the exact Gumbel-top-k fallback takes the groups still short.
_SAMPLING_ROUNDS = 5
#: Dense (user, item) cells or gathered rows handled at once; bounds memory on any machine.
_BLOCK_CELLS = 1 << 20

#: One random stream per step, so that changing one step's options leaves the others unchanged.
_STREAMS = (
    "factors", "popularity", "items", "users", "activity", "sessions", "requests", "choices",
    "timing", "ratings", "clicks",
)  # fmt: skip


@dataclass(frozen=True)
class SyntheticConfig:
    """Options of the synthetic catalogue; the defaults generate in well under a second.

    Invalid values raise ``ConfigError`` on construction, so a config that exists is valid.
    """

    n_users: int = param(2_000, "Number of users.", min=10, max=2_000_000)
    n_items: int = param(1_000, "Number of items in the catalogue.", min=20, max=1_000_000)
    n_interactions: int = param(
        100_000, "Exact number of (user, item) interactions.", min=1_000, max=10_000_000
    )
    n_factors: int = param(8, "Dimension of the planted user and item factors.", min=1, max=64)
    temperature: float = param(
        0.5,
        "Softness of taste: choice logits use <p_u, q_i> / temperature (lower = more personal).",
        min=0.05,
        max=10.0,
    )
    popularity_exponent: float = param(
        1.0, "Zipf exponent of item popularity (0 = uniform, 1 = classic Zipf).", min=0.0, max=3.0
    )
    activity_sigma: float = param(
        1.0, "Log-normal spread of user activity (larger = heavier tail).", min=0.0, max=3.0
    )
    min_user_interactions: int = param(5, "Fewest interactions a user has.", min=1, max=1_000)
    n_genres: int = param(12, "Number of genres in use.", min=1, max=len(GENRE_NAMES))
    n_providers: int = param(20, "Number of providers (studios) owning items.", min=1, max=1_000)
    start_date: str = param("2021-01-01", "First day of the interaction span (YYYY-MM-DD, UTC).")
    span_days: int = param(730, "Length of the interaction span in days.", min=2, max=36_500)
    mean_session_length: float = param(
        5.0, "Mean number of interactions per planted session.", min=1.0, max=1_000.0
    )
    session_gap_minutes: float = param(
        30.0, "A gap longer than this starts a new session.", min=1.0, max=1_440.0
    )
    rating_noise: float = param(
        0.5, "Standard deviation of the noise added to ratings.", min=0.0, max=5.0
    )
    requests_per_user: int = param(
        10, "Recommendation requests logged per user (impressions).", min=1, max=1_000
    )
    slots_per_request: int = param(
        10, "Items shown per request, at positions 1..slots.", min=1, max=100
    )
    policy_personalization: float = param(
        0.5,
        "Share of the logging policy drawn from users' own taste (the rest from popularity).",
        min=0.0,
        max=1.0,
    )
    examination_exponent: float = param(
        1.0, "eta in P(examine | position) = position^-eta.", min=0.0, max=5.0
    )
    relevance_bias: float = param(
        -1.0, "b in relevance = sigmoid(<p_u, q_i> / temperature + b).", min=-10.0, max=10.0
    )
    seed: int = param(42, "Random seed; the same seed gives identical frames.", min=0)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _checked_value(f, getattr(self, f.name)))
        try:
            np.datetime64(self.start_date, "D")
        except ValueError:
            raise ConfigError(
                f"SyntheticConfig.start_date={self.start_date!r} is not a date; use YYYY-MM-DD"
            ) from None
        self._check_sizes()

    @property
    def max_user_interactions(self) -> int:
        """Most interactions one user may have: ``MAX_USER_SHARE`` of the catalogue."""
        return max(1, math.floor(MAX_USER_SHARE * self.n_items))

    @property
    def start_ts(self) -> int:
        """Unix seconds of ``start_date`` at 00:00 UTC."""
        return int(np.datetime64(self.start_date, "s").astype(np.int64))

    def _check_sizes(self) -> None:
        cap = self.max_user_interactions
        share = f"{MAX_USER_SHARE:.0%} of n_items={self.n_items}"
        if self.min_user_interactions > cap:
            raise ConfigError(
                f"min_user_interactions={self.min_user_interactions} exceeds the {cap} items a "
                f"user may have ({share}); raise n_items"
            )
        if self.slots_per_request > cap:
            raise ConfigError(
                f"slots_per_request={self.slots_per_request} exceeds {cap} ({share}); "
                "lower it or raise n_items"
            )
        floor_total = self.n_users * self.min_user_interactions
        if self.n_interactions < floor_total:
            raise ConfigError(
                f"n_interactions={self.n_interactions} is below n_users x min_user_interactions = "
                f"{floor_total}; lower n_users or min_user_interactions, or raise n_interactions"
            )
        ceiling = self.n_users * cap
        if self.n_interactions > ceiling:
            raise ConfigError(
                f"n_interactions={self.n_interactions} is more than the user x item pairs allow: "
                f"each of the {self.n_users} users may have at most {cap} items ({share}), "
                f"{ceiling} in all; raise n_users or n_items"
            )
        if self.n_users * self.n_items > MAX_USER_ITEM_PAIRS:
            raise ConfigError(
                f"n_users x n_items = {self.n_users * self.n_items} exceeds {MAX_USER_ITEM_PAIRS}: "
                "sampling scores every (user, item) pair; lower n_users or n_items"
            )
        n_impressions = self.n_users * self.requests_per_user * self.slots_per_request
        if n_impressions > MAX_IMPRESSIONS:
            raise ConfigError(
                f"n_users x requests_per_user x slots_per_request = {n_impressions} impressions "
                f"exceeds {MAX_IMPRESSIONS}; lower requests_per_user or slots_per_request"
            )


def _checked_value(f: dataclasses.Field[Any], value: Any) -> Any:
    """The value of one field, type-checked (ints accepted for floats) and within its bounds."""
    target = type(f.default)
    if target is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, target) or isinstance(value, bool):
        raise ConfigError(
            f"SyntheticConfig.{f.name}={value!r} must be a {target.__name__}: {f.metadata['help']}"
        )
    if target is float and not math.isfinite(value):
        raise ConfigError(f"SyntheticConfig.{f.name}={value!r} must be a finite number")
    low, high = f.metadata.get("min"), f.metadata.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(
            f"SyntheticConfig.{f.name}={value!r} is outside [{low}, {high}]: {f.metadata['help']}"
        )
    return value


@dataclass(frozen=True)
class PlantedTruth:
    """The latent structure the synthetic catalogue is drawn from, for tests and oracle baselines.

    Attributes:
        user_factors: (U, F) float32 planted user factors ``p_u``.
        item_factors: (I, F) float32 planted item factors ``q_i``.
        item_log_popularity: (I,) float64 ``log w_i``, normalised so that ``sum(w) == 1``.
        item_release_ts: (I,) int64 Unix seconds from which each item can be seen or chosen.
    """

    user_factors: npt.NDArray[np.float32]
    item_factors: npt.NDArray[np.float32]
    item_log_popularity: FloatArray
    item_release_ts: IntArray

    def affinity(self, user_idx: IntArray, item_idx: IntArray) -> npt.NDArray[np.float32]:
        """(N,) pairs -> (N,) ``<p_u, q_i>`` (unit variance over random pairs)."""
        out = np.empty(len(user_idx), dtype=np.float32)
        for lo in range(0, len(user_idx), _BLOCK_CELLS):
            users = self.user_factors.take(user_idx[lo : lo + _BLOCK_CELLS], axis=0)
            items = self.item_factors.take(item_idx[lo : lo + _BLOCK_CELLS], axis=0)
            out[lo : lo + _BLOCK_CELLS] = np.einsum("nf,nf->n", users, items)
        return out


def planted_truth(config: SyntheticConfig | None = None) -> PlantedTruth:
    """The planted factors, popularity and release times of ``config``'s catalogue.

    Deterministic from the seed, and exactly what ``generate_synthetic(config)`` draws from.
    """
    config = config or SyntheticConfig()
    rng = _stream(config, "factors")
    scale = np.float32(config.n_factors**-0.25)
    user_factors = rng.standard_normal((config.n_users, config.n_factors), dtype=np.float32) * scale
    item_factors = rng.standard_normal((config.n_items, config.n_factors), dtype=np.float32) * scale
    rng = _stream(config, "popularity")
    ranks = rng.permutation(config.n_items) + 1
    log_w = -config.popularity_exponent * np.log(ranks.astype(np.float64))
    log_w -= np.logaddexp.reduce(log_w)
    release = _draw_release_times(config, rng)
    return PlantedTruth(user_factors, item_factors, log_w, release)


def generate_synthetic(
    config: SyntheticConfig | None = None, *, name: str = "synthetic", **overrides: Any
) -> DatasetFrames:
    """Generate the synthetic catalogue as ``DatasetFrames`` with impressions.

    Args:
        config: the options; defaults to ``SyntheticConfig()``.
        name: the dataset's name in the store.
        **overrides: options replacing those of ``config`` (``n_users=500``, ``seed=7``).

    Returns:
        Interactions sorted by user then time, users and items by id, impressions by request then
        position; dtypes as documented in ``recsys_core.data.frames``.

    Raises:
        ConfigError: an unknown option or an invalid value; the message names the valid ones.
    """
    config = _resolve_config(config, overrides)
    truth = planted_truth(config)
    activity = _draw_activity(config, _stream(config, "activity"))
    sessions = _draw_sessions(config, activity, _stream(config, "sessions"))
    requests = _draw_requests(config, sessions, _stream(config, "requests"))
    chosen, shown = _draw_choices(config, truth, activity, sessions, requests)
    user_ids, item_ids = _format_ids("u", config.n_users), _format_ids("i", config.n_items)
    rows = _build_interactions(config, truth, sessions, chosen)
    del chosen  # free each large intermediate as soon as its frame exists
    interactions = _interaction_frame(rows, user_ids, item_ids)
    del rows
    impressions = _impression_frame(
        _build_impressions(config, truth, requests, shown), user_ids, item_ids
    )
    return DatasetFrames(
        name=name,
        source=f"generator:seed={config.seed}",
        interactions=interactions,
        items=_item_frame(config, truth, item_ids),
        users=_user_frame(config, truth, user_ids),
        impressions=impressions,
        meta={
            "generator": "recsys_core.data.synthetic",
            "config": dataclasses.asdict(config),
            "rating_scale": [1.0, 5.0],
            "session_gap_seconds": config.session_gap_minutes * 60,
            "license": "synthetic data, free to use",
        },
    )


def _resolve_config(config: SyntheticConfig | None, overrides: dict[str, Any]) -> SyntheticConfig:
    config = config or SyntheticConfig()
    valid = {f.name for f in dataclasses.fields(SyntheticConfig)}
    unknown = sorted(set(overrides) - valid)
    if unknown:
        raise ConfigError(
            f"SyntheticConfig has no option {', '.join(map(repr, unknown))}; "
            f"valid options are: {', '.join(sorted(valid))}"
        )
    return dataclasses.replace(config, **overrides) if overrides else config


def _stream(config: SyntheticConfig, step: str) -> np.random.Generator:
    return np.random.default_rng([config.seed, _STREAMS.index(step)])


# --- planted structure ----------------------------------------------------------------------------


def _draw_release_times(config: SyntheticConfig, rng: np.random.Generator) -> IntArray:
    """(I,) release times: a back catalogue before the span, the rest uniform within it."""
    n_back = math.ceil(_BACK_CATALOGUE_SHARE * config.n_items)
    order = rng.permutation(config.n_items)
    start, span = config.start_ts, config.span_days * _SECONDS_PER_DAY
    age = np.minimum(rng.exponential(8.0, n_back), 45.0) * _SECONDS_PER_YEAR
    release = np.empty(config.n_items, dtype=np.int64)
    release[order[:n_back]] = start - 1 - age.astype(np.int64)
    release[order[n_back:]] = start + rng.integers(0, span, config.n_items - n_back)
    return release


def _draw_activity(config: SyntheticConfig, rng: np.random.Generator) -> IntArray:
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
class _Sessions:
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


def _draw_sessions(
    config: SyntheticConfig, activity: IntArray, rng: np.random.Generator
) -> _Sessions:
    """About ``k_u / mean_session_length`` session starts per user within a personal window."""
    span = (config.span_days - 1) * _SECONDS_PER_DAY  # the last day holds the sessions' tails
    length = rng.beta(1.0, 2.0, config.n_users) * span
    window_start = config.start_ts + rng.random(config.n_users) * (span - length)
    n_sessions = 1 + rng.binomial(activity - 1, 1.0 / config.mean_session_length)
    owner = np.repeat(np.arange(config.n_users), n_sessions)
    times = (window_start[owner] + rng.random(len(owner)) * length[owner]).astype(np.int64)
    return _Sessions(
        start=times[np.lexsort((times, owner))],
        user_offset=np.concatenate(([0], np.cumsum(n_sessions))),
    )


@dataclass(frozen=True)
class _Requests:
    """Logged recommendation requests, sorted by user then time; the index is the request id.

    Attributes:
        user: (R,) the user of each request.
        time: (R,) int64 Unix seconds: the start of one of the user's sessions.
    """

    user: IntArray
    time: IntArray


def _draw_requests(
    config: SyntheticConfig, sessions: _Sessions, rng: np.random.Generator
) -> _Requests:
    user = np.repeat(np.arange(config.n_users), config.requests_per_user)
    n_sessions = np.diff(sessions.user_offset)
    pick = (rng.random(len(user)) * n_sessions[user]).astype(np.int64)
    time = sessions.start[sessions.user_offset[user] + pick]
    return _Requests(user, np.sort(time.reshape(config.n_users, -1), axis=1).ravel())


# --- sampling distinct items ----------------------------------------------------------------------


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
    step = max(1, _BLOCK_CELLS // n_items)
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
        target = _sorted_uniforms(n_draws, rng)
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
            fresh = ~_sorted_contains(held, keys)
            keys, arrival = keys[fresh], arrival[fresh]
        position = keys // n_items  # non-decreasing; arrival < 1 orders items within a position
        order = np.argsort(position + arrival.astype(np.float64))
        keys, position = keys[order], position[order]
        return keys[_rank_in_group(position) < self.missing[position]]

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


def _sorted_uniforms(counts: IntArray, rng: np.random.Generator) -> FloatArray:
    """(sum(counts),) ``counts[g]`` sorted uniforms in [0, 1) per segment g, in O(n).

    Normalised partial sums of ``counts[g] + 1`` exponential spacings are distributed as the order
    statistics of ``counts[g]`` uniforms.
    """
    spacing = rng.standard_exponential(int(counts.sum()) + len(counts))
    ends = np.cumsum(counts + 1)
    starts = ends - counts - 1
    running = np.cumsum(spacing)
    before = running[starts] - spacing[starts]
    total = running[ends - 1] - before
    keep = np.ones(len(spacing), dtype=bool)
    keep[ends - 1] = False
    segment = np.repeat(np.arange(len(counts)), counts)
    return np.minimum((running[keep] - before[segment]) / total[segment], np.nextafter(1.0, 0.0))


def _sorted_contains(haystack: IntArray, needles: IntArray) -> BoolArray:
    """Whether each needle is in the sorted, non-empty ``haystack``."""
    pos = np.minimum(np.searchsorted(haystack, needles), len(haystack) - 1)
    return haystack[pos] == needles


def _rank_in_group(group: IntArray) -> IntArray:
    """0-based position of each row within its run of equal ``group`` values."""
    idx = np.arange(len(group))
    first = np.ones(len(group), dtype=bool)
    first[1:] = group[1:] != group[:-1]
    return idx - np.maximum.accumulate(np.where(first, idx, 0))


@dataclass(frozen=True)
class _Picks:
    """Drawn (group, item) rows, grouped by group, each group in Plackett-Luce order."""

    group: IntArray
    item: IntArray


def _draw_choices(
    config: SyntheticConfig,
    truth: PlantedTruth,
    activity: IntArray,
    sessions: _Sessions,
    requests: _Requests,
) -> tuple[_Picks, _Picks]:
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
    group, item = _sample_distinct(model, groups, _stream(config, "choices"))
    is_user = group < n_users
    chosen = _Picks(group[is_user], item[is_user])
    shown = _Picks(group[~is_user] - n_users, item[~is_user])
    return chosen, shown


# --- interactions and impressions -----------------------------------------------------------------


@dataclass(frozen=True)
class _Interactions:
    """Interaction rows by index, sorted by user then time; see ``_interaction_frame``."""

    user: IntArray
    item: IntArray
    rating: FloatArray
    timestamp: IntArray
    session: IntArray


def _build_interactions(
    config: SyntheticConfig, truth: PlantedTruth, sessions: _Sessions, chosen: _Picks
) -> _Interactions:
    release = truth.item_release_ts[chosen.item]
    timestamp = _place_in_sessions(chosen.group, release, sessions, config)
    # One int64 key (user, time); the stable sort keeps choice order among equal timestamps.
    width = int(timestamp.max()) - config.start_ts + 1
    order = np.argsort(chosen.group * width + (timestamp - config.start_ts), kind="stable")
    user, item, timestamp = chosen.group[order], chosen.item[order], timestamp[order]
    affinity = truth.affinity(user, item).astype(np.float64)
    noise = config.rating_noise * _stream(config, "ratings").standard_normal(len(user))
    rating = np.clip(np.rint(2.5 + affinity + noise), 1.0, 5.0)
    return _Interactions(user, item, rating, timestamp, _cut_sessions(user, timestamp, config))


def _place_in_sessions(
    user: IntArray, release: IntArray, sessions: _Sessions, config: SyntheticConfig
) -> IntArray:
    """(N,) timestamps: a random session of the user that starts after the release, plus steps.

    Sessions are found by one binary search on ``user * W + start`` (W exceeds any time offset);
    the item's release is at most the user's last session start, so a session always exists.
    """
    rng = _stream(config, "timing")
    origin = config.start_ts
    width = config.span_days * _SECONDS_PER_DAY + 1
    owner = np.repeat(np.arange(config.n_users), np.diff(sessions.user_offset))
    session_keys = owner * width + (sessions.start - origin)
    earliest = np.maximum(release, origin) - origin
    first = np.searchsorted(session_keys, user * width + earliest, side="left")
    end = sessions.user_offset[user + 1]
    session = first + (rng.random(len(user)) * (end - first)).astype(np.int64)
    step = 1 + rng.exponential(_MEAN_SESSION_STEP_S, len(user)).astype(np.int64)
    order = np.argsort(session + rng.random(len(user)))  # by session, randomly within one
    elapsed = np.cumsum(step[order])
    run_start = np.arange(len(user)) - _rank_in_group(session[order])
    offset = np.empty(len(user), dtype=np.int64)
    offset[order] = elapsed - elapsed[run_start] + step[order][run_start]
    return sessions.start[session] + offset


def _cut_sessions(user: IntArray, timestamp: IntArray, config: SyntheticConfig) -> IntArray:
    """(N,) session ids 0..S-1 for rows sorted by user then time: cut at user changes and gaps."""
    new = np.ones(len(user), dtype=bool)
    new[1:] = (user[1:] != user[:-1]) | (np.diff(timestamp) > config.session_gap_minutes * 60)
    return np.cumsum(new) - 1


@dataclass(frozen=True)
class _Impressions:
    """Impression rows by index, sorted by request then position; see ``_impression_frame``."""

    request: IntArray
    user: IntArray
    item: IntArray
    position: IntArray
    clicked: IntArray
    relevance: FloatArray
    examination: FloatArray
    timestamp: IntArray


def _build_impressions(
    config: SyntheticConfig, truth: PlantedTruth, requests: _Requests, shown: _Picks
) -> _Impressions:
    """The position-based click model over the logged slates."""
    user, item = requests.user[shown.group], shown.item
    position = _rank_in_group(shown.group) + 1
    affinity = truth.affinity(user, item).astype(np.float64)
    relevance = 1.0 / (1.0 + np.exp(-(affinity / config.temperature + config.relevance_bias)))
    examination = position.astype(np.float64) ** -config.examination_exponent
    clicks = _stream(config, "clicks").random(len(item)) < examination * relevance
    return _Impressions(
        request=shown.group,
        user=user,
        item=item,
        position=position,
        clicked=clicks.astype(np.int64),
        relevance=relevance,
        examination=examination,
        timestamp=requests.time[shown.group],
    )


# --- side information -----------------------------------------------------------------------------


def _rank_labels(
    factors: npt.NDArray[np.float32],
    n_labels: int,
    top: int,
    strength: float,
    rng: np.random.Generator,
    log_prior: FloatArray | None = None,
) -> IntArray:
    """(N, top) distinct labels per row, drawn by Gumbel-top-k, best first.

    Label logits are ``strength * <factor_row, c_label> (+ log_prior)`` with random centroids
    ``c_label`` on the factors' scale, so that rows with similar factors get similar labels.
    """
    centroids = rng.standard_normal((n_labels, factors.shape[1])).astype(np.float32)
    centroids *= np.float32(factors.shape[1] ** -0.25)
    out = np.empty((len(factors), top), dtype=np.int64)
    step = max(1, _BLOCK_CELLS // n_labels)
    for lo in range(0, len(factors), step):
        logits = strength * (factors[lo : lo + step] @ centroids.T).astype(np.float64)
        if log_prior is not None:
            logits += log_prior
        logits += rng.gumbel(size=logits.shape)
        if top == 1:
            out[lo : lo + step, 0] = logits.argmax(axis=1)
        else:
            out[lo : lo + step] = np.argsort(-logits, axis=1)[:, :top]
    return out


def _membership(ranked: IntArray, n_picked: IntArray, n_labels: int) -> BoolArray:
    """(N, L) True for the first ``n_picked`` labels of each row of ``ranked`` (N, top)."""
    members = np.zeros((len(ranked), n_labels), dtype=bool)
    rows = np.arange(len(ranked))
    for slot in range(ranked.shape[1]):
        members[rows, ranked[:, slot]] |= slot < n_picked
    return members


def _join_labels(members: BoolArray, names: tuple[str, ...]) -> npt.NDArray[np.object_]:
    """(N,) ``|``-joined names of each row's labels in label order ("" when none)."""
    joined = np.full(len(members), "", dtype=object)
    for label in range(members.shape[1]):
        has = members[:, label]
        sep = np.where(joined[has] == "", "", "|")
        joined[has] = joined[has] + sep + names[label]
    return joined


def _item_frame(config: SyntheticConfig, truth: PlantedTruth, item_ids: pa.Array) -> pd.DataFrame:
    rng = _stream(config, "items")
    n_items, factors = config.n_items, truth.item_factors
    n_genres = np.minimum(rng.choice([1, 2, 3], n_items, p=[0.45, 0.35, 0.2]), config.n_genres)
    ranked = _rank_labels(factors, config.n_genres, int(n_genres.max()), 2.0, rng)
    genres = _membership(ranked, n_genres, config.n_genres)
    n_tags = rng.choice([0, 1, 2, 3], n_items, p=[0.2, 0.35, 0.3, 0.15])
    tags = _membership(_rank_labels(factors, len(TAG_NAMES), 3, 1.5, rng), n_tags, len(TAG_NAMES))
    adjective = _rank_labels(factors, len(_TITLE_ADJECTIVES), 1, 1.5, rng)[:, 0]
    noun = _rank_labels(factors, len(_TITLE_NOUNS), 1, 1.5, rng)[:, 0]
    article = np.where(rng.random(n_items) < 0.3, "The ", "")
    title = np.strings.add(
        np.strings.add(article, np.asarray(_TITLE_ADJECTIVES)[adjective]),
        np.strings.add(" ", np.asarray(_TITLE_NOUNS)[noun]),
    )
    provider_prior = -np.log(np.arange(1, config.n_providers + 1, dtype=np.float64))
    provider = _rank_labels(factors, config.n_providers, 1, 0.5, rng, provider_prior)[:, 0]
    release = truth.item_release_ts
    year = release.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    return pd.DataFrame(
        {
            "item_id": _strings(item_ids),
            "title": _strings(title),
            "genres": _strings(_join_labels(genres, GENRE_NAMES)),
            "year": pd.array(year, dtype="Int64"),
            "provider": _strings(_format_ids("p", config.n_providers).take(pa.array(provider))),
            "release_ts": pd.array(release, dtype="Int64"),
            "tags": _strings(_join_labels(tags, TAG_NAMES)),
        },
        columns=list(ITEM_COLUMNS),
    )


def _user_frame(config: SyntheticConfig, truth: PlantedTruth, user_ids: pa.Array) -> pd.DataFrame:
    rng = _stream(config, "users")
    factors, n_users = truth.user_factors, config.n_users
    first_factor = factors[:, 0].astype(np.float64) * config.n_factors**0.25  # unit variance
    noise = rng.standard_normal(n_users)
    age = np.clip(np.rint(33 + 12 * (0.6 * first_factor + 0.8 * noise)), 13, 80).astype(np.int64)
    female = _rank_labels(factors, 2, 1, 1.0, rng)[:, 0] == 1
    occupation = _rank_labels(factors, len(OCCUPATION_NAMES), 1, 1.0, rng)[:, 0]
    zip_code = np.strings.zfill(rng.integers(0, 100_000, n_users).astype(str), 5)
    return pd.DataFrame(
        {
            "user_id": _strings(user_ids),
            "age": pd.array(age, dtype="Int64"),
            "gender": _strings(np.where(female, "F", "M")),
            "occupation": _strings(np.asarray(OCCUPATION_NAMES)[occupation]),
            "zip": _strings(zip_code),
        },
        columns=list(USER_COLUMNS),
    )


# --- frames ---------------------------------------------------------------------------------------


def _format_ids(prefix: str, n: int) -> pa.Array:
    """``prefix`` + 1-based zero-padded numbers of at least 5 digits, e.g. ``u00001``."""
    width = max(5, len(str(n)))
    numbers = np.arange(1, n + 1).astype(str)
    return pa.array(np.strings.add(prefix, np.strings.zfill(numbers, width)))


def _strings(values: pa.Array | npt.NDArray[Any]) -> pd.api.extensions.ExtensionArray:
    """Pandas' default ``str`` dtype (Arrow-backed) from an Arrow or NumPy array of strings."""
    return pd.array(values if isinstance(values, pa.Array) else pa.array(values), dtype="str")


def _interaction_frame(rows: _Interactions, user_ids: pa.Array, item_ids: pa.Array) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": _strings(user_ids.take(pa.array(rows.user))),
            "item_id": _strings(item_ids.take(pa.array(rows.item))),
            "rating": rows.rating,
            "timestamp": pd.array(rows.timestamp, dtype="Int64"),
            "session_id": pd.array(rows.session, dtype="Int64"),
        },
        columns=list(INTERACTION_COLUMNS),
        copy=False,
    )


def _impression_frame(rows: _Impressions, user_ids: pa.Array, item_ids: pa.Array) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": pd.array(rows.request, dtype="Int64"),
            "user_id": _strings(user_ids.take(pa.array(rows.user))),
            "item_id": _strings(item_ids.take(pa.array(rows.item))),
            "position": pd.array(rows.position, dtype="Int64"),
            "clicked": pd.array(rows.clicked, dtype="Int64"),
            "relevance": rows.relevance,
            "examination": rows.examination,
            "timestamp": pd.array(rows.timestamp, dtype="Int64"),
        },
        columns=list(IMPRESSION_COLUMNS),
        copy=False,
    )
