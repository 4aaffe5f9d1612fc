"""The report as a long table (policy x estimator) and its chart."""

from __future__ import annotations

import json

import pytest

from recsys_core.bandits.evaluation import BanditReport, PolicyEstimates
from recsys_core.bandits.offpolicy import Estimate
from recsys_core.bandits.tables import ESTIMATE_COLUMNS, estimates_frame
from recsys_core.ui.charts.bandits import TRUTH_COLOUR, bandit_chart


@pytest.fixture()
def report() -> BanditReport:
    linucb = PolicyEstimates(
        policy="linucb",
        replay=Estimate(0.66, 0.55, 0.76, 296),
        ips=Estimate(0.59, 0.48, 0.71, 4000),
        snips=Estimate(0.60, 0.51, 0.69, 4000),
        true_ctr=0.643,
        n_requests=4000,
        n_matched=296,
    )
    logging = PolicyEstimates(
        policy="logging",
        replay=None,
        ips=Estimate(0.62, 0.61, 0.63, 4000),
        snips=Estimate(0.62, 0.61, 0.63, 4000),
        true_ctr=0.6335,
        n_requests=4000,
        n_matched=4000,
    )
    return BanditReport(
        "synthetic", {"linucb": linucb, "logging": logging}, 16000, 4000, 795, 0, {}
    )


def test_one_row_per_policy_and_estimator_that_applies(report: BanditReport) -> None:
    frame = estimates_frame(report)
    assert list(frame.columns) == list(ESTIMATE_COLUMNS)
    assert list(zip(frame["policy"], frame["estimator"], strict=True)) == [
        ("LinUCB", "Replay"),
        ("LinUCB", "IPS"),
        ("LinUCB", "SNIPS"),
        ("Logging policy", "IPS"),
        ("Logging policy", "SNIPS"),
    ]  # the logging policy has no replay estimate
    assert frame["contains_truth"].tolist() == [True, True, True, False, False]
    assert frame.loc[1, ["estimate", "low", "high", "n"]].tolist() == [0.59, 0.48, 0.71, 4000]


def test_the_chart_draws_intervals_estimates_and_a_true_ctr_tick_per_policy(
    report: BanditReport,
) -> None:
    spec = bandit_chart(estimates_frame(report), "synthetic").to_dict()
    intervals, points, truth = spec["layer"]
    assert intervals["mark"]["type"] == "rule" and intervals["encoding"]["x2"]["field"] == "high"
    assert points["encoding"]["x"]["field"] == "estimate"
    assert truth["mark"] == {"type": "tick", "color": TRUTH_COLOUR, "thickness": 3, "size": 34}
    ticks = spec["datasets"][truth["data"]["name"]]
    assert [(row["policy"], row["true_ctr"]) for row in ticks] == [
        ("LinUCB", 0.643),
        ("Logging policy", 0.6335),
    ]
    assert "synthetic" in json.dumps(spec["title"])
