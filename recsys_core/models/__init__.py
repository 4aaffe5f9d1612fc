"""Architectures. Every model module is imported here explicitly so that importing this package
registers all of them (registration is plain imports, never a filename lookup)."""

from __future__ import annotations

from recsys_core.models.base import (
    Callback,
    EpochReport,
    ModelConfig,
    Recommender,
    get_model_class,
    list_models,
    register,
)

# Registration: importing each module runs its @register.
from recsys_core.models.ranking import logistic  # noqa: F401,E402
from recsys_core.models.retrieval import (  # noqa: F401,E402
    bpr,
    content,
    ease,
    itemknn,
    last_item_knn,
    mf,
    popularity,
    precomputed,
)

__all__ = [
    "Callback",
    "EpochReport",
    "ModelConfig",
    "Recommender",
    "get_model_class",
    "list_models",
    "register",
]
