"""The Compare page on a tiny synthetic dataset with a popularity and an ItemKNN run, and on one
with logistic rankers beside retrieval runs (pointwise metrics, empty for retrieval runs).

Numbers the page shows are checked against independent computations: means straight from the
per-user parquet files, p-values from scipy's paired t-test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from recsys_core.calibration.runs import calibrate_run
from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol, get_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.evaluation.compare import metric_label
from recsys_core.experiment import train_run
from recsys_core.registry import get_run, load_per_user_metrics
from recsys_core.registry.runs import load_pointwise_per_user, load_run_details
from recsys_core.ui import state

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGE = "pages/5_Compare.py"
SIZES = {"n_users": 300, "n_items": 200, "n_interactions": 6000, "seed": 5}


def _store_runs(path: Path, name: str, protocol_runs: list[tuple[object, str]]) -> list[str]:
    store.write_dataset(generate_synthetic(name=name, **SIZES), path=path)
    return [train_run(name, model, p, path=path).record.run_id for p, model in protocol_runs]


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """'tiny' with popularity + itemknn on one split, and a popularity run on another split."""
    path = tmp_path_factory.mktemp("compare") / "app.duckdb"
    split_a = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    split_b = custom_protocol(SplitSpec(kind="random", test=0.2, seed=2))
    run_ids = _store_runs(
        path, "tiny", [(split_a, "popularity"), (split_a, "itemknn"), (split_b, "popularity")]
    )
    return path, run_ids


@pytest.fixture()
def tiny(tiny_db: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("RECSCOPE_DB", str(tiny_db[0]))
    return tiny_db[1]


def _page(run_ids: list[str], **session: object) -> AppTest:
    """The Compare page, opened through the app's entrypoint, with these runs selected."""
    at = AppTest.from_file(APP, default_timeout=120).switch_page(PAGE)
    at.session_state[state.COMPARE_RUNS] = run_ids
    for key, value in session.items():
        at.session_state[key] = value
    return at.run()


def _tables(at: AppTest, required: set[str]) -> list:
    """The dataframes on the page that have all ``required`` columns, in page order."""
    tables = [element for element in at.dataframe if required <= set(element.value.columns)]
    assert tables, f"no table with columns {sorted(required)} on the page"
    return tables


def _frame(at: AppTest, required: set[str]) -> pd.DataFrame:
    """The rows of every dataframe with all ``required`` columns, as one frame (the page shows
    one such table per run)."""
    return pd.concat([element.value for element in _tables(at, required)], ignore_index=True)


def _labels(at: AppTest) -> dict[str, str]:
    """Run id -> the label the page names the run by (its Runs table)."""
    runs = _frame(at, {"run", "lineage", "run_id"})
    return dict(zip(runs["run_id"], runs["run"], strict=True))


def _specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def _title(spec: dict) -> str:
    title = spec.get("title") or ""
    return title if isinstance(title, str) else f"{title.get('text')} {title.get('subtitle')}"


def test_metrics_table_shows_both_runs_with_intervals_and_baseline_marker(tiny: list[str]) -> None:
    pop, knn = tiny[0], tiny[1]
    at = _page([pop, knn], **{state.COMPARE_BASELINE: pop})
    assert not at.exception
    labels = _labels(at)
    assert labels[pop].startswith("Most popular") and labels[knn].startswith("Item k-NN")
    table = _frame(at, {"run", "metric", "mean", "ci_low", "ci_high", "vs_baseline"})
    assert set(table["run"]) == {labels[pop], labels[knn]}  # runs by label, not by id
    ndcg = table[table["metric"] == "nDCG@10"].set_index("run")
    for run_id in (pop, knn):
        expected = load_per_user_metrics(run_id)["ndcg@10"].mean()
        row = ndcg.loc[labels[run_id]]
        assert row["mean"] == pytest.approx(expected)
        assert row["ci_low"] < row["mean"] < row["ci_high"]
    assert ndcg.loc[labels[pop], "vs_baseline"] == "baseline"
    runs = _frame(at, {"run", "lineage", "run_id"}).set_index("run_id")
    assert runs.loc[[pop, knn], "lineage"].tolist() == ["trained", "trained"]
    (runs_table,) = _tables(at, {"run", "lineage", "run_id"})
    assert list(runs_table.proto.column_order) == ["run", "stage", "lineage", "settings", "run_id"]
    assert ndcg.loc[labels[knn], "vs_baseline"] in {"▲", "▼", "="}
    captions = [c.value for c in at.caption]
    assert any(
        "custom:user" in c and "every held-out interaction is relevant" in c.lower()
        for c in captions
    )
    assert any("No published numbers" in c for c in captions)


