"""The Compare page's caches: run selections, per-user frames, comparisons, trade-offs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recsys_core import registry
from recsys_core.data import store
from recsys_core.data.splits import materialise_split
from recsys_core.evaluation import compare
from recsys_core.registry import reevaluate
from recsys_core.registry.labels import changed_settings, what_it_is
from recsys_core.registry.runs import (
    RunRecord,
    get_run,
    load_pointwise_per_user,
)
from recsys_core.rerank.tradeoff import tradeoff_curve
from recsys_core.ui.cache._shared import Stamp, _dataset, _db, _stamp, fingerprint, runs_table
from recsys_core.ui.cache.recommendations import _run_fingerprint
from recsys_core.ui.cache.rerank import _rerank_session
from recsys_core.ui.cache.train import _saved_run


@st.cache_data(max_entries=16, show_spinner=False)
def _compare_records(db: str, run_ids: tuple[str, ...], stamp: Stamp) -> list[RunRecord]:
    return [get_run(run_id) for run_id in run_ids]


def compare_records(run_ids: list[str]) -> list[RunRecord]:
    """The registry records of the selected runs, in selection order."""
    return _compare_records(_db(), tuple(run_ids), _stamp())


@st.cache_data(max_entries=64, show_spinner=False)
def _per_user_frame(db: str, run_id: str, n_negatives: int | None) -> pd.DataFrame:
    if n_negatives is None:
        return registry.load_per_user_metrics(run_id)
    return reevaluate.sampled_per_user(run_id, n_negatives)


def per_user_frame(run_id: str, n_negatives: int | None = None) -> pd.DataFrame:
    """A complete run's per-user metrics: full ranking, or sampled with ``n_negatives`` negatives
    (evaluated on first use and kept with the run). Complete runs never change: keyed by id."""
    return _per_user_frame(_db(), run_id, n_negatives)


@st.cache_data(max_entries=64, show_spinner=False)
def _pointwise_run(db: str, run_id: str) -> compare.PointwiseRun:
    label = _saved_run(db, run_id)[1]["evaluation"].get("pointwise") or ""
    return compare.PointwiseRun(per_user=load_pointwise_per_user(run_id), label=label)


@st.cache_data(max_entries=16, show_spinner="Comparing runs…")
def _comparison(
    db: str,
    dataset_name: str,
    fingerprint: str,
    run_ids: tuple[str, ...],
    baseline: str,
    metrics: tuple[str, ...],
    n_negatives: int | None,
) -> compare.Comparison:
    data = _dataset(db, dataset_name, fingerprint)
    records = [get_run(run_id) for run_id in run_ids]
    split_name = records[0].split_name
    spec, parts = store.load_split(dataset_name, split_name)
    train = materialise_split(data, split_name, spec, parts).train
    sampled = None
    if n_negatives is not None:
        sampled = {run_id: _per_user_frame(db, run_id, n_negatives) for run_id in run_ids}
    pointwise = None
    if any(compare.is_pointwise(name) for name in metrics):
        pointwise = {
            record.run_id: _pointwise_run(db, record.run_id)
            for record in records
            if compare.is_ranking(record)
        }
    return compare.build_comparison(
        records,
        {run_id: _per_user_frame(db, run_id, None) for run_id in run_ids},
        list(metrics),
        baseline,
        dataset=dataset_name,
        user_counts=train.user_counts(),
        users_frame=data.users,
        sampled_per_user=sampled,
        n_negatives=n_negatives,
        pointwise=pointwise,
    )


def comparison(
    dataset_name: str,
    run_ids: list[str],
    baseline: str,
    metrics: list[str],
    n_negatives: int | None = None,
) -> compare.Comparison:
    """``compare.build_comparison`` of runs on one split of ``dataset_name``: metrics, paired
    tests, references, segments (activity from that split's training counts) and, with
    ``n_negatives``, full vs sampled evaluation; ranking runs' pointwise arrays are loaded when a
    pointwise metric is chosen. Keyed by the dataset's fingerprint, so a re-imported dataset is
    recomputed.

    Raises:
        DataError: a ranking run's pointwise arrays are missing or corrupt (retrain or delete it).
    """
    key = (tuple(run_ids), baseline, tuple(metrics), n_negatives)
    return _comparison(_db(), dataset_name, fingerprint(dataset_name), *key)


def run_labels(dataset_name: str) -> dict[str, str]:
    """Run id -> label of every complete run of the dataset (the pickers' labels)."""
    runs = runs_table(dataset_name)
    if runs.empty:
        return {}
    return dict(zip(runs["run"], runs["label"], strict=True))


def run_settings(run_ids: list[str]) -> dict[str, str]:
    """Run id -> its settings as text: a trained run's changes to its architecture's defaults
    ("30 epochs, d=64", or "defaults"), what a derived run did to its parent's model."""
    settings = {}
    for record in compare_records(run_ids):
        if (record.kind or "train") != "train":
            settings[record.run_id] = what_it_is(record)
            continue
        changed = changed_settings(record.model, record.config.get("model", {}))
        settings[record.run_id] = ", ".join(changed) or "defaults"
    return settings


def shown_comparison(
    dataset_name: str,
    run_ids: list[str],
    baseline: str,
    metrics: list[str],
    n_negatives: int | None = None,
) -> compare.Comparison:
    """``comparison`` as the page shows it (``compare.labelled``): runs named by their labels,
    metrics by their display names, each run's settings beside it."""
    result = comparison(dataset_name, run_ids, baseline, metrics, n_negatives)
    return compare.labelled(result, run_labels(dataset_name), settings=run_settings(run_ids))


@st.cache_data(max_entries=16, show_spinner="Sweeping the re-ranker's weight…")
def _tradeoff(
    db: str, run_id: str, fingerprint: str, reranker: str, metric: str, k: int
) -> pd.DataFrame:
    return tradeoff_curve(_rerank_session(db, run_id, fingerprint), reranker, metric, k)


def tradeoff(run_id: str, reranker: str, metric: str, k: int) -> pd.DataFrame:
    """``tradeoff_curve`` of one run: nDCG@k against ``metric``@k for each weight of
    ``reranker`` on the run's top-100 candidates (the run is never retrained).

    Raises:
        ConfigError: unknown re-ranker or metric (the message lists the valid ones).
    """
    return _tradeoff(_db(), run_id, _run_fingerprint(run_id), reranker, metric, k)
