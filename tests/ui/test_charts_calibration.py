"""Calibration chart builders of the Compare page: their Vega-Lite specs, checked without a
browser."""

from __future__ import annotations

import pandas as pd

from recsys_core.ui.charts import calibration as charts

CONTEXT = "tiny, split s, 120 test rows"


def _summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": ["a", "b", "b"],
            "model": ["logistic", "calibrated", "calibrated"],
            "stage": ["raw", "raw", "platt"],
            "ece": [0.12345, 0.12345, 0.01],
            "mce": [0.3, 0.3, 0.05],
            "brier": [0.2, 0.2, 0.15],
            "logloss": [0.6, 0.6, 0.5],
            "n_rows": [120, 120, 120],
        }
    )


def _curves() -> pd.DataFrame:
    rows = []
    for run, stage in (("a", "raw"), ("b", "raw"), ("b", "platt")):
        for b in (0, 3, 7):
            lower = b / 15
            rows.append(
                {"run": run, "stage": stage, "bin": b, "lower": lower, "upper": lower + 1 / 15,
                 "mean_predicted": lower + 0.03, "observed_rate": lower, "count": 40}
            )  # fmt: skip
    return pd.DataFrame(rows)


def _segments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": ["a", "a", "b", "b", "b", "b"],
            "stage": ["raw", "raw", "raw", "raw", "platt", "platt"],
            "segment": ["1–9 interactions", "10–40 interactions"] * 3,
            "n_users": [10, 12] * 3,
            "n_rows": [50, 70] * 3,
            "ece": [0.1, 0.2, 0.1, 0.2, 0.02, 0.03],
        }
    )


def _rows(spec: dict, name: str) -> list[dict]:
    return spec["datasets"][name]


def test_series_labels_carry_ece_and_brier() -> None:
    labels = charts.series_labels(_summary()).tolist()
    assert labels == [
        "a · raw (ECE 0.1235, Brier 0.2000)",
        "b · raw (ECE 0.1235, Brier 0.2000)",
        "b · platt (ECE 0.0100, Brier 0.1500)",
    ]


def test_reliability_chart_is_curves_over_a_diagonal_above_a_count_histogram() -> None:
    spec = charts.reliability_chart(_curves(), _summary(), "uniform", CONTEXT).to_dict()
    curve, histogram = spec["vconcat"]
    assert CONTEXT in curve["title"] and "15 equal-width bins" in curve["title"]
    assert "observed positive rate" in curve["title"] and "3 run · stage" in curve["title"]
    diagonal, line = curve["layer"]
    assert diagonal["mark"]["strokeDash"] and line["mark"]["type"] == "line"
    assert [r["p"] for r in _rows(spec, diagonal["data"]["name"])] == [0.0, 1.0]
    encoding = line["encoding"]
    assert (encoding["x"]["field"], encoding["y"]["field"]) == ("mean_predicted", "observed_rate")
    assert encoding["x"]["scale"]["domain"] == [0.0, 1.0] == encoding["y"]["scale"]["domain"]
    assert encoding["color"]["sort"] == charts.series_labels(_summary()).tolist()
    assert {"run", "stage", "count", "ece", "brier", "observed_rate"} <= {
        t["field"] for t in encoding["tooltip"]
    }
    rows = _rows(spec, line["data"]["name"])
    assert len(rows) == 9
    assert {r["series"] for r in rows} == set(encoding["color"]["sort"])
    assert histogram["mark"]["type"] == "bar" and "rows per bin" in histogram["title"]
    bars = histogram["encoding"]
    assert (bars["x"]["field"], bars["x2"]["field"], bars["y"]["field"]) == (
        "lower",
        "upper",
        "count",
    )
    assert bars["y"]["stack"] is None  # overlaid, never summed across runs


def test_quantile_binning_is_named_in_the_title() -> None:
    spec = charts.reliability_chart(_curves(), _summary(), "quantile", CONTEXT).to_dict()
    assert "15 quantile bins" in spec["vconcat"][0]["title"]


def test_segment_ece_chart_groups_bars_by_segment_in_order() -> None:
    spec = charts.segment_ece_chart(_segments(), _summary(), CONTEXT).to_dict()
    assert CONTEXT in spec["title"] and "ECE per user-activity segment" in spec["title"]
    encoding = spec["encoding"]
    assert encoding["x"]["sort"] == ["1–9 interactions", "10–40 interactions"]
    assert encoding["xOffset"]["field"] == "series" and encoding["y"]["field"] == "segment_ece"
    assert {"segment_ece", "ece", "n_users", "n_rows"} <= {t["field"] for t in encoding["tooltip"]}
    rows = next(iter(spec["datasets"].values()))
    platt = [r for r in rows if r["stage"] == "platt"]
    assert [r["segment_ece"] for r in platt] == [0.02, 0.03]
    assert {r["ece"] for r in platt} == {0.01}
