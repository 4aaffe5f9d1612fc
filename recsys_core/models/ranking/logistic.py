"""Logistic regression over encoded feature rows: the first ranking baseline.

The click/preference model every CTR paper starts from (e.g. McMahan et al., "Ad Click Prediction:
a View from the Trenches", KDD 2013): one learned weight per categorical, multi-hot or hashed id
(mean-pooled within a field) and per dense column, summed into a logit and trained with binary
cross-entropy. Without crosses it is additive, so every user gets the same order of items and
personalisation comes only from later architectures; its job is the pointwise floor (AUC, log
loss) that they must beat. Shape legend: B rows, D dense columns, M ids of a field.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from recsys_core.calibration.downsampling import downsample_rows
from recsys_core.data.dataset import TrainSplit
from recsys_core.data.features import FeatureBatch, TorchFeatureBatch
from recsys_core.data.labels import split_labels
from recsys_core.data.sampling import positive_keys, uniform_negatives
from recsys_core.models.base import param, register
from recsys_core.models.losses import l2_penalty
from recsys_core.models.ranking_base import FEATURE_SETS, RankingModel, positive_rate
from recsys_core.models.torch_base import BatchFactory, TorchConfig, TorchRecommender
from recsys_core.training import shuffled_batches
from recsys_core.types import FloatArray

#: Rows scored per forward pass at inference.
SCORE_BATCH = 65_536


@dataclass(frozen=True)
class LogisticRankerConfig(TorchConfig):
    """Options of the logistic-regression ranker."""

    features: str = param(
        "side+history",
        "Feature set: side information, plus training-window counts, mean ratings and recent "
        "items, plus user and item ids.",
        choices=FEATURE_SETS,
    )
    n_negatives: int = param(
        1,
        "Without labels in the split: unseen items drawn per observed pair as negatives.",
        min=1,
        max=100,
    )
    n_epochs: int = param(10, "Passes over the labelled training rows.", min=1, max=1000)
    lr: float = param(0.02, "Adam learning rate.", min=1e-6, max=10.0)
    l2: float = param(1e-5, "L2 penalty on the batch's looked-up weights.", min=0.0, max=10.0)
    negative_rate: float = param(
        1.0,
        "Keep this share w of the negative training rows, drawn afresh each epoch (1: all; "
        "0.25: 1:4 negative downsampling). Scores stay logits of the thinned mix; calibration "
        "corrects their probabilities with q = p / (p + (1 - p) / w). Without labels in the "
        "split it thins the n_negatives drawn per pair (about n_negatives x w are kept).",
        min=0.001,
        max=1.0,
    )
    batch_size: int = param(2048, "Rows per optimizer step.", min=1, max=1_000_000)
    loss: str = param("bce", "Pointwise binary cross-entropy.", choices=("bce",))


class LogisticRegressionNet(nn.Module):
    """logit = b + Σ_fields mean(w[ids of the field]) + w_dense · x_dense.

    Args:
        cardinalities: sparse field name -> table size (OOV id 0 included).
        n_dense: D.
        bias: initial b (the training base rate's logit).
    """

    def __init__(self, cardinalities: dict[str, int], n_dense: int, bias: float = 0.0) -> None:
        super().__init__()
        self.fields = tuple(cardinalities)
        self.sparse = nn.ModuleList(
            nn.EmbeddingBag(size, 1, mode="mean") for size in cardinalities.values()
        )
        for table in self.sparse:
            nn.init.zeros_(table.weight)
        self.dense = nn.Linear(n_dense, 1, bias=False)
        nn.init.zeros_(self.dense.weight)
        self.bias = nn.Parameter(torch.tensor([float(bias)]))

    def field_weights(self, batch: TorchFeatureBatch) -> list[torch.Tensor]:
        """(B, 1) pooled weight of each sparse field, in ``fields`` order."""
        return [
            table(batch.sparse[name].ids, batch.sparse[name].offsets)
            for name, table in zip(self.fields, self.sparse, strict=True)
        ]

    def forward(self, batch: TorchFeatureBatch) -> torch.Tensor:
        """B encoded rows -> (B,) logits."""
        logit = self.dense(batch.dense).squeeze(-1) + self.bias
        for pooled in self.field_weights(batch):
            logit = logit + pooled.squeeze(-1)
        return logit


@register
class LogisticRanker(TorchRecommender, RankingModel):
    """Logistic regression on the dataset's user/item features, trained pointwise."""

    name = "logistic"
    label = "Logistic regression (ranker)"
    personalised = False
    config_class = LogisticRankerConfig
    config: LogisticRankerConfig
    net_: LogisticRegressionNet

    def prepare(self, train: TrainSplit, valid: TrainSplit | None) -> None:
        self.fit_features(train)
        self.labelled_ = split_labels(train)
        # The bias starts at the base rate of the rows trained on: downsampling divides the
        # odds by the rate (a shift of -log(rate); none at rate 1).
        shift = -math.log(self.downsampling_rate())
        self.base_logit_ = positive_rate(self.labelled_.label) + shift if self.labelled_ else 0.0

    def build_net(self) -> LogisticRegressionNet:
        encoder = self.encoder_
        bias = getattr(self, "base_logit_", 0.0)
        return LogisticRegressionNet(encoder.cardinalities, len(encoder.dense_names), bias)

    def batches(self, train: TrainSplit, generator: torch.Generator) -> BatchFactory:
        cfg = self.config
        rate = self.downsampling_rate()
        if self.labelled_ is not None:
            rows = self.labelled_
            fixed = (
                self.to_tensor(rows.user_idx),
                self.to_tensor(rows.item_idx),
                self.to_tensor(rows.label, torch.float32),
            )

            def labelled() -> Iterator[tuple[torch.Tensor, ...]]:
                kept = downsample_rows(fixed, fixed[2], rate, generator)
                return shuffled_batches(kept, cfg.batch_size, generator)

            return labelled
        positives = self.seen_.tocoo()
        pos_users, pos_items = self.to_tensor(positives.row), self.to_tensor(positives.col)
        keys = positive_keys(pos_users, pos_items, self.n_items_)
        neg_users = pos_users.repeat(cfg.n_negatives)
        labels = torch.cat([torch.ones(len(pos_users)), torch.zeros(len(neg_users))]).to(
            self.device_
        )

        def implicit() -> Iterator[tuple[torch.Tensor, ...]]:
            negatives = uniform_negatives(neg_users, keys, self.n_items_, generator)
            rows = (torch.cat([pos_users, neg_users]), torch.cat([pos_items, negatives]), labels)
            rows = downsample_rows(rows, labels, rate, generator)
            return shuffled_batches(rows, cfg.batch_size, generator)

        return implicit

    def after_fit(self) -> None:
        del self.labelled_  # the training rows are not part of the fitted model

    def loss(self, user: torch.Tensor, item: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        batch = self._encode(user.cpu().numpy(), item.cpu().numpy())
        logits = self.net_(batch)
        looked_up = self.net_.field_weights(batch)
        penalty = l2_penalty(*looked_up) if looked_up else logits.new_zeros(())
        return F.binary_cross_entropy_with_logits(logits, label) + self.config.l2 * penalty

    def score_rows(self, batch: FeatureBatch) -> FloatArray:
        out = np.empty(len(batch), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, len(batch), SCORE_BATCH):
                rows = np.arange(start, min(start + SCORE_BATCH, len(batch)))
                part = TorchFeatureBatch.from_batch(batch.take(rows), self.device_)
                out[rows] = self.net_(part).cpu().numpy()
        return out

    def fitted_arrays(self) -> dict[str, np.ndarray]:
        return {"base_logit": np.array([self.base_logit_], dtype=np.float64)}

    def restore_fitted(self, state: dict[str, np.ndarray]) -> None:
        self.base_logit_ = float(state.pop("base_logit")[0])

    def _encode(self, user_idx: np.ndarray, item_idx: np.ndarray) -> TorchFeatureBatch:
        return TorchFeatureBatch.from_batch(
            self.encoder_.transform(user_idx, item_idx), self.device_
        )
