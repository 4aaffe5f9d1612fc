"""Candidate retrieval over learned vectors: exact nearest-neighbour search with faiss."""

from __future__ import annotations

from recsys_core.retrieval.faiss_index import METRICS, FaissIndex, Metric

__all__ = ["METRICS", "FaissIndex", "Metric"]
