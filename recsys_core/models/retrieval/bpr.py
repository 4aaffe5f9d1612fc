"""BPR-MF: matrix factorisation trained with Bayesian personalised ranking on implicit feedback.

Rendle, Freudenthaler, Gantner & Schmidt-Thieme, "BPR: Bayesian Personalized Ranking from Implicit
Feedback", UAI 2009. Every observed (user, item) pair is contrasted with one item the user has not
interacted with, drawn uniformly each epoch; the model learns to score the observed item higher.
Shape legend: B batch, U users, I items, D dim.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import torch
from torch import nn

from recsys_core.data.dataset import TrainSplit
from recsys_core.models.base import Callback, ModelConfig, Recommender, param, register
from recsys_core.models.losses import bpr_loss, l2_penalty
from recsys_core.training import (
    DEVICE_CHOICES,
    EarlyStopping,
    resolve_device,
    seed_everything,
    shuffled_batches,
    train_epochs,
    valid_ndcg_at_k,
)
from recsys_core.types import Embeddings, FloatArray, IntArray


@dataclass(frozen=True)
class BPRConfig(ModelConfig):
    """Options of BPR-MF."""

    dim: int = param(64, "Latent dimension D of user and item factors.", min=1, max=1024)
    n_epochs: int = param(200, "Passes over the training interactions.", min=1, max=10_000)
    lr: float = param(2e-3, "Adam learning rate.", min=1e-6, max=1.0)
    l2: float = param(
        1e-2, "L2 penalty on the batch's user, item and negative-item rows.", min=0.0, max=10.0
    )
    batch_size: int = param(4096, "Positive pairs per optimizer step.", min=1, max=1_000_000)
    init_std: float = param(0.1, "Standard deviation of the initial factors.", min=0.0, max=1.0)
    patience: int = param(
        0,
        "With a validation split: stop after this many epochs without a better validation "
        "nDCG@10 and keep the best epoch (0 trains all epochs).",
        min=0,
    )
    device: str = param(
        "auto", "Where to train: auto picks CUDA when present.", choices=DEVICE_CHOICES
    )


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
class BPR(Recommender):
    """BPR-MF with one uniform negative per positive, Adam and L2 on the batch's rows."""

    name = "bpr"
    label = "BPR-MF"
    stage = "retrieval"
    requires = frozenset({"ids"})
    config_class = BPRConfig
    config: BPRConfig

    def fit(
        self,
        train: TrainSplit,
        *,
        valid: TrainSplit | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> Self:
        self._start_fit(train)
        cfg = self.config
        self.device_ = resolve_device(cfg.device)
        generator = seed_everything(cfg.seed, self.device_)
        positives = self.seen_.tocoo()  # one row per distinct (user, item) pair
        users = torch.tensor(positives.row, dtype=torch.int64, device=self.device_)
        items = torch.tensor(positives.col, dtype=torch.int64, device=self.device_)
        positive_keys = torch.sort(users * self.n_items_ + items).values  # for membership tests
        self.net_ = BPRNet(self.n_users_, self.n_items_, cfg.dim, cfg.init_std).to(self.device_)
        optimizer = torch.optim.Adam(self.net_.parameters(), lr=cfg.lr)

        def make_batches() -> Iterator[tuple[torch.Tensor, ...]]:
            negatives = _sample_negatives(users, positive_keys, self.n_items_, generator)
            return shuffled_batches((users, items, negatives), cfg.batch_size, generator)

        def compute_loss(user: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
            ranking = bpr_loss(self.net_(user, pos), self.net_(user, neg))
            rows = (self.net_.user_emb(user), self.net_.item_emb(pos), self.net_.item_emb(neg))
            return ranking + cfg.l2 * l2_penalty(*rows)

        def evaluate() -> dict[str, float]:
            return {"valid_ndcg@10": valid_ndcg_at_k(self, valid, k=10)}

        early_stopping = None
        if valid is not None and cfg.patience > 0:
            early_stopping = EarlyStopping("valid_ndcg@10", "max", cfg.patience)
        self.history_ = train_epochs(
            self.net_,
            optimizer,
            make_batches,
            compute_loss,
            cfg.n_epochs,
            callbacks=callbacks,
            evaluate=evaluate if valid is not None else None,
            early_stopping=early_stopping,
        )
        return self

    def _score_users(self, user_idx: IntArray) -> FloatArray:
        users = torch.tensor(user_idx, dtype=torch.int64, device=self.device_)
        with torch.no_grad():
            return self.net_.score_all_items(users).cpu().numpy().astype(np.float32)

    def embeddings(self) -> Embeddings:
        """(U, D) user and (I, D) item factors; the item bias is not part of them."""
        return Embeddings(
            user=self.net_.user_emb.weight.detach().cpu().numpy().astype(np.float32),
            item=self.net_.item_emb.weight.detach().cpu().numpy().astype(np.float32),
        )

    def _state(self) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.device_ = resolve_device(self.config.device)
        self.net_ = BPRNet(self.n_users_, self.n_items_, self.config.dim, self.config.init_std)
        self.net_.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
        self.net_.to(self.device_).eval()


def _sample_negatives(
    users: torch.Tensor, positive_keys: torch.Tensor, n_items: int, generator: torch.Generator
) -> torch.Tensor:
    """One item per positive pair, drawn uniformly from the items its user has not interacted with.

    Draws all negatives at once, then re-draws only those that hit a positive until none does.
    A user who has interacted with every item has no negative; such rows keep their first draw.

    Args:
        users: (N,) user of each positive pair, one row per distinct positive pair.
        positive_keys: (N,) sorted ``user * I + item`` keys of those pairs.
        n_items: I.
        generator: the fit's seeded generator.

    Returns:
        (N,) item indices.
    """
    device = users.device
    negatives = torch.randint(n_items, users.shape, generator=generator, device=device)
    saturated = torch.bincount(users)[users] >= n_items
    pending = torch.nonzero(~saturated).squeeze(-1)
    while len(pending):
        keys = users[pending] * n_items + negatives[pending]
        position = torch.searchsorted(positive_keys, keys).clamp_(max=len(positive_keys) - 1)
        pending = pending[positive_keys[position] == keys]
        negatives[pending] = torch.randint(
            n_items, pending.shape, generator=generator, device=device
        )
    return negatives
