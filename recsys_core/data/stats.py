"""Descriptive statistics of a dataset and of a split: what the Data page shows, as plain numbers.

Everything is vectorised (``bincount``, ``unique``, ``groupby``) so that a profile of tens of
millions of interactions takes seconds, and every table meant for a chart is aggregated to a few
hundred rows at most, whatever the dataset's size. Shape legend: N interactions, U users, I items.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from recsys_core.data.dataset import Dataset
from recsys_core.errors import DataError
from recsys_core.evaluation.segments import UNKNOWN, demographic_segments
from recsys_core.types import FloatArray, IntArray

#: The "head" of the catalogue: this share of items, the most popular first.
HEAD_ITEM_SHARE = 0.2
#: Most points the long-tail curve keeps (linear plus geometric ranks, so both ends stay sharp).
MAX_CURVE_POINTS = 600
#: Number of logarithmic bins wanted for the user-activity histogram.
ACTIVITY_BINS = 24
#: Ratings with at most this many distinct values are counted per value; others are binned.
MAX_RATING_VALUES = 30
#: Equal-width bins used for ratings with more distinct values than ``MAX_RATING_VALUES``.
RATING_BINS = 20
#: Most periods the timeline may have; the finest granularity that stays within it is chosen.
MAX_TIME_PERIODS = 400
#: Most groups a demographic bar chart shows; the rarest others are pooled.
MAX_GROUPS = 25
#: Impressions beyond this position are left out of the by-position table.
MAX_POSITIONS = 100
#: Two-sided 95% normal quantile for the Wilson interval of click-through rates.
_Z95 = 1.959963984540054
_SECONDS_PER_DAY = 86_400
#: Granularities of the timeline, finest first.
GRANULARITIES: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
#: Parts of a split in display order.
PART_ORDER: tuple[str, ...] = ("train", "valid", "test")

LeakageLevel = Literal["none", "global", "user", "unknown"]


@dataclass(frozen=True)
class DatasetOverview:
    """The headline counts of a dataset.

    Attributes:
        n_users: U, users in the catalogue (including any without interactions).
        n_items: I, items in the catalogue.
        n_interactions: N, interaction rows.
        n_pairs: distinct (user, item) pairs among them.
        density: n_pairs / (U · I); sparsity is 1 - density.
        active_users: users with at least one interaction.
        active_items: items with at least one interaction.
        mean_per_user: N / active_users.
        median_per_user: median interactions over active users.
        has_ratings: whether any interaction has a rating.
        has_timestamps: whether any interaction has a timestamp.
        n_impressions: impression rows (0 when the dataset logs none).
        first_timestamp: earliest interaction (Unix seconds), or None.
        last_timestamp: latest interaction (Unix seconds), or None.
    """

    n_users: int
    n_items: int
    n_interactions: int
    n_pairs: int
    density: float
    active_users: int
    active_items: int
    mean_per_user: float
    median_per_user: float
    has_ratings: bool
    has_timestamps: bool
    n_impressions: int
    first_timestamp: int | None
    last_timestamp: int | None

    @property
    def sparsity(self) -> float:
        return 1.0 - self.density

    @property
    def days_covered(self) -> int | None:
        """Calendar days (UTC) from the first to the last interaction, both counted; None
        without timestamps."""
        if self.first_timestamp is None or self.last_timestamp is None:
            return None
        return (
            self.last_timestamp // _SECONDS_PER_DAY - self.first_timestamp // _SECONDS_PER_DAY + 1
        )


@dataclass(frozen=True)
class LongTail:
    """Popularity concentration: items ranked by interactions against the share they take.

    Attributes:
        curve: at most ``MAX_CURVE_POINTS`` rows in rank order; columns rank (1 = most popular),
            item_share (rank / I), interactions (of the item at that rank), cumulative_share
            (share of all interactions taken by the items up to that rank).
        head_items: items in the head (the top ``HEAD_ITEM_SHARE`` of the catalogue, at least 1).
        head_item_share: head_items / I, where the head ends on the curve's x axis.
        head_share: share of interactions those items take.
        gini: Gini coefficient of interactions per item (0 = uniform, near 1 = one item has all).
        cold_items: items with no interaction.
    """

    curve: pd.DataFrame
    head_items: int
    head_item_share: float
    head_share: float
    gini: float
    cold_items: int


@dataclass(frozen=True)
class Timeline:
    """Interactions per period, at the finest granularity giving at most ``MAX_TIME_PERIODS``.

    Attributes:
        frame: one row per period (empty periods included, as zeros); columns period (start of
            the period, datetime64), interactions, active_users (distinct users in the period).
        granularity: one of ``GRANULARITIES``.
    """

    frame: pd.DataFrame
    granularity: str


@dataclass(frozen=True)
class ImpressionSummary:
    """What the logging policy showed and what was clicked.

    Attributes:
        n_impressions: impression rows.
        n_requests: distinct requests (lists shown).
        n_clicks: clicked impressions.
        ctr: n_clicks / n_impressions.
        by_position: one row per position 1..``MAX_POSITIONS`` that occurs; columns position,
            impressions, clicks, ctr, ctr_low, ctr_high (Wilson 95% interval), examination (the
            logged examination probability's mean, NaN where not logged).
    """

    n_impressions: int
    n_requests: int
    n_clicks: int
    ctr: float
    by_position: pd.DataFrame


@dataclass(frozen=True)
class DatasetProfile:
    """Every statistic of a dataset the Data page shows; ``None`` where the data lacks it.

    Attributes:
        overview: headline counts.
        long_tail: popularity concentration.
        user_activity: ``user_activity_histogram`` of active users.
        ratings: ``rating_distribution``, or None without ratings.
        timeline: ``interaction_timeline``, or None without timestamps.
        genres: ``genre_mix``, or None when no item has a genre.
        demographics: ``demographic_mix`` (possibly empty).
        impressions: ``summarise_impressions``, or None without impressions.
    """

    overview: DatasetOverview
    long_tail: LongTail
    user_activity: pd.DataFrame
    ratings: pd.DataFrame | None
    timeline: Timeline | None
    genres: pd.DataFrame | None
    demographics: dict[str, pd.DataFrame]
    impressions: ImpressionSummary | None


@dataclass(frozen=True)
class SplitSummary:
    """Sizes and coverage of a split's parts, and what the test part holds that training lacks.

    Attributes:
        parts: one row per part in train, valid, test order (valid only when it has rows);
            columns part, interactions, share (of all the dataset's interactions), users,
            user_coverage (share of U), items, item_coverage (share of I), cold_users /
            cold_items (present in the part but absent from train), cold_rows (rows whose user or
            item is absent from train: no collaborative model can score them from training data).
        n_interactions: N of the whole dataset.
        n_unassigned: rows in no part (removed by the protocol's filters).
    """

    parts: pd.DataFrame
    n_interactions: int
    n_unassigned: int

    def part(self, name: str) -> pd.Series:
        """The row of one part; ``DataError`` when the split has no such part."""
        rows = self.parts[self.parts["part"] == name]
        if rows.empty:
            present = ", ".join(self.parts["part"])
            raise DataError(f"this split has no {name!r} part (it has: {present})")
        return rows.iloc[0]


@dataclass(frozen=True)
class LeakageReport:
    """Whether a split lets a model train on interactions that happen after those it is tested on.

    Attributes:
        level: ``none`` (no test row predates any training row), ``global`` (each user's test rows
            follow their own training rows, but training holds other users' later rows), ``user``
            (training holds a user's own later rows), ``unknown`` (no timestamps to check).
        n_checked: test rows with a timestamp.
        user_share: share of those older than the same user's latest training row.
        global_share: share of those older than the latest training row overall.
        message: the finding in plain language, with what to do about it.
    """

    level: LeakageLevel
    n_checked: int
    user_share: float
    global_share: float
    message: str


def describe_dataset(dataset: Dataset) -> DatasetProfile:
    """Every statistic of the Data page in one pass over the dataset."""
    frame = dataset.interactions
    users = frame["user_idx"].to_numpy(np.int64)
    items = frame["item_idx"].to_numpy(np.int64)
    user_counts = np.bincount(users, minlength=dataset.n_users)
    item_counts = np.bincount(items, minlength=dataset.n_items)
    ratings = frame["rating"].to_numpy(np.float64, na_value=np.nan)
    ratings = ratings[~np.isnan(ratings)]
    stamps, stamped_rows = _timestamps(frame)
    return DatasetProfile(
        overview=dataset_overview(dataset),
        long_tail=long_tail(item_counts),
        user_activity=user_activity_histogram(user_counts),
        ratings=rating_distribution(ratings) if len(ratings) else None,
        timeline=interaction_timeline(stamps, users[stamped_rows]) if len(stamps) else None,
        genres=genre_mix(dataset.items, item_counts),
        demographics=demographic_mix(dataset.users, user_counts),
        impressions=summarise_impressions(dataset.impressions),
    )


def dataset_overview(dataset: Dataset) -> DatasetOverview:
    """Headline counts: sizes, density over distinct pairs, activity, what the data holds."""
    frame = dataset.interactions
    users = frame["user_idx"].to_numpy(np.int64)
    items = frame["item_idx"].to_numpy(np.int64)
    n_pairs = len(_distinct(users * max(dataset.n_items, 1) + items))
    user_counts = np.bincount(users, minlength=dataset.n_users)
    active = user_counts[user_counts > 0]
    stamps, _ = _timestamps(frame)
    cells = dataset.n_users * dataset.n_items
    return DatasetOverview(
        n_users=dataset.n_users,
        n_items=dataset.n_items,
        n_interactions=len(frame),
        n_pairs=n_pairs,
        density=n_pairs / cells if cells else 0.0,
        active_users=len(active),
        active_items=int(np.count_nonzero(np.bincount(items, minlength=dataset.n_items))),
        mean_per_user=float(active.mean()) if len(active) else 0.0,
        median_per_user=float(np.median(active)) if len(active) else 0.0,
        has_ratings=dataset.has_ratings,
        has_timestamps=dataset.has_timestamps,
        n_impressions=0 if dataset.impressions is None else len(dataset.impressions),
        first_timestamp=int(stamps.min()) if len(stamps) else None,
        last_timestamp=int(stamps.max()) if len(stamps) else None,
    )


def gini(counts: IntArray) -> float:
    """Gini coefficient of non-negative counts: 0 when all are equal, (n-1)/n when one has all."""
    values = np.sort(np.asarray(counts, dtype=np.float64))
    total = values.sum()
    if len(values) == 0 or total == 0:
        return 0.0
    ranks = np.arange(1, len(values) + 1)
    return float(np.sum((2 * ranks - len(values) - 1) * values) / (len(values) * total))


def long_tail(item_counts: IntArray, head_item_share: float = HEAD_ITEM_SHARE) -> LongTail:
    """The cumulative popularity curve of the catalogue and its head's share of interactions.

    Args:
        item_counts: (I,) interactions per item.
        head_item_share: share of the catalogue that counts as the head.
    """
    counts = np.sort(np.asarray(item_counts, dtype=np.int64))[::-1]
    n_items = len(counts)
    if n_items == 0:
        raise DataError("the dataset has no items; import a dataset with a catalogue")
    total = max(int(counts.sum()), 1)
    cumulative = np.cumsum(counts) / total
    head_items = max(1, math.ceil(head_item_share * n_items))
    half = MAX_CURVE_POINTS // 2
    ranks = np.unique(
        np.concatenate(
            [
                np.linspace(1, n_items, half).round(),
                np.geomspace(1, n_items, half).round(),
                [head_items],
            ]
        ).astype(np.int64)
    )
    curve = pd.DataFrame(
        {
            "rank": ranks,
            "item_share": ranks / n_items,
            "interactions": counts[ranks - 1],
            "cumulative_share": cumulative[ranks - 1],
        }
    )
    return LongTail(
        curve=curve,
        head_items=head_items,
        head_item_share=head_items / n_items,
        head_share=float(cumulative[head_items - 1]),
        gini=gini(counts),
        cold_items=int(np.count_nonzero(counts == 0)),
    )


def log_bin_edges(min_value: int, max_value: int, n_bins: int = ACTIVITY_BINS) -> IntArray:
    """Integer edges min_value = e_0 < e_1 < ... < e_m = max_value + 1, evenly spaced in log.

    Bin j holds the values in [e_j, e_{j+1}); small values get bins of width 1 (duplicated edges
    merge), so there are at most ``n_bins`` bins.

    Args:
        min_value: smallest value to cover (at least 1).
        max_value: largest value to cover.
        n_bins: most bins wanted.
    """
    low = max(int(min_value), 1)
    high = max(int(max_value), low)
    edges = np.floor(np.geomspace(low, high + 1, n_bins + 1)).astype(np.int64)
    edges[0], edges[-1] = low, high + 1
    return np.unique(edges)


def user_activity_histogram(user_counts: IntArray, n_bins: int = ACTIVITY_BINS) -> pd.DataFrame:
    """Users per logarithmic bin of interactions, over users with at least one interaction.

    Returns:
        One row per bin from the least to the most active user: low, high (inclusive bounds on
        interactions per user), label ("8–15"), users, share (of active users).
    """
    counts = np.asarray(user_counts, dtype=np.int64)
    counts = counts[counts > 0]
    if len(counts) == 0:
        raise DataError("no user has an interaction; import a dataset with interactions")
    edges = log_bin_edges(int(counts.min()), int(counts.max()), n_bins)
    bins = np.searchsorted(edges, counts, side="right") - 1
    n_users = np.bincount(bins, minlength=len(edges) - 1)
    low, high = edges[:-1], edges[1:] - 1
    return pd.DataFrame(
        {
            "low": low,
            "high": high,
            "label": [_range_label(int(lo), int(hi)) for lo, hi in zip(low, high, strict=True)],
            "users": n_users,
            "share": n_users / len(counts),
        }
    )


def rating_distribution(ratings: FloatArray) -> pd.DataFrame:
    """Interactions per rating value, or per equal-width bin when values are many.

    Args:
        ratings: (N,) ratings without NaN.

    Returns:
        Columns rating (the value, or the bin's midpoint), label, interactions, share.
    """
    values = np.asarray(ratings, dtype=np.float64)
    if len(values) == 0:
        raise DataError("no ratings to describe; this dataset is implicit feedback")
    distinct, counts = _value_counts(values)
    if len(distinct) <= MAX_RATING_VALUES:
        centres, labels = distinct, [f"{v:g}" for v in distinct]
    else:
        counts, edges = np.histogram(values, bins=RATING_BINS)
        centres = (edges[:-1] + edges[1:]) / 2
        labels = [f"{a:.3g}–{b:.3g}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return pd.DataFrame(
        {
            "rating": centres,
            "label": labels,
            "interactions": counts,
            "share": counts / len(values),
        }
    )


def interaction_timeline(timestamps: IntArray, user_idx: IntArray) -> Timeline:
    """Interactions and active users per day, week, month, quarter or year (the finest that fits).

    Weeks start on Monday; all periods are in UTC.

    Args:
        timestamps: (N,) Unix seconds.
        user_idx: (N,) the user of each row.
    """
    stamps = np.asarray(timestamps, dtype=np.int64)
    if len(stamps) == 0:
        raise DataError("no timestamps to describe; this dataset has no interaction times")
    for granularity in GRANULARITIES:
        codes = _period_codes(stamps, granularity)
        first, last = int(codes.min()), int(codes.max())
        if last - first + 1 <= MAX_TIME_PERIODS or granularity == GRANULARITIES[-1]:
            break
    offset = codes - first
    n_periods = last - first + 1
    users = np.asarray(user_idx, dtype=np.int64)
    width = int(users.max()) + 1
    period_users = _distinct(offset * width + users)  # distinct (period, user) pairs
    active = np.bincount(period_users // width, minlength=n_periods)
    interactions = np.bincount(offset, minlength=n_periods)
    frame = pd.DataFrame(
        {
            "period": _period_starts(np.arange(first, last + 1), granularity),
            "interactions": interactions,
            "active_users": active,
        }
    )
    return Timeline(frame=frame, granularity=granularity)


def _period_codes(stamps: IntArray, granularity: str) -> IntArray:
    """(N,) consecutive integer codes of each timestamp's period."""
    days = np.floor_divide(stamps, _SECONDS_PER_DAY)
    if granularity == "day":
        return days
    if granularity == "week":
        return np.floor_divide(days + 3, 7)  # 1970-01-01 was a Thursday: weeks start on Monday
    months = stamps.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    if granularity == "month":
        return months
    if granularity == "quarter":
        return np.floor_divide(months, 3)
    return np.floor_divide(months, 12)


def _period_starts(codes: IntArray, granularity: str) -> np.ndarray:
    """(P,) datetime64[ns] start of each period code of ``_period_codes``."""
    if granularity == "day":
        days = codes
    elif granularity == "week":
        days = codes * 7 - 3
    else:
        months = {"month": codes, "quarter": codes * 3, "year": codes * 12}[granularity]
        return months.astype("datetime64[M]").astype("datetime64[ns]")
    return days.astype("datetime64[D]").astype("datetime64[ns]")


def genre_mix(items: pd.DataFrame, item_counts: IntArray) -> pd.DataFrame | None:
    """Share of items and of interactions per genre; None when no item has a genre.

    Items have several genres, so each column sums to more than 1.

    Args:
        items: indexed by item_idx 0..I-1 with a ``|``-joined ``genres`` column.
        item_counts: (I,) interactions per item.

    Returns:
        Columns genre, items, item_share, interactions, interaction_share; most interactions
        first.
    """
    if "genres" not in items:
        return None
    dummies = items["genres"].fillna("").astype(str).str.get_dummies(sep="|")
    # pandas 3's string dtype turns an empty value into a column named "": no genre, not a genre
    dummies = dummies.drop(columns=[""], errors="ignore")
    if dummies.shape[1] == 0:
        return None
    members = dummies.to_numpy(dtype=np.int64)
    counts = np.asarray(item_counts, dtype=np.int64)
    n_items = members.sum(axis=0)
    interactions = counts @ members
    frame = pd.DataFrame(
        {
            "genre": pd.Series(dummies.columns, dtype=str),
            "items": n_items,
            "item_share": n_items / len(items),
            "interactions": interactions,
            "interaction_share": interactions / max(int(counts.sum()), 1),
        }
    )
    return frame.sort_values(["interactions", "genre"], ascending=[False, True], ignore_index=True)


def demographic_mix(users: pd.DataFrame, user_counts: IntArray) -> dict[str, pd.DataFrame]:
    """Users and interactions per gender, age group and occupation, for those the data has.

    Groups are those of ``evaluation.segments`` (so they match the per-segment metrics); missing
    values form an ``unknown`` group. Beyond ``MAX_GROUPS`` the rarest groups are pooled.

    Args:
        users: indexed by user_idx 0..U-1 (``Dataset.users``).
        user_counts: (U,) interactions per user.

    Returns:
        Attribute -> frame with columns group, users, user_share, interactions,
        interaction_share; ages in age order, other attributes most users first.
    """
    counts = np.asarray(user_counts, dtype=np.int64)
    labels = demographic_segments(users, np.arange(len(users)))
    out: dict[str, pd.DataFrame] = {}
    for attribute, values in labels.items():
        grouped = (
            pd.DataFrame({"group": values.astype(str), "interactions": counts})
            .groupby("group", sort=False)["interactions"]
            .agg(users="size", interactions="sum")
            .reset_index()
        )
        if attribute == "age":
            keys = grouped["group"].map(_age_order)
            grouped = grouped.iloc[np.argsort(keys.to_numpy(), kind="stable")]
        else:
            grouped = grouped.sort_values(["users", "group"], ascending=[False, True])
            grouped = _pool_rare(grouped.reset_index(drop=True))
        grouped = grouped.reset_index(drop=True)
        grouped["group"] = grouped["group"].astype(str)
        grouped["user_share"] = grouped["users"] / max(len(counts), 1)
        grouped["interaction_share"] = grouped["interactions"] / max(int(counts.sum()), 1)
        out[attribute] = grouped[
            ["group", "users", "user_share", "interactions", "interaction_share"]
        ]
    return out


def _age_order(label: str) -> float:
    """Sort key of an age group label: 'under 18' first, then by lower bound, 'unknown' last."""
    if label == UNKNOWN:
        return math.inf
    if label.startswith("under "):
        return -1.0
    return float(label.split("–")[0].rstrip("+"))


def _pool_rare(grouped: pd.DataFrame) -> pd.DataFrame:
    """Keep the ``MAX_GROUPS`` - 1 largest groups and pool the rest into one row."""
    if len(grouped) <= MAX_GROUPS:
        return grouped
    kept, rest = grouped.iloc[: MAX_GROUPS - 1], grouped.iloc[MAX_GROUPS - 1 :]
    pooled = pd.DataFrame(
        {
            "group": [f"{len(rest)} other groups"],
            "users": [int(rest["users"].sum())],
            "interactions": [int(rest["interactions"].sum())],
        }
    )
    return pd.concat([kept, pooled], ignore_index=True)


def wilson_interval(successes: IntArray, trials: IntArray) -> tuple[FloatArray, FloatArray]:
    """95% Wilson score interval of binomial proportions (valid for 0 or all successes).

    Args:
        successes: (P,) clicks.
        trials: (P,) impressions, each > 0.

    Returns:
        (low, high), each (P,).
    """
    n = np.asarray(trials, dtype=np.float64)
    p = np.asarray(successes, dtype=np.float64) / n
    z2 = _Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z95 * np.sqrt(p * (1 - p) / n + z2 / (4 * n**2)) / (1 + z2 / n)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def summarise_impressions(impressions: pd.DataFrame | None) -> ImpressionSummary | None:
    """Totals and click-through rate by position of logged impressions; None when there are none.

    Args:
        impressions: ``Dataset.impressions`` (request_id, position, clicked, examination, ...).
    """
    if impressions is None or len(impressions) == 0:
        return None
    clicked = impressions["clicked"].to_numpy(np.float64, na_value=0.0) > 0
    position = impressions["position"].to_numpy(np.float64, na_value=np.nan)
    examination = impressions["examination"].to_numpy(np.float64, na_value=np.nan)
    shown = np.isfinite(position) & (position >= 1) & (position <= MAX_POSITIONS)
    slot = position[shown].astype(np.int64)
    n_slots = int(slot.max()) + 1 if len(slot) else 1
    trials = np.bincount(slot, minlength=n_slots)
    clicks = np.bincount(slot, weights=clicked[shown], minlength=n_slots).astype(np.int64)
    logged = np.isfinite(examination[shown])
    exam_sum = np.bincount(slot[logged], weights=examination[shown][logged], minlength=n_slots)
    exam_n = np.bincount(slot[logged], minlength=n_slots)
    present = np.flatnonzero(trials)
    low, high = wilson_interval(clicks[present], trials[present])
    with np.errstate(invalid="ignore", divide="ignore"):
        exam_mean = np.where(exam_n[present] > 0, exam_sum[present] / exam_n[present], np.nan)
    by_position = pd.DataFrame(
        {
            "position": present,
            "impressions": trials[present],
            "clicks": clicks[present],
            "ctr": clicks[present] / trials[present],
            "ctr_low": low,
            "ctr_high": high,
            "examination": exam_mean,
        }
    )
    return ImpressionSummary(
        n_impressions=len(impressions),
        n_requests=int(impressions["request_id"].nunique(dropna=True)),
        n_clicks=int(clicked.sum()),
        ctr=float(clicked.mean()),
        by_position=by_position,
    )


def split_summary(dataset: Dataset, parts: dict[str, IntArray]) -> SplitSummary:
    """Sizes, coverage and cold-start counts of each part of a split of ``dataset``.

    Args:
        dataset: the split's dataset.
        parts: part name -> interaction row ids (``store.load_split`` or
            ``protocols.protocol_parts``); must include ``train``.
    """
    if "train" not in parts:
        raise DataError("the split has no 'train' part; recreate it with train and test parts")
    n_users, n_items = max(dataset.n_users, 1), max(dataset.n_items, 1)
    located = {name: _locate(dataset, parts[name]) for name in PART_ORDER if name in parts}
    train_users = np.zeros(n_users, dtype=bool)
    train_items = np.zeros(n_items, dtype=bool)
    train_users[located["train"][0]] = True
    train_items[located["train"][1]] = True
    rows = []
    for name, (users, items) in located.items():
        if len(users) == 0 and name == "valid":
            continue
        part_users = np.flatnonzero(np.bincount(users, minlength=n_users))
        part_items = np.flatnonzero(np.bincount(items, minlength=n_items))
        rows.append(
            {
                "part": name,
                "interactions": len(users),
                "share": len(users) / max(len(dataset.interactions), 1),
                "users": len(part_users),
                "user_coverage": len(part_users) / n_users,
                "items": len(part_items),
                "item_coverage": len(part_items) / n_items,
                "cold_users": int(np.count_nonzero(~train_users[part_users])),
                "cold_items": int(np.count_nonzero(~train_items[part_items])),
                "cold_rows": int(np.count_nonzero(~train_users[users] | ~train_items[items])),
            }
        )
    assigned = sum(len(parts[name]) for name in located)
    return SplitSummary(
        parts=pd.DataFrame(rows),
        n_interactions=len(dataset.interactions),
        n_unassigned=len(dataset.interactions) - assigned,
    )


def leakage_report(dataset: Dataset, parts: dict[str, IntArray]) -> LeakageReport:
    """Check whether training rows postdate test rows, per user and over the whole dataset.

    A test row "leaks" when it is older than a training row: the model then learns from the
    future it is asked to predict. Per user (older than the same user's latest training row) this
    is what random and stratified splits do; globally (older than the latest training row of
    anyone) even leave-last-out does it, because other users' later behaviour is in training. A
    temporal split has neither. Rows without a timestamp are not checked.

    Args:
        dataset: the split's dataset.
        parts: part name -> interaction row ids, with ``train`` and ``test``.
    """
    missing = {"train", "test"} - set(parts)
    if missing:
        raise DataError(f"the split lacks the part(s) {sorted(missing)}; recreate the split")
    stamps = dataset.interactions["timestamp"].to_numpy(np.float64, na_value=np.nan)
    train_pos = _positions(dataset, parts["train"])
    test_pos = _positions(dataset, parts["test"])
    train_pos = train_pos[np.isfinite(stamps[train_pos])]
    test_pos = test_pos[np.isfinite(stamps[test_pos])]
    if len(train_pos) == 0 or len(test_pos) == 0:
        return LeakageReport(
            level="unknown",
            n_checked=0,
            user_share=0.0,
            global_share=0.0,
            message=(
                "The interactions carry no timestamps, so whether training sees the future cannot "
                "be checked."
            ),
        )
    users = dataset.interactions["user_idx"].to_numpy(np.int64)
    latest = np.full(max(dataset.n_users, 1), -np.inf)
    np.maximum.at(latest, users[train_pos], stamps[train_pos])
    test_stamps = stamps[test_pos]
    user_share = float(np.mean(test_stamps < latest[users[test_pos]]))
    global_share = float(np.mean(test_stamps < stamps[train_pos].max()))
    level: LeakageLevel = "user" if user_share > 0 else "global" if global_share > 0 else "none"
    return LeakageReport(
        level=level,
        n_checked=len(test_pos),
        user_share=user_share,
        global_share=global_share,
        message=_leakage_message(level, user_share, global_share),
    )


def _leakage_message(level: LeakageLevel, user_share: float, global_share: float) -> str:
    if level == "none":
        return (
            "No test interaction is older than any training interaction: the model never sees "
            "the future it is tested on."
        )
    if level == "global":
        return (
            "Each user's test interactions come after their own training interactions, but "
            f"{global_share:.1%} of test interactions are older than the latest training "
            "interaction overall: training includes other users' later behaviour (popularity "
            "trends, newer items). A temporal split avoids this."
        )
    return (
        f"{user_share:.1%} of test interactions are older than the same user's latest training "
        f"interaction ({global_share:.1%} older than the latest training interaction overall): "
        "the model learns from a user's future to predict their past, which flatters its scores. "
        "A temporal split measures how it would do on tomorrow's data (leave-last-out at least "
        "keeps each user's own order)."
    )


def _distinct(keys: IntArray) -> IntArray:
    """Sorted distinct values; a plain sort, several times faster than ``np.unique``'s hashing on
    millions of int64 keys here."""
    ordered = np.sort(keys)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _value_counts(values: FloatArray) -> tuple[FloatArray, IntArray]:
    """(distinct sorted values, how often each occurs), by a sort as in ``_distinct``."""
    ordered = np.sort(values)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], np.diff(np.append(starts, len(ordered)))


def _timestamps(frame: pd.DataFrame) -> tuple[IntArray, IntArray]:
    """(timestamps, positions) of the rows that have a timestamp."""
    stamps = frame["timestamp"]
    has = stamps.notna().to_numpy()
    return stamps.to_numpy(np.int64, na_value=0)[has], np.flatnonzero(has)


def _positions(dataset: Dataset, row_ids: IntArray) -> IntArray:
    """Positions in ``dataset.interactions`` of the given row ids."""
    stored = dataset.interactions["row_id"].to_numpy(np.int64)
    wanted = np.asarray(row_ids, dtype=np.int64)
    positions = np.searchsorted(stored, wanted)
    if len(wanted) and (
        positions.max() >= len(stored) or not np.array_equal(stored[positions], wanted)
    ):
        raise DataError(
            f"split rows do not match dataset {dataset.name!r}; the dataset was re-imported "
            "since the split was made: recreate the split"
        )
    return positions


def _locate(dataset: Dataset, row_ids: IntArray) -> tuple[IntArray, IntArray]:
    """(users, items) of the given interaction rows."""
    positions = _positions(dataset, row_ids)
    frame = dataset.interactions
    return (
        frame["user_idx"].to_numpy(np.int64)[positions],
        frame["item_idx"].to_numpy(np.int64)[positions],
    )


def _range_label(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"
