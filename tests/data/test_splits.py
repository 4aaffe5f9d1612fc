"""Splits: sizes, disjointness, determinism, the no-future rule, the msr-100k reference counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.data.protocols import PROTOCOLS, filter_rows, get_protocol, k_core, protocol_parts
from recsys_core.data.splits import SplitSpec, parse_split_spec, split_rows
from recsys_core.errors import ConfigError, DataError


def _frame(n_users: int = 50, n_items: int = 40, n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pairs = np.unique(rng.integers(0, [n_users, n_items], size=(n, 2)), axis=0)
    return pd.DataFrame(
        {
            "row_id": np.arange(len(pairs)),
            "user_idx": pairs[:, 0],
            "item_idx": pairs[:, 1],
            "rating": rng.integers(1, 6, len(pairs)).astype(float),
            "timestamp": rng.integers(0, 10_000, len(pairs)),
        }
    )


def _check_partition(frame: pd.DataFrame, parts: dict[str, np.ndarray]) -> None:
    joined = np.concatenate(list(parts.values()))
    assert len(joined) == len(np.unique(joined)), "parts overlap"
    assert set(joined) <= set(frame["row_id"])


@pytest.mark.parametrize("kind", ["random", "user", "item", "temporal"])
def test_split_partitions_rows_with_requested_shares(kind: str) -> None:
    frame = _frame()
    parts = split_rows(frame, SplitSpec(kind=kind, test=0.2, valid=0.1, seed=3))
    _check_partition(frame, parts)
    assert sum(len(p) for p in parts.values()) == len(frame)
    assert len(parts["test"]) / len(frame) == pytest.approx(0.2, abs=0.04)
    assert len(parts["valid"]) / len(frame) == pytest.approx(0.1, abs=0.04)


def test_split_is_deterministic_by_seed() -> None:
    frame = _frame()
    a = split_rows(frame, SplitSpec(kind="user", seed=1))
    b = split_rows(frame, SplitSpec(kind="user", seed=1))
    c = split_rows(frame, SplitSpec(kind="user", seed=2))
    assert np.array_equal(a["test"], b["test"])
    assert not np.array_equal(a["test"], c["test"])


def test_user_stratified_split_cuts_each_user_at_rounded_share() -> None:
    frame = _frame()
    parts = split_rows(frame, SplitSpec(kind="user", test=0.25, seed=5))
    per_user = frame.groupby("user_idx").size()
    train_users = frame.set_index("row_id").loc[parts["train"], "user_idx"].value_counts()
    expected = np.round(0.75 * per_user)
    assert (train_users.reindex(per_user.index, fill_value=0) == expected).all()


def test_temporal_split_never_trains_on_the_future() -> None:
    frame = _frame()
    parts = split_rows(frame, SplitSpec(kind="temporal", test=0.2, valid=0.1))
    ts = frame.set_index("row_id")["timestamp"]
    assert ts.loc[parts["train"]].max() < ts.loc[parts["valid"]].min()
    assert ts.loc[parts["valid"]].max() < ts.loc[parts["test"]].min()


def test_leave_last_out_holds_out_each_users_latest_rows() -> None:
    frame = _frame()
    parts = split_rows(frame, SplitSpec(kind="leave-last-out", test=0.1, valid=0.1))
    indexed = frame.set_index("row_id")
    test, valid = indexed.loc[parts["test"]], indexed.loc[parts["valid"]]
    assert test["user_idx"].is_unique and valid["user_idx"].is_unique
    latest = frame.sort_values(["timestamp", "row_id"]).groupby("user_idx").tail(1)
    assert set(test.index) == set(latest["row_id"])
    train_last = indexed.loc[parts["train"]].groupby("user_idx")["timestamp"].max()
    assert (train_last <= valid.set_index("user_idx")["timestamp"].reindex(train_last.index)).all()


def test_time_based_split_without_timestamps_says_what_to_do() -> None:
    frame = _frame()
    frame["timestamp"] = pd.array([None] * len(frame), dtype="Int64")
    with pytest.raises(DataError, match="needs timestamps"):
        split_rows(frame, SplitSpec(kind="temporal"))


def test_parse_split_spec() -> None:
    spec = parse_split_spec("user:test=0.3,valid=0.1,seed=7")
    assert spec == SplitSpec(kind="user", test=0.3, valid=0.1, seed=7)
    assert parse_split_spec("leave-last-out").kind == "leave-last-out"
    with pytest.raises(ConfigError, match="unknown split kind"):
        parse_split_spec("weird")
    with pytest.raises(ConfigError, match="bad split option"):
        parse_split_spec("user:tset=0.2")
    with pytest.raises(ConfigError, match="must be in"):
        parse_split_spec("random:test=0.7,valid=0.4")


def test_k_core_leaves_every_user_and_item_with_enough_rows() -> None:
    cored = k_core(_frame(n=900), 10)
    assert cored.groupby("user_idx").size().min() >= 10
    assert cored.groupby("item_idx").size().min() >= 10


def test_recbole_ctr_drops_rating_three() -> None:
    kept = filter_rows(_frame(), get_protocol("recbole-ctr"))
    assert 3.0 not in set(kept["rating"])


def test_unknown_protocol_lists_presets() -> None:
    with pytest.raises(ConfigError, match="msr-100k"):
        get_protocol("nope")


@pytest.mark.needs_movielens
def test_msr_100k_split_matches_microsoft_recommenders_sizes(ml100k_frame: pd.DataFrame) -> None:
    """python_stratified_split(df, ratio=0.75, filter_by="item", seed=42) gives 75,066 / 24,934."""
    parts = protocol_parts(ml100k_frame, PROTOCOLS["msr-100k"])
    assert len(parts["train"]) == 75_066
    assert len(parts["test"]) == 24_934
    assert "valid" not in parts
