"""The Train page: forms from the registry of architectures, background training with a live
curve and cancel, and saved runs (inspect, delete), on a tiny synthetic dataset.

The page is opened through app.py (``switch_page``) so that its links to other pages resolve.
Jobs run in real background threads; the tests rerun the page until the job has finished.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recsys_core import jobs
from recsys_core.config import param
from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol, protocol_from_dict, resolve_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.evaluation.protocol import evaluate_model
from recsys_core.experiment import prepare_split, train_run
from recsys_core.models import base
from recsys_core.models.retrieval.popularity import Popularity, PopularityConfig
from recsys_core.registry import runs
from recsys_core.ui import state

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/2_Train.py"
SIZES = {"n_users": 300, "n_items": 200, "n_interactions": 6000, "seed": 5}
WAIT_S = 90.0


@pytest.fixture()
def synthetic_db(app_db: Path) -> Path:
    store.write_dataset(generate_synthetic(**SIZES), path=app_db)
    return app_db


def _open() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(PAGE).run()
    _assert_ok(at)
    return at


def _assert_ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _job(at: AppTest) -> jobs.TrainingJob:
    job = jobs.get_job(at.session_state[state.TRAIN_JOB])
    assert job is not None
    return job


def _rerun_until_finished(at: AppTest) -> jobs.JobSnapshot:
    """Rerun the page (as its polling fragment would) until this session's job has finished."""
    job = _job(at)
    deadline = time.monotonic() + WAIT_S
    while not job.finished:
        assert time.monotonic() < deadline, f"job still {job.snapshot().status} after {WAIT_S} s"
        time.sleep(0.25)
        at.run()
        _assert_ok(at)
    at.run()
    _assert_ok(at)
    return job.snapshot()


def _chart_titles(at: AppTest) -> list[str]:
    return [json.loads(chart.proto.spec)["title"] for chart in at.get("vega_lite_chart")]


def _texts(elements: object) -> str:
    return "\n".join(e.value for e in elements)  # type: ignore[attr-defined]


