"""The Recommendations page: a run's top-k for a user, flags checked against the stored split, and
the re-ranking view (weight sliders, the options, the two lists, the metrics, all in the URL)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from recsys_core.data import store
from recsys_core.data.protocols import Protocol, custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.experiment import train_run
from recsys_core.inspection import load_run_context
from recsys_core.registry import get_run, list_runs
from recsys_core.rerank import RerankPipeline, get_reranker_class
from recsys_core.rerank.session import RerankSession
from recsys_core.rerank.views import user_lists
from recsys_core.ui import state

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/4_Recommendations.py"
DATASET = "tiny"


@dataclass(frozen=True)
class Setup:
    db: Path
    run_id: str
    protocol: Protocol
    test_rows: pd.DataFrame  # user_id, item_id, rating of the split's test part
    evaluated_ids: list[str]  # raw ids of users with a relevant test row, in index order


@pytest.fixture()
def trained(app_db: Path) -> Setup:
    frames = generate_synthetic(name=DATASET, n_users=300, n_items=200, n_interactions=6000)
    store.write_dataset(frames, path=app_db)
    protocol = custom_protocol(SplitSpec(kind="user", test=0.25, seed=3), relevant_min_rating=4.0)
    result = train_run(DATASET, "itemknn", protocol, path=app_db)
    dataset = store.load_dataset(DATASET, path=app_db)
    _, parts = store.load_split(DATASET, protocol.split_name, path=app_db)
    rows = dataset.interactions.set_index("row_id").loc[parts["test"]]
    test_rows = pd.DataFrame(
        {
            "user_id": dataset.users["user_id"].to_numpy()[rows["user_idx"]],
            "item_id": dataset.items["item_id"].to_numpy()[rows["item_idx"]],
            "rating": rows["rating"].to_numpy(),
        }
    )
    users = sorted(set(test_rows.loc[test_rows["rating"] >= 4.0, "user_id"]))
    return Setup(app_db, result.record.run_id, protocol, test_rows, users)


def _open(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).switch_page(PAGE)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _list(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


def test_default_user_gets_k_rows_with_flags_from_the_split(trained: Setup) -> None:
    at = _open()
    user = at.selectbox(key=state.RECS_USER).value
    assert user == trained.evaluated_ids[0]
    picker = at.selectbox(key=state.RECS_USER)
    assert [option.split(" · ")[0] for option in picker.options] == trained.evaluated_ids
    table = _list(at)
    assert len(table) == trained.protocol.k
    assert table["rank"].tolist() == list(range(1, trained.protocol.k + 1))
    mine = trained.test_rows[trained.test_rows["user_id"] == user]
    assert table["in_test"].tolist() == table["item_id"].isin(set(mine["item_id"])).tolist()
    relevant = set(mine.loc[mine["rating"] >= 4.0, "item_id"])
    assert table["relevant"].tolist() == table["item_id"].isin(relevant).tolist()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[f"Hits in the top {trained.protocol.k}"] == str(
        len(set(table["item_id"]) & relevant)
    )
    assert metrics["Held-out test items"] == str(mine["item_id"].nunique())
    assert metrics["Relevant test items"] == str(len(relevant))
    assert at.query_params["user"] == user


def test_changing_the_user_changes_the_list_and_the_url(trained: Setup) -> None:
    at = _open()
    first = _list(at)
    other = trained.evaluated_ids[5]
    at.selectbox(key=state.RECS_USER).set_value(other).run()
    assert not at.exception
    second = _list(at)
    assert second["item_id"].tolist() != first["item_id"].tolist()
    mine = trained.test_rows[trained.test_rows["user_id"] == other]
    assert second["in_test"].tolist() == second["item_id"].isin(set(mine["item_id"])).tolist()
    assert at.query_params["user"] == other


def test_user_in_the_url_is_selected(trained: Setup) -> None:
    wanted = trained.evaluated_ids[7]
    at = _open({"user": wanted, "run": trained.run_id})
    assert at.selectbox(key=state.RECS_USER).value == wanted
    assert any(wanted in s.value for s in at.subheader)


def test_unknown_user_in_the_url_falls_back_to_the_first(trained: Setup) -> None:
    at = _open({"user": "nobody"})
    assert at.selectbox(key=state.RECS_USER).value == trained.evaluated_ids[0]


def test_list_length_follows_k(trained: Setup) -> None:
    at = _open()
    at.number_input[0].set_value(4).run()
    assert not at.exception
    assert len(_list(at)) == 4
    specs = [chart.proto.spec for chart in at.get("vega_lite_chart")]
    assert any("top-4 list" in spec for spec in specs)


def test_no_runs_shows_where_to_train(app_db: Path) -> None:
    at = _open()
    assert any("No runs" in info.value for info in at.info)


def _table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The one dataframe of the page that has ``column`` (``move``: the re-ranked list,
    ``now``: the original list, ``better``: the metrics table)."""
    found = [frame.value for frame in at.dataframe if column in frame.value.columns]
    assert len(found) == 1, [list(frame.value.columns) for frame in at.dataframe]
    return found[0]


