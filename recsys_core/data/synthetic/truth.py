"""The planted truth: user and item factors, Zipf-like popularity and item release times.

Everything else in the catalogue is drawn from this structure, which tests and oracle baselines read
back through ``planted_truth``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from recsys_core.data.synthetic.config import (
    BLOCK_CELLS,
    SECONDS_PER_DAY,
    SyntheticConfig,
    stream,
)
from recsys_core.types import FloatArray, IntArray

#: Share of items released before the span; at least MAX_USER_SHARE, so that every user and every
#: request always has enough released items to choose from.
_BACK_CATALOGUE_SHARE = 0.6
_SECONDS_PER_YEAR = 31_557_600


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
        for lo in range(0, len(user_idx), BLOCK_CELLS):
            users = self.user_factors.take(user_idx[lo : lo + BLOCK_CELLS], axis=0)
            items = self.item_factors.take(item_idx[lo : lo + BLOCK_CELLS], axis=0)
            out[lo : lo + BLOCK_CELLS] = np.einsum("nf,nf->n", users, items)
        return out


def planted_truth(config: SyntheticConfig | None = None) -> PlantedTruth:
    """The planted factors, popularity and release times of ``config``'s catalogue.

    Deterministic from the seed, and exactly what ``generate_synthetic(config)`` draws from.
    """
    config = config or SyntheticConfig()
    rng = stream(config, "factors")
    scale = np.float32(config.n_factors**-0.25)
    user_factors = rng.standard_normal((config.n_users, config.n_factors), dtype=np.float32) * scale
    item_factors = rng.standard_normal((config.n_items, config.n_factors), dtype=np.float32) * scale
    rng = stream(config, "popularity")
    ranks = rng.permutation(config.n_items) + 1
    log_w = -config.popularity_exponent * np.log(ranks.astype(np.float64))
    log_w -= np.logaddexp.reduce(log_w)
    release = _draw_release_times(config, rng)
    return PlantedTruth(user_factors, item_factors, log_w, release)


def _draw_release_times(config: SyntheticConfig, rng: np.random.Generator) -> IntArray:
    """(I,) release times: a back catalogue before the span, the rest uniform within it."""
    n_back = math.ceil(_BACK_CATALOGUE_SHARE * config.n_items)
    order = rng.permutation(config.n_items)
    start, span = config.start_ts, config.span_days * SECONDS_PER_DAY
    age = np.minimum(rng.exponential(8.0, n_back), 45.0) * _SECONDS_PER_YEAR
    release = np.empty(config.n_items, dtype=np.int64)
    release[order[:n_back]] = start - 1 - age.astype(np.int64)
    release[order[n_back:]] = start + rng.integers(0, span, config.n_items - n_back)
    return release