@pytest.mark.slow
def test_train_bpr_with_a_custom_split_saves_the_chosen_hyperparameters(
    synthetic_db: Path,
) -> None:
    at = _open()
    at.selectbox(key=state.TRAIN_MODEL).set_value("bpr").run()
    assert at.query_params["model"] == "bpr"  # the choice is shareable by URL
    at.selectbox(key=state.TRAIN_PROTOCOL).set_value("custom split").run()
    at.number_input(key=f"{state.TRAIN_SPLIT}.valid").set_value(0.1).run()
    _assert_ok(at)
    form = f"{state.TRAIN_FORM}.bpr"
    at.number_input(key=f"{form}.n_epochs").set_value(3)
    at.number_input(key=f"{form}.dim").set_value(16)
    at.button(key=f"{form}.submit").click().run()
    _assert_ok(at)
    snap = _rerun_until_finished(at)
    assert snap.status == "complete", snap.error

    (record,) = runs.list_runs("synthetic", path=synthetic_db)
    assert record.run_id == snap.run_id
    assert record.config["model"]["n_epochs"] == 3 and record.config["model"]["dim"] == 16
    assert record.protocol["split"] == {"kind": "user", "test": 0.2, "valid": 0.1, "seed": 42}
    assert record.run_id in _texts(at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["nDCG@10"] == f"{record.metrics['ndcg@10']:.4f}"
    assert metrics["Recall@10"] == f"{record.metrics['recall@10']:.4f}"
    assert metrics["Train time"] == f"{record.train_seconds:.1f} s"
    title = "Training curve of bpr on synthetic: loss and validation metrics per epoch"
    assert title in _chart_titles(at)
    links = {link.proto.page_script_hash != "" for link in at.get("page_link")}
    assert links == {True} and len(at.get("page_link")) >= 2
    assert at.selectbox(key=state.RUN).value == record.run_id  # listed under Saved runs


@pytest.mark.slow
def test_cancel_from_the_page_stops_training_and_saves_nothing(synthetic_db: Path) -> None:
    at = _open()
    at.selectbox(key=state.TRAIN_MODEL).set_value("bpr").run()
    form = f"{state.TRAIN_FORM}.bpr"
    at.number_input(key=f"{form}.n_epochs").set_value(10_000)
    at.number_input(key=f"{form}.dim").set_value(8)
    at.button(key=f"{form}.submit").click().run()
    job = _job(at)
    deadline = time.monotonic() + WAIT_S
    while job.snapshot().epoch < 1:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    at.run()
    _assert_ok(at)
    (progress,) = at.get("progress")
    assert "of 10000" in progress.proto.text
    assert at.button(key=f"{form}.submit").disabled  # one job at a time per session
    at.button(key=state.TRAIN_CANCEL).click().run()
    assert job.snapshot().cancel_requested
    snap = _rerun_until_finished(at)
    assert snap.status == "cancelled" and snap.epoch < 10_000
    assert "cancelled" in _texts(at.warning)
    assert runs.list_runs("synthetic", path=synthetic_db) == []
    (failed,) = runs.list_runs("synthetic", include_incomplete=True, path=synthetic_db)
    assert failed.status == "failed"
    assert any("No saved runs" in info.value for info in at.info)


@dataclass(frozen=True)
class ThrowawayConfig(PopularityConfig):
    boost: float = param(0.5, "A float option.", min=0.0, max=2.0)
    depth: int = param(3, "An int option.", min=1, max=9)
    flavour: str = param("plain", "A choice.", choices=("plain", "spicy"))
    verbose: bool = param(False, "A flag.")
    note: str = param("", "Free text.")


class Throwaway(Popularity):
    """A popularity model with one option of every kind, registered by a test only."""

    name = "throwaway-test"
    label = "Throwaway (test)"
    config_class = ThrowawayConfig


def test_a_newly_registered_architecture_gets_its_form_by_registration_alone(
    synthetic_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(base._REGISTRY, Throwaway.name, Throwaway)
    at = _open()
    assert "Throwaway (test) (throwaway-test)" in at.selectbox(key=state.TRAIN_MODEL).options
    at.selectbox(key=state.TRAIN_MODEL).set_value(Throwaway.name).run()
    _assert_ok(at)
    form = f"{state.TRAIN_FORM}.{Throwaway.name}"
    boost = at.number_input(key=f"{form}.boost")
    assert (boost.value, boost.label) == (0.5, "Boost (boost)")
    assert boost.help == "A float option. (at least 0 and at most 2)"  # checked on submit
    assert at.number_input(key=f"{form}.depth").value == 3
    assert at.selectbox(key=f"{form}.flavour").options == ["plain", "spicy"]
    assert at.checkbox(key=f"{form}.verbose").value is False
    assert at.text_input(key=f"{form}.note").value == ""
    assert at.number_input(key=f"{form}.seed").value == 42
    at.selectbox(key=f"{form}.flavour").set_value("spicy")
    at.number_input(key=f"{form}.depth").set_value(7)
    at.checkbox(key=f"{form}.verbose").check()
    at.button(key=f"{form}.submit").click().run()
    assert _rerun_until_finished(at).status == "complete"
    (record,) = runs.list_runs("synthetic", path=synthetic_db)
    expected = dataclasses.asdict(ThrowawayConfig(flavour="spicy", depth=7, verbose=True))
    assert record.model == Throwaway.name and record.config["model"] == expected
    assert "reports no per-epoch loss" in _texts(at.caption)


def test_a_failing_job_shows_its_error(synthetic_db: Path) -> None:
    at = _open()
    at.selectbox(key=state.TRAIN_MODEL).set_value("precomputed").run()
    at.button(key=f"{state.TRAIN_FORM}.precomputed.submit").click().run()
    assert _rerun_until_finished(at).status == "failed"
    assert "precomputed needs source" in _texts(at.error)


def test_architectures_the_dataset_cannot_feed_are_explained_and_not_trainable(
    app_db: Path,
) -> None:
    frames = generate_synthetic(**SIZES)
    frames.interactions["rating"] = math.nan
    store.write_dataset(frames, path=app_db)
    at = _open()
    at.selectbox(key=state.TRAIN_MODEL).set_value("mf").run()
    _assert_ok(at)
    assert "lacks ratings" in _texts(at.warning)
    assert at.button(key=f"{state.TRAIN_FORM}.mf.submit").disabled
    table = next(df.value for df in at.dataframe if "available" in df.value.columns)
    rows = table.set_index("name")
    assert not rows.at["mf", "available"] and rows.at["bpr", "available"]


def test_a_saved_run_shows_config_protocol_metrics_and_history_then_is_deleted(
    synthetic_db: Path,
) -> None:
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, valid=0.1, seed=1))
    overrides = {"n_epochs": 2, "dim": 8}
    record = train_run("synthetic", "bpr", protocol, overrides=overrides, path=synthetic_db).record
    at = _open()
    assert at.selectbox(key=state.RUN).value == record.run_id
    shown = [json.loads(element.proto.body) for element in at.json]
    assert record.config["model"] in shown and record.protocol in shown
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["MAP@10"] == f"{record.metrics['map@10']:.4f}"
    assert "Training curve of bpr on synthetic" in " ".join(_chart_titles(at))
    assert at.button(key=state.TRAIN_DELETE).disabled  # confirmation first
    at.checkbox(key=state.TRAIN_DELETE_CONFIRM).check().run()
    at.button(key=state.TRAIN_DELETE).click().run()
    _assert_ok(at)
    assert runs.list_runs(include_incomplete=True, path=synthetic_db) == []
    assert not record.artifact_dir.exists()
    assert f"Deleted run {record.run_id}." in _texts(at.success)
    assert any("No saved runs" in info.value for info in at.info)