def test_paired_p_values_match_scipy_and_the_verdict_follows_them(tiny: list[str]) -> None:
    pop, knn = tiny[0], tiny[1]
    at = _page([pop, knn], **{state.COMPARE_BASELINE: pop})
    paired = _frame(at, {"run", "metric", "diff", "p_value", "verdict"})
    a = load_per_user_metrics(pop).set_index("user_idx")
    b = load_per_user_metrics(knn).set_index("user_idx").loc[a.index]
    names = {metric_label(name): name for name in a.columns}
    for row in paired.itertuples():
        name = names[row.metric]
        expected = stats.ttest_rel(b[name], a[name]).pvalue
        assert row.p_value == pytest.approx(expected)
        assert row.diff == pytest.approx((b[name] - a[name]).mean())
        verdict = "no difference" if expected >= 0.05 else ("better" if row.diff > 0 else "worse")
        assert row.verdict == verdict
    assert not {"marker", "significant", "baseline"} & set(
        _tables(at, {"verdict"})[0].proto.column_order
    )
    (table,) = _tables(at, {"run", "metric", "diff", "p_value", "verdict"})
    config = json.loads(table.proto.columns)
    assert config["p_value"]["type_config"]["format"] == "%.3g"
    assert config["mean_baseline"]["label"] == "Baseline mean"
    assert config["n_users"]["label"] == "Users"
    assert "run" not in table.proto.column_order  # the label heads the table instead


def test_the_baseline_defaults_to_the_popularity_run_unless_one_was_chosen(
    tiny: list[str],
) -> None:
    pop, knn = tiny[0], tiny[1]
    at = _page([knn, pop])
    assert not at.exception
    assert at.session_state[state.COMPARE_BASELINE] == pop
    assert at.selectbox(key=state.COMPARE_BASELINE).value == pop
    assert set(_frame(at, {"run", "diff", "verdict"})["run"]) == {_labels(at)[knn]}
    chosen = _page([knn, pop], **{state.COMPARE_BASELINE: knn})
    assert chosen.session_state[state.COMPARE_BASELINE] == knn


def test_metrics_keep_the_chosen_order_and_runs_their_colours(tiny: list[str]) -> None:
    pop, knn = tiny[0], tiny[1]
    at = _page([pop, knn], **{state.COMPARE_FAMILIES: ["recall", "ndcg"]})
    assert not at.exception
    first = _tables(at, {"run", "metric", "mean", "vs_baseline"})[0].value
    assert first["metric"].tolist() == ["Recall@10", "nDCG@10"]  # not alphabetical
    assert json.loads(_tables(at, {"vs_baseline"})[0].proto.columns)["vs_baseline"]["label"] == (
        "vs baseline"
    )
    labels = _labels(at)
    bars = next(spec for spec in _specs(at) if "Mean of each metric" in _title(spec))
    assert bars["facet"]["sort"] == ["Recall@10", "nDCG@10"]
    colour = bars["spec"]["layer"][0]["encoding"]["color"]
    domain, colours = colour["scale"]["domain"], colour["scale"]["range"]
    assert domain == [labels[pop], labels[knn]] and colours[0] != colours[1]
    assert colour["legend"]["title"] == "Run"
    diffs = next(spec for spec in _specs(at) if "Paired difference" in _title(spec))
    assert diffs["layer"][0]["layer"][0]["encoding"]["color"]["scale"]["domain"] == domain


