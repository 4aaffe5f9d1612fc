"""Re-rank every evaluated test user of a saved run and measure the lists before and after.

``RerankSession.open(run_id)`` gathers, once, what moving a weight needs: the run's candidates
(cached with the run), the re-ranking context and the test truth. ``rerank(pipeline, k)`` then
only re-ranks and re-evaluates (with ``recsys_core.evaluation``, the same code as every run):
accuracy and beyond-accuracy metrics before and after, paired user by user, and what changed in
the lists. Shape legend: B evaluated users, N candidates, K list length.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recsys_core.data.dataset import Dataset
from recsys_core.errors import ConfigError
from recsys_core.evaluation.beyond import BeyondInputs
from recsys_core.evaluation.intervals import PairedComparison, paired_compare
from recsys_core.evaluation.topk import TopKEvaluation, evaluate_topk
from recsys_core.inspection import load_run_context
from recsys_core.registry import runs
from recsys_core.rerank.base import Candidates, RerankContext
from recsys_core.rerank.candidates import DEFAULT_DEPTH, cached_candidates
from recsys_core.rerank.changes import ListChanges, list_changes
from recsys_core.rerank.context import build_context
from recsys_core.rerank.pipeline import RerankPipeline
from recsys_core.types import IntArray


@dataclass(frozen=True)
class RerankOutcome:
    """One pipeline applied to every evaluated user of a run.

    Attributes:
        before: (B, K) the run's own top-k lists.
        after: (B, K) the re-ranked lists.
        after_scores: (B, K) the re-ranked items' final relevance (-inf where padded).
        metrics_before: their evaluation.
        metrics_after: the re-ranked lists' evaluation (same users, same truth).
        paired: per-user metric -> after against before on the same users (metrics no user has
            in both lists, e.g. novelty once a filter empties every list, are left out).
        changes: what entered, left and moved, and rank-biased overlap.
    """

    before: IntArray
    after: IntArray
    after_scores: np.ndarray
    metrics_before: TopKEvaluation
    metrics_after: TopKEvaluation
    paired: dict[str, PairedComparison]
    changes: ListChanges


@dataclass(frozen=True)
class RerankSession:
    """A run's candidates, re-ranking context and test truth, gathered once.

    Attributes:
        run_id: the run.
        dataset: its dataset.
        candidates: (B, N) candidates of the evaluated users.
        context: side information for the re-rankers.
        beyond: the beyond-accuracy inputs of the evaluation.
        truth: (U, I) relevant test items under the run's protocol.
        item_popularity: (I,) training interactions per item.
        n_train_users: users with training rows (for novelty).
        item_genres: (I, G) genres, the item vectors of intra-list diversity (or None).
    """

    run_id: str
    dataset: Dataset
    candidates: Candidates
    context: RerankContext
    beyond: BeyondInputs
    truth: sp.csr_matrix
    item_popularity: np.ndarray
    n_train_users: int
    item_genres: np.ndarray | None

    @classmethod
    def open(
        cls, run_id: str, *, depth: int = DEFAULT_DEPTH, path: Path | None = None
    ) -> RerankSession:
        """Load a complete run and its candidates (computed and cached on first use)."""
        run = load_run_context(run_id, path=path)
        model = runs.load_run_model(run_id, path=path)
        record = runs.get_run(run_id, path=path)
        candidates = cached_candidates(record.artifact_dir, model, run.evaluated, depth)
        context, beyond = build_context(run.dataset, run.split, model.embeddings().item)
        train = run.split.train
        return cls(
            run_id=run_id,
            dataset=run.dataset,
            candidates=candidates,
            context=context,
            beyond=beyond,
            truth=run.truth,
            item_popularity=train.item_counts().astype(np.float64),
            n_train_users=int((train.user_counts() > 0).sum()),
            item_genres=context.item_genres,
        )

    @property
    def depth(self) -> int:
        """N, the candidates per user."""
        return int(self.candidates.item_idx.shape[1])

    def evaluate(self, recs: IntArray, k: int) -> TopKEvaluation:
        """Top-k metrics of (B, K) lists of the evaluated users, with the run's inputs."""
        return evaluate_topk(
            recs,
            self.candidates.user_idx,
            self.truth,
            (k,),
            item_popularity=self.item_popularity,
            n_train_users=self.n_train_users,
            item_vectors=self.item_genres,
            long_tail=self.beyond.long_tail,
            user_genres=self.beyond.user_genres,
            item_genres=self.beyond.item_genres,
            item_age=self.beyond.item_age,
        )

    def rerank(self, pipeline: RerankPipeline, k: int = 10) -> RerankOutcome:
        """Apply ``pipeline`` (prepared here) to every evaluated user and measure the result."""
        if not 1 <= k <= self.depth:
            raise ConfigError(f"k must lie in [1, {self.depth}] (the candidates per user)")
        pipeline.prepare(self.context)
        before = self.candidates.item_idx[:, :k]
        reranked = pipeline.apply(self.candidates, self.context, k)
        after = reranked.item_idx
        metrics_before, metrics_after = self.evaluate(before, k), self.evaluate(after, k)
        paired = {
            name: paired_compare(values, metrics_after.per_user[name], metric=name)
            for name, values in metrics_before.per_user.items()
            if _any_shared(values, metrics_after.per_user[name])
        }
        return RerankOutcome(
            before=before,
            after=after,
            after_scores=reranked.scores,
            metrics_before=metrics_before,
            metrics_after=metrics_after,
            paired=paired,
            changes=list_changes(before, after),
        )


def _any_shared(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether some user has a value of the metric both before and after."""
    return bool((~np.isnan(before) & ~np.isnan(after)).any())
