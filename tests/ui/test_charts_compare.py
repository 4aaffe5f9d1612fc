"""Compare-page chart builders: their Vega-Lite specs, checked without a browser."""

from __future__ import annotations

import pandas as pd

from recsys_core.ui.charts import compare as charts

CONTEXT = "tiny, split s, full ranking"


def _metrics() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": ["a", "a", "b", "b"],
            "metric": ["ndcg@10", "coverage@10", "ndcg@10", "coverage@10"],
            "mean": [0.2, 0.5, 0.3, 0.4],
            "ci_low": [0.1, float("nan"), 0.25, float("nan")],
            "ci_high": [0.3, float("nan"), 0.35, float("nan")],
            "n_users": [10, 10, 10, 10],
            "protocol": ["full ranking"] * 4,
            "vs_baseline": ["baseline", "baseline", "▲", ""],
        }
    )


def _marks(layers: list[dict]) -> list[str]:
    return [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        for layer in layers
    ]


def _tooltips(layer: dict) -> set[str]:
    return {t["field"] for t in layer["encoding"]["tooltip"]}


def _title(spec: dict) -> str:
    """A chart's title and subtitle as one text."""
    title = spec["title"]
    return title if isinstance(title, str) else f"{title['text']} {title.get('subtitle', '')}"


def test_metric_bars_facet_by_metric_with_interval_and_marker_layers() -> None:
    spec = charts.metric_bars_chart(_metrics(), CONTEXT).to_dict()
    assert CONTEXT in _title(spec) and "95% bootstrap" in _title(spec)
    assert spec["facet"]["field"] == "panel"
    assert spec["facet"]["sort"] == ["ndcg@10", "coverage@10"]
    assert spec["resolve"]["scale"] == {"x": "independent", "y": "independent"}
    layers = spec["spec"]["layer"]
    assert _marks(layers) == ["bar", "errorbar", "text"]
    assert {"run", "mean", "ci_low", "ci_high", "vs_baseline"} <= _tooltips(layers[0])
    assert layers[1]["encoding"]["y2"]["field"] == "ci_high"
    assert layers[2]["encoding"]["text"]["field"] == "vs_baseline"
    rows = next(iter(spec["datasets"].values()))
    label_y = {(r["run"], r["metric"]): r["label_y"] for r in rows}
    assert label_y[("b", "ndcg@10")] == 0.35 and label_y[("b", "coverage@10")] == 0.4


def test_metric_bars_without_baseline_have_empty_markers() -> None:
    spec = charts.metric_bars_chart(_metrics().drop(columns="vs_baseline"), CONTEXT).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert {r["vs_baseline"] for r in rows} == {""}


def test_paired_diff_chart_has_intervals_points_and_zero_rule() -> None:
    paired = pd.DataFrame(
        {
            "run": ["b", "c"],
            "baseline": ["a", "a"],
            "metric": ["ndcg@10", "ndcg@10"],
            "diff": [0.1, -0.05],
            "ci_low": [0.05, -0.1],
            "ci_high": [0.15, 0.0],
            "p_value": [0.001, 0.2],
            "marker": ["▲", "="],
            "verdict": ["better", "no difference"],
            "n_users": [10, 10],
        }
    )
    spec = charts.paired_diff_chart(paired, CONTEXT).to_dict()
    assert "Baseline: a" in _title(spec) and CONTEXT in _title(spec)
    assert spec["width"] == "container"
    inner, zero = spec["layer"]
    assert _marks(inner["layer"]) == ["rule", "point"]
    assert inner["layer"][0]["encoding"]["x2"]["field"] == "ci_high"
    assert {"diff", "p_value", "marker", "verdict"} <= _tooltips(inner["layer"][1])
    assert zero["encoding"]["x"]["field"] == "zero"


def test_segment_chart_groups_runs_within_segments_per_kind() -> None:
    segments = pd.DataFrame(
        {
            "segment_kind": ["activity", "activity", "gender", "gender"],
            "segment": ["1–3 interactions", "1–3 interactions", "F", "F"],
            "run": ["a", "b", "a", "b"],
            "n_users": [5, 5, 4, 4],
            "ndcg@10": [0.1, 0.2, 0.3, 0.4],
            "recall@10": [0.0, 0.0, 0.0, 0.0],
        }
    )
    activity, gender = (
        chart.to_dict() for chart in charts.segment_charts(segments, "ndcg@10", CONTEXT)
    )
    assert "nDCG@10 per activity segment" in _title(activity) and CONTEXT in _title(activity)
    assert "per gender segment" in _title(gender)
    for spec in (activity, gender):  # horizontal bars that fill their column
        assert spec["width"] == "container" and spec["autosize"]["type"] == "fit-x"
        encoding = spec["encoding"]
        assert encoding["y"]["field"] == "segment" and encoding["yOffset"]["field"] == "run"
        assert encoding["x"]["title"] == "nDCG@10"
        assert {"segment", "run", "value", "n_users"} <= {t["field"] for t in encoding["tooltip"]}
    rows = [next(iter(spec["datasets"].values())) for spec in (activity, gender)]
    assert [[r["value"] for r in part] for part in rows] == [[0.1, 0.2], [0.3, 0.4]]


