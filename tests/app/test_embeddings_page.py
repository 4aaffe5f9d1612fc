"""The Embeddings page: one point per item, faiss neighbours, a user's recommendations on the item
map, the on-disk projection cache, and clear messages for runs without embeddings.

Most tests replace the UMAP fit by a cheap stand-in (the first real fit in a process compiles with
numba for 10–25 s); one slow test draws the page with the real UMAP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from recsys_core.analysis import projection
from recsys_core.analysis.projection import ProjectionParams, projection_path
from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.experiment import train_run
from recsys_core.models import Recommender
from recsys_core.registry.runs import get_run, load_run_model
from recsys_core.retrieval import FaissIndex
from recsys_core.ui import state

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/3_Embeddings.py"
N_USERS, N_ITEMS = 300, 200


@dataclass(frozen=True)
class Setup:
    db: Path
    bpr_run: str
    popularity_run: str


class FakeUmap:
    """The first two embedding dimensions as the layout, counting fits."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, data: np.ndarray, params: ProjectionParams) -> np.ndarray:
        self.calls += 1
        return np.asarray(data[:, :2], dtype=np.float32)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """A tiny synthetic dataset (named as the default, so none is generated) with a BPR run and a
    popularity run, shared by the module's tests."""
    db = tmp_path_factory.mktemp("embeddings") / "app.duckdb"
    frames = generate_synthetic(n_users=N_USERS, n_items=N_ITEMS, n_interactions=6_000, seed=5)
    store.write_dataset(frames, path=db)
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    pop = train_run("synthetic", "popularity", protocol, path=db).record.run_id
    bpr = train_run("synthetic", "bpr", protocol, overrides={"n_epochs": 3}, path=db).record.run_id
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RECSCOPE_DB", str(db))
        yield Setup(db, bpr, pop)


@pytest.fixture()
def fake_umap(monkeypatch: pytest.MonkeyPatch) -> FakeUmap:
    fake = FakeUmap()
    monkeypatch.setattr(projection, "_fit_umap", fake)
    return fake


def open_page(run_id: str, **session: Any) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).switch_page(PAGE)
    at.session_state[state.RUN] = run_id
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def chart_rows(at: AppTest, index: int = 0) -> list[list[dict[str, Any]]]:
    """Rows of each layer of a drawn chart (Streamlit ships layer data as Arrow datasets)."""
    chart = at.get("vega_lite_chart")[index].proto
    spec = json.loads(chart.spec)
    datasets = {
        d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in chart.datasets
    }
    layers = spec.get("layer", [spec])
    return [datasets[layer["data"]["name"]] for layer in layers]


def chart_title(at: AppTest, index: int = 0) -> str:
    """The chart's title lines joined by " / " (short lines, so Vega never cuts them)."""
    return " / ".join(json.loads(at.get("vega_lite_chart")[index].proto.spec)["title"]["text"])


def bpr_model(setup: Setup) -> Recommender:
    return load_run_model(setup.bpr_run, path=setup.db)


def test_the_item_map_has_one_point_per_item(trained: Setup, fake_umap: FakeUmap) -> None:
    at = open_page(trained.bpr_run, **{state.EMB_SIDE: "item"})
    points, selected = chart_rows(at)
    assert len(points) == N_ITEMS
    assert sorted(p["id"] for p in points) == [f"i{i:05d}" for i in range(1, N_ITEMS + 1)]
    item_emb = bpr_model(trained).embeddings().item
    first = next(p for p in points if p["idx"] == 0)
    np.testing.assert_allclose([first["x"], first["y"]], item_emb[0, :2], rtol=1e-6)
    assert "item embeddings / synthetic, 200 items" in chart_title(at)
    assert {row["role"] for row in selected} == {"selected", "nearest"}


def test_selecting_an_item_lists_its_k_faiss_neighbours(
    trained: Setup, fake_umap: FakeUmap
) -> None:
    at = open_page(trained.bpr_run, **{state.EMB_SIDE: "item"})
    item_id = "i00042"
    at.selectbox(key=state.EMB_ITEM).set_value(item_id)
    at.number_input(key=state.EMB_K).set_value(7)
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) == 7
    assert at.selectbox(key=state.EMB_METRIC).value == "cosine"  # the map's own distance
    reference = FaissIndex.from_model(bpr_model(trained), metric="cosine").similar_items(
        np.array([41]), 7
    )
    assert table["item_idx"].tolist() == reference.item_idx[0].tolist()
    np.testing.assert_allclose(table["score"], reference.scores[0], rtol=1e-5)
    assert item_id not in table["item_id"].tolist()
    _, highlighted = chart_rows(at)
    assert [r["id"] for r in highlighted if r["role"] == "selected"] == [item_id]
    assert len([r for r in highlighted if r["role"] == "nearest"]) == 7
    assert at.query_params["item"] == item_id


