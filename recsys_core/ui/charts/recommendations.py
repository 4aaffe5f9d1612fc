"""Charts of the Recommendations page: one user's top-k scores and their genre profile.

Inputs are the tables of ``recsys_core.inspection`` (k rows, or a few dozen genres), so every chart
is small whatever the dataset. Each title names the user, the run and what is plotted.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

#: Outcome of a listed item, in legend order, with its colour.
OUTCOMES: dict[str, str] = {
    "relevant hit": "#2E7D32",
    "held out, not relevant": "#F9A825",
    "not held out": "#9E9E9E",
}


def item_outcomes(recommendations: pd.DataFrame) -> pd.Series:
    """Each listed item's outcome (an ``OUTCOMES`` key) from its ``in_test``/``relevant`` flags."""
    relevant = recommendations["relevant"].to_numpy(bool)
    in_test = recommendations["in_test"].to_numpy(bool)
    labels = list(OUTCOMES)
    outcome = np.select([relevant, in_test], labels[:2], default=labels[2])
    return pd.Series(outcome, index=recommendations.index, dtype="str")


def list_scores_chart(recommendations: pd.DataFrame, *, user_id: str, run_id: str) -> alt.Chart:
    """Horizontal bars of the model's score per rank, coloured by whether the item was a hit.

    Args:
        recommendations: an ``inspection.recommendation_table``.
        user_id: the user's raw id (for the title).
        run_id: the run (for the title).
    """
    frame = recommendations.assign(outcome=item_outcomes(recommendations))
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("rank:O", title="Rank"),
            x=alt.X("score:Q", title="Model score"),
            color=alt.Color(
                "outcome:N",
                title="Held-out test item?",
                scale=alt.Scale(domain=list(OUTCOMES), range=list(OUTCOMES.values())),
            ),
            tooltip=[
                alt.Tooltip("rank:O", title="Rank"),
                alt.Tooltip("title:N", title="Title"),
                alt.Tooltip("genres:N", title="Genres"),
                alt.Tooltip("score:Q", title="Score", format=".4g"),
                alt.Tooltip("outcome:N", title="Outcome"),
            ],
        )
        .properties(
            # two short lines: Vega cuts a title longer than the chart instead of wrapping it
            title=alt.TitleParams(
                text=[f"Scores of the top-{len(frame)} list of user {user_id}", f"run {run_id}"],
                anchor="start",
            ),
            height=alt.Step(18),
        )
    )


def genre_profile_chart(genres: pd.DataFrame, *, user_id: str, run_id: str) -> alt.Chart:
    """Share of items per genre in the user's training history beside the recommended list.

    Args:
        genres: an ``inspection.genre_shares`` table.
        user_id: the user's raw id (for the title).
        run_id: the run (for the title).
    """
    return (
        alt.Chart(genres)
        .mark_bar()
        .encode(
            y=alt.Y("genre:N", title="Genre"),
            yOffset=alt.YOffset("source:N", sort=["history", "recommended"]),
            x=alt.X("share:Q", title="Share of items with the genre", axis=alt.Axis(format="%")),
            color=alt.Color("source:N", title="List", sort=["history", "recommended"]),
            tooltip=[
                alt.Tooltip("genre:N", title="Genre"),
                alt.Tooltip("source:N", title="List"),
                alt.Tooltip("items:Q", title="Items with the genre"),
                alt.Tooltip("share:Q", title="Share of the list", format=".1%"),
            ],
        )
        .properties(
            title=alt.TitleParams(
                text=[
                    f"Genres of user {user_id}'s training history vs their top-k list",
                    f"run {run_id}",
                ],
                anchor="start",
            )
        )
    )
