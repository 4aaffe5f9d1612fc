"""Links reproduce the view: every shareable selection round-trips through the URL, and a link
that names something that does not exist, or carries a value of the wrong kind, says so."""

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
SIZES = {"n_users": 200, "n_items": 120, "n_interactions": 4000, "seed": 3}


@pytest.fixture(scope="module")
def runs_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """'links' with a popularity and a 3-epoch BPR run on one user split."""
    path = tmp_path_factory.mktemp("links") / "app.duckdb"
    store.write_dataset(generate_synthetic(name="links", **SIZES), path=path)
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    run_ids = [
        train_run("links", "popularity", protocol, path=path).record.run_id,
        train_run("links", "bpr", protocol, overrides={"n_epochs": 3}, path=path).record.run_id,
    ]
    return path, run_ids


@pytest.fixture()
def runs(runs_db: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("RECSCOPE_DB", str(runs_db[0]))
    return runs_db[1]


def _open(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).switch_page(page)
    at.query_params.update({"dataset": "links", **query})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _infos(at: AppTest) -> str:
    return "\n".join(info.value for info in at.info)


def test_compare_metrics_k_sampled_negatives_and_segment_round_trip(runs: list[str]) -> None:
    query = {
        "runs": ",".join(runs),
        "baseline": runs[1],
        "metrics": "recall,ndcg",
        "k": "5,10",
        "sampled": "1",
        "negatives": "50",
        "segment": "recall@5",
    }
    at = _open("pages/5_Compare.py", **query)
    assert at.session_state[state.COMPARE_FAMILIES] == ["recall", "ndcg"]
    assert at.session_state[state.COMPARE_KS] == [5, 10]
    assert at.session_state[state.COMPARE_SAMPLED] is True
    assert at.session_state[state.COMPARE_NEGATIVES] == 50
    assert at.session_state[state.COMPARE_SEGMENT_METRIC] == "recall@5"
    assert at.session_state[state.COMPARE_BASELINE] == runs[1]
    assert {name: at.query_params[name] for name in query} == query


def test_embeddings_colour_similarity_neighbours_and_umap_settings_round_trip(
    runs: list[str],
) -> None:
    query = {
        "run": runs[1],
        "colour": "year",
        "similarity": "ip",
        "neighbours": "7",
        "umap_neighbors": "5",
        "umap_min_dist": "0.3",
    }
    at = _open("pages/3_Embeddings.py", **query)
    assert at.selectbox(key=state.EMB_COLOUR).value == "year"
    assert at.selectbox(key=state.EMB_METRIC).value == "ip"
    assert at.number_input(key=state.EMB_K).value == 7
    assert at.sidebar.slider(key=state.EMB_NEIGHBORS).value == 5
    assert at.sidebar.slider(key=state.EMB_MIN_DIST).value == pytest.approx(0.3)
    assert {name: at.query_params[name] for name in query} == query


def test_a_custom_split_round_trips_beyond_its_name(runs: list[str]) -> None:
    query = {
        "split": "(custom)",
        "split_kind": "temporal",
        "split_test": "0.3",
        "split_valid": "0.1",
        "split_seed": "7",
    }
    at = _open("pages/1_Data.py", **query)
    assert at.selectbox(key=f"{state.DATA_CUSTOM}.kind").value == "temporal"
    assert at.slider(key=f"{state.DATA_CUSTOM}.test").value == pytest.approx(0.3)
    assert at.number_input(key=f"{state.DATA_CUSTOM}.seed").value == 7
    assert {name: at.query_params[name] for name in query} == query
    at.selectbox(key=state.DATA_SPLIT).set_value("msr-100k").run()
    assert "split_kind" not in at.query_params  # a preset carries no custom settings


def test_an_unknown_run_in_the_link_says_so_and_what_is_shown(runs: list[str]) -> None:
    at = _open("pages/3_Embeddings.py", run="bpr-doesnotexist")
    notice = _infos(at)
    assert "The link names run bpr-doesnotexist, which does not exist here; showing " in notice
    assert at.selectbox(key=state.RUN).value == runs[1]  # the only run with embeddings


def test_an_unknown_dataset_item_and_compared_run_each_say_so(runs: list[str]) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["dataset"] = "ml-nope"
    at.run()
    assert "The link names dataset ml-nope, which does not exist here" in _infos(at)
    at = _open("pages/3_Embeddings.py", run=runs[1], item="i99999")
    assert "The link names item i99999, which does not exist here; showing " in _infos(at)
    at = _open("pages/5_Compare.py", runs=f"{runs[0]},gone-123")
    assert "The link names run gone-123, which does not exist here" in _infos(at)
    assert at.session_state[state.COMPARE_RUNS] == [runs[0]]


@pytest.mark.parametrize(
    ("page", "query", "named"),
    [
        ("pages/3_Embeddings.py", {"neighbours": "many"}, "neighbours='many'"),
        ("pages/5_Compare.py", {"sampled": "maybe"}, "sampled='maybe'"),
    ],
)
def test_a_value_of_the_wrong_kind_is_ignored_with_a_notice(
    runs: list[str], page: str, query: dict[str, str], named: str
) -> None:
    at = _open(page, run=runs[1], runs=",".join(runs), **query)
    assert f"The link's {named} is not a valid value; ignored." in _infos(at)


def test_a_number_out_of_range_is_replaced_with_a_notice(runs: list[str]) -> None:
    at = _open("pages/3_Embeddings.py", run=runs[1], neighbours="500", similarity="l7")
    assert "The link's number of neighbours 500 is not possible here" in _infos(at)
    assert "The link's similarity 'l7' is not possible here" in _infos(at)
    assert at.number_input(key=state.EMB_K).value == 10


def test_recommendations_user_k_and_the_run_beside_round_trip(runs: list[str]) -> None:
    query = {"run": runs[1], "user": "u00005", "list_k": "5", "beside": runs[0]}
    at = _open("pages/4_Recommendations.py", **query)
    user = at.selectbox(key=state.RECS_USER)
    assert user.value == "u00005"
    assert user.format_func("u00005").startswith("u00005 · ")  # activity and demographics
    assert " in training" in user.format_func("u00005")
    assert at.number_input(key=state.RECS_K).value == 5
    assert "Lists of 5 items (the run's metrics used k = 10)" in "\n".join(
        c.value for c in at.caption
    )
    assert at.selectbox(key=state.RECS_OTHER).value == runs[0]
    side = [d.value for d in at.dataframe if list(d.value.columns)[:2] == ["rank", "item_id"]]
    assert len(side) >= 3 and all(len(frame) == 5 for frame in side[:3])
    assert {name: at.query_params[name] for name in query} == query


def test_an_unknown_user_in_the_link_says_so(runs: list[str]) -> None:
    at = _open("pages/4_Recommendations.py", run=runs[1], user="nobody")
    assert "The link names user nobody, which does not exist here; showing " in _infos(at)
