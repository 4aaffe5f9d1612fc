"""Shared by every page: the database key and stamp, datasets, runs, a run's model and split."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from recsys_core.data import protocols, store
from recsys_core.data.dataset import Dataset
from recsys_core.data.defaults import DEFAULT_DATASET, ensure_default_dataset
from recsys_core.evaluation import compare, headline
from recsys_core.registry import list_runs
from recsys_core.registry.labels import age_text, run_labels, what_it_is
from recsys_core.registry.names import run_names
from recsys_core.registry.runs import (
    RunRecord,
)
from recsys_core.starter import start_starter_runs

Stamp = tuple[str, int, int, int, int]


def _db() -> str:
    return str(store.resolve_path())


def _stamp() -> Stamp:
    return store.database_stamp()


@st.cache_data(max_entries=8, show_spinner=False)
def _dataset_infos(stamp: Stamp) -> dict[str, store.DatasetInfo]:
    return {info.name: info for info in store.list_datasets()}


def default_dataset() -> str:
    """The dataset to open on; creates the synthetic default on first start (a write, so only
    when the database holds no dataset at all) and starts training the starter runs on it."""
    infos = _dataset_infos(_stamp())
    if DEFAULT_DATASET in infos:
        return DEFAULT_DATASET
    if infos:
        return next(iter(infos))
    name = ensure_default_dataset()
    start_starter_runs(name)  # an empty database: fill it with a few fast runs in the background
    return name


@st.cache_data(max_entries=8, show_spinner=False)
def _datasets_table(stamp: Stamp) -> pd.DataFrame:
    rows = [
        {
            "name": info.name,
            "users": info.n_users,
            "items": info.n_items,
            "interactions": info.n_interactions,
            "ratings": info.has_ratings,
            "timestamps": info.has_timestamps,
            "impressions": info.n_impressions,
            "source": info.source,
        }
        for info in _dataset_infos(stamp).values()
    ]
    return pd.DataFrame(rows)


def datasets_table() -> pd.DataFrame:
    """Stored datasets, one row each."""
    return _datasets_table(_stamp())


def fingerprint(name: str) -> str:
    """The content fingerprint of a stored dataset (DataError listing names if unknown)."""
    info = _dataset_infos(_stamp()).get(name)
    return info.fingerprint if info is not None else store.dataset_info(name).fingerprint


@st.cache_resource(max_entries=3, show_spinner="Loading dataset…")
def _dataset(db: str, name: str, fingerprint: str) -> Dataset:
    return store.load_dataset(name)


def dataset(name: str) -> Dataset:
    """The dataset ``name``, shared read-only across sessions, keyed by its content fingerprint."""
    return _dataset(_db(), name, fingerprint(name))


def _stage(record: RunRecord) -> str:
    return getattr(record, "stage", "retrieval") or "retrieval"


@st.cache_data(max_entries=16, show_spinner=False)
def _runs_table(stamp: Stamp, dataset_name: str | None, minute: int) -> pd.DataFrame:
    records = list_runs(dataset_name)
    specs = headline.table_metrics(_stage(record) for record in records)
    names = run_names()
    labels = run_labels(records, names=names)
    rows = [
        {
            "run": record.run_id,
            "label": labels[record.run_id],
            "name": names.get(record.run_id, ""),
            "what": _what(record, names.get(record.run_id)),
            "age": age_text(record.created_at),
            "model": record.model,
            "dataset": record.dataset,
            "protocol": record.protocol.get("name"),
            "stage": _stage(record),
            "lineage": compare.lineage_label(record),
            **{spec.name: record.metrics.get(spec.name) for spec in specs},
            "train s": record.train_seconds,
            "created": record.created_at,
        }
        for record in records
    ]
    return pd.DataFrame(rows)


def runs_table(dataset_name: str | None) -> pd.DataFrame:
    """Complete runs (optionally of one dataset) with their label (``registry.labels``), stage,
    lineage and the headline metrics (``headline.table_metrics``) of the stages present, newest
    first. Labels carry an age, so the table is rebuilt at least once a minute."""
    return _runs_table(_stamp(), dataset_name, _minute())


def suggested_protocol(dataset_name: str) -> str:
    """The protocol preset the Train page proposes for a stored dataset (``suggested_protocol``)."""
    info = _dataset_infos(_stamp()).get(dataset_name)
    return protocols.suggested_protocol(dataset_name, info.source if info is not None else "")


def _minute() -> int:
    """The current minute, so that caches holding run ages refresh as the ages change."""
    return int(time.time() // 60)


def _what(record: RunRecord, name: str | None) -> str:
    """What a run is (its name first, if a person gave one): the label without the protocol,
    metric and age that a table shows in their own columns."""
    what = what_it_is(record)
    return f"{name} ({what})" if name else what
