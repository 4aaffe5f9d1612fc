"""The embedding map's Altair spec: one point per row, colour type, title, tooltips, highlights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recsys_core.ui.charts.embeddings import (
    HIGHLIGHT_SIZE,
    OTHER,
    OTHER_COLOUR,
    SELECTED_SIZE,
    TABLEAU10,
    projection_chart,
    top_categories,
)


def item_points(n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "idx": np.arange(n),
            "id": pd.array([f"i{i}" for i in range(n)], dtype="str"),
            "label": pd.array([f"Film {i}" for i in range(n)], dtype="str"),
            "genres": pd.array(["Drama|War"] * n, dtype="str"),
            "genre": pd.array(["Drama", "Comedy", "War"] * (n // 3), dtype="str"),
            "year": pd.array(np.arange(1990, 1990 + n), dtype="Int64"),
            "provider": pd.array([None] * n, dtype="str"),
            "popularity": np.arange(n),
            "log_popularity": np.log10(1.0 + np.arange(n)),
            "x": rng.standard_normal(n).astype(np.float32),
            "y": rng.standard_normal(n).astype(np.float32),
        }
    )


def spec_of(chart: Any) -> dict[str, Any]:
    return chart.to_dict()


def rows_of(spec: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
    return spec["datasets"][data["name"]]


def test_one_point_per_row_with_a_categorical_colour_and_tooltips() -> None:
    points = item_points()
    spec = spec_of(
        projection_chart(
            points,
            side="item",
            colour="genre",
            colour_title="First genre",
            run_label="BPR-MF run bpr-1",
            dataset_name="ml-100k",
        )
    )
    assert spec["mark"]["type"] == "circle"
    assert len(rows_of(spec, spec["data"])) == len(points)
    encoding = spec["encoding"]
    assert (encoding["x"]["field"], encoding["y"]["field"]) == ("x", "y")
    assert encoding["color"] == {
        "field": "genre",
        "type": "nominal",
        "title": "First genre",
        "scale": {"domain": ["Drama", "Comedy", "War"], "range": list(TABLEAU10[:3])},
    }
    assert encoding["x"]["scale"] == {"zero": False, "nice": False}  # no empty band at 0
    tooltips = {t["field"]: t["title"] for t in encoding["tooltip"]}
    assert tooltips == {
        "label": "Title",
        "id": "Item id",
        "genres": "Genres",
        "popularity": "Training interactions",
        "year": "Year",
    }  # provider is all missing, so it is not offered
    assert spec["title"]["text"] == [
        "UMAP of BPR-MF run bpr-1's item embeddings",
        "ml-100k, 12 items",
    ]
    assert all(len(line) <= 90 for line in spec["title"]["text"] + spec["title"]["subtitle"])
    assert "first genre" in spec["title"]["subtitle"][0]


def test_counts_and_years_are_continuous() -> None:
    spec = spec_of(
        projection_chart(
            item_points(),
            side="item",
            colour="log_popularity",
            colour_title="Popularity (log10)",
            run_label="run",
            dataset_name="d",
        )
    )
    assert spec["encoding"]["color"]["type"] == "quantitative"
    assert spec["encoding"]["color"]["scale"] == {"scheme": "viridis"}


def test_years_are_labelled_without_thousands_separators() -> None:
    spec = spec_of(
        projection_chart(
            item_points(),
            side="item",
            colour="year",
            colour_title="Year",
            run_label="run",
            dataset_name="d",
        )
    )
    assert spec["encoding"]["color"]["legend"] == {"format": "d"}


def test_beyond_nine_genres_the_rarest_become_other_in_grey() -> None:
    points = item_points(42)
    genres = [f"g{i:02d}" for i in range(12)]
    # counts: g00 12, g01 8, g02 4, the other nine 2 each (42 points)
    values = ["g00"] * 12 + ["g01"] * 8 + [g for g in genres[2:] for _ in range(2)] + ["g02"] * 2
    points["genre"] = pd.array(values, dtype="str")
    lumped, domain = top_categories(points, "genre")
    assert domain[:3] == ["g00", "g01", "g02"] and domain[-1] == OTHER and len(domain) == 10
    assert set(lumped["genre"]) == set(domain)
    assert (lumped["genre"] == OTHER).sum() == 42 - sum(values.count(g) for g in domain[:-1])
    spec = spec_of(
        projection_chart(
            points, side="item", colour="genre", colour_title="First genre", run_label="r",
            dataset_name="d",
        )
    )  # fmt: skip
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == domain
    assert scale["range"] == [*TABLEAU10[:9], OTHER_COLOUR]
    assert len(set(scale["range"])) == len(scale["range"])


def test_ten_genres_are_shown_as_they_are() -> None:
    points = item_points(30)
    points["genre"] = pd.array([f"g{i % 10}" for i in range(30)], dtype="str")
    lumped, domain = top_categories(points, "genre")
    assert OTHER not in domain and len(domain) == 10
    assert lumped["genre"].tolist() == points["genre"].tolist()


def test_highlights_are_a_second_layer_with_their_own_colours() -> None:
    points = item_points()
    highlight = pd.DataFrame(
        {
            "role": ["selected", "nearest", "nearest"],
            "rank": [1, 1, 2],
            "idx": [0, 4, 7],
            "id": ["i0", "i4", "i7"],
            "label": ["Film 0", "Film 4", "Film 7"],
            "x": points["x"].iloc[[0, 4, 7]].to_numpy(),
            "y": points["y"].iloc[[0, 4, 7]].to_numpy(),
        }
    )
    spec = spec_of(
        projection_chart(
            points,
            side="item",
            colour="genre",
            colour_title="First genre",
            run_label="run",
            dataset_name="d",
            highlight=highlight,
        )
    )
    base, marks = spec["layer"]
    assert len(rows_of(spec, base["data"])) == 12
    assert [r["id"] for r in rows_of(spec, marks["data"])] == ["i0", "i4", "i7"]
    assert marks["mark"]["shape"] == "diamond"
    assert marks["encoding"]["color"]["field"] == "role"
    assert marks["encoding"]["color"]["scale"]["domain"] == ["selected", "nearest"]
    sizes = marks["encoding"]["size"]["scale"]
    assert sizes == {"domain": ["selected", "nearest"], "range": [SELECTED_SIZE, HIGHLIGHT_SIZE]}
    assert SELECTED_SIZE >= 3 * HIGHLIGHT_SIZE  # the selected item is easy to find
    assert {t["field"] for t in marks["encoding"]["tooltip"]} == {"role", "rank", "label", "id"}
    assert spec["resolve"] == {"scale": {"color": "independent"}}
    assert "d, 12 items" in spec["title"]["text"]


def test_user_maps_use_user_tooltips() -> None:
    n = 6
    points = pd.DataFrame(
        {
            "idx": np.arange(n),
            "id": pd.array([f"u{i}" for i in range(n)], dtype="str"),
            "label": pd.array([f"u{i}" for i in range(n)], dtype="str"),
            "age": pd.array([20, 30, 40, 50, 60, None], dtype="Int64"),
            "gender": pd.array(["F", "M"] * 3, dtype="str"),
            "occupation": pd.array(["a"] * n, dtype="str"),
            "activity": np.arange(n),
            "log_activity": np.log10(1.0 + np.arange(n)),
            "x": np.zeros(n),
            "y": np.arange(n, dtype=float),
        }
    )
    spec = spec_of(
        projection_chart(
            points, side="user", colour="age", colour_title="Age", run_label="r", dataset_name="d"
        )
    )
    assert [t["field"] for t in spec["encoding"]["tooltip"]] == [
        "id",
        "activity",
        "age",
        "gender",
        "occupation",
    ]
    assert spec["encoding"]["color"]["type"] == "quantitative"
    assert spec["title"]["text"] == ["UMAP of r's user embeddings", "d, 6 users"]
