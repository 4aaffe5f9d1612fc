"""Options of the synthetic catalogue, their validation, and one random stream per step.

A ``SyntheticConfig`` that exists is valid: every field is type- and range-checked on construction,
and so are the sizes that must fit together (activity caps, memory bounds).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from recsys_core.config import param
from recsys_core.data.synthetic.names import GENRE_NAMES
from recsys_core.errors import ConfigError

#: A user interacts with at most this share of the catalogue (keeps every user's draw feasible).
MAX_USER_SHARE = 0.5
#: Largest n_users x n_items: sampling computes every user's exact choice distribution.
MAX_USER_ITEM_PAIRS = 2_000_000_000
#: Largest number of impression rows (users x requests x slots) one dataset may hold.
MAX_IMPRESSIONS = 20_000_000

SECONDS_PER_DAY = 86_400
#: Dense (user, item) cells or gathered rows handled at once; bounds memory on any machine.
BLOCK_CELLS = 1 << 20

#: One random stream per step, so that changing one step's options leaves the others unchanged.
_STREAMS = (
    "factors", "popularity", "items", "users", "activity", "sessions", "requests", "choices",
    "timing", "ratings", "clicks", "slate_order",
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
    exploration_share: float = param(
        0.2,
        "Share of requests whose slate order is a uniformly random permutation (the exploration "
        "bucket that replay evaluation uses).",
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


def resolve_config(config: SyntheticConfig | None, overrides: dict[str, Any]) -> SyntheticConfig:
    """``config`` (default ``SyntheticConfig()``) updated by ``overrides``; unknown keys raise."""
    config = config or SyntheticConfig()
    valid = {f.name for f in dataclasses.fields(SyntheticConfig)}
    unknown = sorted(set(overrides) - valid)
    if unknown:
        raise ConfigError(
            f"SyntheticConfig has no option {', '.join(map(repr, unknown))}; "
            f"valid options are: {', '.join(sorted(valid))}"
        )
    return dataclasses.replace(config, **overrides) if overrides else config


def stream(config: SyntheticConfig, step: str) -> np.random.Generator:
    """The random stream of one generation step (one of ``_STREAMS``), seeded by ``config.seed``."""
    return np.random.default_rng([config.seed, _STREAMS.index(step)])
