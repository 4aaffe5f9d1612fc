"""Biased MF: the net's arithmetic, recovering a planted low-rank matrix, RMSE reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import DataError
from recsys_core.models.retrieval.mf import BiasedMF, BiasedMFNet

N_USERS, N_ITEMS = 80, 50
FAST = {"n_epochs": 60, "lr": 0.05, "batch_size": 128, "dim": 4, "l2": 1e-3, "device": "cpu"}


def planted_ratings(seed: int = 0) -> tuple[TrainSplit, TrainSplit]:
    """Ratings μ + b_u + b_i + p_u·q_i (rank 2) + small noise; half observed, half held out."""
    rng = np.random.default_rng(seed)
    user_f, item_f = rng.normal(0, 0.7, (N_USERS, 2)), rng.normal(0, 0.7, (N_ITEMS, 2))
    user_b, item_b = rng.normal(0, 0.3, (N_USERS, 1)), rng.normal(0, 0.3, (1, N_ITEMS))
    ratings = 3.5 + user_b + item_b + user_f @ item_f.T + rng.normal(0, 0.05, (N_USERS, N_ITEMS))
    observed = rng.random((N_USERS, N_ITEMS)) < 0.5

    def split(mask: np.ndarray) -> TrainSplit:
        users, items = np.nonzero(mask)
        rating = ratings[users, items].astype(np.float32)
        return TrainSplit(users, items, rating, None, N_USERS, N_ITEMS)

    return split(observed), split(~observed)


def numpy_predictions(model: BiasedMF, split: TrainSplit) -> np.ndarray:
    """μ + b_u + b_i + p_u·q_i recomputed in float64 from the learned parameters."""
    net = model.net_
    emb = model.embeddings()
    user_b = net.user_bias.weight.detach().numpy()[:, 0].astype(np.float64)
    item_b = net.item_bias.weight.detach().numpy()[:, 0].astype(np.float64)
    users, items = split.user_idx, split.item_idx
    interaction = np.einsum(
        "nd,nd->n", emb.user[users].astype(np.float64), emb.item[items].astype(np.float64)
    )
    return float(net.global_mean) + user_b[users] + item_b[items] + interaction


def rmse(predicted: np.ndarray, split: TrainSplit) -> float:
    return float(np.sqrt(np.mean((predicted - split.rating) ** 2)))


@pytest.fixture(scope="module")
def data() -> tuple[TrainSplit, TrainSplit]:
    return planted_ratings()


@pytest.fixture(scope="module")
def fitted(data: tuple[TrainSplit, TrainSplit]) -> BiasedMF:
    train, valid = data
    return BiasedMF(**FAST).fit(train, valid=valid)


def test_net_predicts_mean_plus_biases_plus_dot_product() -> None:
    torch.manual_seed(0)
    net = BiasedMFNet(n_users=3, n_items=4, dim=2, init_std=0.5, global_mean=3.0)
    torch.nn.init.normal_(net.user_bias.weight)
    torch.nn.init.normal_(net.item_bias.weight)
    users, items = torch.tensor([0, 2, 1]), torch.tensor([3, 0, 3])
    p, q = net.user_emb.weight.detach().numpy(), net.item_emb.weight.detach().numpy()
    bu, bi = (
        net.user_bias.weight.detach().numpy()[:, 0],
        net.item_bias.weight.detach().numpy()[:, 0],
    )
    expected = [
        3.0 + bu[u] + bi[i] + p[u] @ q[i]
        for u, i in zip(users.tolist(), items.tolist(), strict=True)
    ]
    np.testing.assert_allclose(net(users, items).detach().numpy(), expected, rtol=1e-6)
    full = net.score_all_items(users).detach().numpy()
    np.testing.assert_allclose(full[np.arange(3), items.numpy()], expected, rtol=1e-6)


def test_recovers_a_planted_low_rank_matrix(
    fitted: BiasedMF, data: tuple[TrainSplit, TrainSplit]
) -> None:
    train, held_out = data
    spread = float(np.std(held_out.rating))  # RMSE of predicting the mean: about 0.85
    assert fitted.train_rmse_ < 0.15
    assert rmse(fitted.score(held_out.user_idx, held_out.item_idx), held_out) < 0.2 * spread
    assert fitted.history_[-1].loss < 0.1 * fitted.history_[0].loss


def test_reported_rmse_and_mae_match_a_numpy_recomputation(
    fitted: BiasedMF, data: tuple[TrainSplit, TrainSplit]
) -> None:
    train, valid = data
    assert fitted.train_rmse_ == pytest.approx(rmse(numpy_predictions(fitted, train), train), 1e-5)
    last = fitted.history_[-1].metrics
    assert set(last) == {"train_rmse", "valid_rmse", "valid_mae"}
    assert last["train_rmse"] == pytest.approx(fitted.train_rmse_, rel=1e-6)
    valid_pred = numpy_predictions(fitted, valid)
    assert last["valid_rmse"] == pytest.approx(rmse(valid_pred, valid), rel=1e-5)
    assert last["valid_mae"] == pytest.approx(np.mean(np.abs(valid_pred - valid.rating)), 1e-5)


def test_score_is_the_predicted_rating(
    fitted: BiasedMF, data: tuple[TrainSplit, TrainSplit]
) -> None:
    valid = data[1]
    np.testing.assert_allclose(
        fitted.score(valid.user_idx, valid.item_idx), numpy_predictions(fitted, valid), atol=1e-4
    )


def test_sgd_also_learns(data: tuple[TrainSplit, TrainSplit]) -> None:
    model = BiasedMF(**{**FAST, "optimizer": "sgd", "lr": 5.0}).fit(data[0])
    assert model.train_rmse_ < 0.15


def test_early_stopping_restores_the_epoch_with_the_lowest_validation_rmse(
    data: tuple[TrainSplit, TrainSplit],
) -> None:
    train, valid = data
    # Large factors with no penalty overfit half-observed data, so validation RMSE turns upward.
    options = {**FAST, "dim": 32, "l2": 0.0, "lr": 0.1, "n_epochs": 80, "patience": 3}
    model = BiasedMF(**options).fit(train, valid=valid)
    history = [report.metrics["valid_rmse"] for report in model.history_]
    assert len(history) < 80
    best = min(history)
    assert history[-1] > best  # so the restored weights differ from the last epoch's
    assert rmse(model.score(valid.user_idx, valid.item_idx), valid) == pytest.approx(best, 1e-5)


def test_same_seed_gives_identical_factors(data: tuple[TrainSplit, TrainSplit]) -> None:
    options = {**FAST, "n_epochs": 3}
    first = BiasedMF(**options).fit(data[0]).embeddings()
    again = BiasedMF(**options).fit(data[0]).embeddings()
    np.testing.assert_array_equal(first.user, again.user)
    np.testing.assert_array_equal(first.item, again.item)


def test_needs_ratings_in_train_and_validation(data: tuple[TrainSplit, TrainSplit]) -> None:
    implicit = TrainSplit.from_frame(pd.DataFrame({"user_idx": [0, 1], "item_idx": [1, 0]}), 2, 2)
    with pytest.raises(DataError, match="without a rating"):
        BiasedMF(**FAST).fit(implicit)
    train, valid = data
    unrated_valid = TrainSplit(valid.user_idx, valid.item_idx, None, None, N_USERS, N_ITEMS)
    with pytest.raises(DataError, match="validation split"):
        BiasedMF(**FAST).fit(train, valid=unrated_valid)


def test_save_and_load_keep_predictions_and_train_rmse(
    fitted: BiasedMF, data: tuple[TrainSplit, TrainSplit], tmp_path: Path
) -> None:
    fitted.save(tmp_path)
    loaded = BiasedMF.load(tmp_path)
    valid = data[1]
    np.testing.assert_array_equal(
        loaded.score(valid.user_idx, valid.item_idx), fitted.score(valid.user_idx, valid.item_idx)
    )
    assert loaded.train_rmse_ == fitted.train_rmse_
