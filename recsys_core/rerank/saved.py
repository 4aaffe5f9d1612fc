"""Save a set of re-ranking weights as a run of kind ``rerank`` whose parent is the trained run.

``RerankedModel`` is what such a run saves and is evaluated as, the way ``calibration.model``'s
``CalibratedModel`` is for a calibrated run: a thin wrapper around the parent's fitted model, never
trained from data and no ``Recommender``. The run registry reads only ``name``, ``config`` (with
``seed``) and ``stage`` in ``start_run`` and ``save`` in ``finish_run``; the evaluation needs the
``Scorer`` protocol. Its lists are the parent's top-``depth`` candidates re-ranked by the pipeline
at list length ``k`` (exactly what ``RerankSession.rerank`` measures); its scores, embeddings and
stage are the parent's, so pointwise metrics and rating errors of a re-ranked run equal its
parent's. It is saved as the parent's model files (so ``registry.load_run_model`` of a rerank run
gives the parent's model) plus ``rerank/settings.json``: the pipeline settings, ``k`` and the
depth, plain JSON. Shape legend: B users, N candidates (the depth), K list length, I items.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from recsys_core import strict_json
from recsys_core.artifacts import regular_file, run_files
from recsys_core.data.dataset import Dataset
from recsys_core.data.protocols import protocol_from_dict
from recsys_core.data.splits import SplitData
from recsys_core.errors import ConfigError, DamagedArtifactError, DataError
from recsys_core.experiment import evaluate_run_model, prepare_split, reported_ks
from recsys_core.models.base import ModelConfig, Recommender, param
from recsys_core.registry import runs
from recsys_core.registry.schema import TRAIN_KIND
from recsys_core.rerank.base import Candidates, RerankContext
from recsys_core.rerank.candidates import DEFAULT_DEPTH
from recsys_core.rerank.context import build_context
from recsys_core.rerank.pipeline import RerankPipeline
from recsys_core.types import Embeddings, FloatArray, IntArray, TopK

#: Kind of the runs ``save_rerank_run`` saves.
RERANK_KIND = "rerank"
#: Folder beside the parent's model files that holds the re-ranking settings.
RERANK_DIR = "rerank"
SETTINGS_FILE = "settings.json"
#: How to recover damaged settings outside the run registry (inside it, the run's own fix).
SAVE_AGAIN = "save the weights as a run again"


@dataclass(frozen=True)
class RerankedConfig(ModelConfig):
    """What a rerank run records as its model config (the model's own is its parent's)."""

    base_model: str = param("", "Architecture of the re-ranked run's model.")
    weights: str = param(
        "",
        "The active re-ranking weights, NAME=WEIGHT,... (rerank/settings.json holds every option).",
    )
    k: int = param(10, "List length the pipeline builds.", min=1)
    depth: int = param(
        DEFAULT_DEPTH, "Candidates per user that are re-ranked (the model's top-N).", min=1
    )


class RerankedModel:
    """A fitted model whose top-``depth`` candidates go through a re-ranking pipeline.

    Args:
        base: the parent run's fitted model.
        pipeline: the re-rankers with their settings (prepared on ``context`` here).
        context: side information of the parent's dataset and split (``build_context``).
        k: list length K the pipeline builds, in [1, depth].
        depth: N candidates per user taken from the base model.
    """

    name: ClassVar[str] = "reranked"
    label: ClassVar[str] = "Re-ranked model"

    def __init__(
        self,
        base: Recommender,
        pipeline: RerankPipeline,
        context: RerankContext,
        *,
        k: int = 10,
        depth: int = DEFAULT_DEPTH,
    ) -> None:
        if not 1 <= k <= depth:
            raise ConfigError(
                f"the re-ranked list length k={k} must lie in [1, {depth}] (the candidate depth); "
                "lower k or re-rank more candidates"
            )
        self.base = base
        self.pipeline = pipeline.prepare(context)
        self.context = context
        self.config = RerankedConfig(
            base_model=base.name,
            weights=pipeline.to_text(),
            k=k,
            depth=depth,
            seed=base.config.seed,
        )

    @property
    def stage(self) -> str:
        return self.base.stage

    @property
    def requires(self) -> frozenset[str]:
        return self.base.requires

    @property
    def predicts_ratings(self) -> bool:
        return bool(getattr(self.base, "predicts_ratings", False))

    def score(self, user_idx: IntArray, item_idx: IntArray | None = None) -> FloatArray:
        """The base model's scores, (N,) pairs or (B, I): re-ranking changes lists, not scores."""
        return self.base.score(user_idx, item_idx)

    def embeddings(self) -> Embeddings:
        """The base model's user and item vectors."""
        return self.base.embeddings()

    def recommend(
        self,
        user_idx: IntArray,
        k: int = 10,
        *,
        exclude_seen: bool = True,
        candidates: IntArray | None = None,
    ) -> TopK:
        """(B, k) the base model's top-``depth`` candidates re-ranked by the pipeline.

        The first ``config.k`` positions are the pipeline's list at its saved length (what
        ``RerankSession.rerank`` measures); a shorter ``k`` takes their prefix, a longer one
        continues with the pipeline's list at length ``k`` minus the items already listed, so
        the saved top-K never depends on how long a list is asked for. Scores are the final
        relevance of the pipeline (-inf where padded).
        """
        if k < 1:
            raise ConfigError(f"k must be at least 1, got {k}")
        users = np.asarray(user_idx, dtype=np.int64)
        top = self.base.recommend(
            users, self.config.depth, exclude_seen=exclude_seen, candidates=candidates
        )
        pool = Candidates(
            users,
            np.asarray(top.item_idx, dtype=np.int64),
            np.asarray(top.scores, dtype=np.float32),
        )
        head = self.pipeline.apply(pool, self.context, self.config.k)
        items, scores = head.item_idx, head.scores
        if k > self.config.k:
            longer = self.pipeline.apply(pool, self.context, min(k, self.config.depth))
            items, scores = _continue(items, scores, longer.item_idx, longer.scores)
        return TopK(item_idx=_fit(items, k, -1), scores=_fit(scores, k, -np.inf))

    def save(self, directory: Path) -> None:
        """The base model's files in ``directory``, the re-ranking settings in ``rerank/``."""
        directory = Path(directory)
        self.base.save(directory)
        payload = {
            "settings": self.pipeline.settings(),
            "k": self.config.k,
            "depth": self.config.depth,
        }
        (directory / RERANK_DIR).mkdir(parents=True, exist_ok=True)
        text = strict_json.dumps(payload, indent=2, sort_keys=True)
        (directory / RERANK_DIR / SETTINGS_FILE).write_text(text)

    @classmethod
    def load(cls, directory: Path, dataset: Dataset, split: SplitData) -> Self:
        """Rebuild a saved re-ranked model on its run's dataset and split.

        Raises:
            DamagedArtifactError: the base model or the settings are missing, links or corrupt.
        """
        directory = Path(directory)
        base = Recommender.load(directory)
        file = regular_file(directory / RERANK_DIR / SETTINGS_FILE, SAVE_AGAIN)
        try:
            saved: dict[str, Any] = json.loads(file.read_bytes())
            pipeline = RerankPipeline.from_settings(saved["settings"])
            k, depth = int(saved["k"]), int(saved["depth"])
        except ConfigError as exc:  # before ValueError, which it derives from
            problem = f"holds settings this version refuses ({exc})"
            raise DamagedArtifactError(file, problem, SAVE_AGAIN) from None
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise DamagedArtifactError(file, f"is corrupt ({exc!r})", SAVE_AGAIN) from None
        context, _ = build_context(dataset, split, base.embeddings().item)
        return cls(base, pipeline, context, k=k, depth=depth)


