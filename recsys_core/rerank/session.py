"""Re-rank every evaluated test user of a saved run and measure the lists before and after.

``RerankSession.open(run_id)`` gathers, once, what moving a weight needs: the run's candidates
(cached with the run), the re-ranking context and the test truth. ``rerank(pipeline, k)`` then
only re-ranks and re-evaluates (with ``recsys_core.evaluation``, the same code as every run):
accuracy and beyond-accuracy metrics before and after, paired user by user, and what changed in
the lists. The run's own lists and their metrics are the same for every pipeline, so they are
evaluated once per k and kept. The context carries the blend's scorers (``RunScorers``): the
other saved runs of the same dataset and split, each loaded when a blend first asks for it.
Shape legend: B evaluated users, N candidates, K list length.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recsys_core.data import store
from recsys_core.data.dataset import Dataset
from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation.beyond import BeyondInputs
from recsys_core.evaluation.intervals import PairedComparison, paired_compare_many
from recsys_core.evaluation.topk import TopKEvaluation, evaluate_topk
from recsys_core.inspection import load_run_context
from recsys_core.models.base import Recommender
from recsys_core.registry import runs
from recsys_core.registry.schema import TRAIN_KIND
from recsys_core.rerank.base import Candidates, RerankContext
from recsys_core.rerank.blend import SCORES_KEY, RunScorer
from recsys_core.rerank.candidates import DEFAULT_DEPTH, cached_candidates
from recsys_core.rerank.changes import ListChanges, list_changes
from recsys_core.rerank.context import build_context
from recsys_core.rerank.pipeline import RerankPipeline
from recsys_core.types import FloatArray, IntArray


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


class ModelScorer:
    """(B,) users and (B, N) items -> (B, N) scores of one run (``Recommender.score_candidates``,
    -inf where padded), remembering the last call: a session re-ranks the same candidates on
    every move, so a run's scores of them are computed once."""

    def __init__(self, model: Recommender) -> None:
        self.model = model
        self._last: tuple[bytes, FloatArray] | None = None

    def __call__(self, user_idx: IntArray, item_idx: IntArray) -> FloatArray:
        users = np.ascontiguousarray(user_idx, dtype=np.int64)
        items = np.ascontiguousarray(item_idx, dtype=np.int64)
        digest = hashlib.blake2b(digest_size=16)
        digest.update(np.asarray(items.shape, dtype=np.int64).tobytes())
        digest.update(users.tobytes())
        digest.update(items.tobytes())
        key = digest.digest()
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        scores = np.asarray(self.model.score_candidates(users, items))
        scores.setflags(write=False)
        self._last = (key, scores)
        return scores


