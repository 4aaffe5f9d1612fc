"""Weighted AUC: one sort of the negatives, then any number of row-weight sets at once.

A bootstrap over users reweights every row by how often its user was drawn, so the global AUC of R
resamples is R weighted AUCs of the same rows: ``pair_order`` places each positive among the
negatives once, and ``PairOrder.auc`` turns (R, N) weights into (R,) AUCs with a cumulative sum.
Shape legend: N rows, R weight sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys_core.types import BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class PairOrder:
    """Where each positive row stands among the negative rows by score, for weighted AUC.

    Attributes:
        negatives: (N_neg,) row indices of the negatives, by ascending score.
        positives: (N_pos,) row indices of the positives.
        below: (N_pos,) negatives scored strictly lower than each positive.
        up_to: (N_pos,) negatives scored lower than or equal to each positive.
    """

    negatives: IntArray
    positives: IntArray
    below: IntArray
    up_to: IntArray

    def auc(self, negative_weights: FloatArray, positive_weights: FloatArray) -> FloatArray:
        """(R,) AUC under R weight sets: (R, N_neg) weights of ``negatives``, (R, N_pos) of
        ``positives``; NaN where a weight set leaves one class empty.

        A positive of weight w adds w x (weight of the negatives below it + half the tied ones)
        = w x (cum[below] + cum[up_to]) / 2 over the negatives' cumulative weights.
        """
        negative_weights = np.asarray(negative_weights, dtype=np.float64)
        cumulative = np.zeros((len(negative_weights), negative_weights.shape[1] + 1))
        np.cumsum(negative_weights, axis=1, out=cumulative[:, 1:])
        ties_half = cumulative[:, self.below] + cumulative[:, self.up_to]
        numerator = 0.5 * (positive_weights * ties_half).sum(axis=1)
        denominator = np.asarray(positive_weights, dtype=np.float64).sum(axis=1) * cumulative[:, -1]
        out = np.full(len(negative_weights), np.nan)
        np.divide(numerator, denominator, out=out, where=denominator > 0)
        return out


def pair_order(positive: BoolArray, scores: FloatArray) -> PairOrder:
    """The ``PairOrder`` of N rows: one sort of the negatives' scores and two binary searches."""
    positive = np.asarray(positive, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    negatives = np.flatnonzero(~positive)
    negatives = negatives[np.argsort(scores[negatives], kind="stable")]
    positives = np.flatnonzero(positive)
    ranked = scores[negatives]
    return PairOrder(
        negatives=negatives,
        positives=positives,
        below=np.searchsorted(ranked, scores[positives], side="left"),
        up_to=np.searchsorted(ranked, scores[positives], side="right"),
    )


def weighted_auc(row_weights: FloatArray, positive: BoolArray, scores: FloatArray) -> FloatArray:
    """(R,) AUC of the same N rows under R sets of row weights (ties counting half), e.g. one set
    per bootstrap resample (each row weighted by how often its user was drawn).

    Args:
        row_weights: (R, N) non-negative weights.
        positive: (N,) True for positive rows.
        scores: (N,) model scores.
    """
    order = pair_order(positive, scores)
    weights = np.asarray(row_weights, dtype=np.float64)
    return order.auc(weights[:, order.negatives], weights[:, order.positives])