def save_rerank_run(
    parent_run_id: str,
    pipeline: RerankPipeline,
    *,
    k: int = 10,
    depth: int = DEFAULT_DEPTH,
    path: Path | None = None,
) -> runs.RunRecord:
    """Evaluate a trained run re-ranked by ``pipeline`` as runs are evaluated, and save it as a
    run of kind ``rerank`` whose parent is ``parent_run_id``.

    The evaluation is ``experiment.evaluate_run_model`` under the parent's protocol and split, at
    the parent's reported list lengths plus ``k``, so the new run's ``name@k`` metrics equal what
    ``RerankSession.rerank(pipeline, k)`` reports as ``metrics_after`` at the same depth.
    ``train_seconds`` is the time the re-rankers took to prepare.

    Raises:
        ConfigError: the parent is not a trained run (calibrated, rerank and cascade runs are
            refused: re-rank the trained run they come from), or k is outside [1, depth].
        DataError: the parent is missing or incomplete.
    """
    record = runs.get_run(parent_run_id, path=path)
    if record.kind != TRAIN_KIND:
        origin = f"; re-rank its parent {record.parent_run_id}" if record.parent_run_id else ""
        raise ConfigError(
            f"run {parent_run_id} is a {record.kind} run; only trained runs are saved re-ranked"
            f"{origin}"
        )
    base = runs.load_run_model(parent_run_id, path=path)
    protocol = protocol_from_dict(record.protocol)
    dataset, split = prepare_split(record.dataset, protocol, path=path)
    context, _ = build_context(dataset, split, base.embeddings().item)
    started = time.perf_counter()
    model = RerankedModel(base, pipeline, context, k=k, depth=depth)
    prepare_seconds = time.perf_counter() - started
    new_id = runs.start_run(
        record.dataset,
        record.split_name,
        model,
        record.protocol,
        kind=RERANK_KIND,
        parent_run_id=parent_run_id,
        path=path,
    )
    try:
        ks = tuple(sorted(set(reported_ks(record.metrics, k)) | {k}))
        result = evaluate_run_model(model, dataset, split, protocol, ks=ks)
        return runs.finish_run(new_id, model, result, train_seconds=prepare_seconds, path=path)
    except BaseException:
        runs.fail_run(new_id, path=path)
        raise


