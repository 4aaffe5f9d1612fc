"""Re-ranking after the model: filters, score transforms and list builders over candidates.

Every re-ranker module is imported here explicitly so that importing this package registers all
of them (registration is plain imports, never a filename lookup), as ``recsys_core.models`` does.
"""

from __future__ import annotations

from recsys_core.rerank import (  # noqa: F401
    bandit,
    blend,
    blocklist,
    clickbait,
    dislikes,
    fairness,
    freshness,
    genre_balance,
    genre_calibration,
    mmr,
)
from recsys_core.rerank.base import (
    Candidates,
    RerankContext,
    Reranker,
    RerankerConfig,
    get_reranker_class,
    list_rerankers,
    register_reranker,
)
from recsys_core.rerank.pipeline import RerankPipeline

__all__ = [
    "Candidates",
    "RerankContext",
    "RerankPipeline",
    "Reranker",
    "RerankerConfig",
    "get_reranker_class",
    "list_rerankers",
    "register_reranker",
]
