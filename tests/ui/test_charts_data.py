"""Data page chart builders: titles, tooltips, encodings and row counts of the Vega-Lite specs."""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pytest

from recsys_core.data import stats
from recsys_core.ui.charts import data as charts


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    return chart.to_dict(validate=True)


def _title(spec: dict[str, Any]) -> str:
    title = spec["title"]
    return title if isinstance(title, str) else title["text"]


def _datasets(spec: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return list(spec.get("datasets", {}).values())


def _tooltip_fields(spec: dict[str, Any]) -> set[str]:
    layers = spec.get("layer", [spec])
    return {
        tip["field"]
        for layer in layers
        for tip in layer.get("encoding", {}).get("tooltip", [])
        if isinstance(tip, dict)
    }


def test_long_tail_chart_marks_the_head_on_a_million_item_catalogue() -> None:
    tail = stats.long_tail(np.random.default_rng(0).poisson(2.0, 1_000_000))
    spec = _spec(charts.long_tail_chart(tail, "big"))
    assert "Long tail of big" in _title(spec) and "top 20% of items" in _title(spec)
    assert max(len(rows) for rows in _datasets(spec)) <= stats.MAX_CURVE_POINTS < 5_000
    head_rows = [rows for rows in _datasets(spec) if rows and "head_share" in rows[0]]
    assert head_rows[0][0]["item_share"] == pytest.approx(0.2)
    assert head_rows[0][0]["head_share"] == pytest.approx(tail.head_share)
    assert {"rank", "cumulative_share", "head_items", "head_share"} <= _tooltip_fields(spec)
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks.count("rule") == 1 and "line" in marks


def test_user_activity_chart_keeps_bin_order() -> None:
    hist = stats.user_activity_histogram(np.array([1, 2, 3, 9, 30, 300]), n_bins=5)
    spec = _spec(charts.user_activity_chart(hist, "toy"))
    assert _title(spec).startswith("User activity in toy")
    assert spec["encoding"]["x"]["sort"] == hist["label"].tolist()
    assert spec["mark"]["type"] == "bar"
    assert {"label", "users", "share"} <= _tooltip_fields(spec)


def test_rating_and_timeline_charts() -> None:
    ratings = stats.rating_distribution(np.array([1.0, 2.0, 2.0, 5.0]))
    spec = _spec(charts.rating_chart(ratings, "toy"))
    assert "Ratings in toy" in _title(spec)
    assert [row["interactions"] for row in _datasets(spec)[0]] == [1, 2, 1]
    assert spec["encoding"]["x"]["axis"]["labelAngle"] == 0  # rating labels read horizontally
    timeline = stats.interaction_timeline(
        1_704_067_200 + np.arange(0, 3_000 * 86_400, 3_600), np.zeros(72_000, dtype=np.int64)
    )
    spec = _spec(charts.timeline_chart(timeline, "toy"))
    assert f"per {timeline.granularity}" in _title(spec)
    assert spec["encoding"]["x"]["type"] == "temporal"
    assert len(_datasets(spec)[0]) == len(timeline.frame) <= stats.MAX_TIME_PERIODS
    assert {"period", "interactions", "active_users"} <= _tooltip_fields(spec)


def test_genre_chart_shows_both_shares_per_genre() -> None:
    items = pd.DataFrame({"genres": ["Drama", "Comedy|Drama", "", "Comedy"]})
    mix = stats.genre_mix(items, np.array([5, 3, 2, 0]))
    spec = _spec(charts.genre_chart(mix, "toy"))
    assert "Genre mix of toy" in _title(spec)
    rows = _datasets(spec)[0]
    assert len(rows) == 2 * len(mix)
    values = {(row["genre"], row["measure"]): row["value"] for row in rows}
    assert values[("Drama", "share of interactions")] == pytest.approx(0.8)
    assert values[("Comedy", "share of items")] == pytest.approx(0.5)
    assert spec["encoding"]["yOffset"]["field"] == "measure"
    assert {"items", "interaction_share"} <= _tooltip_fields(spec)


def test_demographic_chart_keeps_group_order() -> None:
    users = pd.DataFrame({"age": pd.array([16, 30, 60, 61], dtype="Int64")})
    groups = stats.demographic_mix(users, np.array([1, 1, 1, 1]))["age"]
    spec = _spec(charts.demographic_chart("age", groups, "toy"))
    assert _title(spec) == "Users of toy by age"
    assert spec["encoding"]["y"]["sort"] == ["under 18", "25–34", "56+"]
    assert {"users", "user_share", "interaction_share"} <= _tooltip_fields(spec)


def _impressions(examination: bool) -> stats.ImpressionSummary:
    frame = pd.DataFrame(
        {
            "request_id": [0, 0, 0, 1, 1, 1],
            "position": [1, 2, 3, 1, 2, 3],
            "clicked": [True, False, False, True, True, False],
            "examination": [1.0, 0.5, 1 / 3] * 2 if examination else [np.nan] * 6,
        }
    )
    summary = stats.summarise_impressions(frame)
    assert summary is not None
    return summary


def test_ctr_chart_draws_band_and_logged_examination() -> None:
    spec = _spec(charts.ctr_by_position_chart(_impressions(examination=True), "toy"))
    assert "click-through rate by position" in _title(spec) and "examination" in _title(spec)
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["area", "line", "line"]
    rows = _datasets(spec)[0]
    assert [row["ctr"] for row in rows] == [1.0, 0.5, 0.0]
    assert {"ctr", "ctr_low", "ctr_high", "examination"} <= _tooltip_fields(spec)


def test_ctr_chart_without_logged_examination_has_no_dashed_line() -> None:
    spec = _spec(charts.ctr_by_position_chart(_impressions(examination=False), "toy"))
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["area", "line"]
    assert "examination" not in _title(spec)
