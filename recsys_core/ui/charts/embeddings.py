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
#: Marker area of the first highlighted role (the selected point) and of the others.
SELECTED_SIZE, HIGHLIGHT_SIZE = 520, 170
#: Categories drawn in their own colour; the rest become "other" (tableau10 tells 10 apart).
MAX_CATEGORIES = 9
OTHER = "other"
OTHER_COLOUR = "#c7c7c7"
#: Tableau's 10 categorical colours (Vega's ``tableau10``), as an explicit range.
TABLEAU10 = (
    "#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
    "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac",
)  # fmt: skip
#: Fields holding years or ages: their legend shows 1995, not 1,995.
INTEGER_FIELDS = frozenset({"year", "age"})
MAP_HEIGHT = 620
_HIDDEN_AXIS = alt.Axis(labels=False, ticks=False, grid=False, domain=False)
#: The map's axes hug the points (no zero baseline, which left an empty band).
_TIGHT = alt.Scale(zero=False, nice=False)


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
    if colour in CONTINUOUS_FIELDS:
        legend = alt.Legend(format="d") if colour in INTEGER_FIELDS else alt.Legend()
        color = alt.Color(
            colour,
            type="quantitative",
            title=colour_title,
            scale=alt.Scale(scheme="viridis"),
            legend=legend,
        )
    else:
        points, domain = top_categories(points, colour)
        palette = list(TABLEAU10[: len(domain) - (OTHER in domain)])
        color = alt.Color(
            colour,
            type="nominal",
            title=colour_title,
            scale=alt.Scale(domain=domain, range=palette + [OTHER_COLOUR] * (OTHER in domain)),
        )
    base = (
        alt.Chart(points)
        .mark_circle(size=30, opacity=0.75)
        .encode(
            x=alt.X("x:Q", title="UMAP 1", axis=_HIDDEN_AXIS, scale=_TIGHT),
            y=alt.Y("y:Q", title="UMAP 2", axis=_HIDDEN_AXIS, scale=_TIGHT),
            color=color,
            tooltip=_tooltips(points, side),
        )
    )
    # Short lines: Vega cuts a long title at the chart's width instead of wrapping it.
    title = alt.TitleParams(
        text=[
            f"UMAP of {run_label}'s {side} embeddings",
            f"{dataset_name}, {len(points):,} {noun}",
        ],
        subtitle=[
            f"Coloured by {colour_title.lower()}; laid out by cosine distance, so nearby points",
            "have similar vector directions. Drag to pan, scroll to zoom.",
        ],
        anchor="start",
    )
    if highlight is None or highlight.empty:
        return base.properties(title=title, height=MAP_HEIGHT).interactive()
    roles = list(dict.fromkeys(highlight["role"].tolist()))
    sizes = [SELECTED_SIZE if role == "selected" else HIGHLIGHT_SIZE for role in roles]
    marks = (
        alt.Chart(highlight)
        .mark_point(shape="diamond", filled=True, opacity=1.0, stroke="white", strokeWidth=1.5)
        .encode(
            x="x:Q",
            y="y:Q",
            size=alt.Size("role:N", scale=alt.Scale(domain=roles, range=sizes), legend=None),
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
        .properties(title=title, height=MAP_HEIGHT)
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


def top_categories(points: pd.DataFrame, column: str) -> tuple[pd.DataFrame, list[str]]:
    """The points with all but the ``MAX_CATEGORIES`` most frequent values of ``column`` as
    "other", and the legend's order (most frequent first, "other" last)."""
    counts = points[column].astype(str).value_counts()
    kept = counts.index[:MAX_CATEGORIES].tolist()
    if len(counts) <= MAX_CATEGORIES + 1:  # one leftover category is clearer shown than lumped
        return points, counts.index.tolist()
    values = points[column].astype(str)
    lumped = points.assign(**{column: values.where(values.isin(kept), OTHER)})
    return lumped, [*kept, OTHER]
