"""The must-show measurement: calibration of a downsampled logistic ranker on MovieLens-100K.

Under RecBole's CTR protocol (label = rating >= 4, rating 3 dropped, random 80/10/10), the
logistic ranker trains on every positive and one negative in four (``negative_rate=0.25``). Its
sigmoid overstates the positive rate; the downsampling correction q = p / (p + (1 - p) / w) brings
it back, and Platt scaling or isotonic regression fitted on the validation rows must leave a test
ECE of at most 0.02. The figures are printed (run with ``-s`` to see them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recsys_core.calibration.base import METHODS
from recsys_core.calibration.runs import calibrate_run
from recsys_core.data import store
from recsys_core.data.movielens import load_movielens
from recsys_core.data.protocols import PROTOCOLS
from recsys_core.experiment import train_run

pytestmark = [pytest.mark.slow, pytest.mark.needs_movielens]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, ml100k_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("calibration") / "ml100k.duckdb"
    store.write_dataset(load_movielens("ml-100k", ml100k_dir), path=path)
    return path


def test_downsampled_logistic_ranker_is_calibrated_to_two_points_of_ece(db: Path) -> None:
    protocol = PROTOCOLS["recbole-ctr"]
    parent = train_run(
        "ml-100k", "logistic", protocol, overrides={"negative_rate": 0.25}, path=db, ks=(10,)
    ).record
    results = {method: calibrate_run(parent.run_id, method, path=db) for method in METHODS}
    stages = {stage.name: stage.metrics for stage in results["platt"].stages}
    for method, result in results.items():
        stages[method] = result.after
    print(f"\nML-100K recbole-ctr, logistic ranker, negative_rate=0.25 ({parent.run_id})")
    print(f"{'stage':<26}{'ECE':>8}{'MCE':>8}{'Brier':>8}{'LogLoss':>9}")
    for name, m in stages.items():
        print(f"{name:<26}{m.ece:>8.4f}{m.mce:>8.4f}{m.brier:>8.4f}{m.logloss:>9.4f}")
    interval = results["bayes"].report["interval"]
    level, width = interval["level"], interval["mean_width"]
    print(f"BBQ {level:.0%} posterior interval, mean width {width:.4f}")

    assert stages["sigmoid"].ece > 0.05, "1:4 downsampling should visibly inflate the sigmoid"
    assert stages["downsampling correction"].ece < stages["sigmoid"].ece
    assert min(stages["platt"].ece, stages["isotonic"].ece) <= 0.02
    for method in METHODS:
        assert stages[method].logloss < stages["sigmoid"].logloss
        assert results[method].record.parent_run_id == parent.run_id
