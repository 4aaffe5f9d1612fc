"""Evaluate a fitted model on a split under a protocol: the one evaluation truth of RecScope.

Full ranking over the whole catalogue by default, items seen in training excluded, relevance as the
protocol defines it. Sampled evaluation (each test item against fixed sampled negatives) only when
asked for, and labelled as such by ``TopKEvaluation.mode``. Ranking models (``stage ==
"ranking"``) are also evaluated pointwise (AUC, GAUC, log loss) on the test split; models that
predict ratings get RMSE and MAE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recsys_core.data.dataset import TrainSplit
from recsys_core.data.labels import LabelledRows, split_labels
from recsys_core.data.protocols import Protocol
from recsys_core.data.splits import SplitData
from recsys_core.evaluation.beyond import BeyondInputs
from recsys_core.evaluation.metrics import mae, rmse
from recsys_core.evaluation.pointwise import PointwiseEvaluation, evaluate_pointwise
from recsys_core.evaluation.sampled import evaluate_sampled, sample_negatives
from recsys_core.evaluation.scorer import Scorer
from recsys_core.evaluation.topk import TopKEvaluation, evaluate_topk
from recsys_core.types import FloatArray, IntArray

#: Users whose lists are computed at once; bounds memory of the (B, I) score block.
RECOMMEND_BATCH = 2048
#: Sampled negatives per test positive for pointwise evaluation when the test rows carry no label.
POINTWISE_NEGATIVES = 4


@dataclass(frozen=True)
class EvaluationResult:
    """Full-ranking evaluation, optional sampled evaluation, rating errors and pointwise metrics.

    Attributes:
        full: top-N under full ranking.
        sampled: top-N against sampled negatives, when asked for.
        rating_errors: ``rmse`` and ``mae`` of a model that predicts ratings, else empty.
        pointwise: AUC, GAUC and log loss of a ranking model, else None.
    """

    full: TopKEvaluation
    sampled: TopKEvaluation | None
    rating_errors: dict[str, float]
    pointwise: PointwiseEvaluation | None = None

    def headline(self) -> dict[str, float]:
        """Every aggregate metric in one flat dict (sampled ones prefixed ``sampled_``; pointwise
        ones with their interval as ``auc_lo``/``auc_hi``)."""
        metrics = dict(self.full.means())
        if self.sampled is not None:
            metrics.update({f"sampled_{k}": v for k, v in self.sampled.means().items()})
        metrics.update(self.rating_errors)
        if self.pointwise is not None:
            metrics.update(self.pointwise.headline())
        return metrics


def relevance_matrix(test: TrainSplit, protocol: Protocol) -> sp.csr_matrix:
    """(U, I) gains of the relevant test rows: the rating where there is one, else 1.0."""
    keep = np.ones(len(test), dtype=bool)
    if protocol.relevant_min_rating is not None and test.rating is not None:
        keep = test.rating >= protocol.relevant_min_rating
    gains = test.rating[keep] if test.rating is not None else np.ones(int(keep.sum()))
    truth = sp.csr_matrix(
        (np.asarray(gains, dtype=np.float32), (test.user_idx[keep], test.item_idx[keep])),
        shape=(test.n_users, test.n_items),
    )
    truth.sum_duplicates()
    return truth


def evaluated_users(truth: sp.csr_matrix) -> IntArray:
    """Users with at least one relevant test item (others have no defined recall or nDCG)."""
    return np.flatnonzero(np.diff(truth.indptr) > 0).astype(np.int64)


def recommend_users(model: Scorer, users: IntArray, k: int) -> IntArray:
    """(B, K) top-k lists for ``users``, seen items excluded, computed in batches."""
    lists = [
        model.recommend(users[start : start + RECOMMEND_BATCH], k).item_idx
        for start in range(0, len(users), RECOMMEND_BATCH)
    ]
    return np.concatenate(lists) if lists else np.zeros((0, k), dtype=np.int64)


def evaluate_model(
    model: Scorer,
    split: SplitData,
    protocol: Protocol,
    *,
    ks: Sequence[int] = (5, 10, 20),
    item_vectors: FloatArray | None = None,
    sampled_negatives: int | None = None,
    seed: int = 0,
    pointwise_negatives: int = POINTWISE_NEGATIVES,
    beyond: BeyondInputs | None = None,
) -> EvaluationResult:
    """Evaluate ``model`` on ``split.test`` under ``protocol``.

    Every model gets top-N metrics; a ranking model (``stage == "ranking"``) also gets AUC, GAUC
    and log loss on the test split, and a model that predicts ratings RMSE and MAE.

    Args:
        model: a fitted model.
        split: the split it was fitted on.
        protocol: relevance rule and k.
        ks: list lengths to report (the protocol's k is always included).
        item_vectors: (I, D) vectors for intra-list diversity (e.g. multi-hot genres), or None.
        sampled_negatives: also run the sampled protocol with this many negatives per test item.
        seed: seed of the bootstrap-free parts that sample (the sampled negatives).
        pointwise_negatives: negatives per test positive for the pointwise metrics of a ranking
            model when the test rows carry no label; drawn with the split's seed.
        beyond: long tail, genre distributions and item ages of the split's training window
            (``evaluation.beyond.beyond_inputs``) for tail_share, genre_kl and mean_item_age.
    """
    ks = tuple(sorted(set(ks) | {protocol.k}))
    truth = relevance_matrix(split.test, protocol)
    users = evaluated_users(truth)
    recs = recommend_users(model, users, max(ks))
    full = evaluate_topk(
        recs,
        users,
        truth,
        ks,
        item_popularity=split.train.item_counts().astype(np.float64),
        n_train_users=int((split.train.user_counts() > 0).sum()),
        item_vectors=item_vectors,
        **(beyond.topk_inputs() if beyond is not None else {}),
    )
    sampled = None
    if sampled_negatives:
        sampled = _evaluate_sampled(model, split, truth, sampled_negatives, ks, seed)
    pointwise = None
    if model.stage == "ranking":
        pointwise = evaluate_pointwise_rows(
            model, split, truth, pointwise_negatives, protocol.split.seed
        )
    return EvaluationResult(
        full=full, sampled=sampled, rating_errors=_rating_errors(model, split), pointwise=pointwise
    )


def evaluate_pointwise_rows(
    model: Scorer,
    split: SplitData,
    truth: sp.csr_matrix,
    n_negatives: int,
    seed: int,
) -> PointwiseEvaluation:
    """AUC, GAUC and log loss of a model on the test split.

    The test split's own 0/1 rows when it has both classes of them (``data.labels.split_labels``:
    rated rows under a rating threshold, else the test window's logged impressions); otherwise the
    relevant test pairs are the positives and ``n_negatives`` items each user never
    interacted with, drawn per positive with ``seed`` (the split's, so every model faces the same
    negatives), are the negatives, and the result says it used sampled negatives.

    Args:
        model: a fitted model.
        split: the split it was fitted on.
        truth: (U, I) relevant test pairs (``relevance_matrix``).
        n_negatives: negatives per positive when the test rows carry no usable label.
        seed: seed of the negative draw.
    """
    rows, sampled = pointwise_rows(split, split.test, truth, n_negatives, seed)
    scores = model.score(rows.user_idx, rows.item_idx)
    # Ranking models score logits by contract (models.ranking_base): never guess from the values.
    return evaluate_pointwise(
        rows.user_idx,
        rows.label.astype(np.float64),
        scores,
        probabilities=False,
        n_negatives=sampled,
        rows=rows.source,
    )


def pointwise_rows(
    split: SplitData, part: TrainSplit, truth: sp.csr_matrix, n_negatives: int, seed: int
) -> tuple[LabelledRows, int | None]:
    """The labelled rows of one part of a split (test for evaluation, validation to calibrate).

    The part's own 0/1 rows when it has both classes (``data.labels.split_labels``); otherwise its
    relevant pairs (``truth``) as positives with ``n_negatives`` items each that the user never
    interacted with anywhere in the split, drawn with ``seed``.

    Returns:
        The rows, and the negatives drawn per positive (None when the rows carried labels).
    """
    own = split_labels(part)
    if own is not None:
        return own, None
    coo = truth.tocoo()
    users = coo.row.astype(np.int64)
    negatives = sample_negatives(users, _known(split), n_negatives, seed)
    rows = LabelledRows(
        np.concatenate([users, np.repeat(users, n_negatives)]),
        np.concatenate([coo.col.astype(np.int64), negatives.reshape(-1)]),
        np.concatenate([np.ones(len(users)), np.zeros(negatives.size)]).astype(np.float32),
        "test positives" if part is split.test else "relevant pairs",
    )
    return rows, n_negatives


def evaluate_sampled_run(
    model: Scorer,
    split: SplitData,
    protocol: Protocol,
    n_negatives: int,
    ks: Sequence[int],
    seed: int,
) -> TopKEvaluation:
    """Sampled-negative evaluation of a fitted model on its split, apart from a full evaluation.

    Used to re-evaluate saved runs: with the same split and seed every model faces the same
    negatives, so their sampled numbers are comparable with one another (never with full ranking).
    """
    ks = tuple(sorted(set(ks) | {protocol.k}))
    truth = relevance_matrix(split.test, protocol)
    return _evaluate_sampled(model, split, truth, n_negatives, ks, seed)


def _known(split: SplitData) -> sp.csr_matrix:
    """(U, I) every interaction of the split (train, validation and test): never a negative."""
    known = (split.train.csr() + split.test.csr()).tocsr()
    if split.valid is not None:
        known = (known + split.valid.csr()).tocsr()
    return known


def _evaluate_sampled(
    model: Scorer,
    split: SplitData,
    truth: sp.csr_matrix,
    n_negatives: int,
    ks: Sequence[int],
    seed: int,
) -> TopKEvaluation:
    """Rank each relevant test item against ``n_negatives`` fixed sampled non-interacted items."""
    coo = truth.tocoo()
    pair_users = coo.row.astype(np.int64)
    pair_items = coo.col.astype(np.int64)
    negatives = sample_negatives(pair_users, _known(split), n_negatives, seed)
    pos_scores = model.score(pair_users, pair_items)
    neg_scores = model.score(
        np.repeat(pair_users, negatives.shape[1]), negatives.reshape(-1)
    ).reshape(negatives.shape)
    return evaluate_sampled(pos_scores, neg_scores, pair_users, ks)


def _rating_errors(model: Scorer, split: SplitData) -> dict[str, float]:
    """RMSE and MAE on the test ratings, for models that predict ratings."""
    if not model.predicts_ratings or split.test.rating is None:
        return {}
    predicted = model.score(split.test.user_idx, split.test.item_idx)
    return {
        "rmse": rmse(split.test.rating, predicted),
        "mae": mae(split.test.rating, predicted),
    }
