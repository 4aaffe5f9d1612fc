"""The offline bandit evaluation as a chart: each estimator's interval beside the true CTR."""

from __future__ import annotations

import altair as alt
import pandas as pd

#: Estimator colours (replay, IPS, SNIPS) and the true CTR's mark colour.
ESTIMATOR_COLOURS = ("#4c78a8", "#f58518", "#54a24b")
TRUTH_COLOUR = "#111111"


def bandit_chart(frame: pd.DataFrame, dataset_name: str) -> alt.LayerChart:
    """Per policy (rows), each estimator's CTR with its 95% interval, and the true CTR as a black
    tick: an honest estimator's interval crosses the tick.

    Args:
        frame: ``bandits.tables.estimates_frame`` rows.
        dataset_name: names the log in the title.
    """
    policies = list(dict.fromkeys(frame["policy"]))
    estimators = list(dict.fromkeys(frame["estimator"]))
    y = alt.Y("policy:N", sort=policies, title=None, axis=alt.Axis(labelLimit=200))
    offset = alt.YOffset("estimator:N", sort=estimators)
    colour = alt.Color(
        "estimator:N",
        sort=estimators,
        title="Estimator (95% interval)",
        scale=alt.Scale(domain=estimators, range=list(ESTIMATOR_COLOURS[: len(estimators)])),
        legend=alt.Legend(orient="bottom"),
    )
    tooltip = [
        alt.Tooltip("policy:N", title="Policy"),
        alt.Tooltip("estimator:N", title="Estimator"),
        alt.Tooltip("estimate:Q", title="Estimated CTR", format=".3f"),
        alt.Tooltip("low:Q", title="95% low", format=".3f"),
        alt.Tooltip("high:Q", title="95% high", format=".3f"),
        alt.Tooltip("true_ctr:Q", title="True CTR", format=".3f"),
        alt.Tooltip("contains_truth:N", title="Interval holds the truth"),
        alt.Tooltip("n:Q", title="Events", format=","),
    ]
    base = alt.Chart(frame)
    x = alt.X("low:Q", title="Click-through rate at position 1", scale=alt.Scale(zero=False))
    intervals = base.mark_rule(strokeWidth=3).encode(
        x=x, x2="high:Q", y=y, yOffset=offset, color=colour, tooltip=tooltip
    )
    points = base.mark_point(filled=True, size=60).encode(
        x="estimate:Q", y=y, yOffset=offset, color=colour, tooltip=tooltip
    )
    truth = (
        alt.Chart(frame.drop_duplicates("policy"))
        .mark_tick(color=TRUTH_COLOUR, thickness=3, size=34)
        .encode(
            x="true_ctr:Q",
            y=y,
            tooltip=[
                alt.Tooltip("policy:N", title="Policy"),
                alt.Tooltip("true_ctr:Q", title="True CTR (planted relevance)", format=".3f"),
            ],
        )
    )
    return alt.layer(intervals, points, truth).properties(
        title=alt.TitleParams(
            text=f"Off-policy estimates of each policy's CTR on {dataset_name}'s late log",
            subtitle="Dots and bars: estimate and 95% interval; black tick: the true CTR.",
            anchor="start",
        ),
        height=alt.Step(18),
    )
