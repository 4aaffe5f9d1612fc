"""The Train page's training-curve chart: long-frame conversion and the Altair spec."""

from __future__ import annotations

import math

import pandas as pd

from recsys_core.ui.charts.training import (
    CURVE_COLUMNS,
    history_frame,
    search_curve,
    search_curve_chart,
    training_curve_chart,
)

HISTORY = [
    {"epoch": 1, "loss": 0.70, "valid_ndcg@10": 0.10},
    {"epoch": 2, "loss": 0.60, "valid_ndcg@10": 0.15},
    {"epoch": 3, "loss": 0.55, "valid_ndcg@10": 0.12},
]
EASE_HISTORY = [  # no loss (NaN), a grid of l2 values and their validation nDCG
    {"epoch": 1, "loss": math.nan, "l2": 50.0, "valid_ndcg@10": 0.2},
    {"epoch": 2, "loss": math.nan, "l2": 100.0, "valid_ndcg@10": 0.3},
]


def test_history_frame_is_long_with_loss_first_and_epochs_in_order() -> None:
    frame = history_frame(list(reversed(HISTORY)))
    assert tuple(frame.columns) == CURVE_COLUMNS
    assert frame["series"].tolist() == ["loss"] * 3 + ["valid_ndcg@10"] * 3
    assert frame["epoch"].tolist() == [1, 2, 3, 1, 2, 3]
    assert frame["value"].tolist() == [0.70, 0.60, 0.55, 0.10, 0.15, 0.12]
    assert frame["epoch"].dtype == "int64" and frame["value"].dtype == "float64"


def test_history_frame_drops_missing_values_and_keeps_first_seen_order() -> None:
    frame = history_frame(EASE_HISTORY)
    assert "loss" not in set(frame["series"])
    assert frame["series"].tolist() == ["l2", "l2", "valid_ndcg@10", "valid_ndcg@10"]
    with_none = history_frame([{"epoch": 1, "loss": None, "m": 1.0}])
    assert with_none.to_dict("records") == [{"epoch": 1, "series": "m", "value": 1.0}]


def test_history_frame_of_no_reports_is_empty_with_the_columns() -> None:
    frame = history_frame([])
    assert frame.empty and tuple(frame.columns) == CURVE_COLUMNS


def test_curve_chart_has_a_panel_per_series_with_independent_axes_title_and_tooltips() -> None:
    curve = history_frame(HISTORY)
    spec = training_curve_chart(curve, model="bpr", dataset="ml-100k").to_dict()
    assert spec["title"] == (
        "Training curve of bpr on ml-100k: loss and validation metrics per epoch"
    )
    assert spec["facet"]["row"]["field"] == "series"
    assert spec["facet"]["row"]["sort"] == ["loss", "valid_ndcg@10"]
    assert spec["resolve"]["scale"]["y"] == "independent"
    encoding = spec["spec"]["encoding"]
    assert encoding["x"]["field"] == "epoch" and encoding["y"]["field"] == "value"
    assert [t["field"] for t in encoding["tooltip"]] == ["series", "epoch", "value"]
    assert spec["spec"]["mark"]["type"] == "line"
    (rows,) = spec["datasets"].values()
    assert pd.DataFrame(rows).equals(curve)


def test_a_search_history_becomes_a_validation_curve_with_the_chosen_value() -> None:
    grid = [50.0, 158.1, 500.0, 1581.1]
    scores = [0.19, 0.21, 0.22, 0.20]
    history = [
        {"epoch": i + 1, "loss": None, "l2": lam, "valid_ndcg@10": score}
        for i, (lam, score) in enumerate(zip(grid, scores, strict=True))
    ]
    search = search_curve(history)
    assert search is not None
    assert (search.option, search.metric, search.chosen) == ("l2", "valid_ndcg@10", 500.0)
    assert search.frame["option"].tolist() == grid
    spec = search_curve_chart(search, model="ease", dataset="toy").to_dict()
    line, rule = spec["layer"]
    assert line["encoding"]["x"]["scale"] == {"type": "log"}
    assert spec["datasets"][rule["data"]["name"]] == [{"option": 500.0}]
    assert "over l2" in spec["title"]["text"] and "500" in spec["title"]["subtitle"]


def test_an_ordinary_training_history_is_not_a_search() -> None:
    epochs = [{"epoch": e, "loss": 1.0 / e, "valid_ndcg@10": 0.1 * e} for e in (1, 2, 3)]
    assert search_curve(epochs) is None
    one_step = [{"epoch": 1, "loss": None, "l2": 500.0}]  # EASE with a fixed λ
    assert search_curve(one_step) is None