class RunScorers(Mapping[str, RunScorer]):
    """The blend's scorers: run_id -> ``ModelScorer`` of the complete trained runs that share a
    dataset and split with one run (that run itself left out).

    Lazy: a run's model is loaded the first time the blend asks for it (``runs[run_id]`` or
    ``run_id in runs``) and kept for the session. A run of another dataset, split or kind (a
    rerank run scores as its parent), or one that does not exist, is not a key, so the blend's
    own ``ConfigError`` names it together with the runs that are. The listing is re-read only
    when the database changed (``store.database_stamp``), so a run trained meanwhile appears.

    Args:
        dataset: the dataset's name.
        split_name: the split's name (the runs of one protocol share it).
        exclude: the session's own run.
        n_users: U of the dataset, which every model must cover.
        n_items: I of the dataset.
        path: the database (default: the configured one).
    """

    def __init__(
        self,
        dataset: str,
        split_name: str,
        exclude: str,
        *,
        n_users: int,
        n_items: int,
        path: Path | None = None,
    ) -> None:
        self.dataset, self.split_name, self.exclude = dataset, split_name, exclude
        self.shape = (n_users, n_items)
        self.path = path
        self._scorers: dict[str, ModelScorer] = {}
        self._listed: tuple[tuple[str, int, int, int, int], list[str]] | None = None
        self._lock = threading.Lock()

    def _run_ids(self) -> list[str]:
        stamp = store.database_stamp(self.path)
        if self._listed is None or self._listed[0] != stamp:
            records = runs.list_runs(self.dataset, kind=TRAIN_KIND, path=self.path)
            ids = [r.run_id for r in records if self._matches(r)]
            self._listed = (stamp, ids)
        return list(self._listed[1])

    def _matches(self, record: runs.RunRecord) -> bool:
        return (
            record.dataset == self.dataset
            and record.split_name == self.split_name
            and record.kind == TRAIN_KIND
            and record.status == "complete"
            and record.run_id != self.exclude
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._run_ids())

    def __len__(self) -> int:
        return len(self._run_ids())

    def __getitem__(self, run_id: str) -> ModelScorer:
        with self._lock:
            if run_id in self._scorers:
                return self._scorers[run_id]
            try:
                record = runs.get_run(run_id, path=self.path)
            except DataError:
                raise KeyError(run_id) from None
            if not self._matches(record):
                raise KeyError(run_id)
            model = runs.load_run_model(run_id, path=self.path)
            if (model.n_users_, model.n_items_) != self.shape:
                raise DataError(
                    f"run {run_id}'s model covers {model.n_users_} users x {model.n_items_} "
                    f"items but dataset {self.dataset!r} has {self.shape[0]} x {self.shape[1]}; "
                    "it predates a re-import of the dataset: retrain it to blend it"
                )
            scorer = self._scorers[run_id] = ModelScorer(model)
            return scorer


@dataclass(frozen=True)
class RerankSession:
    """A run's candidates, re-ranking context and test truth, gathered once.

    Attributes:
        run_id: the run.
        dataset: its dataset.
        candidates: (B, N) candidates of the evaluated users.
        context: side information for the re-rankers, with the blend's ``RunScorers`` under
            ``extras["blend_scores"]``.
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
    #: k -> the evaluation of the run's own top-k lists (the same for every pipeline).
    _originals: dict[int, TopKEvaluation] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

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
        scorers = RunScorers(
            record.dataset,
            record.split_name,
            run_id,
            n_users=run.dataset.n_users,
            n_items=run.dataset.n_items,
            path=path,
        )
        context = dataclasses.replace(context, extras={**context.extras, SCORES_KEY: scorers})
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

    def blend_runs(self) -> list[str]:
        """Run ids the blend can mix in: complete trained runs of the same dataset and split."""
        return list(self.context.extras[SCORES_KEY])

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

    def original(self, k: int) -> TopKEvaluation:
        """The evaluation of the run's own top-k lists, computed once per k."""
        found = self._originals.get(k)
        if found is None:
            found = self._originals[k] = self.evaluate(self.candidates.item_idx[:, :k], k)
        return found

    def rerank(self, pipeline: RerankPipeline, k: int = 10) -> RerankOutcome:
        """Apply ``pipeline`` (prepared here) to every evaluated user and measure the result.

        The paired intervals are ``paired_compare_many``'s: a paired percentile bootstrap of each
        metric's mean change over the same users, as ``paired_compare`` gives it metric by metric.
        """
        if not 1 <= k <= self.depth:
            raise ConfigError(f"k must lie in [1, {self.depth}] (the candidates per user)")
        pipeline.prepare(self.context)
        before = self.candidates.item_idx[:, :k]
        reranked = pipeline.apply(self.candidates, self.context, k)
        after = reranked.item_idx
        metrics_before, metrics_after = self.original(k), self.evaluate(after, k)
        return RerankOutcome(
            before=before,
            after=after,
            after_scores=reranked.scores,
            metrics_before=metrics_before,
            metrics_after=metrics_after,
            paired=paired_compare_many(metrics_before.per_user, metrics_after.per_user),
            changes=list_changes(before, after),
        )
