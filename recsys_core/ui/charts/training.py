"""Charts of the Train page: the training curve of a live job or of a saved run.

A history is one row per epoch report: ``epoch``, ``loss`` and whatever metrics the model
reported (``valid_ndcg@10``, EASE's ``l2`` per grid step). Loss and metrics live on different
scales, so each series gets its own panel with its own y axis.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import altair as alt
import pandas as pd

#: Columns of ``history_frame``.
CURVE_COLUMNS = ("epoch", "series", "value")
#: Size of each panel: a facet cannot stretch to the container, so its width is fixed.
_PANEL_HEIGHT = 140
_PANEL_WIDTH = 640


def history_frame(history: Sequence[Mapping[str, float | None]]) -> pd.DataFrame:
    """Epoch reports as a long frame: one row per (epoch, series) with a finite value.

    Args:
        history: rows with an ``epoch`` key and one numeric value per series (``loss`` and the
            epoch's metrics), as ``JobSnapshot.history`` and a saved run's ``history`` hold them.

    Returns:
        Columns ``epoch`` (int), ``series`` (str: ``loss`` first, then metrics in the order first
        seen) and ``value`` (float). Missing or NaN values (a model without a loss) are dropped.
    """
    rows = [
        (int(row["epoch"]), name, float(value))
        for row in history
        for name, value in row.items()
        if name != "epoch" and value is not None and math.isfinite(float(value))
    ]
    frame = pd.DataFrame(rows, columns=list(CURVE_COLUMNS))
    first_seen = {name: i for i, name in enumerate(dict.fromkeys(["loss", *frame["series"]]))}
    rank = frame["series"].map(first_seen).astype("int64")
    frame = frame.assign(_rank=rank).sort_values(["_rank", "epoch"], kind="stable")
    return (
        frame.drop(columns="_rank")
        .astype({"epoch": "int64", "series": "str", "value": "float64"})
        .reset_index(drop=True)
    )


def training_curve_chart(curve: pd.DataFrame, *, model: str, dataset: str) -> alt.FacetChart:
    """One panel per series (loss, each validation metric) against the epoch.

    Args:
        curve: a ``history_frame``.
        model: the architecture's name, for the title.
        dataset: the dataset's name, for the title.

    Returns:
        A faceted line chart with points, independent y axes and tooltips.
    """
    order = list(dict.fromkeys(curve["series"]))
    base = (
        alt.Chart(curve)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title="Epoch", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            color=alt.Color("series:N", legend=None, sort=order),
            tooltip=[
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("epoch:Q", title="Epoch"),
                alt.Tooltip("value:Q", title="Value", format=".4g"),
            ],
        )
        .properties(width=_PANEL_WIDTH, height=_PANEL_HEIGHT)
    )
    return (
        base.facet(row=alt.Row("series:N", title=None, sort=order))
        .resolve_scale(y="independent")
        .properties(
            title=f"Training curve of {model} on {dataset}: loss and validation metrics per epoch"
        )
    )


@dataclass(frozen=True)
class SearchCurve:
    """A hyperparameter search reported step by step (EASE's λ grid): each step's value of the
    searched option against the validation metric, and the step chosen.

    Attributes:
        option: the searched option's name (``l2``).
        metric: the validation metric (``valid_ndcg@10``).
        frame: columns ``option`` (the value tried) and ``metric`` (its validation score).
        chosen: the value with the best score.
    """

    option: str
    metric: str
    frame: pd.DataFrame
    chosen: float


def search_curve(history: Sequence[Mapping[str, float | None]]) -> SearchCurve | None:
    """The search in a history whose steps report no loss but one option that changes each step
    and one validation metric (EASE's λ grid); None for an ordinary training history."""
    if len(history) < 2 or any(_finite(row.get("loss")) for row in history):
        return None
    names = [n for n in history[0] if n not in {"epoch", "loss"}]
    metrics = [n for n in names if n.startswith("valid_")]
    options = [n for n in names if n not in metrics and len({row.get(n) for row in history}) > 1]
    if len(options) != 1 or len(metrics) != 1:
        return None
    frame = pd.DataFrame(
        {
            "option": [float(row[options[0]]) for row in history],  # type: ignore[arg-type]
            "metric": [float(row[metrics[0]]) for row in history],  # type: ignore[arg-type]
        }
    )
    chosen = float(frame.loc[frame["metric"].idxmax(), "option"])
    return SearchCurve(options[0], metrics[0], frame, chosen)


def search_curve_chart(search: SearchCurve, *, model: str, dataset: str) -> alt.LayerChart:
    """The validation metric against the searched option (log axis), the chosen value marked."""
    x = alt.X("option:Q", title=f"{search.option} (log scale)", scale=alt.Scale(type="log"))
    y = alt.Y("metric:Q", title=search.metric, scale=alt.Scale(zero=False))
    tooltip = [
        alt.Tooltip("option:Q", title=search.option, format=",.4g"),
        alt.Tooltip("metric:Q", title=search.metric, format=".4f"),
    ]
    line = alt.Chart(search.frame).mark_line(point=True).encode(x=x, y=y, tooltip=tooltip)
    chosen = pd.DataFrame({"option": [search.chosen]})
    rule = (
        alt.Chart(chosen)
        .mark_rule(color="#e4572e", strokeDash=[4, 3])
        .encode(x="option:Q", tooltip=[alt.Tooltip("option:Q", title="chosen", format=",.4g")])
    )
    return alt.layer(line, rule).properties(
        title=alt.TitleParams(
            text=f"Validation curve of {model} on {dataset} over {search.option}",
            subtitle=f"Dashed: the chosen {search.option} = {search.chosen:,.4g}",
            anchor="start",
        ),
        width=_PANEL_WIDTH,
        height=240,
    )


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(float(value))