def _derived_run(path: Path, record: runs.RunRecord, kind: str = "rerank") -> str:
    """A run derived from ``record`` (same model and evaluation), as a re-ranker would save it."""
    model = runs.load_run_model(record.run_id, path=path)
    protocol = protocol_from_dict(record.protocol)
    _, split = prepare_split(record.dataset, protocol, path=path)
    evaluation = evaluate_model(model, split, protocol, ks=(10,))
    child = runs.start_run(
        record.dataset,
        record.split_name,
        model,
        record.protocol,
        kind=kind,
        parent_run_id=record.run_id,
        path=path,
    )
    return runs.finish_run(child, model, evaluation, train_seconds=0.0, path=path).run_id


def test_a_saved_ranking_run_shows_the_pointwise_headline(synthetic_db: Path) -> None:
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    overrides = {"n_epochs": 2}
    record = train_run(
        "synthetic", "logistic", protocol, overrides=overrides, path=synthetic_db
    ).record
    at = _open()
    assert at.selectbox(key=state.RUN).value == record.run_id
    metrics = {m.label: m.value for m in at.metric}
    for label, name in [("AUC", "auc"), ("GAUC", "gauc"), ("LogLoss", "logloss")]:
        assert metrics[label] == f"{record.metrics[name]:.4f}"
    assert metrics["nDCG@10"] == f"{record.metrics['ndcg@10']:.4f}"


def test_deleting_a_run_that_others_derive_from_explains_why_it_cannot(
    synthetic_db: Path,
) -> None:
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    parent = train_run("synthetic", "popularity", protocol, path=synthetic_db).record
    child = _derived_run(synthetic_db, parent)
    at = _open()
    at.selectbox(key=state.RUN).set_value(parent.run_id).run()
    at.checkbox(key=state.TRAIN_DELETE_CONFIRM).check().run()
    at.button(key=state.TRAIN_DELETE).click().run()
    _assert_ok(at)
    assert child in _texts(at.error) and "delete them first" in _texts(at.error)
    assert {r.run_id for r in runs.list_runs(path=synthetic_db)} == {parent.run_id, child}


def test_the_form_opens_on_a_fast_architecture_and_the_protocol_the_dataset_suits(
    synthetic_db: Path,
) -> None:
    at = _open()
    assert at.selectbox(key=state.TRAIN_MODEL).value == "ease"
    protocol = at.selectbox(key=state.TRAIN_PROTOCOL)
    assert protocol.value == "synthetic-user"  # not msr-100k, which describes ML-100K
    assert "synthetic-user (suits this dataset)" in protocol.options


