"""Maximal marginal relevance: trade relevance against similarity to what the list already holds.

Carbonell & Goldstein, "The Use of MMR, Diversity-Based Reranking for Reordering Documents and
Producing Summaries", SIGIR 1998. Shape legend: B users, N candidates, I items, D dim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np

from recsys_core.config import param
from recsys_core.errors import ConfigError
from recsys_core.rerank.base import (
    Candidates,
    RerankContext,
    Reranker,
    RerankerConfig,
    register_reranker,
)
from recsys_core.rerank.greedy import GreedyList, keep_order
from recsys_core.types import FloatArray, IntArray


@dataclass(frozen=True)
class MMRConfig(RerankerConfig):
    """Options of maximal marginal relevance."""

    weight: float = param(
        0.0,
        "MMR's lambda: each pick maximises (1 - weight) * relevance - weight * (highest cosine "
        "similarity to an item already in the list); 0 keeps relevance order, 1 picks the most "
        "relevant item first and then always the least similar one.",
        min=0.0,
        max=1.0,
    )
    similarity: str = param(
        "auto",
        "Item similarity: cosine of the run's item embeddings, of the items' genres, or 'auto' "
        "(embeddings when the run has them, else genres; neither: no change).",
        choices=("auto", "embeddings", "genres"),
    )


@register_reranker
class MMR(Reranker):
    """Maximal marginal relevance (Carbonell & Goldstein, SIGIR 1998).

    Greedily picks ``argmax_i (1 - lambda) * rel(i) - lambda * max_{j in S} sim(i, j)`` with S
    the items chosen so far (the penalty is 0 for the first pick) and sim the cosine of item
    vectors; ties go to the item placed earlier in the incoming list.
    """

    name = "mmr"
    label = "Diversity (MMR)"
    phase = "list"
    source = "Carbonell & Goldstein, SIGIR 1998"
    config_class = MMRConfig
    config: MMRConfig

    def prepare(self, context: RerankContext) -> Self:
        """Check that the chosen similarity has its side information; returns self."""
        self.item_vectors(context)
        return self

    def item_vectors(self, context: RerankContext) -> FloatArray | None:
        """(I, D) vectors whose cosine is the similarity, or None when ``auto`` finds none.

        Raises:
            ConfigError: ``similarity`` names side information the context lacks.
        """
        choice = self.config.similarity
        if choice == "embeddings" and context.item_vectors is None:
            raise ConfigError(
                "MMR similarity='embeddings' needs a run with item embeddings; "
                "choose similarity='genres' or 'auto'"
            )
        if choice == "genres" and context.item_genres is None:
            raise ConfigError(
                "MMR similarity='genres' needs a catalogue with genres; "
                "choose similarity='embeddings' or 'auto'"
            )
        if choice in ("auto", "embeddings") and context.item_vectors is not None:
            return context.item_vectors
        return context.item_genres

    def order(
        self, relevance: FloatArray, candidates: Candidates, context: RerankContext, k: int
    ) -> IntArray:
        """(B, N) permutation whose first k columns are the MMR list (see the class docstring)."""
        vectors = self.item_vectors(context)
        if vectors is None:
            return keep_order(relevance, candidates.valid, k)
        unit = _unit_rows(vectors)[np.where(candidates.valid, candidates.item_idx, 0)]
        lam = self.config.weight
        greedy = GreedyList(relevance, candidates.valid, k)
        gain = (1.0 - lam) * np.where(np.isfinite(relevance), relevance, 0.0)
        cols = greedy.take(gain)
        max_sim = _cosine_to(unit, unit[greedy.rows, cols])
        for _ in range(1, greedy.k):
            cols = greedy.take(gain - lam * max_sim)
            np.maximum(max_sim, _cosine_to(unit, unit[greedy.rows, cols]), out=max_sim)
        return greedy.order()


def _unit_rows(vectors: FloatArray) -> FloatArray:
    """(I, D) vectors scaled to unit length (float32); zero vectors stay zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norm, out=np.zeros_like(vectors), where=norm > 0)


def _cosine_to(unit: FloatArray, chosen: FloatArray) -> FloatArray:
    """(B, N) cosine of every candidate's unit vector (B, N, D) with each row's pick (B, D)."""
    return np.matmul(unit, chosen[:, :, None])[:, :, 0].astype(np.float64)
