"""What a split does to a dataset: part sizes, coverage and cold start, and whether it leaks the
future into training."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from recsys_core.data.dataset import Dataset
from recsys_core.data.row_ids import row_positions
from recsys_core.errors import DataError
from recsys_core.types import IntArray

#: Parts of a split in display order.
PART_ORDER: tuple[str, ...] = ("train", "valid", "test")

LeakageLevel = Literal["none", "global", "user", "unknown"]


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


def _positions(dataset: Dataset, row_ids: IntArray) -> IntArray:
    """Positions in ``dataset.interactions`` of the given row ids."""
    return row_positions(dataset.interactions["row_id"].to_numpy(np.int64), row_ids, dataset.name)


def _locate(dataset: Dataset, row_ids: IntArray) -> tuple[IntArray, IntArray]:
    """(users, items) of the given interaction rows."""
    positions = _positions(dataset, row_ids)
    frame = dataset.interactions
    return (
        frame["user_idx"].to_numpy(np.int64)[positions],
        frame["item_idx"].to_numpy(np.int64)[positions],
    )