def test_cosine_neighbours_follow_the_metric(trained: Setup, fake_umap: FakeUmap) -> None:
    at = open_page(
        trained.bpr_run,
        **{state.EMB_SIDE: "item", state.EMB_ITEM: "i00003", state.EMB_METRIC: "cosine"},
    )
    reference = FaissIndex.from_model(bpr_model(trained), metric="cosine")
    expected = reference.similar_items(np.array([2]), 10).item_idx[0]
    assert at.dataframe[0].value["item_idx"].tolist() == expected.tolist()


def test_a_user_shows_recommendations_on_the_item_map(trained: Setup, fake_umap: FakeUmap) -> None:
    at = open_page(trained.bpr_run, **{state.EMB_SIDE: "user", state.EMB_USER: "u00007"})
    assert len(at.get("vega_lite_chart")) == 2
    users, picked = chart_rows(at, 0)
    assert len(users) == N_USERS and [r["id"] for r in picked] == ["u00007"]
    model = bpr_model(trained)
    expected = model.recommend(np.array([6]), 10).item_idx[0].tolist()
    recommended, nearest = at.dataframe[0].value, at.dataframe[1].value
    assert recommended["item_idx"].tolist() == expected
    vector = model.embeddings().user[[6]]
    assert (
        nearest["item_idx"].tolist()
        == FaissIndex.from_model(model, metric="cosine").search(vector, 10).item_idx[0].tolist()
    )
    items, highlighted = chart_rows(at, 1)
    assert len(items) == N_ITEMS
    assert [r["idx"] for r in highlighted] == expected
    assert {r["role"] for r in highlighted} == {"recommended to u00007"}


def test_the_projection_is_stored_with_the_run_and_reused(
    trained: Setup, fake_umap: FakeUmap
) -> None:
    params = ProjectionParams(n_neighbors=9, min_dist=0.3)
    target = projection_path(get_run(trained.bpr_run, path=trained.db).artifact_dir, "item", params)
    settings = {state.EMB_SIDE: "item", state.EMB_NEIGHBORS: 9, state.EMB_MIN_DIST: 0.3}
    open_page(trained.bpr_run, **settings)
    assert target.is_file() and fake_umap.calls == 1
    written = target.stat().st_mtime_ns
    st.cache_data.clear()  # as a fresh server would: only the file remains
    at = open_page(trained.bpr_run, **settings)
    assert fake_umap.calls == 1 and target.stat().st_mtime_ns == written
    assert len(chart_rows(at)[0]) == N_ITEMS


def test_the_umap_form_applies_new_settings(trained: Setup, fake_umap: FakeUmap) -> None:
    at = open_page(trained.bpr_run, **{state.EMB_SIDE: "item"})
    at.sidebar.slider(key=state.EMB_NEIGHBORS).set_value(4)
    at.sidebar.button[0].click()
    at.run()
    assert not at.exception, at.exception
    artifact_dir = get_run(trained.bpr_run, path=trained.db).artifact_dir
    assert projection_path(artifact_dir, "item", ProjectionParams(n_neighbors=4)).is_file()


def test_a_run_without_embeddings_is_not_offered_and_a_link_to_one_says_so(
    trained: Setup, fake_umap: FakeUmap
) -> None:
    at = open_page(trained.popularity_run)
    notice = f"Run {trained.popularity_run} scores items without learning embeddings"
    assert any(notice in info.value for info in at.info)
    assert any(f"showing {trained.bpr_run} instead" in info.value for info in at.info)
    picker = at.selectbox(key=state.RUN)
    assert picker.value == trained.bpr_run
    assert [option for option in picker.options if "popularity" in option] == []
    assert any("Runs of popularity are not offered" in c.value for c in at.caption)
    assert at.get("vega_lite_chart")  # the BPR map is drawn


def test_no_runs_points_to_the_train_page(app_db: Path) -> None:
    frames = generate_synthetic(n_users=50, n_items=60, n_interactions=1_000, seed=1)
    store.write_dataset(frames, path=app_db)
    at = AppTest.from_file(APP, default_timeout=120).switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert any("No run on synthetic has embeddings" in info.value for info in at.info)


@pytest.mark.slow
def test_the_real_umap_maps_every_item(trained: Setup) -> None:
    at = open_page(trained.bpr_run, **{state.EMB_SIDE: "item", state.EMB_NEIGHBORS: 12})
    points, _ = chart_rows(at)
    assert len(points) == N_ITEMS
    coords = np.array([[p["x"], p["y"]] for p in points])
    assert np.isfinite(coords).all() and coords.std(axis=0).min() > 0
