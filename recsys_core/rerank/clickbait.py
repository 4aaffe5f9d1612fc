"""Clickbait filter: drop items whose exposure rarely turns into satisfaction.

Source: Covington, Adams & Sargin, "Deep Neural Networks for YouTube Recommendations", RecSys
2016 (ranking by clicks promotes deceptive videos users do not finish, "clickbait", so they rank
by watch time instead); Wang et al., "Clicks can be Cheating: Counterfactual Recommendation for
Mitigating Clickbait Issue", SIGIR 2021. Here, as in production practice, a small classifier of
items trained on the training split flags likely clickbait, and a filter removes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, Self

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from recsys_core.config import param
from recsys_core.rerank.base import (
    Candidates,
    Phase,
    RerankContext,
    Reranker,
    RerankerConfig,
    register_reranker,
)
from recsys_core.types import BoolArray, FloatArray, IntArray

LabelSource = Literal["impressions", "ratings"]
#: L-BFGS iterations allowed for the item classifier.
MAX_ITER = 1000


@dataclass(frozen=True)
class ClickbaitConfig(RerankerConfig):
    """Options of the clickbait filter; the weight sets the probability threshold."""

    weight: float = param(
        0.0,
        "Strictness of the filter (0: off): items whose predicted clickbait probability is at "
        "least 1 - weight are dropped (weight 0.2: only p >= 0.8; weight 1 drops every item "
        "once a classifier is fitted).",
        min=0.0,
        max=1.0,
    )
    min_evidence: int = param(
        3,
        "Training clicks (impressions) or ratings (without impressions) an item needs before "
        "it gets a label.",
        min=1,
    )
    rating_cut: float = param(
        3.0,
        "Mean training rating below which a much-rated item counts as clickbait (catalogues "
        "without impressions).",
        min=0.0,
    )
    min_per_class: int = param(
        5,
        "Labelled items each class needs before the classifier is fitted; with fewer, nothing "
        "is dropped.",
        min=1,
    )


@register_reranker
class Clickbait(Reranker):
    """Drop candidates a logistic regression over item features predicts to be clickbait.

    Labels come from the training split only. With training impressions that carry ``clicked``
    and a planted ``relevance`` (the synthetic catalogue, ``context.extras["train_impressions"]``)
    an item with at least ``min_evidence`` clicks is positive when the mean relevance of its
    clicked impressions is below the median over those items, negative otherwise. Without them
    (MovieLens) an item with at least ``min_evidence`` training ratings is positive when its
    rating count is in the top half (at least the median count) and its mean rating is below
    ``rating_cut``, negative otherwise. Other items are unlabelled.

    The classifier is scikit-learn's ``LogisticRegression`` (balanced class weights) on
    standardised item features: log(1 + training popularity), mean training rating (when there
    are ratings), genre multi-hot and item age (each when the context has them). It is fitted in
    ``prepare`` and predicts every item; nothing is saved, it is refitted from the context.
    Candidates with p_clickbait >= 1 - weight are dropped. With fewer than ``min_per_class``
    labelled items of either class there is no classifier and nothing is dropped
    (``label_source_`` and ``proba_`` are then None).
    """

    name: ClassVar[str] = "clickbait"
    label: ClassVar[str] = "Clickbait filter"
    phase: ClassVar[Phase] = "filter"
    source: ClassVar[str] = (
        'Covington et al., "Deep Neural Networks for YouTube Recommendations", RecSys 2016; '
        'Wang et al., "Clicks can be Cheating", SIGIR 2021 (clickbait vs satisfaction)'
    )
    config_class: ClassVar[type[RerankerConfig]] = ClickbaitConfig

    _context: RerankContext | None = None
    #: (I,) predicted clickbait probability of every item, or None without a classifier.
    proba_: FloatArray | None = None
    #: Where the labels came from, or None without a classifier.
    label_source_: LabelSource | None = None

    def labels(self, context: RerankContext) -> tuple[IntArray, LabelSource | None]:
        """(I,) labels (1 clickbait, 0 not, -1 unlabelled) and where they came from.

        Impression labels win when the training impressions yield any; otherwise ratings.
        """
        found = _click_labels(
            context.extras.get("train_impressions"), context.n_items, self.config.min_evidence
        )
        if found is not None:
            return found, "impressions"
        found = _rating_labels(context, self.config.min_evidence, self.config.rating_cut)
        if found is not None:
            return found, "ratings"
        return np.full(context.n_items, -1, dtype=np.int64), None

    def prepare(self, context: RerankContext) -> Self:
        """Label items from the training split and fit the classifier: ``proba_`` (I,) or None."""
        self._context = context
        self.proba_, self.label_source_ = None, None
        labels, source = self.labels(context)
        need = self.config.min_per_class
        if min((labels == 1).sum(), (labels == 0).sum()) < need:
            return self
        features = item_features(context)
        known = labels >= 0
        model = LogisticRegression(class_weight="balanced", max_iter=MAX_ITER)
        model.fit(features[known], labels[known])
        self.proba_ = model.predict_proba(features)[:, 1].astype(np.float64)
        self.label_source_ = source
        return self

    def drop(self, candidates: Candidates, context: RerankContext) -> BoolArray:
        """(B, N) True for real candidates with p_clickbait >= 1 - weight."""
        dropped = np.zeros(candidates.item_idx.shape, dtype=bool)
        if not self.active:
            return dropped
        if self._context is not context:
            self.prepare(context)
        if self.proba_ is None:
            return dropped
        # A -1 pad reads the last item's probability; ``valid`` masks it out.
        flagged = self.proba_[candidates.item_idx] >= 1.0 - self.config.weight
        return flagged & candidates.valid


def item_features(context: RerankContext) -> FloatArray:
    """(I, F) standardised item features: log popularity, mean rating, genres, age.

    The mean training rating column is there only with ratings (unrated items get the mean of
    the rated items' means), the age column only with a known age (unknown ages get the median).
    Columns are scaled to zero mean and unit variance over all items (constant columns to 0).
    """
    columns = [np.log1p(np.asarray(context.item_popularity, dtype=np.float64))]
    counts, means = _rating_stats(context)
    if counts is not None and means is not None and (counts > 0).any():
        columns.append(np.where(counts > 0, means, means[counts > 0].mean()))
    if context.item_genres is not None:
        columns.extend(np.asarray(context.item_genres, dtype=np.float64).T)
    if context.item_age is not None:
        age = np.asarray(context.item_age, dtype=np.float64)
        if np.isfinite(age).any():
            columns.append(np.where(np.isfinite(age), age, np.median(age[np.isfinite(age)])))
    features = np.column_stack(columns)
    spread = features.std(axis=0)
    return (features - features.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


def _click_labels(
    impressions: pd.DataFrame | None, n_items: int, min_clicks: int
) -> IntArray | None:
    """(I,) labels from clicked impressions' planted relevance, or None when there are none."""
    if impressions is None or not {"item_idx", "clicked", "relevance"} <= set(impressions):
        return None
    items = impressions["item_idx"].to_numpy(dtype=np.int64)
    relevance = pd.to_numeric(impressions["relevance"], errors="coerce").to_numpy(np.float64)
    clicked = impressions["clicked"].to_numpy(dtype=bool, na_value=False)
    keep = clicked & np.isfinite(relevance) & (items >= 0) & (items < n_items)
    clicks = np.bincount(items[keep], minlength=n_items)
    eligible = clicks >= min_clicks
    if not eligible.any():
        return None
    mean_relevance = np.bincount(items[keep], weights=relevance[keep], minlength=n_items)
    mean_relevance = mean_relevance / np.maximum(clicks, 1)
    median = np.median(mean_relevance[eligible])
    return np.where(eligible, (mean_relevance < median).astype(np.int64), -1)


def _rating_labels(context: RerankContext, min_ratings: int, rating_cut: float) -> IntArray | None:
    """(I,) labels from training ratings (much rated, low mean), or None without ratings."""
    counts, means = _rating_stats(context)
    if counts is None or means is None:
        return None
    eligible = counts >= min_ratings
    if not eligible.any():
        return None
    popular = counts >= np.median(counts[eligible])
    return np.where(eligible, (popular & (means < rating_cut)).astype(np.int64), -1)


def _rating_stats(context: RerankContext) -> tuple[FloatArray | None, FloatArray | None]:
    """(I,) training ratings per item and their mean (0 where unrated), or Nones without any."""
    if context.train_ratings is None:
        return None, None
    ratings = context.train_ratings.tocsc(copy=True)
    ratings.eliminate_zeros()  # a stored 0 means unrated, as in the context's contract
    counts = np.diff(ratings.indptr).astype(np.float64)
    sums = np.asarray(ratings.sum(axis=0)).ravel()
    return counts, sums / np.maximum(counts, 1.0)
