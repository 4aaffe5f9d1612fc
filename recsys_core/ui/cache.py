"""Every Streamlit cache of the app lives here (DESIGN.md, caching rules). Pages call these
accessors and never decorate anything themselves.

Keys always include the database path, and tables of things another process may change (runs
trained from the CLI) include a cheap version stamp read from DuckDB, so nothing goes stale.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recsys_core.data import store
from recsys_core.data.dataset import Dataset
from recsys_core.data.defaults import ensure_default_dataset
from recsys_core.registry import list_runs, runs_version


def _db() -> str:
    return str(store.resolve_path())


def default_dataset() -> str:
    """The dataset to open on; creates the synthetic default on first start (a write: uncached)."""
    return ensure_default_dataset()


def datasets_table() -> pd.DataFrame:
    """Stored datasets, one row each (one small query: not worth a cache that could go stale)."""
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
        for info in store.list_datasets()
    ]
    return pd.DataFrame(rows)


@st.cache_resource(max_entries=3, show_spinner="Loading dataset…")
def _dataset(db: str, name: str, fingerprint: str) -> Dataset:
    return store.load_dataset(name)


def dataset(name: str) -> Dataset:
    """The dataset ``name``, shared read-only across sessions, keyed by its content fingerprint."""
    return _dataset(_db(), name, store.dataset_info(name).fingerprint)


@st.cache_data(max_entries=16, show_spinner=False)
def _runs_table(db: str, dataset_name: str | None, version: tuple[int, str]) -> pd.DataFrame:
    rows = [
        {
            "run": record.run_id,
            "model": record.model,
            "dataset": record.dataset,
            "protocol": record.protocol.get("name"),
            "ndcg@10": record.metrics.get("ndcg@10"),
            "precision@10": record.metrics.get("precision@10"),
            "recall@10": record.metrics.get("recall@10"),
            "map@10": record.metrics.get("map@10"),
            "train s": record.train_seconds,
            "created": record.created_at,
        }
        for record in list_runs(dataset_name)
    ]
    return pd.DataFrame(rows)


def runs_table(dataset_name: str | None) -> pd.DataFrame:
    """Complete runs (optionally of one dataset) with their headline metrics, newest first."""
    return _runs_table(_db(), dataset_name, runs_version(dataset_name))


# --- Data page -------------------------------------------------------------------------------


# --- Train page ------------------------------------------------------------------------------


# --- Embeddings page -------------------------------------------------------------------------


# --- Recommendations page --------------------------------------------------------------------


# --- Compare page ----------------------------------------------------------------------------
