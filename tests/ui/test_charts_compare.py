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


def test_metric_bars_facet_by_metric_with_interval_and_marker_layers() -> None:
    spec = charts.metric_bars_chart(_metrics(), CONTEXT).to_dict()
    assert CONTEXT in spec["title"] and "95% bootstrap" in spec["title"]
    assert spec["facet"]["field"] == "metric"
    assert spec["facet"]["sort"] == ["ndcg@10", "coverage@10"]
    assert spec["resolve"]["scale"]["y"] == "independent"
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
    assert "baseline a" in spec["title"] and CONTEXT in spec["title"]
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
    spec = charts.segment_chart(segments, "ndcg@10", CONTEXT).to_dict()
    assert "ndcg@10" in spec["title"] and CONTEXT in spec["title"]
    assert spec["facet"]["row"]["field"] == "segment_kind"
    encoding = spec["spec"]["encoding"]
    assert encoding["xOffset"]["field"] == "run" and encoding["y"]["title"] == "ndcg@10"
    assert {"segment", "run", "value", "n_users"} <= {t["field"] for t in encoding["tooltip"]}
    rows = next(iter(spec["datasets"].values()))
    assert [r["value"] for r in rows] == [0.1, 0.2, 0.3, 0.4]


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
    assert "flips" in spec["title"] and CONTEXT in spec["title"]
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
    label = spec["facet"]["header"]["labelExpr"]
    assert "'logloss' ? 'logloss (lower is better)'" in label and label.endswith("datum.value")
    rows = next(iter(spec["datasets"].values()))
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
    title = spec["title"]
    assert "long-tail share" in title and "fairness" in title and "2 runs" in title
    assert CONTEXT in title
