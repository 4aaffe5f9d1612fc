"""Nearest-neighbour search over a model's item embeddings with a faiss flat index.

As implicit's ``ann`` wrappers do, ``FaissIndex.from_model`` wraps any fitted model that learns item
vectors (``Recommender.embeddings().item``), so the dashboard finds similar items, or the items
nearest a user's vector, the same way for every such architecture. The index is exact
(``IndexFlatIP``): results equal a brute-force top-k, so it is a reference for approximate indexes
too. ``metric="cosine"`` L2-normalises the items and the queries, so inner product is cosine
similarity. A built index is only searched, never added to, so one cached instance may serve
concurrent searches (faiss CPU indexes allow that).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import faiss
import numpy as np

from recsys_core.errors import ConfigError, DataError
from recsys_core.types import FloatArray, IntArray, TopK

if TYPE_CHECKING:
    from recsys_core.models.base import Recommender

Metric = Literal["ip", "cosine"]
#: The similarity measures an index supports: inner product, or cosine similarity.
METRICS: tuple[Metric, ...] = ("ip", "cosine")


class FaissIndex:
    """An exact inner-product (or cosine) index over (I, D) item vectors.

    Attributes:
        metric: ``"ip"`` or ``"cosine"``.
        n_items: I, the number of indexed items (row i is item_idx i).
        dim: D, the vector dimension.
    """

    def __init__(self, item_vectors: FloatArray, *, metric: Metric = "ip") -> None:
        """Index ``item_vectors`` (I, D); row i is item_idx i."""
        if metric not in METRICS:
            raise ConfigError(f"metric must be one of {list(METRICS)}, got {metric!r}")
        vectors = np.asarray(item_vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] == 0 or vectors.shape[1] == 0:
            raise DataError(
                f"item vectors must be a non-empty (items, dim) matrix, got shape {vectors.shape}"
            )
        if not np.isfinite(vectors).all():
            raise DataError("item vectors contain NaN or infinite values; retrain the model")
        self.metric: Metric = metric
        self.n_items, self.dim = int(vectors.shape[0]), int(vectors.shape[1])
        self._index = faiss.IndexFlatIP(self.dim)
        self._index.add(self._prepare(vectors))

    @classmethod
    def from_model(cls, model: Recommender, metric: Metric = "ip") -> FaissIndex:
        """Index the item embeddings of a fitted model.

        Raises:
            DataError: the model has no item embeddings (popularity, item k-NN, EASE score items
                without learning vectors).
        """
        item_vectors = model.embeddings().item
        if item_vectors is None:
            raise DataError(
                f"{model.label} ({model.name}) has no item embeddings to index; use a model that "
                "learns item vectors, such as BPR-MF (bpr) or biased MF (mf)"
            )
        return cls(item_vectors, metric=metric)

    def search(self, vectors: FloatArray, k: int) -> TopK:
        """The k indexed items with the highest similarity to each query, best first.

        Args:
            vectors: (B, D) query vectors (a user's vector finds the items nearest to it).
            k: list length; lists are padded with -1 / -inf beyond the catalogue size.

        Returns:
            TopK with (B, K) item indices and similarities.
        """
        queries = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if queries.ndim != 2 or queries.shape[1] != self.dim:
            raise DataError(
                f"query vectors must have shape (batch, {self.dim}), got {queries.shape}"
            )
        _check_k(k)
        return self._search(self._prepare(queries), k)

    def similar_items(self, item_idx: IntArray, k: int) -> TopK:
        """The k items most similar to each given item, the item itself excluded.

        Under inner product an item need not be its own best match (a longer vector can score
        higher), so the item is removed wherever it appears among the k + 1 best.

        Args:
            item_idx: (B,) item indices.
            k: list length; padded with -1 / -inf when the catalogue has fewer than k + 1 items.

        Returns:
            TopK with (B, K) item indices and similarities.
        """
        items = np.atleast_1d(np.asarray(item_idx, dtype=np.int64))
        if items.ndim != 1:
            raise DataError("item_idx must be a 1-D array of item indices")
        if len(items) and (items.min() < 0 or items.max() >= self.n_items):
            raise DataError(f"item_idx must lie in [0, {self.n_items}); map raw ids with the vocab")
        _check_k(k)
        found = self._search(self._index.reconstruct_batch(items), k + 1)
        is_self = found.item_idx == items[:, None]
        order = np.argsort(is_self, axis=1, kind="stable")[:, :k]  # keeps rank order otherwise
        return TopK(
            item_idx=np.take_along_axis(found.item_idx, order, axis=1),
            scores=np.take_along_axis(found.scores, order, axis=1),
        )

    def _prepare(self, vectors: FloatArray) -> FloatArray:
        """A C-contiguous float32 copy, L2-normalised under cosine (zero vectors stay zero)."""
        out = np.array(vectors, dtype=np.float32, order="C", copy=True)
        if self.metric == "cosine":
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            np.divide(out, norms, out=out, where=norms > 0)
        return out

    def _search(self, queries: FloatArray, k: int) -> TopK:
        scores, labels = self._index.search(queries, k)
        missing = labels < 0  # faiss pads with -1 and -FLT_MAX when k exceeds the catalogue
        return TopK(
            item_idx=labels.astype(np.int64),
            scores=np.where(missing, -np.inf, scores).astype(np.float32),
        )


def _check_k(k: int) -> None:
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
