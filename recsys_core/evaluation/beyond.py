"""Beyond-accuracy metrics that re-ranking moves: long-tail share, genre miscalibration, item age.

Each metric is vectorised over users and returns (B,) for top-k lists ``recs`` (B, K) with -1
padding. The helpers below them build their inputs from a dataset's items and a training split,
once per run, for the evaluation and the re-rankers alike; everything user-side comes from the
training window only. ``kl_divergence`` and ``mix`` are the calibration core (Steck 2018) shared
with ``recsys_core.rerank.genre_calibration``. Shape legend: B users, K list length, U users,
I items, G genres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import ConfigError, DataError
from recsys_core.types import BoolArray, FloatArray, IntArray

#: Seconds in a Julian year (365.25 days): the unit of item ages.
SECONDS_PER_YEAR = 365.25 * 24 * 3600
#: Share of items that count as the popular head in ``long_tail_items`` (Abdollahpouri et al.).
HEAD_SHARE = 0.2
#: Weight of the user's own distribution mixed into the list's (Steck 2018 uses 0.01).
CALIBRATION_ALPHA = 0.01


# --- calibration core -----------------------------------------------------------------------------
def mix(q: FloatArray, p: FloatArray, alpha: float) -> FloatArray:
    """(..., G) q̃ = (1 - alpha) q + alpha p: keeps KL(p‖q̃) finite where q misses a genre of p."""
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"alpha must lie in [0, 1] (Steck uses 0.01), got {alpha}")
    return (1.0 - alpha) * np.asarray(q, dtype=np.float64) + alpha * np.asarray(p, dtype=np.float64)


def kl_divergence(p: FloatArray, q_tilde: FloatArray) -> FloatArray:
    """(...,) KL(p‖q̃) = sum over genres with p > 0 of p log(p / q̃) on the last axis, in nats.

    ``p`` and ``q_tilde`` broadcast against each other (e.g. (B, 1, G) users against (B, N, G)
    candidate lists). Genres with p = 0 add nothing; a genre with p > 0 and q̃ = 0 gives +inf
    (``mix`` q with p first).
    """
    p = np.asarray(p, dtype=np.float64)
    q_tilde = np.asarray(q_tilde, dtype=np.float64)
    ratio = np.ones(np.broadcast_shapes(p.shape, q_tilde.shape))
    with np.errstate(divide="ignore"):
        np.divide(p, q_tilde, out=ratio, where=p > 0)
    return (p * np.log(ratio)).sum(axis=-1)


def genre_kl(p: FloatArray, q: FloatArray, alpha: float = CALIBRATION_ALPHA) -> FloatArray:
    """(...,) Steck's miscalibration KL(p‖q̃), q̃ = (1 - alpha) q + alpha p, per row, in nats.

    Genres where p is 0 contribute nothing, so a user without history scores 0.
    """
    return kl_divergence(p, mix(q, p, alpha))


def item_genre_shares(item_genres: FloatArray) -> FloatArray:
    """(..., G) p(g|i): each item's genres weighted uniformly, summing to 1 (zero rows stay zero).

    Steck spreads an item over its genres this way, so a list's genre distribution is the mean of
    its items' rows.
    """
    genres = (np.asarray(item_genres) > 0).astype(np.float64)
    totals = genres.sum(axis=-1, keepdims=True)
    return np.divide(genres, totals, out=np.zeros_like(genres), where=totals > 0)


# --- metrics --------------------------------------------------------------------------------------
def _top(recs: IntArray, k: int) -> tuple[IntArray, BoolArray]:
    """(B, k') the first k columns of ``recs`` (padding as 0) and the mask of real items."""
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    top = np.asarray(recs, dtype=np.int64)[:, :k]
    valid = top >= 0
    return np.where(valid, top, 0), valid


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Elementwise numerator / denominator, NaN where the denominator is 0."""
    out = np.full(np.shape(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=np.asarray(denominator) > 0)
    return out


def tail_share_at_k(recs: IntArray, long_tail: BoolArray, k: int) -> FloatArray:
    """(B,) share of each top-k list's real (non-padding) items that are long tail; NaN if empty.

    Args:
        recs: (B, K) item indices, -1 padding.
        long_tail: (I,) True for long-tail items (``long_tail_items``).
        k: cut-off.
    """
    top, valid = _top(recs, k)
    in_tail = np.asarray(long_tail, dtype=bool)[top] & valid
    return _ratio(in_tail.sum(axis=1).astype(np.float64), valid.sum(axis=1).astype(np.float64))


def list_genre_distribution(recs: IntArray, item_genres: FloatArray, k: int) -> FloatArray:
    """(B, G) q(g|u): mean of the genre shares of the listed items that have a genre.

    Items without a genre carry no genre information and are left out of the mean; a row with no
    such item is NaN. Computed as a sparse (B, I) list matrix times the (I, G) shares.
    """
    top, valid = _top(recs, k)
    shares = item_genre_shares(item_genres)
    rows = np.repeat(np.arange(len(top)), valid.sum(axis=1))
    lists = sp.csr_matrix(
        (np.ones(len(rows)), (rows, top[valid])), shape=(len(top), shares.shape[0])
    )
    totals = np.asarray(lists @ shares)
    n_genred = lists @ (shares.sum(axis=1) > 0).astype(np.float64)
    return _ratio(totals, n_genred[:, None])


def genre_kl_at_k(
    recs: IntArray,
    user_genres: FloatArray,
    item_genres: FloatArray,
    k: int,
    alpha: float = CALIBRATION_ALPHA,
) -> FloatArray:
    """(B,) Steck's miscalibration KL(p‖q̃) of each top-k list, in nats (0: perfectly calibrated).

    p is the user's training genre distribution, q the list's (``list_genre_distribution``, every
    listed item weighted equally) and q̃ = (1 - alpha) q + alpha p. NaN for a user with an empty p
    or a list with no item that has a genre. Source: Steck, "Calibrated Recommendations",
    RecSys 2018 (the miscalibration measure C_KL with its smoothing alpha).

    Args:
        recs: (B, K) item indices, -1 padding.
        user_genres: (B, G) p of each list's user (``user_genre_distribution`` rows).
        item_genres: (I, G) multi-hot (or weighted) genres.
        k: cut-off.
        alpha: weight of p in q̃.
    """
    p = np.asarray(user_genres, dtype=np.float64)
    q = list_genre_distribution(recs, item_genres, k)
    defined = (p.sum(axis=1) > 0) & ~np.isnan(q).any(axis=1)
    kl = kl_divergence(p, mix(np.nan_to_num(q), p, alpha))
    return np.where(defined, kl, np.nan)


def mean_item_age_at_k(recs: IntArray, item_age: FloatArray, k: int) -> FloatArray:
    """(B,) mean age in years of the listed items whose age is known; NaN when none is.

    Args:
        recs: (B, K) item indices, -1 padding.
        item_age: (I,) years at the end of the training window, NaN where unknown
            (``item_age_years``).
        k: cut-off.
    """
    top, valid = _top(recs, k)
    ages = np.asarray(item_age, dtype=np.float64)[top]
    known = valid & ~np.isnan(ages)
    totals = np.where(known, ages, 0.0).sum(axis=1)
    return _ratio(totals, known.sum(axis=1).astype(np.float64))


# --- inputs from a dataset and a split ------------------------------------------------------------
def long_tail_items(train_item_counts: IntArray, head_share: float = HEAD_SHARE) -> BoolArray:
    """(I,) True for items outside the ``head_share`` most interacted with in training.

    The head is the first floor(head_share * I) items by training count, descending, ties broken
    by the lower item index (so the split is deterministic); an item never interacted with in
    training is always long tail, even when the head is not full.
    """
    if not 0.0 <= head_share <= 1.0:
        raise ConfigError(f"head_share must lie in [0, 1] (0.2: the top 20%), got {head_share}")
    counts = np.asarray(train_item_counts)
    n_head = math.floor(head_share * len(counts) + 1e-9)
    order = np.lexsort((np.arange(len(counts)), -counts))  # by count desc, then index asc
    tail = np.ones(len(counts), dtype=bool)
    tail[order[:n_head]] = False
    return tail | (counts <= 0)


def user_genre_distribution(train: TrainSplit, item_genres: FloatArray) -> FloatArray:
    """(U, G) p(g|u) of each user's training history; zero rows for users without one.

    Each training interaction contributes its item's genre vector normalised to sum 1 (repeated
    interactions count again, items without a genre add nothing); rows are then normalised to 1.
    """
    shares = item_genre_shares(item_genres)
    if shares.shape[0] != train.n_items:
        raise DataError(
            f"item_genres must have one row per item ({train.n_items}), got {shares.shape[0]}"
        )
    history = sp.csr_matrix(
        (np.ones(len(train)), (train.user_idx, train.item_idx)),
        shape=(train.n_users, train.n_items),
    )
    totals = np.asarray(history @ shares)
    sums = totals.sum(axis=1, keepdims=True)
    return np.divide(totals, sums, out=np.zeros_like(totals), where=sums > 0)


def _item_times(items: pd.DataFrame) -> FloatArray:
    """(I,) release time of each item in Unix seconds: ``release_ts``, else mid-``year``, else NaN.

    Mid-year is (year + 0.5 - 1970) Julian years after the epoch, so both sources share one unit.
    """
    times = np.full(len(items), np.nan)
    if "year" in items:
        year = pd.to_numeric(items["year"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        times = (year + 0.5 - 1970.0) * SECONDS_PER_YEAR
    if "release_ts" in items:
        released = pd.to_numeric(items["release_ts"], errors="coerce")
        released = released.to_numpy(np.float64, na_value=np.nan)
        times = np.where(np.isnan(released), times, released)
    return times


def age_reference_time(train: TrainSplit, items: pd.DataFrame) -> int | None:
    """Unix seconds at which item ages are measured: the end of the training window.

    The latest training timestamp; for data without timestamps, the start of the year after the
    latest item year (max year + 1, from ``year`` or ``release_ts``); None when neither exists.
    """
    if train.timestamp is not None and len(train):
        return int(np.max(train.timestamp))
    times = _item_times(items)
    if np.isnan(times).all():
        return None
    latest_year = math.floor(1970.0 + np.nanmax(times) / SECONDS_PER_YEAR)
    return int(round((latest_year + 1 - 1970) * SECONDS_PER_YEAR))


def item_age_years(items: pd.DataFrame, reference_time: int) -> FloatArray:
    """(I,) years from each item's release to ``reference_time`` (Unix seconds); NaN if unknown.

    The release is ``release_ts`` (Unix seconds) when present, else the middle of ``year``; an
    item released after the reference gets a negative age.
    """
    return (float(reference_time) - _item_times(items)) / SECONDS_PER_YEAR


@dataclass(frozen=True)
class BeyondInputs:
    """What the beyond-accuracy metrics read, built once per run by ``beyond_inputs``.

    Attributes:
        long_tail: (I,) long-tail items of the training window.
        user_genres: (U, G) training genre distributions, or None without genres.
        item_genres: (I, G) multi-hot genres, or None.
        item_age: (I,) ages in years at the end of the training window, or None when no item
            has a known age.
    """

    long_tail: BoolArray
    user_genres: FloatArray | None
    item_genres: FloatArray | None
    item_age: FloatArray | None

    def topk_inputs(self) -> dict[str, Any]:
        """The keyword arguments of ``evaluate_topk`` that these inputs fill."""
        return {
            "long_tail": self.long_tail,
            "user_genres": self.user_genres,
            "item_genres": self.item_genres,
            "item_age": self.item_age,
        }


def beyond_inputs(
    train: TrainSplit, items: pd.DataFrame, item_genres: FloatArray | None
) -> BeyondInputs:
    """Long tail, user genre distributions and item ages of a split's training window.

    Args:
        train: the training split (popularity, histories and the age reference come from it).
        items: the dataset's items, indexed by item_idx.
        item_genres: (I, G) ``data.features.genre_matrix(items)``, or None.
    """
    reference = age_reference_time(train, items)
    ages = None if reference is None else item_age_years(items, reference)
    return BeyondInputs(
        long_tail=long_tail_items(train.item_counts()),
        user_genres=None if item_genres is None else user_genre_distribution(train, item_genres),
        item_genres=item_genres,
        item_age=None if ages is None or np.isnan(ages).all() else ages,
    )


def check_beyond_inputs(
    n_users: int,
    n_items: int,
    long_tail: BoolArray | None,
    user_genres: FloatArray | None,
    item_genres: FloatArray | None,
    item_age: FloatArray | None,
) -> None:
    """Check that the optional inputs of the metrics above cover the users and the catalogue."""
    for name, values in (("long_tail", long_tail), ("item_age", item_age)):
        if values is not None and np.shape(values) != (n_items,):
            raise DataError(
                f"{name} must have one value per item ({n_items},), got {np.shape(values)}"
            )
    if (user_genres is None) != (item_genres is None):
        raise ConfigError("genre_kl needs both user_genres and item_genres; pass both or neither")
    if item_genres is None or user_genres is None:
        return
    if np.ndim(item_genres) != 2 or np.shape(item_genres)[0] != n_items:
        raise DataError(
            f"item_genres must be (I, G) with I = {n_items}, got {np.shape(item_genres)}"
        )
    if np.shape(user_genres) != (n_users, np.shape(item_genres)[1]):
        raise DataError(
            f"user_genres must be (U, G) = ({n_users}, {np.shape(item_genres)[1]}), "
            f"got {np.shape(user_genres)}; build it with user_genre_distribution"
        )
