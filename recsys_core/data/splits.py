"""Train/validation/test splits of a dataset's interaction rows, seeded and reproducible.

A split is a mapping part -> row ids (``"train"``, ``"valid"``, ``"test"``); rows that a protocol
filters out belong to no part. Splits are stored (``data.store.save_split``) so that every run on a
split is evaluated on identical rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.data.dataset import Dataset, TrainSplit
from recsys_core.errors import ConfigError, DataError
from recsys_core.types import IntArray

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


def materialise_split(
    dataset: Dataset, name: str, spec: dict[str, object], parts: Parts
) -> SplitData:
    """Turn stored row ids into the train/valid/test views a model fits and is evaluated on."""
    missing = {"train", "test"} - set(parts)
    if missing:
        raise DataError(f"split {name!r} lacks the part(s) {sorted(missing)}; recreate the split")
    valid = parts.get("valid")
    return SplitData(
        name=name,
        spec=spec,
        train=dataset.rows(parts["train"]),
        test=dataset.rows(parts["test"]),
        valid=dataset.rows(valid) if valid is not None and len(valid) else None,
    )
