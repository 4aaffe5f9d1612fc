"""Charts of the Data page: pure builders from ``data.stats`` results to Altair charts.

Every input is already aggregated (a few hundred rows at most), so no chart comes near Altair's
row limit whatever the dataset's size. Each title says what is plotted on which dataset.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from recsys_core.data.stats import ImpressionSummary, LongTail, Timeline

#: Colour of the head marker and of the second series in two-series charts.
_ACCENT = "#E4572E"
_SHARE = alt.Axis(format="%")


def long_tail_chart(tail: LongTail, dataset_name: str) -> alt.LayerChart:
    """Cumulative share of interactions against the share of items, most popular first.

    A dashed diagonal is what uniform popularity would give; a rule marks the head.
    """
    head = pd.DataFrame(
        {
            "item_share": [tail.head_item_share],
            "head_items": [tail.head_items],
            "head_share": [tail.head_share],
        }
    )
    base = alt.Chart(tail.curve)
    curve = base.mark_line().encode(
        x=alt.X("item_share:Q", title="Share of items (most popular first)", axis=_SHARE),
        y=alt.Y("cumulative_share:Q", title="Cumulative share of interactions", axis=_SHARE),
        tooltip=[
            alt.Tooltip("rank:Q", title="Item rank"),
            alt.Tooltip("item_share:Q", title="Share of items", format=".1%"),
            alt.Tooltip("interactions:Q", title="Interactions of this item", format=","),
            alt.Tooltip("cumulative_share:Q", title="Cumulative share", format=".1%"),
        ],
    )
    uniform = (
        alt.Chart(pd.DataFrame({"item_share": [0.0, 1.0], "cumulative_share": [0.0, 1.0]}))
        .mark_line(strokeDash=[4, 4], color="gray")
        .encode(x="item_share:Q", y="cumulative_share:Q")
    )
    head_tooltip = [
        alt.Tooltip("head_items:Q", title="Items in the head", format=","),
        alt.Tooltip("head_share:Q", title="Their share of interactions", format=".1%"),
    ]
    rule = (
        alt.Chart(head)
        .mark_rule(color=_ACCENT, strokeWidth=2)
        .encode(x="item_share:Q", tooltip=head_tooltip)
    )
    point = (
        alt.Chart(head)
        .mark_point(color=_ACCENT, filled=True, size=80)
        .encode(x="item_share:Q", y="head_share:Q", tooltip=head_tooltip)
    )
    label = point.mark_text(align="left", dx=8, dy=12, color=_ACCENT).encode(
        text=alt.Text("head_share:Q", format=".0%")
    )
    return alt.layer(uniform, curve, rule, point, label).properties(
        title=(
            f"Long tail of {dataset_name}: cumulative share of interactions by item popularity "
            f"rank (head = top {tail.head_item_share:.0%} of items)"
        ),
        height=320,
    )


def user_activity_chart(histogram: pd.DataFrame, dataset_name: str) -> alt.Chart:
    """Users per log-spaced bin of interactions per user (``stats.user_activity_histogram``)."""
    return (
        alt.Chart(histogram)
        .mark_bar()
        .encode(
            x=alt.X(
                "label:O",
                sort=histogram["label"].tolist(),
                title="Interactions per user (log-spaced bins)",
            ),
            y=alt.Y("users:Q", title="Users"),
            tooltip=[
                alt.Tooltip("label:N", title="Interactions per user"),
                alt.Tooltip("users:Q", title="Users", format=","),
                alt.Tooltip("share:Q", title="Share of active users", format=".1%"),
            ],
        )
        .properties(
            title=f"User activity in {dataset_name}: users per log-spaced bin of interactions",
            height=300,
        )
    )


def rating_chart(ratings: pd.DataFrame, dataset_name: str) -> alt.Chart:
    """Interactions per rating value or bin (``stats.rating_distribution``)."""
    return (
        alt.Chart(ratings)
        .mark_bar()
        .encode(
            x=alt.X(
                "label:O",
                sort=ratings["label"].tolist(),
                title="Rating",
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("interactions:Q", title="Interactions"),
            tooltip=[
                alt.Tooltip("label:N", title="Rating"),
                alt.Tooltip("interactions:Q", title="Interactions", format=","),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
        .properties(title=f"Ratings in {dataset_name}: interactions per rating", height=300)
    )


def timeline_chart(timeline: Timeline, dataset_name: str) -> alt.Chart:
    """Interactions per period over time (``stats.interaction_timeline``)."""
    return (
        alt.Chart(timeline.frame)
        .mark_area(line=True, opacity=0.3)
        .encode(
            x=alt.X("period:T", title=timeline.granularity.capitalize()),
            y=alt.Y("interactions:Q", title=f"Interactions per {timeline.granularity}"),
            tooltip=[
                alt.Tooltip("period:T", title=f"{timeline.granularity.capitalize()} starting"),
                alt.Tooltip("interactions:Q", title="Interactions", format=","),
                alt.Tooltip("active_users:Q", title="Active users", format=","),
            ],
        )
        .properties(
            title=f"Interactions over time in {dataset_name}, per {timeline.granularity} (UTC)",
            height=300,
        )
    )


def genre_chart(genres: pd.DataFrame, dataset_name: str) -> alt.Chart:
    """Share of items and share of interactions per genre, side by side (``stats.genre_mix``)."""
    long = pd.concat(
        [
            genres.assign(measure="share of items", value=genres["item_share"]),
            genres.assign(measure="share of interactions", value=genres["interaction_share"]),
        ],
        ignore_index=True,
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("genre:N", sort=genres["genre"].tolist(), title="Genre"),
            x=alt.X("value:Q", title="Share (an item may have several genres)", axis=_SHARE),
            yOffset=alt.YOffset("measure:N"),
            color=alt.Color(
                "measure:N",
                title=None,
                scale=alt.Scale(
                    domain=["share of items", "share of interactions"], range=["#2F6FDE", _ACCENT]
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("genre:N", title="Genre"),
                alt.Tooltip("items:Q", title="Items", format=","),
                alt.Tooltip("item_share:Q", title="Share of items", format=".1%"),
                alt.Tooltip("interactions:Q", title="Interactions", format=","),
                alt.Tooltip("interaction_share:Q", title="Share of interactions", format=".1%"),
            ],
        )
        .properties(
            title=f"Genre mix of {dataset_name}: share of items and of interactions per genre",
            height=alt.Step(26),
        )
    )


def demographic_chart(attribute: str, groups: pd.DataFrame, dataset_name: str) -> alt.Chart:
    """Users per group of one demographic attribute (``stats.demographic_mix``)."""
    return (
        alt.Chart(groups)
        .mark_bar()
        .encode(
            x=alt.X("users:Q", title="Users"),
            y=alt.Y("group:N", sort=groups["group"].tolist(), title=attribute.capitalize()),
            tooltip=[
                alt.Tooltip("group:N", title=attribute.capitalize()),
                alt.Tooltip("users:Q", title="Users", format=","),
                alt.Tooltip("user_share:Q", title="Share of users", format=".1%"),
                alt.Tooltip("interactions:Q", title="Interactions", format=","),
                alt.Tooltip("interaction_share:Q", title="Share of interactions", format=".1%"),
            ],
        )
        .properties(title=f"Users of {dataset_name} by {attribute}")
    )


def ctr_by_position_chart(summary: ImpressionSummary, dataset_name: str) -> alt.LayerChart:
    """Click-through rate per position with its 95% interval, and the logged examination rate."""
    frame = summary.by_position
    tooltip = [
        alt.Tooltip("position:O", title="Position"),
        alt.Tooltip("impressions:Q", title="Impressions", format=","),
        alt.Tooltip("clicks:Q", title="Clicks", format=","),
        alt.Tooltip("ctr:Q", title="CTR", format=".2%"),
        alt.Tooltip("ctr_low:Q", title="CTR 95% low", format=".2%"),
        alt.Tooltip("ctr_high:Q", title="CTR 95% high", format=".2%"),
    ]
    x = alt.X("position:Q", title="Position in the shown list", axis=alt.Axis(tickMinStep=1))
    base = alt.Chart(frame)
    band = base.mark_area(opacity=0.25).encode(
        x=x, y=alt.Y("ctr_low:Q", title="Rate", axis=_SHARE), y2="ctr_high:Q"
    )
    line = base.mark_line(point=True).encode(x=x, y="ctr:Q", tooltip=tooltip)
    layers: list[alt.Chart] = [band, line]
    if frame["examination"].notna().any():
        exam_tooltip = [
            alt.Tooltip("position:O", title="Position"),
            alt.Tooltip("examination:Q", title="Logged examination probability", format=".2%"),
        ]
        layers.append(
            base.mark_line(strokeDash=[4, 4], color=_ACCENT).encode(
                x=x, y="examination:Q", tooltip=exam_tooltip
            )
        )
    return alt.layer(*layers).properties(
        title=(
            f"Impressions of {dataset_name}: click-through rate by position (95% Wilson band)"
            + ("; dashed: logged examination probability" if len(layers) > 2 else "")
        ),
        height=300,
    )
