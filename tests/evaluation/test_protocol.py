"""``evaluate_model`` by stage: top-N for every model, pointwise metrics for ranking models (from
the test labels, or against sampled negatives), rating errors for rating predictors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from recsys_core.data import store
from recsys_core.data.protocols import Protocol, custom_protocol
from recsys_core.data.splits import SplitData, SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.evaluation import Scorer
from recsys_core.evaluation.pointwise import evaluate_pointwise
from recsys_core.evaluation.protocol import (
    POINTWISE_NEGATIVES,
    evaluate_model,
    relevance_matrix,
)
from recsys_core.evaluation.sampled import sample_negatives
from recsys_core.experiment import prepare_split
from recsys_core.models.retrieval.itemknn import ItemKNN
from recsys_core.models.retrieval.popularity import Popularity


class RankingKNN(ItemKNN):
    """ItemKNN declared a ranking model, to exercise the ranking path with a personalised scorer."""

    stage = "ranking"


class RatingPopularity(Popularity):
    """Popularity declared a rating predictor, to exercise the rating-error path."""

    predicts_ratings = True


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> tuple[SplitData, Protocol]:
    path = tmp_path_factory.mktemp("protocol") / "db.duckdb"
    frames = generate_synthetic(name="tiny", n_users=150, n_items=90, n_interactions=3000, seed=3)
    store.write_dataset(frames, path=path)
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=6))
    return prepare_split("tiny", protocol, path=path)[1], protocol


def test_models_satisfy_the_scorer_protocol(split: tuple[SplitData, Protocol]) -> None:
    assert isinstance(Popularity().fit(split[0].train), Scorer)


def test_a_retrieval_model_gets_top_n_only(split: tuple[SplitData, Protocol]) -> None:
    data, protocol = split
    result = evaluate_model(Popularity().fit(data.train), data, protocol, ks=(10,))
    assert result.pointwise is None and result.rating_errors == {}
    assert "ndcg@10" in result.headline() and "auc" not in result.headline()


def test_a_ranking_model_without_labels_is_scored_against_sampled_negatives(
    split: tuple[SplitData, Protocol],
) -> None:
    data, protocol = split
    data = dataclasses.replace(data, test=dataclasses.replace(data.test, impressions=None))
    model = RankingKNN().fit(data.train)
    result = evaluate_model(model, data, protocol, ks=(10,))
    assert "ndcg@10" in result.headline()  # a ranking model still gets its top-N
    pointwise = result.pointwise
    assert pointwise is not None and pointwise.n_negatives == POINTWISE_NEGATIVES
    assert "sampled negatives" in pointwise.label()
    truth = relevance_matrix(data.test, protocol).tocoo()
    users = truth.row.astype(np.int64)
    known = (data.train.csr() + data.test.csr()).tocsr()
    negatives = sample_negatives(users, known, POINTWISE_NEGATIVES, protocol.split.seed)
    all_users = np.concatenate([users, np.repeat(users, POINTWISE_NEGATIVES)])
    items = np.concatenate([truth.col.astype(np.int64), negatives.reshape(-1)])
    labels = np.concatenate([np.ones(len(users)), np.zeros(negatives.size)])
    scores = model.score(all_users, items)
    assert pointwise.values["auc"] == pytest.approx(skm.roc_auc_score(labels, scores))
    expected = evaluate_pointwise(all_users, labels, scores, n_negatives=POINTWISE_NEGATIVES)
    assert pointwise.values == expected.values and pointwise.intervals == expected.intervals
    headline = result.headline()
    for name in ("auc", "gauc", "logloss"):
        assert headline[f"{name}_lo"] <= headline[name] <= headline[f"{name}_hi"]
    assert pointwise.n_positive.sum() == len(users)


def test_a_ranking_model_uses_the_test_labels_when_the_split_has_them(
    split: tuple[SplitData, Protocol],
) -> None:
    data, protocol = split
    labels = (np.arange(len(data.test)) % 3 == 0).astype(np.float32)
    labelled = dataclasses.replace(data, test=dataclasses.replace(data.test, label=labels))
    model = RankingKNN().fit(data.train)
    pointwise = evaluate_model(model, labelled, protocol, ks=(10,)).pointwise
    assert pointwise is not None and pointwise.n_negatives is None
    assert pointwise.label().startswith("pointwise on the test split's rated rows, label = rating")
    scores = model.score(data.test.user_idx, data.test.item_idx)
    assert pointwise.values["auc"] == pytest.approx(skm.roc_auc_score(labels, scores))
    assert pointwise.n_rows.sum() == len(data.test)


def test_a_ranking_model_is_scored_on_the_test_windows_impressions_when_logged(
    split: tuple[SplitData, Protocol],
) -> None:
    data, protocol = split
    rng = np.random.default_rng(3)
    n = 200
    shown = pd.DataFrame(
        {
            "user_idx": rng.integers(0, data.test.n_users, n),
            "item_idx": rng.integers(0, data.test.n_items, n),
            "clicked": rng.random(n) < 0.3,
        }
    )
    logged = dataclasses.replace(data, test=dataclasses.replace(data.test, impressions=shown))
    model = RankingKNN().fit(data.train)
    pointwise = evaluate_model(model, logged, protocol, ks=(10,)).pointwise
    assert pointwise is not None and pointwise.n_negatives is None
    assert "logged impressions, label = clicked" in pointwise.label()
    scores = model.score(shown["user_idx"].to_numpy(), shown["item_idx"].to_numpy())
    expected = skm.roc_auc_score(shown["clicked"].to_numpy(), scores)
    assert pointwise.values["auc"] == pytest.approx(expected)
    assert pointwise.n_rows.sum() == n


def test_rating_predictors_keep_rmse_and_mae(split: tuple[SplitData, Protocol]) -> None:
    data, protocol = split
    model = RatingPopularity().fit(data.train)
    result = evaluate_model(model, data, protocol, ks=(10,))
    predicted = model.score(data.test.user_idx, data.test.item_idx)
    rmse = np.sqrt(np.mean((data.test.rating - predicted) ** 2))
    assert result.rating_errors["rmse"] == pytest.approx(rmse, rel=1e-6)
    assert result.headline()["mae"] == pytest.approx(np.abs(data.test.rating - predicted).mean())


def test_the_pointwise_path_is_deterministic(split: tuple[SplitData, Protocol]) -> None:
    data, protocol = split
    model = RankingKNN().fit(data.train)
    first = evaluate_model(model, data, protocol, ks=(10,)).headline()
    assert evaluate_model(model, data, protocol, ks=(10,)).headline() == first
