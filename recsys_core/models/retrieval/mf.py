"""Biased matrix factorisation for explicit ratings.

Koren, Bell & Volinsky, "Matrix Factorization Techniques for Recommender Systems", IEEE Computer
2009. A rating is predicted as μ + b_u + b_i + p_u·q_i and the model minimises the squared error on
the observed ratings plus an L2 penalty. The ranking score is the predicted rating, which is known
to make a weak top-N ranker (it favours rarely-rated, highly-rated items); the model is here for
rating prediction and for that comparison. Shape legend: B batch, U users, I items, D dim.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import DataError
from recsys_core.models.base import RetrievalModel, param, register
from recsys_core.models.losses import l2_penalty
from recsys_core.models.retrieval.factors import FactorScoring
from recsys_core.models.torch_base import BatchFactory, TorchConfig
from recsys_core.training import shuffled_batches


@dataclass(frozen=True)
class BiasedMFConfig(TorchConfig):
    """Options of biased matrix factorisation."""

    dim: int = param(64, "Latent dimension D of user and item factors.", min=1, max=1024)
    n_epochs: int = param(25, "Passes over the training ratings.", min=1, max=10_000)
    lr: float = param(
        5e-3,
        "Learning rate; plain SGD on the batch-mean loss needs a much larger one (about 5).",
        min=1e-6,
        max=10.0,
    )
    l2: float = param(
        0.12, "L2 penalty on the batch's user/item factors and biases.", min=0.0, max=10.0
    )
    batch_size: int = param(1024, "Ratings per optimizer step.", min=1, max=1_000_000)
    init_std: float = param(0.1, "Standard deviation of the initial factors.", min=0.0, max=1.0)
    patience: int = param(
        0,
        "With a validation split: stop after this many epochs without a lower validation RMSE "
        "and keep the best epoch (0 trains all epochs).",
        min=0,
    )
    loss: str = param("mse", "Squared error on the observed ratings.", choices=("mse",))


class BiasedMFNet(nn.Module):
    """Predicted rating μ + b_u + b_i + p_u·q_i.

    Args:
        n_users: U.
        n_items: I.
        dim: D.
        init_std: standard deviation of the normal initial factors (biases start at zero).
        global_mean: μ, the mean training rating (a buffer: saved, not learned).
    """

    def __init__(
        self, n_users: int, n_items: int, dim: int, init_std: float, global_mean: float = 0.0
    ) -> None:
        super().__init__()
        self.user_emb = nn.Embedding(n_users, dim)
        self.item_emb = nn.Embedding(n_items, dim)
        self.user_bias = nn.Embedding(n_users, 1)
        self.item_bias = nn.Embedding(n_items, 1)
        # Shape (1,), not a 0-d scalar: saved arrays are at least one-dimensional.
        self.register_buffer("global_mean", torch.tensor([float(global_mean)]))
        nn.init.normal_(self.user_emb.weight, std=init_std)
        nn.init.normal_(self.item_emb.weight, std=init_std)
        nn.init.zeros_(self.user_bias.weight)
        nn.init.zeros_(self.item_bias.weight)

    def forward(self, user_idx: torch.Tensor, item_idx: torch.Tensor) -> torch.Tensor:
        """(B,) users and (B,) items -> (B,) predicted ratings."""
        interaction = (self.user_emb(user_idx) * self.item_emb(item_idx)).sum(-1)
        biases = self.user_bias(user_idx).squeeze(-1) + self.item_bias(item_idx).squeeze(-1)
        return self.global_mean + biases + interaction

    def score_all_items(self, user_idx: torch.Tensor) -> torch.Tensor:
        """(B,) users -> (B, I) predicted ratings of every item."""
        interaction = self.user_emb(user_idx) @ self.item_emb.weight.T
        return self.global_mean + self.user_bias(user_idx) + self.item_bias.weight.T + interaction


@register
class BiasedMF(FactorScoring, RetrievalModel):
    """Biased MF trained on explicit ratings with MSE + L2 (Adam or SGD)."""

    name = "mf"
    label = "Biased MF (explicit)"
    requires = frozenset({"ids", "ratings"})
    predicts_ratings = True
    config_class = BiasedMFConfig
    config: BiasedMFConfig
    net_: BiasedMFNet

    def prepare(self, train: TrainSplit, valid: TrainSplit | None) -> None:
        _check_ratings(train, "training")
        if valid is not None:
            _check_ratings(valid, "validation")
        self.global_mean_ = float(torch.tensor(train.rating, dtype=torch.float32).mean())

    def build_net(self) -> BiasedMFNet:
        cfg = self.config
        global_mean = getattr(self, "global_mean_", 0.0)
        return BiasedMFNet(self.n_users_, self.n_items_, cfg.dim, cfg.init_std, global_mean)

    def batches(self, train: TrainSplit, generator: torch.Generator) -> BatchFactory:
        self.train_tensors_ = self._tensors(train)

        def make_batches() -> Iterator[tuple[torch.Tensor, ...]]:
            return shuffled_batches(self.train_tensors_, self.config.batch_size, generator)

        return make_batches

    def loss(self, user: torch.Tensor, item: torch.Tensor, rating: torch.Tensor) -> torch.Tensor:
        net = self.net_
        rows = (net.user_emb(user), net.item_emb(item), net.user_bias(user), net.item_bias(item))
        return F.mse_loss(net(user, item), rating) + self.config.l2 * l2_penalty(*rows)

    def monitor(self) -> tuple[str, Literal["min", "max"]]:
        return "valid_rmse", "min"

    def epoch_metrics(self, valid: TrainSplit | None) -> Callable[[], dict[str, float]]:
        """Training RMSE every epoch, and validation RMSE/MAE when there is a validation split."""
        valid_tensors = self._tensors(valid) if valid is not None else None

        def evaluate() -> dict[str, float]:
            metrics = {"train_rmse": self._rmse_mae(*self.train_tensors_)[0]}
            if valid_tensors is not None:
                rmse, mae = self._rmse_mae(*valid_tensors)
                metrics.update(valid_rmse=rmse, valid_mae=mae)
            return metrics

        return evaluate

    def after_fit(self) -> None:
        with torch.no_grad():
            self.train_rmse_ = self._rmse_mae(*self.train_tensors_)[0]
        del self.train_tensors_
        return self

    def _tensors(self, split: TrainSplit) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(N,) user, item and rating tensors of a split on the model's device."""
        return (
            self.to_tensor(split.user_idx),
            self.to_tensor(split.item_idx),
            self.to_tensor(split.rating, torch.float32),
        )

    def _rmse_mae(
        self, users: torch.Tensor, items: torch.Tensor, ratings: torch.Tensor
    ) -> tuple[float, float]:
        """RMSE and MAE of the current predictions on (N,) rated pairs."""
        error = self.net_(users, items) - ratings
        return float(error.pow(2).mean().sqrt()), float(error.abs().mean())

    def fitted_arrays(self) -> dict[str, np.ndarray]:
        return {"train_rmse": np.array([self.train_rmse_], dtype=np.float64)}

    def restore_fitted(self, state: dict[str, np.ndarray]) -> None:
        self.train_rmse_ = float(state.pop("train_rmse")[0])


def _check_ratings(split: TrainSplit, role: str) -> None:
    if split.rating is None or np.isnan(split.rating).any():
        raise DataError(
            f"biased MF predicts explicit ratings, but the {role} split has rows without a rating; "
            "use a dataset with ratings or an implicit model such as 'bpr'"
        )
