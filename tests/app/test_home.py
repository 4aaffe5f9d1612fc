"""The home page: the synthetic default, saved runs, loading MovieLens and importing uploads."""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from recsys_core.data import movielens, store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.experiment import train_run

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_home_opens_on_the_synthetic_default(app_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    info = store.dataset_info("synthetic", path=app_db)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Interactions"] == f"{info.n_interactions:,}"
    assert metrics["Users"] == f"{info.n_users:,}"
    assert at.sidebar.selectbox[0].value == "synthetic"
    assert any("No saved runs" in i.value for i in at.info)


def test_home_lists_saved_runs_with_headline_metrics(app_db: Path) -> None:
    AppTest.from_file(APP, default_timeout=120).run()  # creates the default dataset
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    record = train_run("synthetic", "popularity", protocol, path=app_db).record
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    table = at.dataframe[0]
    runs = table.value
    assert runs["run"].tolist() == [record.run_id]
    assert runs["ndcg@10"].iloc[0] == record.metrics["ndcg@10"]
    assert runs["what"].tolist() == ["Most popular"]  # what it is, not its id
    assert runs["age"].tolist() == ["just now"]
    shown = list(table.proto.column_order)
    assert shown[0] == "what" and shown[-1] == "run"


def _widget(widgets: Sequence[Any], label: str) -> Any:
    return next(w for w in widgets if w.label == label)


def _names(db: Path) -> list[str]:
    return [info.name for info in store.list_datasets(path=db)]


def _loaded(at: AppTest, name: str) -> None:
    assert not at.exception, at.exception
    assert at.sidebar.selectbox[0].value == name
    assert at.query_params["dataset"] == name
    assert any(name in s.value for s in at.success)


@pytest.mark.needs_movielens
def test_load_ml100k_from_the_datasets_dir(app_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    _widget(at.selectbox, "MovieLens release").set_value("ml-100k")
    at.run()
    path = _widget(at.text_input, "Folder or zip path").value
    assert path == str(Path(os.environ["RECSCOPE_DATASETS_DIR"]) / "ml-100k")
    _widget(at.button, "Load ml-100k").click()
    at.run()
    _loaded(at, "ml-100k")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Users"] == "943"
    assert metrics["Interactions"] == "100,000"
    assert _names(app_db) == ["ml-100k", "synthetic"]


def _tiny_ml100k_zip(folder: Path) -> Path:
    """Two users, three movies, three ratings in ml-100k's file formats."""
    drama = "|".join(["0"] * 8 + ["1"] + ["0"] * 10)
    files = {
        "u.data": "1\t1\t5\t881250949\n2\t2\t3\t891717742\n1\t2\t4\t878887116\n",
        "u.item": (
            f"1|Alpha (1995)|01-Jan-1995||http://x/1|{drama}\n"
            f"2|Beta (1996)|01-Jan-1996||http://x/2|{drama}\n"
            f"3|Gamma (1997)|01-Jan-1997||http://x/3|{drama}\n"
        ),
        "u.user": "1|24|M|technician|85711\n2|53|F|other|94043\n",
    }
    archive = folder / "ml-100k.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for name, text in files.items():
            handle.writestr(f"ml-100k/{name}", text)
    return archive


def test_download_from_grouplens_with_progress(
    app_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The official URL is swapped for a local file:// zip (no network in tests)."""
    archive = _tiny_ml100k_zip(tmp_path)
    monkeypatch.setitem(movielens.MOVIELENS_URLS, "ml-100k", archive.as_uri())
    monkeypatch.setitem(
        movielens.MOVIELENS_SHA256, "ml-100k", hashlib.sha256(archive.read_bytes()).hexdigest()
    )
    monkeypatch.setattr(movielens, "default_downloads_dir", lambda: tmp_path / "downloads")
    at = AppTest.from_file(APP, default_timeout=120).run()
    _widget(at.radio, "Source").set_value("Download from GroupLens")
    at.run()
    assert _widget(at.text_input, "Folder or zip path").disabled
    _widget(at.button, "Load ml-100k").click()
    at.run()
    _loaded(at, "ml-100k")
    assert {m.label: m.value for m in at.metric}["Users"] == "2"
    assert (tmp_path / "downloads" / "ml-100k.zip").read_bytes() == archive.read_bytes()


def test_a_missing_local_path_is_explained(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECSCOPE_DATASETS_DIR", raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    _widget(at.button, "Load ml-100k").click()
    at.run()
    assert not at.exception
    assert "enter the path" in at.error[0].value
    _widget(at.text_input, "Folder or zip path").set_value("/no/such/ml-100k")
    _widget(at.button, "Load ml-100k").click()
    at.run()
    assert "does not exist" in at.error[0].value
    assert _names(app_db) == ["synthetic"]


def test_a_malformed_upload_shows_the_error_and_changes_nothing(app_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    before = _names(app_db)
    _widget(at.text_input, "Dataset name").set_value("mine")
    at.file_uploader[0].set_value(("ratings.csv", b"user_id,item_id\nu1,i1\nu2,1.5\n", "text/csv"))
    _widget(at.button, "Import").click()
    at.run()
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("interactions/ratings.csv: row 2 (line 3), column 'item_id'")
    assert _names(app_db) == before
    assert at.sidebar.selectbox[0].value == "synthetic"


def test_an_upload_is_imported_and_selected(app_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    ratings = b"user,item,rating\nu1,i1,4\nu1,i2,2\nu2,i1,5\n"
    items = b"item_id;title;genres\ni1;One;Drama\ni2;Two;Comedy|Drama\ni3;Three;\n"
    at.file_uploader[0].set_value(("my-ratings.csv", ratings, "text/csv"))
    at.file_uploader[1].set_value(("items.csv", items, "text/csv"))
    _widget(at.button, "Import").click()
    at.run()
    _loaded(at, "my-ratings")
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Users"], metrics["Items"], metrics["Interactions"]) == ("2", "3", "3")
    assert _names(app_db) == ["my-ratings", "synthetic"]


def test_importing_over_a_stored_dataset_says_what_to_tick_in_the_uis_words(app_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    _widget(at.text_input, "Dataset name").set_value("synthetic")
    at.file_uploader[0].set_value(("r.csv", b"user,item\nu1,i1\nu2,i1\n", "text/csv"))
    _widget(at.button, "Import").click()
    at.run()
    assert not at.exception
    message = at.error[0].value
    assert "dataset 'synthetic' already exists; tick Replace to overwrite it" in message
    assert "replace=True" not in message and "--replace" not in message
    assert _names(app_db) == ["synthetic"]


def test_where_to_go_next_links_every_page(app_db: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    links = at.main.get("page_link")
    assert [link.proto.label for link in links] == [
        "Data",
        "Train",
        "Embeddings",
        "Recommendations",
        "Compare",
    ]
    assert all(link.proto.page_script_hash for link in links)
