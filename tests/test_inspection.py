"""Inspection tables checked against pandas computations on the stored split's rows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_core.data import store
from recsys_core.data.protocols import PROTOCOLS, Protocol, custom_protocol, protocol_from_dict
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import ConfigError, DataError
from recsys_core.experiment import train_run
from recsys_core.inspection import (
    HISTORY_COLUMNS,
    LIST_COLUMNS,
    RunContext,
    genre_shares,
    inspect_user,
    load_run_context,
    recommend_for_user,
    recommendation_table,
    shared_items,
    summarise_user,
    user_descriptions,
    user_history,
)
from recsys_core.models import get_model_class
from recsys_core.models.base import Recommender

RELEVANT_MIN = 4.0


@dataclass(frozen=True)
class Fixture:
    db: Path
    run_id: str
    protocol: Protocol
    context: RunContext
    model: Recommender
    rows: pd.DataFrame  # interactions with their split part


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    db = tmp_path_factory.mktemp("inspection") / "db.duckdb"
    frames = generate_synthetic(name="tiny", n_users=300, n_items=200, n_interactions=6000, seed=3)
    store.write_dataset(frames, path=db)
    protocol = custom_protocol(
        SplitSpec(kind="user", test=0.25, seed=5), relevant_min_rating=RELEVANT_MIN, k=7
    )
    result = train_run("tiny", "itemknn", protocol, path=db)
    context = load_run_context(result.record.run_id, path=db)
    dataset = store.load_dataset("tiny", path=db)
    _, parts = store.load_split("tiny", protocol.split_name, path=db)
    part = pd.Series(pd.NA, index=dataset.interactions["row_id"], dtype="str")
    for name, row_ids in parts.items():
        part.loc[row_ids] = name
    rows = dataset.interactions.assign(
        part=part.to_numpy(),
        user_id=dataset.users["user_id"].to_numpy()[dataset.interactions["user_idx"]],
        item_id=dataset.items["item_id"].to_numpy()[dataset.interactions["item_idx"]],
    )
    return Fixture(db, result.record.run_id, protocol, context, result.model, rows)


def _user_rows(fx: Fixture, user_idx: int, part: str) -> pd.DataFrame:
    rows = fx.rows
    return rows[(rows["user_idx"] == user_idx) & (rows["part"] == part)]


@pytest.mark.parametrize("protocol", [*PROTOCOLS.values(), "custom"], ids=str)
def test_protocol_round_trips_through_its_dict(protocol: Protocol | str) -> None:
    if protocol == "custom":
        protocol = custom_protocol(
            SplitSpec(kind="temporal", test=0.3, valid=0.1, seed=9), relevant_min_rating=3.5, k=20
        )
    assert isinstance(protocol, Protocol)
    changed_k = replace(protocol, k=protocol.k + 5)
    assert protocol_from_dict(protocol.to_dict()) == protocol
    assert protocol_from_dict(changed_k.to_dict()) == changed_k


def test_protocol_from_dict_refuses_unknown_or_missing_keys() -> None:
    stored = PROTOCOLS["msr-100k"].to_dict()
    with pytest.raises(ConfigError, match="unknown key"):
        protocol_from_dict({**stored, "shuffle": True})
    with pytest.raises(ConfigError, match="missing key"):
        protocol_from_dict({k: v for k, v in stored.items() if k != "split"})
    with pytest.raises(ConfigError, match="split"):
        protocol_from_dict({**stored, "split": {"kind": "user", "ratio": 0.5}})


def test_run_context_matches_the_stored_split(fx: Fixture) -> None:
    context = fx.context
    assert context.protocol == fx.protocol
    test = fx.rows[fx.rows["part"] == "test"]
    relevant_users = np.unique(test.loc[test["rating"] >= RELEVANT_MIN, "user_idx"])
    np.testing.assert_array_equal(context.evaluated, relevant_users)
    assert (
        context.evaluated_user_ids()
        == fx.rows.drop_duplicates("user_idx")
        .set_index("user_idx")
        .loc[relevant_users, "user_id"]
        .tolist()
    )
    assert len(context.split.train) == int((fx.rows["part"] == "train").sum())


def test_user_idx_maps_raw_ids_and_rejects_unknown_ones(fx: Fixture) -> None:
    users = fx.context.dataset.users
    assert fx.context.user_idx(users["user_id"].iloc[17]) == 17
    with pytest.raises(DataError, match="no user 'nobody'"):
        fx.context.user_idx("nobody")


def test_history_is_the_users_train_rows_newest_first(fx: Fixture) -> None:
    user = int(fx.context.evaluated[3])
    history = user_history(fx.context, user)
    expected = _user_rows(fx, user, "train").sort_values("timestamp", ascending=False)
    assert list(history.columns) == list(HISTORY_COLUMNS)
    assert history["item_id"].tolist() == expected["item_id"].tolist()
    np.testing.assert_array_equal(history["rating"], expected["rating"])
    np.testing.assert_array_equal(
        history["time"].to_numpy().astype("datetime64[s]").astype(np.int64),
        expected["timestamp"].to_numpy(np.int64),
    )
    titles = fx.context.dataset.items.set_index("item_id").loc[expected["item_id"], "title"]
    assert history["title"].tolist() == titles.tolist()


def test_list_flags_match_the_users_test_rows(fx: Fixture) -> None:
    checked_relevant = checked_not_relevant = 0
    for user in fx.context.evaluated[:40]:
        table = recommend_for_user(fx.model, fx.context, int(user), 15)
        test = _user_rows(fx, int(user), "test")
        relevant = set(test.loc[test["rating"] >= RELEVANT_MIN, "item_id"])
        assert table["in_test"].tolist() == table["item_id"].isin(set(test["item_id"])).tolist()
        assert table["relevant"].tolist() == table["item_id"].isin(relevant).tolist()
        checked_relevant += int(table["relevant"].sum())
        checked_not_relevant += int((table["in_test"] & ~table["relevant"]).sum())
        assert not set(table["item_id"]) & set(_user_rows(fx, int(user), "train")["item_id"])
    assert checked_relevant > 0 and checked_not_relevant > 0  # both flags were exercised


def test_list_is_the_models_top_k_with_ranks_and_scores(fx: Fixture) -> None:
    user = int(fx.context.evaluated[0])
    table = recommend_for_user(fx.model, fx.context, user, 10)
    top = fx.model.recommend(np.array([user]), 10)
    assert list(table.columns) == list(LIST_COLUMNS)
    assert table["rank"].tolist() == list(range(1, 11))
    ids = fx.context.dataset.items["item_id"].to_numpy()[top.item_idx[0]]
    assert table["item_id"].tolist() == ids.tolist()
    np.testing.assert_allclose(table["score"], top.scores[0])
    assert table["score"].is_monotonic_decreasing


def test_padding_is_dropped_and_ranks_stay_one_based(fx: Fixture) -> None:
    items = np.array([5, 9, -1, -1])
    table = recommendation_table(fx.context, 0, items, np.array([2.0, 1.0, -np.inf, -np.inf]))
    assert table["rank"].tolist() == [1, 2]
    assert table["item_id"].tolist() == fx.context.dataset.items["item_id"].iloc[[5, 9]].tolist()


def test_summary_counts_hits_and_test_items(fx: Fixture) -> None:
    user = int(fx.context.evaluated[1])
    table = recommend_for_user(fx.model, fx.context, user, 50)
    summary = summarise_user(fx.context, user, table)
    test = _user_rows(fx, user, "test")
    relevant = set(test.loc[test["rating"] >= RELEVANT_MIN, "item_id"])
    assert summary.n_train == len(_user_rows(fx, user, "train"))
    assert summary.n_test == test["item_id"].nunique()
    assert summary.n_relevant == len(relevant)
    assert summary.hits == len(set(table["item_id"]) & relevant)
    assert summary.k == 50
    assert summary.recall == pytest.approx(summary.hits / len(relevant))


def test_a_model_of_another_index_space_is_refused(fx: Fixture) -> None:
    train = fx.context.split.train
    keep = train.item_idx < 150
    other = replace(
        train,
        user_idx=train.user_idx[keep],
        item_idx=train.item_idx[keep],
        rating=None,
        timestamp=None,
        n_items=150,
    )
    model = get_model_class("popularity")().fit(other)
    with pytest.raises(DataError, match="re-imported"):
        recommend_for_user(model, fx.context, 0, 5)


def test_genre_shares_by_hand() -> None:
    history = pd.DataFrame({"genres": ["Drama|Comedy", "Drama", ""]})
    recs = pd.DataFrame({"genres": ["Action", "Drama|Action"]})
    shares = genre_shares(history, recs).set_index(["source", "genre"])
    assert shares.loc[("history", "Drama"), "share"] == pytest.approx(2 / 3)
    assert shares.loc[("history", "Comedy"), "share"] == pytest.approx(1 / 3)
    assert shares.loc[("history", "Action"), "share"] == 0.0
    assert shares.loc[("recommended", "Action"), "share"] == 1.0
    assert shares.loc[("recommended", "Drama"), "items"] == 1
    assert shares.loc[("recommended", "Comedy"), "items"] == 0
    assert len(shares) == 6


def test_genre_shares_of_empty_tables_are_empty() -> None:
    empty = pd.DataFrame({"genres": pd.Series([], dtype="str")})
    assert genre_shares(empty, empty).empty


def test_inspect_user_bundles_the_tables(fx: Fixture) -> None:
    user_id = fx.context.evaluated_user_ids()[2]
    found = inspect_user(fx.model, fx.context, user_id, 7)
    user = fx.context.user_idx(user_id)
    assert found.user_id == user_id
    assert len(found.recommendations) == 7
    assert found.summary == summarise_user(fx.context, user, found.recommendations)
    pd.testing.assert_frame_equal(found.history, user_history(fx.context, user))
    assert set(found.genres["source"]) == {"history", "recommended"}


def test_users_are_described_by_their_training_activity_and_demographics(fx: Fixture) -> None:
    described = user_descriptions(fx.context)
    assert list(described) == fx.context.evaluated_user_ids()
    user_id = next(iter(described))
    row = fx.context.dataset.users.set_index("user_id").loc[user_id]
    n_train = int(fx.context.split.train.user_counts()[fx.context.user_idx(user_id)])
    gender = {"M": "male", "F": "female"}[row["gender"]]
    assert described[user_id] == (
        f"{user_id} · {n_train:,} in training · {gender}, {row['age']}, {row['occupation']}"
    )


def test_two_lists_share_the_items_they_have_in_common() -> None:
    first = pd.DataFrame({"item_id": ["a", "b", "c"]})
    assert shared_items(first, pd.DataFrame({"item_id": ["c", "a", "z"]})) == 2
