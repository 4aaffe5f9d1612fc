"""Quality bands on MovieLens-100K under the msr-100k protocol (the Microsoft Recommenders table).

Floors are the published rows the issue names (BiVAE 0.4751 for EASE to clear, BPR 0.4420);
ceilings catch leakage (no honest model gets near a perfect score here). The content model is a
genre/title matcher, known to rank far below popularity on this protocol: its floor is several
times a random ranker's nDCG@10 (about 0.015 here), measured 0.0527.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recsys_core.data import store
from recsys_core.data.movielens import load_movielens
from recsys_core.data.protocols import PROTOCOLS
from recsys_core.experiment import train_run

pytestmark = [pytest.mark.slow, pytest.mark.needs_movielens]
MSR = PROTOCOLS["msr-100k"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, ml100k_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("quality") / "ml100k.duckdb"
    store.write_dataset(load_movielens("ml-100k", ml100k_dir), path=path)
    return path


@pytest.fixture(scope="module")
def popularity_ndcg(db: Path) -> float:
    return train_run("ml-100k", "popularity", MSR, path=db, ks=(10,)).record.metrics["ndcg@10"]


def test_popularity_sits_where_the_literature_puts_it(popularity_ndcg: float) -> None:
    assert 0.15 < popularity_ndcg < 0.30


@pytest.mark.parametrize(
    ("model", "floor", "beats_popularity"),
    [
        ("ease", 0.4751, True),
        ("bpr", 0.4420, True),
        ("itemknn", 0.35, True),
        ("content", 0.04, False),
    ],
)
def test_model_beats_popularity_and_its_published_floor(
    db: Path, popularity_ndcg: float, model: str, floor: float, beats_popularity: bool
) -> None:
    metrics = train_run("ml-100k", model, MSR, path=db, ks=(10,)).record.metrics
    ndcg = metrics["ndcg@10"]
    assert ndcg < 0.7, f"{model} nDCG@10 {ndcg:.4f} is implausibly high: leakage?"
    assert ndcg >= floor, f"{model} nDCG@10 {ndcg:.4f} < {floor}"
    assert (ndcg > popularity_ndcg) == beats_popularity
    assert 0.0 < metrics["precision@10"] <= 1.0


def test_biased_mf_reports_a_sane_rmse(db: Path) -> None:
    metrics = train_run("ml-100k", "mf", MSR, path=db, ks=(10,)).record.metrics
    assert 0.85 < metrics["rmse"] < 1.05
    assert metrics["mae"] < metrics["rmse"]
