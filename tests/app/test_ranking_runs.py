"""A ranking run on the Home runs table and the Train page: its pointwise headline (AUC, GAUC,
log loss) beside the top-N one, and empty cells for a retrieval run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.experiment import train_run
from recsys_core.registry.runs import RunRecord
from recsys_core.ui import state

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SIZES = {"n_users": 300, "n_items": 200, "n_interactions": 6000, "seed": 5}
POINTWISE = {"auc": "AUC", "gauc": "GAUC", "logloss": "LogLoss"}


@pytest.fixture()
def two_runs(app_db: Path) -> tuple[RunRecord, RunRecord]:
    """A logistic ranker and a popularity run on the synthetic dataset the app opens on."""
    store.write_dataset(generate_synthetic(**SIZES), path=app_db)
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    ranker = train_run("synthetic", "logistic", protocol, overrides={"n_epochs": 2}, path=app_db)
    popularity = train_run("synthetic", "popularity", protocol, path=app_db)
    return ranker.record, popularity.record


def test_home_lists_the_pointwise_headline_of_ranking_runs_only(
    two_runs: tuple[RunRecord, RunRecord],
) -> None:
    ranker, popularity = two_runs
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("run")
    assert table.loc[ranker.run_id, "stage"] == "ranking"
    for name in POINTWISE:
        assert table.loc[ranker.run_id, name] == pytest.approx(ranker.metrics[name])
        assert pd.isna(table.loc[popularity.run_id, name])
    assert table.loc[popularity.run_id, "ndcg@10"] == pytest.approx(popularity.metrics["ndcg@10"])


def test_train_page_shows_a_saved_rankers_pointwise_metrics(
    two_runs: tuple[RunRecord, RunRecord],
) -> None:
    ranker, popularity = two_runs
    at = AppTest.from_file(APP, default_timeout=120).switch_page("pages/2_Train.py")
    at.session_state[state.RUN] = ranker.run_id
    at.run()
    assert not at.exception
    shown = {metric.label: metric.value for metric in at.metric}
    for name, label in POINTWISE.items():
        assert shown[label] == f"{ranker.metrics[name]:.4f}"
    assert shown["nDCG@10"] == f"{ranker.metrics['ndcg@10']:.4f}"
    at.selectbox(key=state.RUN).set_value(popularity.run_id).run()
    assert not at.exception
    assert not set(POINTWISE.values()) & {metric.label for metric in at.metric}