def _metric_row(at: AppTest, name: str) -> pd.Series:
    return _table_with(at, "better").set_index("name").loc[name]


def test_all_weights_off_keep_the_run_s_own_list(trained: Setup) -> None:
    at = _open()
    before, after = _table_with(at, "now"), _table_with(at, "move")
    assert after["item_id"].tolist() == before["item_id"].tolist() == _list(at)["item_id"].tolist()
    assert set(after["move"]) == {"="}
    assert _metric_row(at, "ndcg@10")["change"] == pytest.approx(0.0)
    assert "rerank" not in at.query_params
    assert any("never retrain the run" in caption.value for caption in at.caption)
    labels = {slider.label for slider in at.slider}
    assert {"Diversity (MMR)", "Provider fairness (FA*IR)", "Freshness boost"} <= labels


def test_moving_a_slider_reranks_the_list_and_moves_the_metrics(trained: Setup) -> None:
    at = _open()
    user = at.selectbox(key=state.RECS_USER).value
    before = _table_with(at, "now")
    started = time.perf_counter()
    at.slider(key=state.weight_key("mmr")).set_value(0.6).run()
    elapsed = time.perf_counter() - started
    assert not at.exception, at.exception
    after = _table_with(at, "move")
    assert after["item_id"].tolist() != before["item_id"].tolist()
    assert set(after["move"]) != {"="}
    # The page shows what the library computes for the same run, weights and user.
    session = RerankSession.open(trained.run_id, path=trained.db)
    outcome = session.rerank(RerankPipeline.from_text("mmr=0.6"), 10)
    context = load_run_context(trained.run_id, path=trained.db)
    expected = user_lists(context, session.candidates, outcome, context.user_idx(user))
    assert after["item_id"].tolist() == expected.after["item_id"].tolist()
    assert after["move"].tolist() == expected.after["move"].tolist()
    diversity = _metric_row(at, "diversity@10")
    assert diversity["reranked"] > diversity["original"]
    assert diversity["reranked"] == pytest.approx(outcome.metrics_after.means()["diversity@10"])
    assert at.query_params["rerank"] == "mmr=0.6"
    print(f"slider -> re-ranked view: {elapsed:.2f} s (AppTest, whole script)")


def test_weights_in_the_url_reproduce_the_view(trained: Setup) -> None:
    moved = _open()
    moved.slider(key=state.weight_key("fairness")).set_value(0.5).run()
    moved.slider(key=state.weight_key("mmr")).set_value(0.3).run()
    link = moved.query_params["rerank"]
    assert link == "mmr=0.3,fairness=0.5"
    opened = _open({"rerank": link, "run": trained.run_id})
    assert opened.slider(key=state.weight_key("mmr")).value == pytest.approx(0.3)
    assert opened.slider(key=state.weight_key("fairness")).value == pytest.approx(0.5)
    assert opened.slider(key=state.weight_key("freshness")).value == 0.0
    pd.testing.assert_frame_equal(_table_with(opened, "move"), _table_with(moved, "move"))
    pd.testing.assert_frame_equal(_table_with(opened, "better"), _table_with(moved, "better"))
    assert not opened.warning


def test_bad_weights_in_the_url_turn_everything_off_with_a_notice(trained: Setup) -> None:
    at = _open({"rerank": "mmr=7"})
    notices = [warning.value for warning in at.warning]
    assert len(notices) == 1 and "mmr=7" in notices[0]
    assert "above its maximum 1.0" in notices[0]
    assert all(slider.value == 0.0 for slider in at.slider)
    assert set(_table_with(at, "move")["move"]) == {"="}
    assert "rerank" not in at.query_params
    at.slider(key=state.weight_key("freshness")).set_value(0.5).run()
    assert not at.warning
    assert at.query_params["rerank"] == "freshness=0.5"


SAVE_LABEL = "Save these weights as a run"


def _save_button(at: AppTest) -> Button:
    (button,) = [b for b in at.button if b.label == SAVE_LABEL]
    return button


def test_saving_the_weights_adds_a_rerank_run_of_this_run(trained: Setup) -> None:
    at = _open()
    assert _save_button(at).disabled  # every weight 0: nothing to save
    at.slider(key=state.weight_key("fairness")).set_value(0.7).run()
    assert not _save_button(at).disabled
    _save_button(at).click().run()
    assert not at.exception, at.exception
    (saved,) = list_runs(DATASET, kind="rerank", path=trained.db)
    assert saved.parent_run_id == trained.run_id
    assert saved.config["model"]["weights"] == "fairness=0.7"
    (message,) = [s.value for s in at.success]
    assert saved.run_id in message and trained.run_id in message
    # Its test-set metrics are the ones the page showed for these weights.
    shown = _metric_row(at, "tail_share@10")["reranked"]
    assert get_run(saved.run_id, path=trained.db).metrics["tail_share@10"] == pytest.approx(shown)
    # The runs table (Home page) lists it with its lineage.
    home = AppTest.from_file(APP, default_timeout=120)
    home.run()
    assert not home.exception, home.exception
    runs_frame = next(df.value for df in home.dataframe if "lineage" in df.value.columns)
    row = runs_frame.set_index("run").loc[saved.run_id]
    assert row["lineage"] == f"rerank of {trained.run_id}"
    # A rerank run offers no save of its own: its weights come from the trained run.
    opened = _open({"run": saved.run_id, "rerank": "mmr=0.5"})
    assert _save_button(opened).disabled