def test_segment_table_covers_every_user_per_kind(tiny: list[str]) -> None:
    pop, knn = tiny[0], tiny[1]
    at = _page([pop, knn])
    segments = _frame(at, {"segment_kind", "segment", "run", "n_users"})
    assert {"activity", "gender", "age", "occupation"} <= set(segments["segment_kind"])
    counts = segments.groupby(["segment_kind", "run"])["n_users"].sum()
    n_users = len(load_per_user_metrics(pop))
    assert (counts == n_users).all()
    config = json.loads(_tables(at, {"segment_kind"})[0].proto.columns)
    assert config["segment_kind"]["label"] == "Segment kind"
    assert config["ndcg@10"]["label"] == "nDCG@10"
    charts = [spec for spec in _specs(at) if "segment and run" in _title(spec)]
    kinds = ["activity", "gender", "age", "occupation"]
    assert len(charts) == len(kinds)
    assert all(f"per {kind} segment" in _title(c) for kind, c in zip(kinds, charts, strict=True))
    assert all(spec["width"] == "container" for spec in charts)  # fits its column


def test_mixed_splits_warn_and_show_one_split(tiny: list[str]) -> None:
    pop, _, other = tiny
    at = _page([pop, other])
    assert not at.exception
    assert any("different splits" in w.value for w in at.warning)
    table = _frame(at, {"run", "metric", "mean", "ci_low"})
    assert set(table["run"]) == {_labels(at)[pop]}
    at.radio(key=state.COMPARE_SPLIT).set_value(get_run(other).split_name).run()
    assert set(_frame(at, {"run", "metric", "mean", "ci_low"})["run"]) == {_labels(at)[other]}


def test_sampled_toggle_shows_both_evaluations_and_flips(tiny: list[str]) -> None:
    pop, knn = tiny[0], tiny[1]
    at = _page([pop, knn])
    at.toggle(key=state.COMPARE_SAMPLED).set_value(True).run()
    assert not at.exception
    flips = _frame(at, {"metric", "run", "full", "sampled", "rank_full", "rank_sampled"})
    labels = _labels(at)
    assert set(flips["run"]) == {labels[pop], labels[knn]}
    notices = " ".join(element.value for element in [*at.warning, *at.success])
    for metric, group in flips.groupby("metric"):
        swapped = np.sign(group["full"].diff().iloc[-1]) * np.sign(group["sampled"].diff().iloc[-1])
        assert (group["rank_full"].tolist() != group["rank_sampled"].tolist()) == bool(swapped < 0)
        assert (f"{metric}: " in notices) == bool(swapped < 0), metric
    assert any("sampled: 100 negatives per test item" in c.value for c in at.caption)
    assert (get_run(knn).artifact_dir / "sampled-100.parquet").is_file()


