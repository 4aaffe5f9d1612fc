"""Train/validation/test splits of a dataset's interaction rows, seeded and reproducible.

A split is a mapping part -> row ids (``"train"``, ``"valid"``, ``"test"``); rows that a protocol
filters out belong to no part. Splits are stored (``data.store.save_split``) so that every run on a
split is evaluated on identical rows. ``materialise_split`` turns a stored split back into the
``TrainSplit`` views models fit on, with labels and the dataset's impressions divided among them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from recsys_core.data.dataset import Dataset, TrainSplit
from recsys_core.errors import ConfigError, DataError
from recsys_core.types import BoolArray, FloatArray, IntArray

SPLIT_KINDS = ("random", "user", "item", "temporal", "leave-last-out")
Parts = dict[str, IntArray]


@dataclass(frozen=True)
class SplitSpec:
    """How to split: kind, fractions and seed. ``kind`` is one of ``SPLIT_KINDS``.

    ``user``/``item`` are stratified by that column: within each group rows are ordered by a seeded
    uniform draw and the first round(train share · n) go to train (the Microsoft Recommenders rule).
    ``temporal`` cuts globally by time; ``leave-last-out`` holds out each user's last interaction
    (and the one before for validation when ``valid`` > 0).
    """

    kind: str = "user"
    test: float = 0.2
    valid: float = 0.0
    seed: int = 42

    def __post_init__(self) -> None:
        if self.kind not in SPLIT_KINDS:
            raise ConfigError(
                f"unknown split kind {self.kind!r}; use one of {', '.join(SPLIT_KINDS)}"
            )
        if not 0.0 <= self.valid < 1.0 or not 0.0 < self.test < 1.0 or self.test + self.valid >= 1:
            raise ConfigError(
                f"split fractions test={self.test}, valid={self.valid} must be in (0, 1) with "
                "test + valid < 1"
            )

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "test": self.test, "valid": self.valid, "seed": self.seed}

    @property
    def label(self) -> str:
        if self.kind == "leave-last-out":
            return f"leave-last-out (valid={'yes' if self.valid else 'no'}, seed {self.seed})"
        return f"{self.kind} test={self.test:g} valid={self.valid:g} seed={self.seed}"


def parse_split_spec(text: str) -> SplitSpec:
    """Parse ``KIND[:key=value,...]``: ``user:test=0.2,valid=0.1,seed=7``, ``leave-last-out``."""
    kind, _, rest = text.strip().partition(":")
    values: dict[str, float | int] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or key not in {"test", "valid", "seed"}:
            raise ConfigError(
                f"bad split option {item!r} in {text!r}; write KIND:test=0.2,valid=0.1,seed=42 "
                f"with KIND in {', '.join(SPLIT_KINDS)}"
            )
        try:
            values[key] = int(value) if key == "seed" else float(value)
        except ValueError:
            raise ConfigError(f"split option {key}={value!r} is not a number") from None
    if kind == "leave-last-out":
        values.setdefault("test", 0.1)
    return SplitSpec(kind=kind, **values)  # type: ignore[arg-type]


def split_rows(frame: pd.DataFrame, spec: SplitSpec) -> Parts:
    """Split the rows of ``frame`` (columns row_id, user_idx, item_idx, timestamp) per ``spec``."""
    if len(frame) == 0:
        raise DataError("cannot split an empty set of interactions; check the dataset and filters")
    if spec.kind == "random":
        return _random_split(frame, spec)
    if spec.kind in {"user", "item"}:
        return _stratified_split(frame, f"{spec.kind}_idx", spec)
    if spec.kind == "temporal":
        return _temporal_split(frame, spec)
    return _leave_last_out(frame, spec)


def _random_split(frame: pd.DataFrame, spec: SplitSpec) -> Parts:
    draw = np.random.default_rng(spec.seed).random(len(frame))
    row_ids = frame["row_id"].to_numpy(np.int64)
    test_cut, valid_cut = spec.test, spec.test + spec.valid
    return _parts(
        train=row_ids[draw >= valid_cut],
        valid=row_ids[(draw >= test_cut) & (draw < valid_cut)],
        test=row_ids[draw < test_cut],
    )


def _stratified_split(frame: pd.DataFrame, column: str, spec: SplitSpec) -> Parts:
    """Per group, order rows by a seeded uniform draw (legacy ``RandomState`` over the rows in
    row order, as Microsoft Recommenders' ``python_stratified_split`` does) and cut at
    round(share · n) with NumPy's half-to-even rounding."""
    draw = np.random.RandomState(spec.seed).rand(len(frame))
    group = frame[column].to_numpy(np.int64)
    order = np.lexsort((draw, group))
    sorted_group = group[order]
    counts = np.bincount(sorted_group)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(len(order)) - starts[sorted_group] + 1  # 1-based rank within the group
    n = counts[sorted_group]
    train_share = 1.0 - spec.test - spec.valid
    train_end = np.round(train_share * n)
    valid_end = np.round((train_share + spec.valid) * n)
    row_ids = frame["row_id"].to_numpy(np.int64)[order]
    return _parts(
        train=row_ids[rank <= train_end],
        valid=row_ids[(rank > train_end) & (rank <= valid_end)],
        test=row_ids[rank > valid_end],
    )


def _require_timestamps(frame: pd.DataFrame, kind: str) -> np.ndarray:
    if "timestamp" not in frame or frame["timestamp"].isna().all():
        raise DataError(
            f"a {kind} split needs timestamps, and this dataset has none; use a random or "
            "stratified split instead"
        )
    return frame["timestamp"].to_numpy(np.int64, na_value=np.iinfo(np.int64).min)


def _temporal_split(frame: pd.DataFrame, spec: SplitSpec) -> Parts:
    """Global cut: the latest ``test`` share of rows is test, the share before it validation.
    No training row is later than any test row (ties at the cut go to the later part)."""
    ts = _require_timestamps(frame, "temporal")
    test_cut = np.quantile(ts, 1.0 - spec.test, method="lower")
    valid_cut = np.quantile(ts, 1.0 - spec.test - spec.valid, method="lower")
    row_ids = frame["row_id"].to_numpy(np.int64)
    test_mask = ts >= test_cut if spec.test else np.zeros(len(ts), bool)
    valid_mask = (ts >= valid_cut) & ~test_mask if spec.valid else np.zeros(len(ts), bool)
    return _parts(
        train=row_ids[~test_mask & ~valid_mask], valid=row_ids[valid_mask], test=row_ids[test_mask]
    )


def _leave_last_out(frame: pd.DataFrame, spec: SplitSpec) -> Parts:
    """Each user's last interaction (by time, then row id) is test; with ``valid`` > 0 the one
    before is validation. Users with a single interaction keep it in train."""
    ts = _require_timestamps(frame, "leave-last-out")
    users = frame["user_idx"].to_numpy(np.int64)
    row_ids = frame["row_id"].to_numpy(np.int64)
    order = np.lexsort((row_ids, ts, users))
    sorted_users = users[order]
    counts = np.bincount(sorted_users)
    ends = np.cumsum(counts)
    from_end = ends[sorted_users] - np.arange(len(order))  # 1 = the user's last row
    n = counts[sorted_users]
    test_mask = (from_end == 1) & (n >= 2)
    valid_mask = (from_end == 2) & (n >= 3) if spec.valid else np.zeros(len(order), bool)
    ordered_rows = row_ids[order]
    return _parts(
        train=ordered_rows[~test_mask & ~valid_mask],
        valid=ordered_rows[valid_mask],
        test=ordered_rows[test_mask],
    )


def _parts(*, train: IntArray, valid: IntArray, test: IntArray) -> Parts:
    parts = {"train": np.sort(train), "test": np.sort(test)}
    if len(valid):
        parts["valid"] = np.sort(valid)
    return parts


@dataclass(frozen=True)
class SplitData:
    """A dataset's split materialised as ``TrainSplit`` views over the full index space."""

    name: str
    spec: dict[str, object]
    train: TrainSplit
    test: TrainSplit
    valid: TrainSplit | None


#: Parts from earliest to latest; an impression claimed by two parts goes to the later one.
_PART_ORDER = ("train", "valid", "test")


def materialise_split(
    dataset: Dataset, name: str, spec: Mapping[str, Any], parts: Parts
) -> SplitData:
    """Turn stored row ids into the train/valid/test views a model fits and is evaluated on.

    Each view gets ``label`` = (rating >= ``spec["relevant_min_rating"]``) as float32 when the
    stored spec (a ``Protocol.to_dict()``) has that threshold and the rows have ratings, and the
    dataset's impressions divided by ``split_impressions``.
    """
    missing = {"train", "test"} - set(parts)
    if missing:
        raise DataError(f"split {name!r} lacks the part(s) {sorted(missing)}; recreate the split")
    views = {"train": dataset.rows(parts["train"]), "test": dataset.rows(parts["test"])}
    valid = parts.get("valid")
    if valid is not None and len(valid):
        views["valid"] = dataset.rows(valid)
    impressions: dict[str, pd.DataFrame] = {}
    if dataset.impressions is not None:
        impressions = split_impressions(
            dataset.impressions, views, _split_kind(spec), dataset.n_users, dataset.n_items
        )
    threshold = spec.get("relevant_min_rating")
    done = {
        part: replace(
            view,
            label=_labels(view, None if threshold is None else float(threshold)),
            impressions=impressions.get(part),
        )
        for part, view in views.items()
    }
    return SplitData(
        name=name, spec=dict(spec), train=done["train"], test=done["test"], valid=done.get("valid")
    )


def split_impressions(
    impressions: pd.DataFrame,
    views: Mapping[str, TrainSplit],
    kind: str | None,
    n_users: int,
    n_items: int,
) -> dict[str, pd.DataFrame]:
    """Divide impression rows among the parts so that no held-out click is seen in training.

    Every impression lands in exactly one part (train, valid or test):

    - ``temporal``: by time alone. An impression at or after the earliest valid (test) row goes
      to valid (test), as interaction rows at a cut do, so every train impression precedes the
      held-out windows. Impressions without a timestamp follow the pair rule below.
    - every other kind: by pair, the latest part (test over valid over train) whose interaction
      rows hold the impression's (user, item) pair, and train for a pair that no part holds.
      Impressions are logged independently of interactions (the synthetic catalogue draws slates
      from a logging policy), so a click can fall on a pair held out in test; it goes to test
      with the pair. Pairs no part holds go to train rather than to the user's majority part:
      they reveal no held-out pair, and a random or user-stratified split's majority is train.
    - ``leave-last-out`` adds each user's window to the pair rule: an impression at or after
      that user's valid (test) row goes to valid (test) even when its pair has no interaction.

    Args:
        impressions: columns as ``Dataset.impressions`` (user_idx, item_idx, timestamp, ...).
        views: interaction rows per part (``train``, ``test``, optional ``valid``).
        kind: the split kind (``SPLIT_KINDS``) or None when the spec does not say.
        n_users: U.
        n_items: I.

    Returns:
        The impression rows of each part in ``views``, in stored order, with a fresh index.
    """
    users = impressions["user_idx"].to_numpy(np.int64)
    keys = users * n_items + impressions["item_idx"].to_numpy(np.int64)
    ts_column = impressions["timestamp"]
    has_ts = ts_column.notna().to_numpy()
    ts = ts_column.to_numpy(dtype=np.int64, na_value=0)
    ranked = [(rank, views[part]) for rank, part in enumerate(_PART_ORDER) if part in views]
    code = np.zeros(len(impressions), dtype=np.int8)
    for rank, view in ranked[1:]:  # ascending, so a later part overrides an earlier one
        part_keys = np.unique(view.user_idx * n_items + view.item_idx)
        code[_sorted_contains(part_keys, keys)] = rank
    if kind == "temporal":
        by_time = np.zeros(len(impressions), dtype=np.int8)
        for rank, view in ranked[1:]:
            if view.timestamp is not None and len(view):
                by_time[ts >= view.timestamp.min()] = rank
        code = np.where(has_ts, by_time, code)
    elif kind == "leave-last-out":
        for rank, view in ranked[1:]:
            if view.timestamp is None:
                continue
            cut = np.full(n_users, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(cut, view.user_idx, view.timestamp)
            late = has_ts & (ts >= cut[users])
            code[late] = np.maximum(code[late], rank)
    return {
        part: impressions.iloc[np.flatnonzero(code == rank)].reset_index(drop=True)
        for rank, part in enumerate(_PART_ORDER)
        if part in views
    }


def _sorted_contains(haystack: IntArray, needles: IntArray) -> BoolArray:
    """(M,) whether each needle is in the sorted ``haystack``."""
    if len(haystack) == 0:
        return np.zeros(len(needles), dtype=bool)
    position = np.searchsorted(haystack, needles).clip(max=len(haystack) - 1)
    return haystack[position] == needles


def _split_kind(spec: Mapping[str, Any]) -> str | None:
    """The split kind of a stored spec: a protocol dict's ``split.kind`` or a bare ``kind``."""
    split = spec.get("split")
    kind = split.get("kind") if isinstance(split, Mapping) else spec.get("kind")
    return None if kind is None else str(kind)


def _labels(view: TrainSplit, threshold: float | None) -> FloatArray | None:
    """(N,) float32 1.0 where the rating reaches ``threshold``; None without one or ratings."""
    if threshold is None or view.rating is None:
        return None
    return (view.rating >= threshold).astype(np.float32)
