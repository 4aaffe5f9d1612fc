"""Charts of the Embeddings page: a UMAP map of a run's item or user vectors, with highlights."""

from __future__ import annotations

import altair as alt
import pandas as pd

from recsys_core.analysis.projection import Side

#: Colour fields drawn on a continuous scale; the others are categories.
CONTINUOUS_FIELDS = frozenset({"log_popularity", "log_activity", "year", "age"})
#: Tooltip columns per side (those the points have with at least one known value), with titles.
TOOLTIPS: dict[Side, dict[str, str]] = {
    "item": {
        "label": "Title",
        "id": "Item id",
        "genres": "Genres",
        "popularity": "Training interactions",
        "year": "Year",
        "provider": "Provider",
    },
    "user": {
        "id": "User id",
        "activity": "Training interactions",
        "age": "Age",
        "gender": "Gender",
        "occupation": "Occupation",
    },
}
HIGHLIGHT_COLOURS = ("#111111", "#e4572e", "#2e86ab")
_HIDDEN_AXIS = alt.Axis(labels=False, ticks=False, grid=False, domain=False)


def projection_chart(
    points: pd.DataFrame,
    *,
    side: Side,
    colour: str,
    colour_title: str,
    run_label: str,
    dataset_name: str,
    highlight: pd.DataFrame | None = None,
) -> alt.Chart | alt.LayerChart:
    """A scatter of projected vectors, coloured by one field, with optional highlighted points.

    Args:
        points: one row per point (``embedding_points.point_table``): x, y and the fields named in
            ``TOOLTIPS`` and ``colour``.
        side: ``"item"`` or ``"user"``, for the title and tooltips.
        colour: the column to colour by; continuous for counts, years and ages, else categories.
        colour_title: the legend title (what the colour means).
        run_label: names the run (model and id) in the title.
        dataset_name: names the data in the title.
        highlight: rows of ``embedding_points.highlight_points`` (x, y, label, id, role, rank),
            drawn on top as diamonds coloured by role; None or empty for no second layer.
    """
    noun = "items" if side == "item" else "users"
    kind = "quantitative" if colour in CONTINUOUS_FIELDS else "nominal"
    scale = alt.Scale(scheme="viridis") if kind == "quantitative" else alt.Scale(scheme="tableau20")
    base = (
        alt.Chart(points)
        .mark_circle(size=28, opacity=0.75)
        .encode(
            x=alt.X("x:Q", title="UMAP 1", axis=_HIDDEN_AXIS),
            y=alt.Y("y:Q", title="UMAP 2", axis=_HIDDEN_AXIS),
            color=alt.Color(colour, type=kind, title=colour_title, scale=scale),
            tooltip=_tooltips(points, side),
        )
    )
    title = alt.TitleParams(
        text=f"UMAP of {run_label}'s {side} embeddings on {dataset_name} ({len(points):,} {noun})",
        subtitle=(
            f"Coloured by {colour_title.lower()}; cosine distance, so nearby points have similar "
            "vector directions. Drag to pan, scroll to zoom."
        ),
    )
    if highlight is None or highlight.empty:
        return base.properties(title=title, height=560).interactive()
    roles = list(dict.fromkeys(highlight["role"].tolist()))
    marks = (
        alt.Chart(highlight)
        .mark_point(shape="diamond", size=150, filled=True, opacity=1.0, stroke="white")
        .encode(
            x="x:Q",
            y="y:Q",
            color=alt.Color(
                "role:N",
                title="Highlighted",
                scale=alt.Scale(domain=roles, range=list(HIGHLIGHT_COLOURS[: len(roles)])),
            ),
            tooltip=[
                alt.Tooltip("role:N", title="Highlighted as"),
                alt.Tooltip("rank:Q", title="Rank"),
                alt.Tooltip("label:N", title="Title" if side == "item" else "User"),
                alt.Tooltip("id:N", title="Id"),
            ],
        )
    )
    return (
        alt.layer(base, marks)
        .resolve_scale(color="independent")
        .properties(title=title, height=560)
        .interactive()
    )


def _tooltips(points: pd.DataFrame, side: Side) -> list[alt.Tooltip]:
    """Tooltips for the side's fields that the points actually have (MovieLens has no provider)."""
    tips = []
    for column, title in TOOLTIPS[side].items():
        if column in points and points[column].notna().any():
            kind = "quantitative" if pd.api.types.is_numeric_dtype(points[column]) else "nominal"
            tips.append(alt.Tooltip(column, type=kind, title=title))
    return tips
