"""The Data page: dataset counts and charts, and the sizes and leakage of the chosen split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from recsys_core.data import store
from recsys_core.data.frames import DatasetFrames
from recsys_core.data.protocols import PROTOCOLS, custom_protocol, protocol_parts
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.experiment import prepare_split
from recsys_core.ui import state

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/1_Data.py"
TEMPORAL = SplitSpec(kind="temporal", test=0.2, seed=1)


@pytest.fixture()
def synthetic_db(app_db: Path) -> Path:
    """The tiny synthetic catalogue (300 users x 200 items x 6,000 interactions, impressions)."""
    frames = generate_synthetic(n_users=300, n_items=200, n_interactions=6_000, seed=5)
    store.write_dataset(frames, path=app_db)
    return app_db


def _run(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).switch_page(PAGE)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _chart_titles(at: AppTest) -> list[str]:
    titles = []
    for element in at.get("vega_lite_chart"):
        title = json.loads(element.proto.spec)["title"]
        titles.append(title if isinstance(title, str) else title["text"])
    return titles


def _texts(elements: object) -> str:
    return "\n".join(e.value for e in elements)  # type: ignore[attr-defined]


def _split_table(at: AppTest) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if "cold_rows" in df.value.columns)


def test_data_page_shows_counts_and_every_chart(synthetic_db: Path) -> None:
    at = _run()
    dataset = store.load_dataset("synthetic", path=synthetic_db)
    frame = dataset.interactions
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Users"] == "300" and metrics["Items"] == "200"
    assert metrics["Interactions"] == "6,000"
    pairs = len(frame[["user_idx", "item_idx"]].drop_duplicates())
    assert metrics["Sparsity"] == f"{1 - pairs / (300 * 200):.2%}"
    assert metrics["Ratings"] == "yes"
    days = pd.to_datetime(frame["timestamp"], unit="s").dt.normalize()
    assert metrics["Days covered"] == f"{(days.max() - days.min()).days + 1:,}"
    impressions = dataset.impressions
    assert metrics["Impressions"] == f"{len(impressions):,}"
    assert metrics["Click-through rate"] == f"{impressions['clicked'].mean():.2%}"
    titles = _chart_titles(at)
    for expected in (
        "Long tail of synthetic",
        "User activity in synthetic",
        "Ratings in synthetic",
        "Interactions over time in synthetic",
        "Genre mix of synthetic",
        "Users of synthetic by gender",
        "Users of synthetic by age",
        "Users of synthetic by occupation",
        "Impressions of synthetic: click-through rate by position",
    ):
        assert any(t.startswith(expected) for t in titles), (expected, titles)
    counts = frame["item_idx"].value_counts().sort_values(ascending=False)
    head_share = counts.iloc[:40].sum() / len(frame)  # top 20% of 200 items
    assert f"(40) take {head_share:.1%} of interactions" in _texts(at.caption)
    by_position = next(df.value for df in at.dataframe if "position" in df.value.columns)
    assert by_position["impressions"].tolist() == [300 * 10] * 10


def test_default_preset_split_sizes_and_per_user_leakage(synthetic_db: Path) -> None:
    at = _run()
    assert at.selectbox(key="data.split").value == "msr-100k"
    dataset = store.load_dataset("synthetic", path=synthetic_db)
    parts = protocol_parts(dataset.interactions, PROTOCOLS["msr-100k"])
    table = _split_table(at).set_index("part")
    assert table.loc["train", "interactions"] == len(parts["train"])
    assert table.loc["test", "interactions"] == len(parts["test"])
    test_rows = dataset.interactions.set_index("row_id").loc[parts["test"]]
    assert table.loc["test", "users"] == test_rows["user_idx"].nunique()
    assert PROTOCOLS["msr-100k"].description in _texts(at.caption)
    assert "older than the same user's latest training interaction" in _texts(at.warning)
    assert at.query_params["split"] == "msr-100k"
    assert store.list_splits("synthetic", path=synthetic_db) == []  # looking never writes


def test_custom_temporal_split_shows_no_leakage(synthetic_db: Path) -> None:
    at = _run()
    at.selectbox(key="data.split").set_value("(custom)").run()
    at.selectbox(key="data.custom.kind").set_value("temporal").run()
    assert not at.exception
    assert "never sees the future" in _texts(at.success)
    dataset = store.load_dataset("synthetic", path=synthetic_db)
    parts = protocol_parts(dataset.interactions, custom_protocol(TEMPORAL))
    table = _split_table(at).set_index("part")
    assert table.loc["test", "interactions"] == len(parts["test"])
    stamps = dataset.interactions.set_index("row_id")["timestamp"]
    train_items = set(dataset.interactions.set_index("row_id").loc[parts["train"], "item_idx"])
    test_items = set(dataset.interactions.set_index("row_id").loc[parts["test"], "item_idx"])
    assert table.loc["test", "cold_items"] == len(test_items - train_items)
    assert stamps.loc[parts["test"]].min() >= stamps.loc[parts["train"]].max()


def test_stored_split_is_offered_and_read_back(synthetic_db: Path) -> None:
    protocol = custom_protocol(TEMPORAL)
    _, split = prepare_split("synthetic", protocol, path=synthetic_db)
    at = _run(split=protocol.split_name)
    assert at.selectbox(key="data.split").value == protocol.split_name
    table = _split_table(at).set_index("part")
    assert table.loc["train", "interactions"] == len(split.train)
    assert table.loc["test", "interactions"] == len(split.test)
    assert "never sees the future" in _texts(at.success)


def test_recbole_seq_preset_reports_global_leakage_and_filtered_rows(synthetic_db: Path) -> None:
    at = _run(split="recbole-seq")
    assert "other users' later behaviour" in _texts(at.warning)
    dataset = store.load_dataset("synthetic", path=synthetic_db)
    parts = protocol_parts(dataset.interactions, PROTOCOLS["recbole-seq"])
    dropped = 6_000 - sum(len(p) for p in parts.values())
    assert f"{dropped:,} of 6,000 interactions are in no part" in _texts(at.caption)
    assert _split_table(at)["part"].tolist() == ["train", "valid", "test"]
    n_test = len(parts["test"])
    test_users = dataset.interactions["user_idx"].to_numpy()[parts["test"]]
    assert n_test == len(np.unique(test_users))  # one held-out interaction per user
    assert f"test is each user's last interaction ({n_test:,} rows for {n_test:,} users" in (
        _texts(at.caption)
    )


def test_a_custom_leave_last_out_split_disables_the_test_share(synthetic_db: Path) -> None:
    at = _run(split="(custom)")
    at.selectbox(key=f"{state.DATA_CUSTOM}.kind").set_value("leave-last-out").run()
    assert not at.exception
    assert at.slider(key=f"{state.DATA_CUSTOM}.test").disabled
    assert "each user's last interaction" in _texts(at.caption)


@pytest.fixture()
def implicit_db(app_db: Path) -> Path:
    """Implicit feedback with nothing else: no ratings, times, genres, demographics, impressions."""
    rng = np.random.default_rng(0)
    pairs = np.unique(rng.integers(0, [40, 30], size=(400, 2)), axis=0)
    users = pd.DataFrame({"user_id": [f"u{i}" for i in range(40)]})
    for column in ("age", "gender", "occupation", "zip"):
        users[column] = pd.array([pd.NA] * 40, dtype="Int64" if column == "age" else "str")
    items = pd.DataFrame({"item_id": [f"i{i}" for i in range(30)], "title": "t", "genres": ""})
    items = items.assign(
        year=pd.array([pd.NA] * 30, dtype="Int64"),
        provider=pd.array([pd.NA] * 30, dtype="str"),
        release_ts=pd.array([pd.NA] * 30, dtype="Int64"),
        tags="",
    )
    interactions = pd.DataFrame(
        {
            "user_id": [f"u{u}" for u in pairs[:, 0]],
            "item_id": [f"i{i}" for i in pairs[:, 1]],
            "rating": np.nan,
            "timestamp": pd.array([pd.NA] * len(pairs), dtype="Int64"),
            "session_id": pd.array([pd.NA] * len(pairs), dtype="Int64"),
        }
    )
    frames = DatasetFrames("clicks", "test:implicit", interactions, items, users)
    store.write_dataset(frames, path=app_db)
    return app_db


def test_implicit_dataset_shows_friendly_empty_states(implicit_db: Path) -> None:
    at = _run()
    assert at.sidebar.selectbox[0].value == "clicks"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Ratings"] == "no (implicit)" and metrics["Days covered"] == "no timestamps"
    info = _texts(at.info)
    for expected in (
        "no ratings",
        "no timestamps",
        "No item",
        "no user demographics",
        "impressions",
    ):
        assert expected in info, expected
    assert "cannot be checked" in info  # the msr-100k split has nothing to check leakage on
    titles = _chart_titles(at)
    assert len(titles) == 2 and titles[0].startswith("Long tail of clicks")


def test_preset_that_needs_ratings_warns_instead_of_failing(implicit_db: Path) -> None:
    at = _run(split="recbole-general")
    assert "cannot be made on clicks" in _texts(at.warning)
    assert "has no ratings" in _texts(at.warning)


def test_the_impressions_tab_evaluates_the_bandits_on_request(synthetic_db: Path) -> None:
    at = _run()
    button = at.button(key=state.DATA_GO)
    assert not any("Off-policy estimates" in t for t in map(str, _chart_titles(at)))
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Off-policy estimates" in str(t) for t in _chart_titles(at))
    table = next(d.value for d in at.dataframe if "estimator" in d.value.columns)
    assert set(table["policy"]) == {
        "LinUCB",
        "Thompson sampling",
        "Logging policy",
        "Uniform random",
    }
    assert table["low"].le(table["estimate"]).all() and table["estimate"].le(table["high"]).all()
    at.run()  # the evaluation stays shown on later reruns
    assert any("Off-policy estimates" in str(t) for t in _chart_titles(at))
