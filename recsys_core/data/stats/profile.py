"""A dataset's headline counts and its profile: every statistic of the Data page in one pass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.data.dataset import Dataset
from recsys_core.data.stats.counting import distinct, stamped_rows
from recsys_core.data.stats.distributions import rating_distribution, user_activity_histogram
from recsys_core.data.stats.groups import demographic_mix, genre_mix
from recsys_core.data.stats.impressions import ImpressionSummary, summarise_impressions
from recsys_core.data.stats.popularity import LongTail, long_tail
from recsys_core.data.stats.timeline import SECONDS_PER_DAY, Timeline, interaction_timeline


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
        return self.last_timestamp // SECONDS_PER_DAY - self.first_timestamp // SECONDS_PER_DAY + 1


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


def describe_dataset(dataset: Dataset) -> DatasetProfile:
    """Every statistic of the Data page in one pass over the dataset."""
    frame = dataset.interactions
    users = frame["user_idx"].to_numpy(np.int64)
    items = frame["item_idx"].to_numpy(np.int64)
    user_counts = np.bincount(users, minlength=dataset.n_users)
    item_counts = np.bincount(items, minlength=dataset.n_items)
    ratings = frame["rating"].to_numpy(np.float64, na_value=np.nan)
    ratings = ratings[~np.isnan(ratings)]
    stamps, stamped = stamped_rows(frame)
    return DatasetProfile(
        overview=dataset_overview(dataset),
        long_tail=long_tail(item_counts),
        user_activity=user_activity_histogram(user_counts),
        ratings=rating_distribution(ratings) if len(ratings) else None,
        timeline=interaction_timeline(stamps, users[stamped]) if len(stamps) else None,
        genres=genre_mix(dataset.items, item_counts),
        demographics=demographic_mix(dataset.users, user_counts),
        impressions=summarise_impressions(dataset.impressions),
    )


def dataset_overview(dataset: Dataset) -> DatasetOverview:
    """Headline counts: sizes, density over distinct pairs, activity, what the data holds."""
    frame = dataset.interactions
    users = frame["user_idx"].to_numpy(np.int64)
    items = frame["item_idx"].to_numpy(np.int64)
    n_pairs = len(distinct(users * max(dataset.n_items, 1) + items))
    user_counts = np.bincount(users, minlength=dataset.n_users)
    active = user_counts[user_counts > 0]
    stamps, _ = stamped_rows(frame)
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
