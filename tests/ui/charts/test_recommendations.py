"""Chart specs of the Recommendations page, checked without a browser."""

from __future__ import annotations

import pandas as pd

from recsys_core.inspection import genre_shares
from recsys_core.ui.charts.recommendations import (
    OUTCOMES,
    genre_profile_chart,
    item_outcomes,
    list_scores_chart,
)


def _list() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "item_id": ["a", "b", "c"],
            "title": ["Alpha", "Beta", "Gamma"],
            "genres": ["Drama", "Comedy|Drama", ""],
            "score": [3.0, 2.5, 1.0],
            "in_test": [True, True, False],
            "relevant": [True, False, False],
        }
    )


def test_outcomes_follow_the_flags() -> None:
    assert item_outcomes(_list()).tolist() == list(OUTCOMES)


def test_list_scores_chart_spec() -> None:
    spec = list_scores_chart(_list(), user_id="u7", run_id="ease-1").to_dict()
    assert spec["mark"]["type"] == "bar"
    assert spec["title"]["text"] == ["Scores of the top-3 list of user u7", "run ease-1"]
    assert spec["encoding"]["x"]["field"] == "score"
    assert spec["encoding"]["y"]["field"] == "rank"
    assert spec["encoding"]["color"]["scale"]["domain"] == list(OUTCOMES)
    tooltips = {t["field"] for t in spec["encoding"]["tooltip"]}
    assert {"rank", "title", "genres", "score", "outcome"} <= tooltips
    rows = next(iter(spec["datasets"].values()))
    assert [r["outcome"] for r in rows] == list(OUTCOMES)


def test_genre_profile_chart_spec() -> None:
    history = pd.DataFrame({"genres": ["Drama", "Drama|Comedy"]})
    shares = genre_shares(history, _list())
    spec = genre_profile_chart(shares, user_id="u7", run_id="ease-1").to_dict()
    assert "u7" in spec["title"]["text"][0] and spec["title"]["text"][1] == "run ease-1"
    assert spec["encoding"]["x"]["field"] == "share"
    assert spec["encoding"]["color"]["field"] == "source"
    assert {t["field"] for t in spec["encoding"]["tooltip"]} == {
        "genre",
        "source",
        "items",
        "share",
    }
    rows = {(r["source"], r["genre"]): r["share"] for r in next(iter(spec["datasets"].values()))}
    assert rows[("history", "Drama")] == 1.0
    assert rows[("recommended", "Drama")] == 2 / 3