def test_architecture_and_protocol_survive_a_page_switch(synthetic_db: Path) -> None:
    at = _open()
    at.selectbox(key=state.TRAIN_MODEL).set_value("popularity").run()
    at.selectbox(key=state.TRAIN_PROTOCOL).set_value("recbole-general").run()
    at.switch_page("pages/1_Data.py").run()
    _assert_ok(at)
    at.switch_page(PAGE).run()
    _assert_ok(at)
    assert at.selectbox(key=state.TRAIN_MODEL).value == "popularity"
    assert at.selectbox(key=state.TRAIN_PROTOCOL).value == "recbole-general"


def test_the_job_shows_above_the_form_and_the_next_pages_open_on_its_run(
    synthetic_db: Path,
) -> None:
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=3))
    older = train_run("synthetic", "itemknn", protocol, path=synthetic_db).record.run_id
    at = _open()
    at.selectbox(key=state.RUN).set_value(older).run()  # a person looking at an older run
    at.selectbox(key=state.TRAIN_MODEL).set_value("popularity").run()
    at.button(key=f"{state.TRAIN_FORM}.popularity.submit").click().run()
    _assert_ok(at)
    snap = _rerun_until_finished(at)
    assert snap.status == "complete", snap.error
    headings = [h.value for h in at.subheader] + [m.value for m in at.markdown]
    order = [text for text in headings if text.startswith(("Training ", "**Hyperparameters"))]
    assert order[0].startswith("Training popularity")  # progress and outcome come first
    assert at.session_state[state.RUN] == snap.run_id != older
    at.switch_page("pages/4_Recommendations.py").run()
    _assert_ok(at)
    assert at.selectbox(key=state.RUN).value == snap.run_id  # "See its recommendations"


def test_eases_lambda_search_is_drawn_as_a_validation_curve_with_the_chosen_lambda(
    synthetic_db: Path,
) -> None:
    at = _open()
    at.selectbox(key=state.TRAIN_MODEL).set_value("ease").run()
    at.button(key=f"{state.TRAIN_FORM}.ease.submit").click().run()
    snap = _rerun_until_finished(at)
    assert snap.status == "complete", snap.error
    titles = [t["text"] if isinstance(t, dict) else t for t in _chart_titles(at)]
    assert any("Validation curve of ease on synthetic over l2" in t for t in titles)
    assert not any("Training curve" in str(t) for t in titles)  # no "epoch" axis for a search
    assert "searched l2 over 9 values and kept l2 = " in _texts(at.caption)


def test_retraining_an_identical_configuration_says_so_before_adding_a_twin(
    synthetic_db: Path,
) -> None:
    first = train_run("synthetic", "popularity", resolve_protocol("synthetic-user", None, k=10),
                      path=synthetic_db).record  # fmt: skip
    at = _open()
    at.selectbox(key=state.TRAIN_MODEL).set_value("popularity").run()
    at.button(key=f"{state.TRAIN_FORM}.popularity.submit").click().run()
    _assert_ok(at)
    assert state.TRAIN_JOB not in at.session_state  # nothing was trained
    assert "An identical run already exists: " in _texts(at.warning)
    assert "Most popular" in _texts(at.warning)
    at.checkbox(key=state.TRAIN_TWIN_OK).check().run()
    at.button(key=f"{state.TRAIN_FORM}.popularity.submit").click().run()
    snap = _rerun_until_finished(at)
    assert snap.status == "complete" and snap.run_id != first.run_id
    assert len(runs.list_runs("synthetic", path=synthetic_db)) == 2


def test_a_run_renamed_on_the_page_is_listed_by_its_name(synthetic_db: Path) -> None:
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=3))
    run_id = train_run("synthetic", "popularity", protocol, path=synthetic_db).record.run_id
    at = _open()
    next(t for t in at.text_input if t.label == "Name of this run").input("Review baseline")
    next(b for b in at.button if b.label == "Rename").click().run()
    _assert_ok(at)
    assert f"Run {run_id} is now named 'Review baseline'." in _texts(at.success)
    picker = at.selectbox(key=state.RUN)
    assert picker.value == run_id
    assert any(option.startswith("Review baseline (Most popular)") for option in picker.options)
