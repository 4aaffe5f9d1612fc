"""Compare's multiselects: "Clear all" clears, and a stale selection falls back to the default."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.experiment import train_run
from recsys_core.ui import state

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/5_Compare.py"


@pytest.fixture()
def two_runs(app_db: Path) -> list[str]:
    store.write_dataset(
        generate_synthetic(n_users=80, n_items=50, n_interactions=1500), path=app_db
    )
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    return [
        train_run("synthetic", model, protocol, path=app_db).record.run_id
        for model in ("popularity", "itemknn")
    ]


def _open() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_clearing_the_runs_leaves_them_cleared(two_runs: list[str]) -> None:
    at = _open()
    assert sorted(at.multiselect(key=state.COMPARE_RUNS).value) == sorted(two_runs)
    at.multiselect(key=state.COMPARE_RUNS).set_value([]).run()
    assert at.multiselect(key=state.COMPARE_RUNS).value == []
    assert any("Pick one or more runs" in info.value for info in at.info)
    at.run()  # and on the next rerun too
    assert at.multiselect(key=state.COMPARE_RUNS).value == []


def test_clearing_the_metrics_leaves_them_cleared(two_runs: list[str]) -> None:
    at = _open()
    at.multiselect(key=state.COMPARE_FAMILIES).set_value([]).run()
    assert at.multiselect(key=state.COMPARE_FAMILIES).value == []
    assert any("Choose at least one metric" in info.value for info in at.info)


def test_a_selection_of_runs_that_no_longer_exist_falls_back_to_the_newest(
    two_runs: list[str],
) -> None:
    at = AppTest.from_file(APP, default_timeout=120).switch_page(PAGE)
    at.session_state[state.COMPARE_RUNS] = ["deleted-1"]
    at.run()
    assert sorted(at.multiselect(key=state.COMPARE_RUNS).value) == sorted(two_runs)
