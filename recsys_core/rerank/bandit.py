"""Bandit personalization: a contextual bandit re-orders the head of each list.

Source: Li, Chu, Langford & Schapire, "A Contextual-Bandit Approach to Personalized News Article
Recommendation", WWW 2010 (LinUCB); Agrawal & Goyal, "Thompson Sampling for Contextual Bandits
with Linear Payoffs", ICML 2013. The policy (``recsys_core.bandits.linear``) learns a click model
over user and item features from the training window's logged impressions; how well it does is
measured offline with ``recsys_core.bandits.evaluation`` (replay, IPS, SNIPS against the planted
truth of the synthetic catalogue).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from recsys_core.bandits.features import FeatureMap
from recsys_core.bandits.linear import POLICIES, LinearPolicy, make_policy
from recsys_core.config import param
from recsys_core.rerank.base import (
    Candidates,
    Phase,
    RerankContext,
    Reranker,
    RerankerConfig,
    normalise_scores,
    register_reranker,
)
from recsys_core.types import FloatArray

#: Columns of the training impressions the policy learns from.
_NEEDED = frozenset({"user_idx", "item_idx", "position", "clicked"})
#: What the dashboard shows beside a disabled slider.
UNAVAILABLE = (
    "needs logged impressions with clicks to learn from (the synthetic catalogue has them; "
    "MovieLens and imported ratings do not)"
)
#: Gap kept between the head's lowest relevance and the best of the rest.
_MARGIN = 1e-9


@dataclass(frozen=True)
class BanditConfig(RerankerConfig):
    """Options of the bandit re-ranker: its weight, the policy and the policy's options."""

    weight: float = param(
        0.0,
        "Share of the bandit's score in the relevance of the head of the list (0: off; 1: the "
        "head is ordered by the bandit alone).",
        min=0.0,
        max=1.0,
    )
    policy: str = param(
        "linucb",
        "linucb: upper confidence bound; thompson: one posterior sample per user.",
        choices=tuple(POLICIES),
    )
    head: int = param(
        10, "How many of the top candidates (by current relevance) the bandit re-orders.", min=1
    )
    alpha: float = param(
        1.0, "LinUCB: width of the confidence bonus (0: greedy).", min=0.0, max=100.0
    )
    scale: float = param(
        1.0, "Thompson: posterior scale v of the samples (0: greedy).", min=0.0, max=100.0
    )
    ridge: float = param(1.0, "Ridge penalty lambda of the click model.", min=1e-6)
    seed: int = param(0, "Thompson: seed of the posterior samples.", min=0)


@register_reranker
class Bandit(Reranker):
    """Re-order the top ``head`` candidates by a mix of relevance and a bandit's score.

    ``prepare`` fits the policy on ``context.extras["train_impressions"]`` (every position, clicks
    as rewards, a position one-hot so position bias is learnt) with features from the context's
    user genre shares, item genres and training popularity (``bandits.features``). ``transform``
    scores each user's head at position 1 (the UCB for LinUCB; for Thompson, a posterior sample
    that depends only on the seed and the user, so a user's list is stable across reruns),
    normalises the scores per user to [0, 1] and sets the head's relevance to
    ``(1 - w) * relevance + w * score``, shifted up where needed so the head stays above the
    rest; the rest is unchanged. Without training impressions with clicks (MovieLens) it does
    nothing (``unavailable_reason`` says why).
    """

    name: ClassVar[str] = "bandit"
    label: ClassVar[str] = "Bandit personalization"
    phase: ClassVar[Phase] = "score"
    source: ClassVar[str] = (
        'Li et al., "A Contextual-Bandit Approach to Personalized News Article Recommendation", '
        'WWW 2010 (LinUCB); Agrawal & Goyal, "Thompson Sampling for Contextual Bandits with Linear '
        'Payoffs", ICML 2013'
    )
    config_class: ClassVar[type[RerankerConfig]] = BanditConfig

    _context: RerankContext | None = None
    #: The fitted policy, or None when the context has nothing to learn from.
    policy_: LinearPolicy | None = None
    features_: FeatureMap | None = None

    @classmethod
    def unavailable_reason(cls, context: RerankContext) -> str | None:
        """None with training impressions that carry clicks, else why not (UI words)."""
        train = context.extras.get("train_impressions")
        if not isinstance(train, pd.DataFrame) or len(train) == 0:
            return UNAVAILABLE
        if not _NEEDED <= set(train.columns) or train["clicked"].isna().all():
            return UNAVAILABLE
        return None

    def prepare(self, context: RerankContext) -> Self:
        """Fit the policy on the training impressions (``policy_`` None when unavailable)."""
        self._context = context
        self.policy_, self.features_ = None, None
        if self.unavailable_reason(context) is not None:
            return self
        train: pd.DataFrame = context.extras["train_impressions"]
        train = train[train["clicked"].notna()]
        features = FeatureMap.build(
            context.item_popularity,
            context.item_genres,
            context.user_genres,
            int(train["position"].max()),
        )
        rows = features.rows(
            train["user_idx"].to_numpy(np.int64),
            train["item_idx"].to_numpy(np.int64),
            train["position"].to_numpy(np.int64),
        )
        self.policy_ = make_policy(self.config.policy, **self._policy_options()).fit(
            rows, train["clicked"].to_numpy(np.float64)
        )
        self.features_ = features
        return self

    def _policy_options(self) -> dict[str, Any]:
        config: BanditConfig = self.config  # type: ignore[assignment]
        if config.policy == "linucb":
            return {"alpha": config.alpha, "ridge": config.ridge}
        return {"scale": config.scale, "ridge": config.ridge, "seed": config.seed}

    def transform(
        self, relevance: FloatArray, candidates: Candidates, context: RerankContext
    ) -> FloatArray:
        """(B, N) relevance with the head re-scored; unchanged when off or unavailable."""
        if not self.active:
            return relevance
        if self._context is not context:
            self.prepare(context)
        if self.policy_ is None or self.features_ is None:
            return relevance
        head = min(int(self.config.head), relevance.shape[1])  # type: ignore[attr-defined]
        order = np.argsort(-relevance, axis=1, kind="stable")[:, :head]
        head_relevance = np.take_along_axis(relevance, order, axis=1)
        items = np.take_along_axis(candidates.item_idx, order, axis=1)
        in_head = np.isfinite(head_relevance) & (items >= 0)
        users = np.broadcast_to(candidates.user_idx[:, None], items.shape)[in_head]
        rows = self.features_.rows(users, items[in_head], np.ones(len(users), dtype=np.int64))
        scores = np.full(items.shape, -np.inf)
        scores[in_head] = self.policy_.score(rows, users)
        weight = float(self.config.weight)
        bandit = np.where(in_head, normalise_scores(scores), 0.0)
        mixed = (1.0 - weight) * np.where(in_head, head_relevance, 0.0) + weight * bandit
        rest = relevance.copy()
        np.put_along_axis(rest, order, -np.inf, axis=1)
        rest_best = rest.max(axis=1)
        lowest = np.where(in_head, mixed, np.inf).min(axis=1)
        lift = np.where(
            np.isfinite(rest_best) & np.isfinite(lowest),
            np.maximum(0.0, rest_best + _MARGIN - lowest),
            0.0,
        )
        out = relevance.astype(np.float64, copy=True)
        np.put_along_axis(out, order, np.where(in_head, mixed + lift[:, None], head_relevance), 1)
        return out