def test_export_button_serves_a_self_contained_html_report(
    tiny: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[bytes] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def capture(self, path_or_data, mimetype, kind, filename=None):  # noqa: ANN001, ANN202
        if mimetype == "text/html":
            served.append(path_or_data)
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", capture)
    pop, knn = tiny[0], tiny[1]
    at = _page([pop, knn])
    assert not at.exception
    assert at.get("download_button")
    html = served[-1].decode() if isinstance(served[-1], bytes) else served[-1]
    labels = _labels(at)
    assert pop in html and knn in html  # the ids, in the Runs table
    assert labels[pop] in html and labels[knn] in html
    # metric bars, paired differences, a segment chart per kind (activity, gender, age, occupation)
    assert html.count("vegaEmbed('#chart-") == 6
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?https?:", html)


def _tradeoff_chart(at: AppTest) -> tuple[dict, list[dict]]:
    """Spec and rows of the trade-off chart (the one whose title names the swept weight);
    Streamlit ships chart data as Arrow datasets beside the spec."""
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        if "goes 0 → 1" in _title(spec):
            rows = [
                row
                for dataset in chart.proto.datasets
                for row in pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()
            ]
            return spec, rows
    raise AssertionError("no trade-off chart on the page")


def test_tradeoff_section_draws_one_curve_per_run(tiny: list[str]) -> None:
    pop, knn = tiny[0], tiny[1]
    at = _page(
        [pop, knn],
        **{"compare.tradeoff_reranker": "fairness", "compare.tradeoff_metric": "tail_share"},
    )
    assert not at.exception
    assert "Re-ranking trade-offs" in [header.value for header in at.subheader]
    spec, rows = _tradeoff_chart(at)
    assert "long-tail share" in _title(spec) and "2 runs" in _title(spec)
    labels = _labels(at)
    assert {row["run"] for row in rows} == {labels[pop], labels[knn]}
    assert len(rows) == 2 * 6  # six weights per run
    assert any("never retrain" in caption.value for caption in at.caption)


@pytest.fixture(scope="module")
def ranked_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """'ranked' with two logistic rankers (different feature sets), a BPR and a popularity run."""
    path = tmp_path_factory.mktemp("compare-ranked") / "app.duckdb"
    store.write_dataset(generate_synthetic(name="ranked", **SIZES), path=path)
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    settings = {
        "logistic": ("logistic", {"n_epochs": 2}),
        "logistic-side": ("logistic", {"n_epochs": 2, "features": "side"}),
        "bpr": ("bpr", {"n_epochs": 2}),
        "popularity": ("popularity", {}),
    }
    return path, {
        name: train_run("ranked", model, protocol, overrides=overrides, path=path).record.run_id
        for name, (model, overrides) in settings.items()
    }


@pytest.fixture()
def ranked(ranked_db: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("RECSCOPE_DB", str(ranked_db[0]))
    return ranked_db[1]


def test_ranking_runs_show_pointwise_metrics_and_retrieval_runs_stay_empty(ranked: dict) -> None:
    chosen = [ranked["logistic"], ranked["bpr"], ranked["popularity"]]
    at = _page(chosen, **{state.COMPARE_BASELINE: ranked["logistic"]})
    assert not at.exception
    families = at.multiselect(key=state.COMPARE_FAMILIES)
    assert {"auc", "gauc", "logloss"} <= set(families.value)
    assert "LogLoss (lower is better)" in families.options
    table = _frame(at, {"run", "metric", "mean", "ci_low", "ci_high", "vs_baseline"})
    table = table.set_index(["run", "metric"])
    labels = _labels(at)
    logistic = labels[ranked["logistic"]]
    stored = get_run(ranked["logistic"]).metrics
    for name in ("auc", "gauc", "logloss"):
        row = table.loc[(logistic, metric_label(name))]
        assert row["mean"] == pytest.approx(stored[name])
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            (stored[f"{name}_lo"], stored[f"{name}_hi"])
        )
        for retrieval in (ranked["bpr"], ranked["popularity"]):
            cells = table.loc[
                (labels[retrieval], metric_label(name)), ["mean", "ci_low", "ci_high"]
            ]
            assert cells.isna().all()
    ndcg = load_per_user_metrics(ranked["logistic"])["ndcg@10"].mean()
    assert table.loc[(logistic, "nDCG@10"), "mean"] == pytest.approx(ndcg)
    label = load_run_details(ranked["logistic"])["evaluation"]["pointwise"]
    assert any(label in c.value and "Retrieval runs are not" in c.value for c in at.caption)
    paired = _frame(at, {"run", "metric", "diff", "p_value", "verdict"})
    assert not set(paired["metric"]) & {"AUC", "GAUC", "LogLoss"}


def test_two_ranking_runs_are_paired_on_gauc_and_log_loss(ranked: dict) -> None:
    base, other = ranked["logistic"], ranked["logistic-side"]
    at = _page([base, other], **{state.COMPARE_BASELINE: base})
    assert not at.exception
    paired = _frame(at, {"run", "metric", "diff", "p_value", "verdict"}).set_index("metric")
    assert {"GAUC", "LogLoss"} <= set(paired.index) and "AUC" not in paired.index
    a, b = load_pointwise_per_user(base), load_pointwise_per_user(other)
    assert a["user_idx"].tolist() == b["user_idx"].tolist()
    for name in ("gauc", "logloss"):
        row = paired.loc[metric_label(name)]
        expected = get_run(other).metrics[name] - get_run(base).metrics[name]
        assert row["diff"] == pytest.approx(expected)
        assert row["ci_low"] <= row["diff"] <= row["ci_high"]
    logloss = paired.loc["LogLoss"]
    if logloss["p_value"] < 0.05:
        assert logloss["verdict"] == ("better" if logloss["diff"] < 0 else "worse")
    else:
        assert logloss["verdict"] == "no difference"
    assert paired.loc["GAUC", "n_users"] == int(a["auc"].notna().sum())


def test_a_ranking_run_without_pointwise_arrays_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("RECSCOPE_DB", str(path))
    store.write_dataset(generate_synthetic(name="stale", **SIZES), path=path)
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    record = train_run("stale", "logistic", protocol, overrides={"n_epochs": 1}, path=path).record
    (record.artifact_dir / "per_user_pointwise.parquet").unlink()  # as a run saved before them
    at = _page([record.run_id])
    assert not at.exception
    (error,) = at.error
    assert record.run_id in error.value and "per_user_pointwise.parquet" in error.value
    assert "retrain the run, or delete it" in error.value


def test_retrieval_runs_offer_no_pointwise_metrics(tiny: list[str]) -> None:
    at = _page([tiny[0], tiny[1]])
    assert not at.exception
    assert not {"AUC", "GAUC", "LogLoss (lower is better)"} & set(
        at.multiselect(key=state.COMPARE_FAMILIES).options
    )


@pytest.fixture(scope="module")
def ml100k_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A small synthetic dataset stored under the name 'ml-100k', with msr-100k runs."""
    path = tmp_path_factory.mktemp("compare-ml100k") / "app.duckdb"
    msr = get_protocol("msr-100k")
    return path, _store_runs(path, "ml-100k", [(msr, "popularity"), (msr, "itemknn")])


@pytest.fixture()
def ml100k(
    ml100k_db: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[str]]:
    monkeypatch.setenv("RECSCOPE_DB", str(ml100k_db[0]))
    yield ml100k_db[1]


def test_published_rows_appear_for_msr100k_on_ml100k(ml100k: list[str]) -> None:
    at = _page(ml100k)
    assert not at.exception
    (table,) = _tables(at, {"model", "source", "msr_map@10", "ndcg@10"})
    headline = table.value
    ours = headline[headline["source"] == "this run"]
    labels = _labels(at)
    assert set(ours["model"]) == {labels[run_id] for run_id in ml100k}
    bivae = headline[headline["model"] == "BiVAE"].iloc[0]
    assert bivae["ndcg@10"] == pytest.approx(0.475077)
    assert bivae["source"] == "Microsoft Recommenders 1.x ML-100K benchmark"  # short, readable
    assert bivae["link"].startswith("https://github.com/recommenders-team/")
    assert list(headline.columns)[-2:] == ["source", "link"]  # metric columns first
    config = json.loads(table.proto.columns)
    assert config["msr_map@10"]["label"] == "MAP (MSR)@10" and config["link"]["type_config"]


def test_a_dataset_without_runs_points_to_the_train_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("RECSCOPE_DB", str(path))
    store.write_dataset(generate_synthetic(name="fresh", **SIZES), path=path)
    at = AppTest.from_file(APP, default_timeout=120).switch_page(PAGE).run()
    assert not at.exception
    assert any("No runs on fresh yet" in info.value for info in at.info)
    links = {(link.proto.label, link.proto.page) for link in at.main.get("page_link")}
    assert ("Train a model", "Train") in links
    assert not at.dataframe


@pytest.fixture(scope="module")
def calibrated_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """'calib' with a downsampled logistic run, its platt child and a popularity run, on a split
    with validation rows (calibrators are fitted on them)."""
    path = tmp_path_factory.mktemp("compare-calibrated") / "app.duckdb"
    store.write_dataset(generate_synthetic(name="calib", **SIZES), path=path)
    protocol = custom_protocol(SplitSpec(kind="random", test=0.1, valid=0.1, seed=7))
    overrides = {"n_epochs": 2, "negative_rate": 0.5}
    ranker = train_run("calib", "logistic", protocol, overrides=overrides, path=path).record
    child = calibrate_run(ranker.run_id, "platt", path=path).record
    popularity = train_run("calib", "popularity", protocol, path=path).record
    return path, {"ranker": ranker.run_id, "platt": child.run_id, "popularity": popularity.run_id}


def _chart_rows(at: AppTest, title_part: str) -> tuple[dict, list[dict]]:
    """Spec and rows of the first chart whose (possibly nested) title holds ``title_part``."""
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        titles = [spec.get("title")] + [part.get("title") for part in spec.get("vconcat", [])]
        if any(isinstance(t, str) and title_part in t for t in titles):
            rows = [
                row
                for dataset in chart.proto.datasets
                for row in pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()
            ]
            return spec, rows
    raise AssertionError(f"no chart titled with {title_part!r} on the page")


def test_calibration_section_draws_reliability_curves_and_the_ece_table(
    calibrated_db: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, runs = calibrated_db
    monkeypatch.setenv("RECSCOPE_DB", str(path))
    at = _page([runs["ranker"], runs["platt"], runs["popularity"]])
    assert not at.exception
    assert "Calibration" in [header.value for header in at.subheader]
    table = _frame(at, {"run", "stage", "ece", "mce", "brier", "logloss"})
    labels = _labels(at)
    ranker, platt = labels[runs["ranker"]], labels[runs["platt"]]
    stages = table.groupby("run", sort=False)["stage"].apply(list).to_dict()
    assert stages == {ranker: ["raw"], platt: ["raw", "downsampling correction", "platt"]}
    stored = get_run(runs["platt"]).metrics
    by_stage = table.set_index(["run", "stage"])
    assert by_stage.loc[(platt, "platt"), "ece"] == pytest.approx(stored["ece"])
    assert by_stage.loc[(platt, "platt"), "brier"] == pytest.approx(stored["brier"])
    assert by_stage.loc[(platt, "downsampling correction"), "ece"] == pytest.approx(
        stored["ece_before"]
    )
    raw = by_stage.loc[[(ranker, "raw"), (platt, "raw")], "ece"]
    assert raw.iloc[0] == pytest.approx(raw.iloc[1])  # the child's raw stage is its parent's
    spec, rows = _chart_rows(at, "Reliability of 4 run · stage pairs")
    assert "15 equal-width bins" in spec["vconcat"][0]["title"]
    rows = [row for row in rows if "series" in row]  # the diagonal's two points carry none
    assert {row["run"] for row in rows} == {ranker, platt}
    platt_rows = [row for row in rows if row["stage"] == "platt"]
    assert sum(row["count"] for row in platt_rows) == by_stage.loc[(platt, "platt"), "n_rows"]
    assert all(f"ECE {stored['ece']:.4f}" in row["series"] for row in platt_rows)
    _, segments = _chart_rows(at, "ECE per user-activity segment")
    assert {(row["run"], row["stage"]) for row in segments} == set(by_stage.index)
    assert any(runs["popularity"] in c.value and "retrieval run" in c.value for c in at.caption)

    at.radio(key=state.COMPARE_CALIBRATION_BINS).set_value("quantile").run()
    assert not at.exception
    spec, _ = _chart_rows(at, "Reliability of 4 run · stage pairs")
    assert "15 quantile bins" in spec["vconcat"][0]["title"]


def test_no_calibration_section_without_ranking_runs(tiny: list[str]) -> None:
    at = _page([tiny[0], tiny[1]])
    assert not at.exception
    assert "Calibration" not in [header.value for header in at.subheader]