def _widget(widgets: object, label: str) -> object:
    """The one widget of a list (``at.multiselect``, ``at.number_input``, ...) with ``label``."""
    (found,) = [w for w in widgets if w.label == label]  # type: ignore[attr-defined]
    return found


def _options_expander(at: AppTest) -> object:
    (expander,) = [e for e in at.expander if e.label == "Options"]
    return expander


def test_options_in_the_url_fill_the_expander_and_rerank_the_lists(trained: Setup) -> None:
    plain = _open()
    user = plain.selectbox(key=state.RECS_USER).value
    original = _table_with(plain, "now")
    genre = original["genres"].iloc[0].split(", ")[0]  # a genre of the top item
    link = f"blocklist=1,blocklist.genres={genre},freshness=0.4,freshness.half_life_years=2"
    at = _open({"rerank": link, "run": trained.run_id, "user": user})
    options = _options_expander(at)
    assert _widget(options.multiselect, "Block list: genres").value == [genre]
    assert _widget(options.number_input, "Freshness: half-life in years").value == 2.0
    assert at.slider(key=state.weight_key("freshness")).value == pytest.approx(0.4)
    assert at.query_params["rerank"] == link  # canonical already: the link reproduces itself
    after = _table_with(at, "move")
    assert not after["genres"].str.contains(genre, regex=False).any()
    assert after["item_id"].tolist() != original["item_id"].tolist()
    session = RerankSession.open(trained.run_id, path=trained.db)
    outcome = session.rerank(RerankPipeline.from_text(link), 10)
    context = load_run_context(trained.run_id, path=trained.db)
    expected = user_lists(context, session.candidates, outcome, context.user_idx(user))
    assert after["item_id"].tolist() == expected.after["item_id"].tolist()
    row = _metric_row(at, "mean_item_age@10")
    assert row["reranked"] == pytest.approx(outcome.metrics_after.means()["mean_item_age@10"])
    assert not at.warning
    # Changing an option in the expander updates the link.
    _widget(options.number_input, "Freshness: half-life in years").set_value(3.0).run()
    assert not at.exception, at.exception
    assert at.query_params["rerank"] == link.replace("half_life_years=2", "half_life_years=3")
    # A genre this catalogue lacks is dropped with a notice instead of breaking the page.
    odd = _open({"rerank": "blocklist=1,blocklist.genres=Nonsense", "run": trained.run_id})
    assert any("Nonsense" in w.value for w in odd.warning)
    assert "rerank" not in odd.query_params  # nothing left to block: the block list is off
    assert not _options_expander(odd).multiselect  # closed, so its widgets are not drawn


def test_a_blend_with_another_run_of_the_split_comes_from_the_url(trained: Setup) -> None:
    mate = train_run(DATASET, "popularity", trained.protocol, path=trained.db).record.run_id
    link = f"blend=1,blend.runs={mate}"
    at = _open({"rerank": link, "run": trained.run_id})
    options = _options_expander(at)
    runs_picker = _widget(options.multiselect, "Blend with runs")
    assert runs_picker.value == [mate] and runs_picker.options == [mate]
    assert _widget(options.slider, "Blend: share of the other runs").value == 1.0
    assert at.query_params["rerank"] == link
    user = at.selectbox(key=state.RECS_USER).value
    session = RerankSession.open(trained.run_id, path=trained.db)
    outcome = session.rerank(RerankPipeline.from_text(link), 10)
    context = load_run_context(trained.run_id, path=trained.db)
    expected = user_lists(context, session.candidates, outcome, context.user_idx(user))
    assert _table_with(at, "move")["item_id"].tolist() == expected.after["item_id"].tolist()
    assert _save_button(at).disabled  # a blend is not saved as a run
    # Dropping the run switches the blend off (its share slider is disabled meanwhile).
    runs_picker.set_value([]).run()
    assert not at.exception, at.exception
    share = _widget(_options_expander(at).slider, "Blend: share of the other runs")
    assert share.disabled
    assert "rerank" not in at.query_params


def test_a_reranker_unavailable_on_the_run_is_disabled_with_its_reason(
    trained: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = "Needs something this run lacks."
    monkeypatch.setattr(
        get_reranker_class("mmr"), "unavailable_reason", classmethod(lambda cls, ctx: reason)
    )
    at = _open({"rerank": "mmr=0.5,fairness=0.3", "run": trained.run_id})
    mmr = at.slider(key=state.weight_key("mmr"))
    assert mmr.disabled and mmr.value == 0.0
    assert any(caption.value == reason for caption in at.caption)
    assert not at.slider(key=state.weight_key("fairness")).disabled
    assert at.query_params["rerank"] == "fairness=0.3"
