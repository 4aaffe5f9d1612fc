"""Scoring shared by the factor models (BPR-MF, biased MF): nets with ``user_emb``/``item_emb``
tables and a ``score_all_items`` method. Shape legend: B users, U users, I items, D dim."""

from __future__ import annotations

import numpy as np
import torch

from recsys_core.models.torch_base import TorchRecommender
from recsys_core.types import Embeddings, FloatArray, IntArray


class FactorScoring(TorchRecommender):
    """Catalogue scores from ``net_.score_all_items`` and the nets' user/item factor tables.

    Biases (and a global mean) are part of the scores but not of the embeddings.
    """

    def _score_users(self, user_idx: IntArray) -> FloatArray:
        """(B,) users -> (B, I) scores of every item."""
        with torch.no_grad():
            scores = self.net_.score_all_items(self.to_tensor(user_idx))
        return scores.cpu().numpy().astype(np.float32)

    def embeddings(self) -> Embeddings:
        """(U, D) user and (I, D) item factors."""
        return Embeddings(
            user=self.net_.user_emb.weight.detach().cpu().numpy().astype(np.float32),
            item=self.net_.item_emb.weight.detach().cpu().numpy().astype(np.float32),
        )
