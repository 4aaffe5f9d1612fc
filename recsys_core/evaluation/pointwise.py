"""Pointwise evaluation of scored rows: AUC, log loss and per-user GAUC, with bootstrap intervals.

A ranking model scores (user, item) rows that carry a 0/1 label. AUC ranks all rows at once; GAUC
(Zhou et al., "Deep Interest Network for Click-Through Rate Prediction", KDD 2018) is the
impression-weighted mean of per-user AUC over the users that have both classes, so a model is not
rewarded for merely telling active users from quiet ones. Per-user AUC comes from one sort of the
rows by (user, score) and rank sums (Mann-Whitney U, ties counting half): no loop per user.

Intervals are percentile bootstraps over users (a resampled user brings all of its rows), drawn
with ``intervals.resample_counts`` so the three metrics see the same resamples of the same users.
Shape legend: N rows, B users, R resamples.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from recsys_core.errors import DataError
from recsys_core.evaluation.auc import pair_order
from recsys_core.evaluation.intervals import percentile_bounds, resample_counts
from recsys_core.evaluation.metrics import binary_cross_entropy, roc_auc
from recsys_core.types import BoolArray, FloatArray, IntArray

#: Headline names of the pointwise metrics, in display order.
POINTWISE_METRICS: tuple[str, ...] = ("auc", "gauc", "logloss")
#: Row weights materialised per block (resamples x N) when bootstrapping the global AUC.
AUC_BLOCK_ENTRIES = 4_000_000


@dataclass(frozen=True)
class PointwiseEvaluation:
    """Pointwise metrics of one run's scored rows, with the per-user arrays kept for pairing.

    Attributes:
        users: (B,) user indices that have at least one row, ascending.
        n_rows: (B,) rows (impressions) of each user: the GAUC weights.
        n_positive: (B,) positive rows of each user.
        auc: (B,) per-user AUC; NaN for a user whose rows are all of one class.
        logloss: (B,) per-user mean log loss.
        values: ``auc``, ``gauc`` and ``logloss`` over all rows.
        intervals: the same names -> (low, high) bootstrap interval over users.
        n_negatives: sampled negatives per positive when the labels were not given (the test rows
            were the positives), None when the rows carried their own labels.
        sigmoid: True when log loss was computed on sigmoid(score) because the scores are not
            probabilities.
        rows: what the scored rows are ("logged impressions, label = clicked", ...); None for the
            generic wording.
        confidence: level of the intervals.
    """

    users: IntArray
    n_rows: IntArray
    n_positive: IntArray
    auc: FloatArray
    logloss: FloatArray
    values: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    n_negatives: int | None = None
    sigmoid: bool = False
    confidence: float = 0.95
    rows: str | None = None

    def label(self) -> str:
        """How the numbers were obtained, to show beside them (sampled negatives, sigmoid)."""
        if self.n_negatives is None:
            text = f"pointwise on the test split's {self.rows or 'labelled rows'}"
        else:
            rows = self.rows or "test positives"
            text = f"pointwise on {rows} with {self.n_negatives} sampled negatives each"
        if self.sigmoid:
            text += "; log loss on sigmoid(score), as the scores are not probabilities"
        return text

    def headline(self) -> dict[str, float]:
        """``auc``, ``auc_lo``, ``auc_hi``, ``gauc``, ... ``logloss_hi`` in one flat dict."""
        out: dict[str, float] = {}
        for name in POINTWISE_METRICS:
            low, high = self.intervals[name]
            out.update({name: self.values[name], f"{name}_lo": low, f"{name}_hi": high})
        return out

    def summary(self) -> pd.DataFrame:
        """One row per metric: metric, mean, ci_low, ci_high, n_users, protocol (as ``summarise``).

        ``n_users`` of gauc counts only the users with both classes, the ones it averages.
        """
        counted = {
            "auc": len(self.users),
            "gauc": int((~np.isnan(self.auc)).sum()),
            "logloss": len(self.users),
        }
        rows = [
            (name, self.values[name], *self.intervals[name], counted[name])
            for name in POINTWISE_METRICS
        ]
        frame = pd.DataFrame(rows, columns=["metric", "mean", "ci_low", "ci_high", "n_users"])
        frame["protocol"] = self.label()
        frame.attrs["protocol"] = self.label()
        return frame

    def to_frame(self) -> pd.DataFrame:
        """One row per user: user_idx, n_rows, n_positive, auc, logloss."""
        return pd.DataFrame(
            {
                "user_idx": np.asarray(self.users, dtype=np.int64),
                "n_rows": self.n_rows,
                "n_positive": self.n_positive,
                "auc": self.auc,
                "logloss": self.logloss,
            }
        )


def _check_rows(
    user_idx: IntArray, labels: FloatArray, scores: FloatArray
) -> tuple[IntArray, BoolArray, FloatArray]:
    """int64 users, boolean positives and float64 scores of N rows, validated."""
    users = np.asarray(user_idx)
    labels = np.asarray(labels, dtype=np.float64).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if users.ndim != 1 or not np.issubdtype(users.dtype, np.integer):
        raise DataError("user_idx must be a 1-D array of integer user indices")
    if not (len(users) == len(labels) == len(scores)) or len(users) == 0:
        raise DataError(
            f"pointwise evaluation needs non-empty user_idx, labels and scores of one length; "
            f"got {len(users)}, {len(labels)} and {len(scores)}"
        )
    if not np.isfinite(scores).all():
        raise DataError("pointwise evaluation got NaN or infinite scores; check model.score()")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise DataError("pointwise labels must be 0 or 1; binarise graded feedback first")
    return users.astype(np.int64), labels > 0, scores


def per_user_auc(
    inverse: IntArray, positive: BoolArray, scores: FloatArray, n_users: int
) -> tuple[FloatArray, IntArray, IntArray]:
    """(B,) AUC of each user's rows, and (B,) rows and positives per user.

    Rows are sorted by (user, score); tied scores of a user share their average rank, and the
    positives' rank sum gives the Mann-Whitney U, so AUC_u = (R_u - P_u (P_u + 1) / 2) /
    (P_u N_u). NaN for a user with no positive or no negative row.

    Args:
        inverse: (N,) user position of each row in [0, B).
        positive: (N,) True for positive rows.
        scores: (N,) model scores.
        n_users: B.
    """
    order = np.lexsort((scores, inverse))
    user, score, pos = inverse[order], scores[order], positive[order].astype(np.float64)
    n_rows = np.bincount(inverse, minlength=n_users)
    user_start = np.concatenate([[0], np.cumsum(n_rows)[:-1]])
    new_group = np.ones(len(order), dtype=bool)
    new_group[1:] = (user[1:] != user[:-1]) | (score[1:] != score[:-1])
    first = np.flatnonzero(new_group)
    last = np.append(first[1:], len(order)) - 1
    mid_rank = ((first + last) / 2.0)[np.cumsum(new_group) - 1] - user_start[user] + 1.0
    n_pos = np.bincount(user, weights=pos, minlength=n_users)
    rank_sum = np.bincount(user, weights=mid_rank * pos, minlength=n_users)
    n_neg = n_rows - n_pos
    auc = np.full(n_users, np.nan)
    both = (n_pos > 0) & (n_neg > 0)
    auc[both] = (rank_sum[both] - n_pos[both] * (n_pos[both] + 1.0) / 2.0) / (
        n_pos[both] * n_neg[both]
    )
    return auc, n_rows.astype(np.int64), n_pos.astype(np.int64)


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Elementwise numerator / denominator, NaN where the denominator is 0."""
    out = np.full(np.shape(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _bootstrap(
    count_blocks: Iterable[IntArray],
    inverse: IntArray,
    positive: BoolArray,
    scores: FloatArray,
    gauc_parts: tuple[FloatArray, FloatArray],
    loss_parts: tuple[FloatArray, FloatArray],
) -> FloatArray:
    """(R, 3) auc, gauc and logloss of every resample of the users.

    GAUC and log loss are ratios of per-user sums (impression-weighted AUC over impressions; loss
    over rows), so a resample is two matrix products; AUC weighs each row by its user's count.
    """
    step = max(1, AUC_BLOCK_ENTRIES // len(inverse))
    order = pair_order(positive, scores)
    negative_users, positive_users = inverse[order.negatives], inverse[order.positives]
    parts = []
    for counts in count_blocks:
        counts = counts.astype(np.float64)
        auc = np.concatenate(
            [
                order.auc(block[:, negative_users], block[:, positive_users])
                for block in (counts[start : start + step] for start in range(0, len(counts), step))
            ]
        )
        gauc = _ratio(counts @ gauc_parts[0], counts @ gauc_parts[1])
        logloss = _ratio(counts @ loss_parts[0], counts @ loss_parts[1])
        parts.append(np.column_stack([auc, gauc, logloss]))
    return np.concatenate(parts)


def evaluate_pointwise(
    user_idx: IntArray,
    labels: FloatArray,
    scores: FloatArray,
    *,
    probabilities: bool | None = None,
    n_negatives: int | None = None,
    rows: str | None = None,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
) -> PointwiseEvaluation:
    """AUC, GAUC and log loss of scored rows, each with a bootstrap interval over users.

    Args:
        user_idx: (N,) user of each row.
        labels: (N,) 0/1 targets.
        scores: (N,) model scores.
        probabilities: whether the scores are probabilities; None decides from the values (all
            in [0, 1]). Log loss is computed on sigmoid(score) otherwise, and the label says so.
        n_negatives: sampled negatives per positive, when the 0 rows were sampled (labels it).
        rows: what the rows are, for the label.
        confidence: level of the intervals.
        n_resamples: bootstrap resamples.
        seed: bootstrap seed.

    Returns:
        A ``PointwiseEvaluation``; gauc is NaN when no user has both classes.
    """
    users, positive, scores = _check_rows(user_idx, labels, scores)
    if probabilities is None:
        probabilities = bool(((scores >= 0.0) & (scores <= 1.0)).all())
    probs = scores if probabilities else expit(scores)
    row_loss = binary_cross_entropy(positive.astype(np.float64), probs)
    unique_users, inverse = np.unique(users, return_inverse=True)
    auc_u, n_rows, n_pos = per_user_auc(inverse, positive, scores, len(unique_users))
    loss_sum = np.bincount(inverse, weights=row_loss, minlength=len(unique_users))
    both = ~np.isnan(auc_u)
    gauc_weights = np.where(both, n_rows, 0).astype(np.float64)
    gauc_numerator = gauc_weights * np.nan_to_num(auc_u)
    values = {
        "auc": roc_auc(positive.astype(np.float64), scores),
        "gauc": float(_ratio(gauc_numerator.sum(), gauc_weights.sum())),
        "logloss": float(row_loss.mean()),
    }
    resampled = _bootstrap(
        resample_counts(len(unique_users), n_resamples=n_resamples, seed=seed),
        inverse,
        positive,
        scores,
        (gauc_numerator, gauc_weights),
        (loss_sum, n_rows.astype(np.float64)),
    )
    low, high = percentile_bounds(resampled, confidence)
    return PointwiseEvaluation(
        users=unique_users,
        n_rows=n_rows,
        n_positive=n_pos,
        auc=auc_u,
        logloss=loss_sum / n_rows,
        values=values,
        intervals={
            name: (float(lo), float(hi))
            for name, lo, hi in zip(POINTWISE_METRICS, low, high, strict=True)
        },
        n_negatives=n_negatives,
        rows=rows,
        sigmoid=not probabilities,
        confidence=confidence,
    )
