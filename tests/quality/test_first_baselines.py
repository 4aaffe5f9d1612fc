"""The first ranking and sequence baselines on MovieLens-100K, each against peers of the same run.

Logistic regression is the pointwise floor later rankers must beat: under RecBole's CTR protocol
(label = rating >= 4) its test AUC must clear what item popularity alone achieves on the same rows.
Last items' neighbours is the next-item floor: under chronological leave-one-out it must beat
popularity and item k-NN, which ignore order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recsys_core.data import store
from recsys_core.data.movielens import load_movielens
from recsys_core.data.protocols import PROTOCOLS
from recsys_core.evaluation.metrics import roc_auc
from recsys_core.experiment import train_run

pytestmark = [pytest.mark.slow, pytest.mark.needs_movielens]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, ml100k_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("baselines") / "ml100k.duckdb"
    store.write_dataset(load_movielens("ml-100k", ml100k_dir), path=path)
    return path


def test_logistic_ranker_beats_item_popularity_on_test_auc(db: Path) -> None:
    result = train_run("ml-100k", "logistic", PROTOCOLS["recbole-ctr"], path=db, ks=(10,))
    metrics = result.record.metrics
    test = result.split.test
    popularity_auc = roc_auc(test.label, result.split.train.item_counts()[test.item_idx])
    assert result.record.stage == "ranking"
    assert metrics["auc_lo"] < metrics["auc"] < metrics["auc_hi"]
    assert metrics["auc"] > popularity_auc + 0.1, (metrics["auc"], popularity_auc)
    assert 0.80 < metrics["auc"] < 0.95, "outside the band of published CTR models: leakage?"
    assert metrics["logloss"] < 0.45 and 0.5 < metrics["gauc"] < 0.95


def test_last_items_neighbours_beats_order_free_models_on_next_item(db: Path) -> None:
    protocol = PROTOCOLS["recbole-seq"]
    hit_rate = {
        model: train_run("ml-100k", model, protocol, path=db, ks=(10,)).record.metrics[
            "hit_rate@10"
        ]
        for model in ("popularity", "itemknn", "last_item_knn")
    }
    assert hit_rate["last_item_knn"] > 1.5 * hit_rate["popularity"], hit_rate
    assert hit_rate["last_item_knn"] > hit_rate["itemknn"], hit_rate
    assert hit_rate["last_item_knn"] < 0.5, "implausibly high for ML-100K next-item: leakage?"
