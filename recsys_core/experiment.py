"""One experiment end to end: dataset -> stored split -> fit -> evaluate -> run registry.

The CLI and the Train page both call ``train_run``, so a run means the same thing everywhere.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys_core.data import store
from recsys_core.data.dataset import Dataset
from recsys_core.data.features import genre_matrix
from recsys_core.data.protocols import Protocol, protocol_parts
from recsys_core.data.splits import SplitData, materialise_split
from recsys_core.evaluation.beyond import beyond_inputs
from recsys_core.evaluation.protocol import (
    EvaluationResult,
    evaluate_model,
    evaluated_users,
    relevance_matrix,
)
from recsys_core.models import Callback, EpochReport, Recommender, get_model_class
from recsys_core.registry import runs
from recsys_core.types import TopK


@dataclass
class RunResult:
    """What ``train_run`` returns: the registry record, the evaluation and the fitted model."""

    record: runs.RunRecord
    evaluation: EvaluationResult
    model: Recommender
    split: SplitData
    history: list[dict[str, Any]] = field(default_factory=list)


def prepare_split(
    dataset_name: str, protocol: Protocol, *, path: Path | None = None
) -> tuple[Dataset, SplitData]:
    """Load a dataset and its split under ``protocol``, creating and storing the split once."""
    dataset = store.load_dataset(dataset_name, path=path)
    if protocol.split_name in store.list_splits(dataset_name, path=path):
        spec, parts = store.load_split(dataset_name, protocol.split_name, path=path)
    else:
        spec = protocol.to_dict()
        parts = protocol_parts(dataset.interactions, protocol)
        store.save_split(dataset_name, protocol.split_name, spec, parts, path=path)
    return dataset, materialise_split(dataset, protocol.split_name, spec, parts)


def train_run(
    dataset_name: str,
    model_name: str,
    protocol: Protocol,
    *,
    overrides: Mapping[str, Any] | None = None,
    ks: Sequence[int] = (5, 10, 20),
    callbacks: Sequence[Callback] = (),
    sampled_negatives: int | None = None,
    path: Path | None = None,
) -> RunResult:
    """Fit ``model_name`` on the protocol's split of a dataset, evaluate it and save the run.

    The run row is ``running`` while this works, ``complete`` once its artifacts are in place and
    ``failed`` if anything raises (cancellation included).
    """
    model = get_model_class(model_name)(**dict(overrides or {}))
    dataset, split = prepare_split(dataset_name, protocol, path=path)
    history: list[dict[str, Any]] = []

    def record_epoch(report: EpochReport) -> bool:
        history.append({"epoch": report.epoch, "loss": report.loss, **report.metrics})
        return False

    run_id = runs.start_run(dataset_name, split.name, model, protocol.to_dict(), path=path)
    try:
        started = time.perf_counter()
        model.fit(split.train, valid=split.valid, callbacks=[record_epoch, *callbacks])
        train_seconds = time.perf_counter() - started
        evaluation = evaluate_run_model(
            model, dataset, split, protocol, ks=ks, sampled_negatives=sampled_negatives
        )
        record = runs.finish_run(
            run_id,
            model,
            evaluation,
            train_seconds=train_seconds,
            history=history,
            path=path,
        )
    except BaseException:
        runs.fail_run(run_id, path=path)
        raise
    return RunResult(record, evaluation, model, split, history)


def evaluate_run_model(
    model: Recommender,
    dataset: Dataset,
    split: SplitData,
    protocol: Protocol,
    *,
    ks: Sequence[int],
    sampled_negatives: int | None = None,
) -> EvaluationResult:
    """Evaluate a fitted model as every run is evaluated: the protocol's truth, the split's seed,
    genres for diversity and the training window's beyond-accuracy inputs.

    Trained runs and runs derived from them (calibrated, re-ranked) call this, so their numbers
    are comparable.
    """
    genres = genre_matrix(dataset.items)
    return evaluate_model(
        model,
        split,
        protocol,
        ks=ks,
        item_vectors=genres,
        sampled_negatives=sampled_negatives,
        seed=protocol.split.seed,
        beyond=beyond_inputs(split.train, dataset.items, genres),
    )


def reported_ks(metrics: Mapping[str, float], default: int) -> tuple[int, ...]:
    """The list lengths of a run's ``name@k`` metrics (``default`` when it has none), so a run
    derived from it (calibrated, re-ranked) reports the same ones."""
    ks = {int(k) for _, at, k in (name.rpartition("@") for name in metrics) if at and k.isdigit()}
    return tuple(sorted(ks)) or (default,)


def test_user_recommendations(
    model: Recommender, dataset: Dataset, split: SplitData, protocol: Protocol, k: int
) -> pd.DataFrame:
    """Top-k of every evaluated test user in dataset ids: user_id, item_id, rank, score."""
    users = evaluated_users(relevance_matrix(split.test, protocol))
    top = model.recommend(users, k)
    return topk_frame(top, users, dataset)


def topk_frame(top: TopK, users: np.ndarray, dataset: Dataset) -> pd.DataFrame:
    """Long table of top-k lists (padding dropped) with raw ids and 1-based ranks."""
    n_users, k = top.item_idx.shape
    frame = pd.DataFrame(
        {
            "user_idx": np.repeat(users, k),
            "item_idx": top.item_idx.reshape(-1),
            "rank": np.tile(np.arange(1, k + 1), n_users),
            "score": top.scores.reshape(-1).astype(np.float64),
        }
    )
    frame = frame[frame["item_idx"] >= 0]
    return pd.DataFrame(
        {
            "user_id": dataset.users["user_id"].to_numpy()[frame["user_idx"].to_numpy()],
            "item_id": dataset.items["item_id"].to_numpy()[frame["item_idx"].to_numpy()],
            "rank": frame["rank"].to_numpy(),
            "score": frame["score"].to_numpy(),
        }
    )