def test_rank_flip_chart_plots_both_ranks_on_a_reversed_axis() -> None:
    flips = pd.DataFrame(
        {
            "metric": ["ndcg@10", "ndcg@10"],
            "run": ["a", "b"],
            "full": [0.3, 0.2],
            "sampled": [0.7, 0.8],
            "rank_full": [1, 2],
            "rank_sampled": [2, 1],
            "flipped": [True, True],
            "flipped_with": ["b", "a"],
        }
    )
    spec = charts.rank_flip_chart(flips, CONTEXT).to_dict()
    assert "flips" in _title(spec) and CONTEXT in _title(spec)
    lines, points = spec["spec"]["layer"]
    assert _marks([lines, points]) == ["line", "point"]
    assert lines["encoding"]["y"]["scale"]["reverse"] is True
    assert "flipped_with" in _tooltips(points)
    rows = next(iter(spec["datasets"].values()))
    ranks = {(r["run"], r["evaluation"]): r["rank"] for r in rows}
    assert ranks == {
        ("a", "full ranking"): 1,
        ("b", "full ranking"): 2,
        ("a", "sampled"): 2,
        ("b", "sampled"): 1,
    }


def test_metric_bars_leave_runs_without_a_value_empty_and_flag_log_loss() -> None:
    table = pd.DataFrame(
        {
            "run": ["rank", "rank", "pop", "pop"],
            "metric": ["auc", "logloss", "auc", "logloss"],
            "mean": [0.7, 0.5, float("nan"), float("nan")],
            "ci_low": [0.65, 0.45, float("nan"), float("nan")],
            "ci_high": [0.75, 0.55, float("nan"), float("nan")],
            "n_users": [10, 10, 0, 0],
            "protocol": ["pointwise"] * 2 + ["not evaluated pointwise (retrieval run)"] * 2,
            "vs_baseline": ["baseline", "baseline", "", ""],
        }
    )
    spec = charts.metric_bars_chart(table, CONTEXT).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert {r["panel"] for r in rows} == {"auc", "logloss (lower is better)"}
    empty = [r for r in rows if r["run"] == "pop"]
    assert [r["mean"] for r in empty] == [None, None]  # no bar, and never a 0


def _tradeoff() -> pd.DataFrame:
    weights = [0.0, 0.5, 1.0]
    return pd.DataFrame(
        {
            "run": ["a"] * 3 + ["b"] * 3,
            "reranker": ["fairness"] * 6,
            "weight": weights * 2,
            "ndcg": [0.30, 0.28, 0.20, 0.25, 0.24, 0.18],
            "metric": ["tail_share"] * 6,
            "value": [0.05, 0.20, 0.60, 0.10, 0.30, 0.70],
        }
    )


def test_tradeoff_chart_draws_a_line_with_points_per_run_and_the_weight_in_the_tooltip() -> None:
    spec = charts.tradeoff_chart(_tradeoff(), "long-tail share", CONTEXT).to_dict()
    assert _marks(spec["layer"]) == ["line", "point"]
    for layer in spec["layer"]:
        encoding = layer["encoding"]
        assert encoding["x"]["field"] == "value" and encoding["y"]["field"] == "ndcg"
        assert encoding["x"]["title"] == "long-tail share"
        assert encoding["color"]["field"] == "run"
        assert {"weight", "run", "ndcg", "value"} <= _tooltips(layer)
    assert spec["layer"][0]["encoding"]["order"]["field"] == "weight"
    assert spec["layer"][0]["encoding"]["detail"]["field"] == "run"
    values = next(iter(spec["datasets"].values()))
    assert len(values) == 6
    title = _title(spec)
    assert "long-tail share" in title and "fairness" in title and "2 runs" in title
    assert CONTEXT in title


def _colour_scale(encoding: dict) -> tuple[list[str], list[str]]:
    scale = encoding["color"]["scale"]
    return scale["domain"], scale["range"]


def test_runs_get_distinct_colours_fixed_by_the_selection_order_in_every_chart() -> None:
    runs = ["a", "b", "c"]
    bars = charts.metric_bars_chart(_metrics(), CONTEXT, runs).to_dict()
    domain, colours = _colour_scale(bars["spec"]["layer"][0]["encoding"])
    assert domain == runs and len(set(colours[: len(runs)])) == len(runs)
    paired = pd.DataFrame(
        {
            "run": ["c"],
            "baseline": ["a"],
            "metric": ["ndcg@10"],
            "diff": [0.1],
            "ci_low": [0.0],
            "ci_high": [0.2],
            "p_value": [0.01],
            "marker": ["▲"],
            "verdict": ["better"],
            "n_users": [10],
        }
    )
    diffs = charts.paired_diff_chart(paired, CONTEXT, runs).to_dict()
    # the baseline has no row here, yet c keeps the colour it has in the bars
    assert _colour_scale(diffs["layer"][0]["layer"][0]["encoding"]) == (domain, colours)
    legend = bars["spec"]["layer"][0]["encoding"]["color"]["legend"]
    assert legend["title"] == "Run" and legend["labelLimit"] >= 600 and legend["columns"] == 1
    assert charts.run_colours(runs) == dict(zip(runs, colours[:3], strict=True))


def test_metric_bars_stand_best_first_within_each_metric() -> None:
    table = pd.DataFrame(
        {
            "run": ["a", "b", "c", "a", "b", "c"],
            "metric": ["ndcg@10"] * 3 + ["logloss"] * 3,
            "family": ["ndcg"] * 3 + ["logloss"] * 3,
            "mean": [0.2, 0.4, 0.3, 0.5, 0.7, float("nan")],
            "ci_low": [0.1] * 6,
            "ci_high": [0.5] * 6,
            "n_users": [10] * 6,
            "protocol": ["full ranking"] * 6,
        }
    )
    spec = charts.metric_bars_chart(table, CONTEXT).to_dict()
    rows = next(iter(spec["datasets"].values()))
    place = {(r["metric"], r["run"]): r["place"] for r in rows}
    assert [place[("ndcg@10", run)] for run in "bca"] == [1, 2, 3]  # highest first
    assert [place[("logloss", run)] for run in "abc"] == [1, 2, 3]  # lowest first, missing last
    x = spec["spec"]["layer"][0]["encoding"]["x"]
    assert x["sort"] == {"field": "place", "op": "min"}