def load_reranked_model(run_id: str, *, path: Path | None = None) -> RerankedModel:
    """The re-ranked model of a complete ``rerank`` run (parent model + pipeline settings).

    Raises:
        DataError: no such complete run, it is not of kind ``rerank``, or its files are corrupt.
    """
    record = runs.get_run(run_id, path=path)
    if record.kind != RERANK_KIND:
        raise DataError(
            f"run {run_id} is of kind {record.kind}, not {RERANK_KIND}; load it with "
            "registry.load_run_model, or save re-ranking weights of it first"
        )
    runs.load_run_model(run_id, path=path)  # the completeness and artifact checks
    dataset, split = prepare_split(record.dataset, protocol_from_dict(record.protocol), path=path)
    with run_files(run_id, record.artifact_dir):
        return RerankedModel.load(record.artifact_dir / runs.MODEL_DIR, dataset, split)


def _continue(
    head: IntArray, head_scores: FloatArray, longer: IntArray, longer_scores: FloatArray
) -> tuple[IntArray, FloatArray]:
    """(B, K) lists followed by each row's items of (B, L) longer lists that they do not hold."""
    listed = (longer[:, :, None] == head[:, None, :]).any(axis=2) | (longer < 0)
    order = np.argsort(listed, axis=1, kind="stable")  # unlisted items first, in their order
    rest = np.take_along_axis(longer, order, axis=1)
    rest_scores = np.take_along_axis(longer_scores, order, axis=1)
    kept = ~np.take_along_axis(listed, order, axis=1)
    rest = np.where(kept, rest, -1)
    rest_scores = np.where(kept, rest_scores, -np.inf)
    return np.concatenate([head, rest], axis=1), np.concatenate([head_scores, rest_scores], axis=1)


def _fit(values: np.ndarray, k: int, pad: float) -> np.ndarray:
    """(B, L) -> (B, k): cut, or pad on the right with ``pad``."""
    if values.shape[1] >= k:
        return values[:, :k]
    filler = np.full((values.shape[0], k - values.shape[1]), pad, dtype=values.dtype)
    return np.concatenate([values, filler], axis=1)
