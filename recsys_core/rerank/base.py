"""The re-ranking protocol: candidate lists, what re-rankers may read, and the three phases.

Re-rankers never retrain a run: they work on its top-N candidates (``Candidates``) for the
evaluated users, with side information gathered once (``RerankContext``). Each is a
``<Name>Config`` (a frozen ``Config`` whose ``weight`` field is 0 when off) plus a ``Reranker``
subclass registered with ``@register_reranker``, in one of three phases that a pipeline runs in
this order:

1. ``filter``: ``drop(candidates, context) -> (B, N) bool`` marks items to remove.
2. ``score``: ``transform(relevance, candidates, context) -> (B, N)`` returns new relevance.
3. ``list``: ``order(relevance, candidates, context, k) -> (B, N)`` returns a permutation of each
   row's columns whose first ``k`` entries are the chosen list (built greedily), the rest kept in
   incoming order; list builders run in ``LIST_ORDER`` so that constraints (genre balance,
   fairness) come last and hold in the final list.

Everything is vectorised over users (B rows at once); a loop runs over list positions (k), never
over users. Shape legend: B users, N candidates, K list length, I items, G genres, D dim.
"""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self, TypeVar

import numpy as np
import scipy.sparse as sp

from recsys_core.config import Config, param
from recsys_core.errors import ConfigError
from recsys_core.types import BoolArray, FloatArray, IntArray

Phase = Literal["filter", "score", "list"]
#: Order of the list builders within the ``list`` phase: objectives first, constraints last.
LIST_ORDER: tuple[str, ...] = ("genre_calibration", "mmr", "genre_balance", "fairness")


@dataclass(frozen=True)
class Candidates:
    """Top-N candidates of a run for B users, best first, seen training items excluded.

    Attributes:
        user_idx: (B,) users.
        item_idx: (B, N) candidate items; -1 pads a row with fewer than N candidates.
        scores: (B, N) the run's scores of those items; -inf where padded.
    """

    user_idx: IntArray
    item_idx: IntArray
    scores: FloatArray

    def __post_init__(self) -> None:
        if self.item_idx.shape != self.scores.shape or self.item_idx.ndim != 2:
            raise ConfigError("candidates need (B, N) item_idx and scores of the same shape")
        if len(self.user_idx) != self.item_idx.shape[0]:
            raise ConfigError("candidates need one user per row")

    @property
    def valid(self) -> BoolArray:
        """(B, N) True where a real candidate stands (not padding)."""
        return self.item_idx >= 0

    def take(self, rows: IntArray) -> Candidates:
        """The candidates of a subset of the users (row positions)."""
        return Candidates(self.user_idx[rows], self.item_idx[rows], self.scores[rows])


@dataclass(frozen=True)
class RerankContext:
    """Side information re-rankers read, gathered once per run from its dataset and split.

    Arrays are indexed by item_idx (I) or user_idx (U) over the dataset's whole index space; all
    user-side facts come from the training split only, so nothing of the test window leaks.

    Attributes:
        n_items: I.
        item_genres: (I, G) multi-hot genres, or None when the catalogue has none.
        genre_names: (G,) names of the genre columns.
        item_age: (I,) age of each item in years at the end of the training window (release
            time or year), NaN where unknown; None when no item has one.
        item_vectors: (I, D) the run's item embeddings, or None when it has none.
        item_popularity: (I,) training interactions per item.
        long_tail: (I,) True for the protected group of fairness (items outside the 20% most
            interacted with in training, or a provider group on the synthetic catalogue).
        user_genres: (U, G) genre distribution of each user's training history (rows sum to 1,
            zero rows for users without history), or None.
        train_ratings: (U, I) training ratings (0 where unrated), or None for implicit data.
        item_ids: (I,) raw item ids, for block lists.
        extras: named arrays a particular re-ranker needs (e.g. another run's scores).
    """

    n_items: int
    item_genres: FloatArray | None
    genre_names: tuple[str, ...]
    item_age: FloatArray | None
    item_vectors: FloatArray | None
    item_popularity: FloatArray
    long_tail: BoolArray
    user_genres: FloatArray | None
    train_ratings: sp.csr_matrix | None
    item_ids: np.ndarray
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RerankerConfig(Config):
    """Base of every re-ranker config: its weight, 0 meaning off."""

    weight: float = param(0.0, "Strength of this re-ranker (0: off).", min=0.0, max=1.0)


