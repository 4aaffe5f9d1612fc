"""A dataset's logged impressions as bandit data: checked, split by request time, test slates.

The first ``train_share`` of requests by time (ties by request id) are the training log a policy
learns from, the rest the test log it is evaluated on; a test request's logged action is the item
at position 1, chosen from its slate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.data.dataset import Dataset
from recsys_core.errors import ConfigError, DataError
from recsys_core.types import BoolArray, FloatArray, IntArray

#: Impression columns the offline evaluation reads.
LOG_COLUMNS = (
    "request_id",
    "user_idx",
    "item_idx",
    "position",
    "clicked",
    "relevance",
    "timestamp",
    "propensity",
    "explored",
)
#: How to get a log that has them, for error messages.
REGENERATE_HINT = (
    "regenerate the synthetic catalogue on the Data page or with `python -m recsys_core datasets "
    "generate synthetic --replace`"
)


def logged_impressions(dataset: Dataset) -> pd.DataFrame:
    """The dataset's impression rows, checked to carry everything off-policy evaluation needs.

    Raises:
        DataError: no impressions, or some rows lack a propensity, exploration flag, click,
            relevance or timestamp; the message says how to get a log that has them.
    """
    impressions = dataset.impressions
    if impressions is None or len(impressions) == 0:
        raise DataError(
            f"dataset {dataset.name!r} has no logged impressions, so a bandit has nothing to learn "
            f"from or be evaluated on; use the synthetic catalogue ({REGENERATE_HINT})"
        )
    missing = [c for c in LOG_COLUMNS if c not in impressions]
    incomplete = [c for c in LOG_COLUMNS if c in impressions and impressions[c].isna().any()]
    if missing or incomplete:
        raise DataError(
            f"the impressions of {dataset.name!r} lack logging propensities or other columns "
            f"off-policy evaluation needs ({', '.join(missing + incomplete)} missing); they were "
            f"written by an older RecScope: {REGENERATE_HINT}"
        )
    return impressions


@dataclass(frozen=True)
class Slates:
    """R logged requests as slates in logged order (columns = positions 1..K, padded).

    Attributes:
        request_id: (R,) the requests.
        user: (R,) their users.
        item: (R, K) the slate's items by position; -1 pads shorter slates.
        relevance: (R, K) planted click probability of each item at an examined position; NaN pads.
        clicked: (R,) 0/1 click on the position-1 item (the logged action's reward).
        propensity: (R,) logging probability of the position-1 item.
        explored: (R,) whether the request's order was uniformly random.
    """

    request_id: IntArray
    user: IntArray
    item: IntArray
    relevance: FloatArray
    clicked: FloatArray
    propensity: FloatArray
    explored: BoolArray

    @property
    def valid(self) -> BoolArray:
        """(R, K) True where a real item stands."""
        return self.item >= 0

    def __len__(self) -> int:
        return len(self.request_id)


def build_slates(rows: pd.DataFrame) -> Slates:
    """Slates of the requests in ``rows`` (impressions sorted by request, then position).

    Requests without a position-1 row have no logged action and are left out.
    """
    request = rows["request_id"].to_numpy(np.int64)
    position = rows["position"].to_numpy(np.int64)
    first = np.flatnonzero(np.r_[True, request[1:] != request[:-1]])
    sizes = np.diff(np.r_[first, len(request)])
    column = np.arange(len(request)) - np.repeat(first, sizes)
    keep = position[first] == 1
    n_slots = int(sizes.max()) if len(sizes) else 0
    item = np.full((len(first), n_slots), -1, dtype=np.int64)
    relevance = np.full((len(first), n_slots), np.nan)
    slate = np.repeat(np.arange(len(first)), sizes)
    item[slate, column] = rows["item_idx"].to_numpy(np.int64)
    relevance[slate, column] = rows["relevance"].to_numpy(np.float64)
    head = rows.iloc[first[keep]]
    return Slates(
        request_id=request[first[keep]],
        user=head["user_idx"].to_numpy(np.int64),
        item=item[keep],
        relevance=relevance[keep],
        clicked=head["clicked"].to_numpy(np.float64),
        propensity=head["propensity"].to_numpy(np.float64),
        explored=head["explored"].to_numpy(bool),
    )


@dataclass(frozen=True)
class LogSplit:
    """The training log and the test slates, cut by request time.

    Attributes:
        train: impression rows of the training requests (every position).
        test: the test requests' slates.
        cut_time: Unix seconds of the first test request; the training window ends before it.
    """

    train: pd.DataFrame
    test: Slates
    cut_time: int


def split_log(impressions: pd.DataFrame, train_share: float) -> LogSplit:
    """First ``train_share`` of requests by time (ties by id) for training, the rest for testing.

    Raises:
        ConfigError: ``train_share`` outside (0, 1).
        DataError: too few requests for both parts.
    """
    if not 0.0 < train_share < 1.0:
        raise ConfigError(f"train_share must lie strictly between 0 and 1, got {train_share}")
    rows = impressions.sort_values(["request_id", "position"], kind="stable")
    request = rows["request_id"].to_numpy(np.int64)
    first = np.flatnonzero(np.r_[True, request[1:] != request[:-1]])
    times = rows["timestamp"].to_numpy(np.int64)[first]
    by_time = np.lexsort((request[first], times))
    n_train = math.floor(train_share * len(first))
    if n_train < 1 or n_train >= len(first):
        raise DataError(
            f"{len(first)} logged request(s) cannot be split {train_share:.0%} / "
            f"{1 - train_share:.0%} into training and test requests; log more requests"
        )
    test_ids = np.sort(request[first][by_time[n_train:]])
    in_test = np.isin(request, test_ids)
    return LogSplit(
        train=rows[~in_test].reset_index(drop=True),
        test=build_slates(rows[in_test]),
        cut_time=int(times[by_time[n_train]]),
    )
