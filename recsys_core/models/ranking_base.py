"""The second stage: ``RankingModel`` scores (user, item) feature rows, never the catalogue at once.

A ranking model fits a ``FeatureEncoder`` on the training window (``fit_features``) and scores
``FeatureBatch`` rows (``score_rows``); pairs, per-user candidate sets and, when asked, whole
catalogues are all scored through those rows, chunk by chunk. Its scores are logits, so they are
evaluated pointwise (AUC, log loss of the sigmoid, GAUC) as well as top-N. The fitted encoder is
saved beside the weights as JSON + safetensors (``save_extra``), never pickled.

Training rows come from ``labelled_rows``: the split's own labels where it has them
(``data.labels.split_labels``: rating >= the protocol's threshold, else logged impressions'
clicks), otherwise every observed pair as a positive against uniformly drawn unseen items.
A ranker that trains on a share of its negative rows (``negative_rate`` in its config) says so
through ``downsampling_rate``; its logits stay those of the thinned training mix, and
``calibration.downsampling`` corrects its probabilities.
Shape legend: N rows, B users, C candidates, I items.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import torch

from recsys_core.data.dataset import TrainSplit
from recsys_core.data.features import FeatureBatch, FeatureEncoder, FeatureSpec
from recsys_core.data.labels import split_labels
from recsys_core.data.sampling import positive_keys, uniform_negatives
from recsys_core.models.base import Recommender
from recsys_core.training import valid_auc_logloss
from recsys_core.types import FloatArray, IntArray

#: Rows encoded and scored at once; bounds the memory of one feature batch.
ROW_CHUNK = 1 << 18
#: Folder of a saved ranking model that holds its fitted feature encoder.
FEATURES_DIR = "features"
#: Feature sets a ranking config may ask for (see ``feature_spec``).
FEATURE_SETS = ("side", "side+history", "side+history+ids")


class RankingModel(Recommender):
    """A model over feature rows: ``score_rows`` is the one scoring method subclasses implement."""

    stage: ClassVar[Literal["retrieval", "ranking"]] = "ranking"
    requires: ClassVar[frozenset[str]] = frozenset({"ids", "features"})
    encoder_: FeatureEncoder

    @abstractmethod
    def score_rows(self, batch: FeatureBatch) -> FloatArray:
        """(N,) logits of N encoded rows."""

    # --- features -----------------------------------------------------------------------------
    def feature_spec(self, train: TrainSplit) -> FeatureSpec:
        """The fields this model reads: the dataset's side columns, by the config's feature set."""
        chosen = getattr(self.config, "features", "side+history")
        return FeatureSpec.default_for(
            train.users,
            train.items,
            include_ids=chosen.endswith("+ids"),
            include_history="history" in chosen,
            with_ratings="history" in chosen and train.rating is not None,
        )

    def fit_features(self, train: TrainSplit) -> None:
        """Fit the encoder on the training window only (vocabularies, quantiles, histories)."""
        self.encoder_ = FeatureEncoder.fit(self.feature_spec(train), train)

    def save_extra(self, directory: Path) -> None:
        self.encoder_.save(Path(directory) / FEATURES_DIR)

    def load_extra(self, directory: Path) -> None:
        self.encoder_ = FeatureEncoder.load(Path(directory) / FEATURES_DIR)
        sizes = (self.encoder_.n_users, self.encoder_.n_items)
        if sizes != (self.n_users_, self.n_items_):
            raise ValueError(
                f"its {FEATURES_DIR}/ encoder covers {sizes[0]} users and {sizes[1]} items, the "
                f"model {self.n_users_} and {self.n_items_}"
            )

    # --- scoring through rows ---------------------------------------------------------------
    def score_pairs(self, user_idx: IntArray, item_idx: IntArray) -> FloatArray:
        out = np.empty(len(user_idx), dtype=np.float32)
        for start in range(0, len(user_idx), ROW_CHUNK):
            stop = start + ROW_CHUNK
            batch = self.encoder_.transform(user_idx[start:stop], item_idx[start:stop])
            out[start:stop] = self.score_rows(batch)
        return out

    def _score_users(self, user_idx: IntArray) -> FloatArray:
        """(B, I) logits of every item, scored as B * I rows (only when a full ranking is asked)."""
        rows = np.repeat(user_idx, self.n_items_)
        items = np.tile(np.arange(self.n_items_, dtype=np.int64), len(user_idx))
        return self.score_pairs(rows, items).reshape(len(user_idx), self.n_items_)

    def downsampling_rate(self) -> float:
        """Share of negative training rows the model kept (its config's ``negative_rate``; 1.0
        when it has none): sigmoid(logit) overstates the positive rate by the odds factor 1/rate.
        """
        return float(getattr(self.config, "negative_rate", 1.0))

    def predict_proba(self, user_idx: IntArray, item_idx: IntArray) -> FloatArray:
        """(N,) probabilities: the sigmoid of the pairs' logits."""
        return 1.0 / (1.0 + np.exp(-self.score(user_idx, item_idx).astype(np.float64)))

    # --- labelled rows ------------------------------------------------------------------------
    def validation_scorer(self, valid: TrainSplit) -> Callable[[], dict[str, float]]:
        """Validation AUC and log loss on fixed labelled rows (negatives drawn once, seeded)."""
        generator = torch.Generator().manual_seed(self.config.seed + 1)
        known = self.seen_ + valid.csr("binary")
        users, items, labels = labelled_rows(valid, known.tocoo(), 1, generator)
        return lambda: valid_auc_logloss(self.score_pairs(users, items), labels)


def labelled_rows(
    split: TrainSplit,
    known: object,
    n_negatives: int,
    generator: torch.Generator,
) -> tuple[IntArray, IntArray, FloatArray]:
    """(user, item, label) rows of a split for pointwise training or validation.

    Args:
        split: a split with labels of its own (``split_labels``: used as they are) or implicit
            positives.
        known: a COO matrix of every pair known positive (accidental hits are never negatives).
        n_negatives: uniformly drawn unseen items per positive, when the split has no labels.
        generator: a seeded CPU generator for the draws.

    Returns:
        (N,) users, (N,) items and (N,) float32 labels.
    """
    own = split_labels(split)
    if own is not None:
        return own.user_idx, own.item_idx, own.label
    users = torch.as_tensor(split.user_idx, dtype=torch.int64)
    keys = positive_keys(known.row, known.col, split.n_items)  # type: ignore[attr-defined]
    repeated = users.repeat(n_negatives)
    negatives = uniform_negatives(repeated, keys, split.n_items, generator).numpy()
    n_pos = len(split)
    return (
        np.concatenate([split.user_idx, repeated.numpy()]),
        np.concatenate([split.item_idx, negatives]),
        np.concatenate([np.ones(n_pos, np.float32), np.zeros(n_pos * n_negatives, np.float32)]),
    )


def positive_rate(labels: FloatArray) -> float:
    """Share of positive labels, for a logit bias that starts at the base rate."""
    rate = float(np.mean(labels)) if len(labels) else 0.5
    rate = min(max(rate, 1e-4), 1 - 1e-4)
    return math.log(rate / (1 - rate))
