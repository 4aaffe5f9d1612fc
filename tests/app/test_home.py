"""The home page opens on the synthetic default with nothing set up, and lists saved runs."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from recsys_core.data import store
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
    runs = at.dataframe[0].value
    assert runs["run"].tolist() == [record.run_id]
    assert runs["ndcg@10"].iloc[0] == record.metrics["ndcg@10"]
