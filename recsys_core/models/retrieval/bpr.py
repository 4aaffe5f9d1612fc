"""BPR-MF: matrix factorisation trained with Bayesian personalised ranking on implicit feedback.

Rendle, Freudenthaler, Gantner & Schmidt-Thieme, "BPR: Bayesian Personalized Ranking from Implicit
Feedback", UAI 2009. Every observed (user, item) pair is contrasted with one item the user has not
interacted with, drawn uniformly each epoch; the model learns to score the observed item higher.
Shape legend: B batch, U users, I items, D dim.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from recsys_core.data.dataset import TrainSplit
from recsys_core.data.sampling import positive_keys, uniform_negatives
from recsys_core.models.base import RetrievalModel, param, register
from recsys_core.models.losses import bpr_loss, l2_penalty
from recsys_core.models.retrieval.factors import FactorScoring
from recsys_core.models.torch_base import BatchFactory, TorchConfig
from recsys_core.training import shuffled_batches


@dataclass(frozen=True)
class BPRConfig(TorchConfig):
    """Options of BPR-MF."""

    dim: int = param(64, "Latent dimension D of user and item factors.", min=1, max=1024)
    n_epochs: int = param(200, "Passes over the training interactions.", min=1, max=10_000)
    lr: float = param(2e-3, "Adam learning rate.", min=1e-6, max=1.0)
    l2: float = param(
        1e-2, "L2 penalty on the batch's user, item and negative-item rows.", min=0.0, max=10.0
    )
    batch_size: int = param(4096, "Positive pairs per optimizer step.", min=1, max=1_000_000)
    init_std: float = param(0.1, "Standard deviation of the initial factors.", min=0.0, max=1.0)
    loss: str = param("bpr", "Pairwise BPR loss on one uniform negative.", choices=("bpr",))


class BPRNet(nn.Module):
    """Dot product of user and item factors plus an item bias.

    Args:
        n_users: U.
        n_items: I.
        dim: D.
        init_std: standard deviation of the normal initial factors (biases start at zero).
    """

    def __init__(self, n_users: int, n_items: int, dim: int, init_std: float) -> None:
        super().__init__()
        self.user_emb = nn.Embedding(n_users, dim)
        self.item_emb = nn.Embedding(n_items, dim)
        self.item_bias = nn.Embedding(n_items, 1)
        nn.init.normal_(self.user_emb.weight, std=init_std)
        nn.init.normal_(self.item_emb.weight, std=init_std)
        nn.init.zeros_(self.item_bias.weight)

    def forward(self, user_idx: torch.Tensor, item_idx: torch.Tensor) -> torch.Tensor:
        """(B,) users and (B,) items -> (B,) scores."""
        user_vec, item_vec = self.user_emb(user_idx), self.item_emb(item_idx)
        return (user_vec * item_vec).sum(-1) + self.item_bias(item_idx).squeeze(-1)

    def score_all_items(self, user_idx: torch.Tensor) -> torch.Tensor:
        """(B,) users -> (B, I) scores of every item."""
        return self.user_emb(user_idx) @ self.item_emb.weight.T + self.item_bias.weight.T


@register
class BPR(FactorScoring, RetrievalModel):
    """BPR-MF with one uniform negative per positive, Adam and L2 on the batch's rows."""

    name = "bpr"
    label = "BPR-MF"
    requires = frozenset({"ids"})
    config_class = BPRConfig
    config: BPRConfig
    net_: BPRNet

    def build_net(self) -> BPRNet:
        cfg = self.config
        return BPRNet(self.n_users_, self.n_items_, cfg.dim, cfg.init_std)

    def batches(self, train: TrainSplit, generator: torch.Generator) -> BatchFactory:
        positives = self.seen_.tocoo()  # one row per distinct (user, item) pair
        users = self.to_tensor(positives.row)
        items = self.to_tensor(positives.col)
        keys = positive_keys(users, items, self.n_items_)

        def make_batches() -> Iterator[tuple[torch.Tensor, ...]]:
            negatives = uniform_negatives(users, keys, self.n_items_, generator)
            return shuffled_batches((users, items, negatives), self.config.batch_size, generator)

        return make_batches

    def loss(self, user: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        net = self.net_
        ranking = bpr_loss(net(user, pos), net(user, neg))
        rows = (net.user_emb(user), net.item_emb(pos), net.item_emb(neg))
        return ranking + self.config.l2 * l2_penalty(*rows)
