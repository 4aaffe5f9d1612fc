"""The offline report on the synthetic catalogue: estimates against the planted truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_core.bandits.evaluation import BanditReport, evaluate_bandits
from recsys_core.bandits.logs import build_slates, split_log
from recsys_core.data import store
from recsys_core.data.dataset import Dataset
from recsys_core.data.frames import DatasetFrames
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import ConfigError, DataError


def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def _stored(frames: DatasetFrames, tmp_path: Path) -> Dataset:
    db = tmp_path / "recsys.duckdb"
    store.write_dataset(frames, path=db, replace=True)
    return store.load_dataset(frames.name, path=db)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> BanditReport:
    """Both bandits on the default synthetic catalogue (seed 42), as stored and read back."""
    dataset = _stored(generate_synthetic(), tmp_path_factory.mktemp("bandit"))
    return evaluate_bandits(dataset)


def test_ips_and_snips_intervals_contain_each_policys_true_ctr(report: BanditReport) -> None:
    assert list(report.policies) == ["linucb", "thompson", "logging", "random"]
    for name, estimates in report.policies.items():
        for estimator in (estimates.ips, estimates.snips):
            assert estimator.contains(estimates.true_ctr), (name, estimator, estimates.true_ctr)
            assert estimator.high - estimator.low < 0.3  # informative, not vacuous


def test_the_bandits_beat_a_uniform_choice_within_the_slate(report: BanditReport) -> None:
    random = report.policies["random"].true_ctr
    for name in ("linucb", "thompson"):
        assert report.policies[name].true_ctr > random + 0.05, name


def test_the_report_counts_add_up_and_is_strict_json(report: BanditReport) -> None:
    assert report.n_train_requests + report.n_test_requests == 2_000 * 10
    assert report.n_test_requests == 4_000
    assert 0.15 < report.n_explored_test / report.n_test_requests < 0.25  # exploration_share 0.2
    linucb = report.policies["linucb"]
    assert linucb.replay is not None and linucb.replay.n < report.n_explored_test
    assert 0 < linucb.n_matched < report.n_test_requests
    logging = report.policies["logging"]
    assert logging.replay is None and logging.ips.value == pytest.approx(logging.snips.value)
    payload = _strict(json.dumps(report.to_dict(), allow_nan=False))
    assert isinstance(payload, dict)
    assert payload["policies"]["logging"]["replay"] is None
    assert payload["policies"]["linucb"]["ips"]["contains_truth"] is True
    assert payload["settings"]["linucb"] == {"alpha": 1.0, "ridge": 1.0}


def test_split_log_cuts_by_request_time_and_slates_start_at_position_one() -> None:
    times = {0: 50, 1: 10, 2: 30, 3: 20, 4: 40}
    rows = [
        (r, 7 + r, 10 * r + p, p, p == 1, 0.1 * p, times[r], 0.5, r == 0)
        for r in range(5)
        for p in ((2, 1) if r != 4 else (1,))
    ]
    columns = ["request_id", "user_idx", "item_idx", "position", "clicked", "relevance"]
    frame = pd.DataFrame(rows, columns=[*columns, "timestamp", "propensity", "explored"])
    split = split_log(frame, 0.8)
    assert sorted(split.train["request_id"].unique()) == [1, 2, 3, 4]
    assert split.cut_time == 50 and split.test.request_id.tolist() == [0]
    np.testing.assert_array_equal(split.test.item, [[1, 2]])  # reordered by position
    assert split.test.explored.tolist() == [True] and split.test.clicked.tolist() == [1.0]
    slates = build_slates(frame.sort_values(["request_id", "position"]))
    np.testing.assert_array_equal(slates.item[4], [41, -1])  # a shorter slate is padded
    no_first = build_slates(frame[frame["position"] == 2].sort_values("request_id"))
    assert len(no_first) == 0  # without a position-1 row there is no logged action
    with pytest.raises(ConfigError, match="train_share"):
        split_log(frame, 1.0)
    with pytest.raises(DataError, match="cannot be split"):
        split_log(frame[frame["request_id"] == 0], 0.8)


def test_a_dataset_without_impressions_or_propensities_is_refused_with_a_fix(
    tmp_path: Path,
) -> None:
    small = generate_synthetic(n_users=100, n_items=60, n_interactions=1_500, requests_per_user=2)
    bare = _stored(DatasetFrames(**{**vars(small), "impressions": None}), tmp_path)
    with pytest.raises(DataError, match="no logged impressions.*datasets generate synthetic"):
        evaluate_bandits(bare)
    old_log = small.impressions.drop(columns=["propensity", "explored"])
    old = _stored(DatasetFrames(**{**vars(small), "impressions": old_log}), tmp_path)
    with pytest.raises(DataError, match="lack logging propensities.*Data page"):
        evaluate_bandits(old)
    with pytest.raises(ConfigError, match="unknown bandit policy"):
        evaluate_bandits(old, ["ucb"])