class Reranker(ABC):
    """Base of every re-ranker: a config, a phase, and the phase's one method.

    Subclasses set ``name`` (the CLI and URL key), ``label``, ``phase``, ``config_class`` and
    ``source`` (the paper or practice it follows), and override the method of their phase:
    ``drop`` (filter), ``transform`` (score) or ``order`` (list). ``prepare`` may precompute from
    the context once (e.g. fit a classifier on the training split).
    """

    name: ClassVar[str]
    label: ClassVar[str]
    phase: ClassVar[Phase]
    source: ClassVar[str]
    config_class: ClassVar[type[RerankerConfig]] = RerankerConfig
    #: True when a weight alone does nothing and options must be set too (a block list), so a
    #: weight slider on its own would mislead.
    needs_options: ClassVar[bool] = False

    def __init__(self, config: RerankerConfig | None = None, **overrides: Any) -> None:
        base = config.to_dict() if config is not None else {}
        self.config = self.config_class.from_dict({**base, **overrides})

    @property
    def active(self) -> bool:
        """Whether the re-ranker changes anything (its weight is above 0)."""
        return self.config.weight > 0

    @classmethod
    def unavailable_reason(cls, context: RerankContext) -> str | None:
        """Why this re-ranker cannot act on ``context``'s data (None: it can), in UI words.

        A re-ranker that learns from logged impressions, for example, has nothing to learn from
        on MovieLens; the dashboard then shows its slider disabled with this reason.
        """
        return None

    def prepare(self, context: RerankContext) -> Self:
        """Precompute what depends only on the context (default: nothing); returns self."""
        return self

    def drop(self, candidates: Candidates, context: RerankContext) -> BoolArray:
        """(B, N) True for candidates to remove (filters)."""
        raise NotImplementedError(f"{self.name} is a {self.phase} re-ranker, not a filter")

    def transform(
        self, relevance: FloatArray, candidates: Candidates, context: RerankContext
    ) -> FloatArray:
        """(B, N) new relevance from the current (B, N) relevance (score transforms)."""
        raise NotImplementedError(f"{self.name} is a {self.phase} re-ranker, not a score transform")

    def order(
        self, relevance: FloatArray, candidates: Candidates, context: RerankContext, k: int
    ) -> IntArray:
        """(B, N) column permutation whose first k columns are the built list (list builders).

        ``relevance`` is -inf for dropped or padded candidates; those must not enter the top k.
        """
        raise NotImplementedError(f"{self.name} is a {self.phase} re-ranker, not a list builder")


_RERANKERS: dict[str, type[Reranker]] = {}
RerankerT = TypeVar("RerankerT", bound=type[Reranker])


def register_reranker(cls: RerankerT) -> RerankerT:
    """Class decorator: add a re-ranker to the registry of re-rankers under ``cls.name``."""
    if cls.name in _RERANKERS and _RERANKERS[cls.name] is not cls:
        raise ConfigError(f"two re-rankers are registered as {cls.name!r}")
    if cls.phase == "list" and cls.name not in LIST_ORDER:
        raise ConfigError(f"list builder {cls.name!r} needs a place in LIST_ORDER")
    _RERANKERS[cls.name] = cls
    return cls


def get_reranker_class(name: str) -> type[Reranker]:
    """The re-ranker registered as ``name``; the error lists the valid names."""
    try:
        return _RERANKERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown re-ranker {name!r}; choose one of: {', '.join(sorted(_RERANKERS))}"
        ) from None


def list_rerankers() -> list[str]:
    """Registered re-ranker names in pipeline order (filters, score transforms, list builders)."""
    phase_rank = {"filter": 0, "score": 1, "list": 2}

    def key(name: str) -> tuple[int, int, str]:
        cls = _RERANKERS[name]
        within = LIST_ORDER.index(name) if cls.phase == "list" else 0
        return phase_rank[cls.phase], within, name

    return sorted(_RERANKERS, key=key)


def normalise_scores(scores: FloatArray) -> FloatArray:
    """Per-user min-max scaling of (B, N) scores to [0, 1]; -inf (padding) stays -inf.

    Re-rankers mix relevance with other terms, so relevance must be on one scale for every run;
    a row whose finite scores are all equal becomes 1.0.
    """
    finite = np.isfinite(scores)
    low = np.where(finite, scores, np.inf).min(axis=1, keepdims=True)
    high = np.where(finite, scores, -np.inf).max(axis=1, keepdims=True)
    span = np.where(high > low, high - low, 1.0)
    scaled = np.where(finite, (scores - np.where(np.isfinite(low), low, 0.0)) / span, -np.inf)
    return np.where(finite & (high == low), 1.0, scaled).astype(np.float64)
