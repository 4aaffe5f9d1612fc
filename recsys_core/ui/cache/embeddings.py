"""The Embeddings page's caches: projections, faiss indexes and neighbours."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from recsys_core import registry
from recsys_core.analysis.embedding_points import (
    point_table,
    similar_item_table,
    user_item_tables,
)
from recsys_core.analysis.projection import ProjectionParams, embedding_sides, run_projection
from recsys_core.errors import ConfigError, RecScopeError
from recsys_core.models import get_model_class
from recsys_core.models.base import Recommender
from recsys_core.retrieval import FaissIndex
from recsys_core.ui.cache._shared import _db, dataset, runs_table
from recsys_core.ui.cache.recommendations import _run_fingerprint, _run_model


@st.cache_data(max_entries=32, show_spinner=False)
def _embedding_sides(db: str, run_id: str) -> tuple[str, ...]:
    return embedding_sides(_run_model(db, run_id))


def run_embedding_sides(run_id: str) -> tuple[str, ...]:
    """Which of ``item``/``user`` vectors a run's model has (empty: nothing to map); cached, as
    some models build their vectors on request (content-based TF-IDF densifies its matrices)."""
    return _embedding_sides(_db(), run_id)


@dataclass(frozen=True)
class MappableRuns:
    """Which of a dataset's runs the Embeddings page can map.

    Attributes:
        run_ids: runs whose model has item or user vectors.
        without_vectors: architectures of the runs that have none.
        damaged: run id -> why its model could not be loaded (``DamagedArtifactError``).
    """

    run_ids: list[str]
    without_vectors: list[str]
    damaged: dict[str, str]


def mappable_runs(dataset_name: str) -> MappableRuns:
    """The dataset's runs that have vectors to map, those that have none, and damaged ones.

    An architecture that never learns vectors (popularity, item k-NN, EASE: ``embeddings`` not
    overridden) is ruled out without loading its runs; the others are loaded once (cached).
    """
    runs = runs_table(dataset_name)
    found = MappableRuns([], [], {})
    without: set[str] = set()
    for run_id, model_name in zip(runs.get("run", []), runs.get("model", []), strict=True):
        try:
            has_vectors = _may_have_embeddings(model_name) and bool(run_embedding_sides(run_id))
        except RecScopeError as exc:
            found.damaged[run_id] = str(exc)
            continue
        if has_vectors:
            found.run_ids.append(run_id)
        else:
            without.add(model_name)
    found.without_vectors.extend(sorted(without))
    return found


def _may_have_embeddings(model_name: str) -> bool:
    try:
        model_class = get_model_class(model_name)
    except ConfigError:  # a derived run's wrapper (re-ranked, calibrated): ask its model
        return True
    return model_class.embeddings is not Recommender.embeddings


@st.cache_data(max_entries=16, show_spinner=False)
def _embedding_points(
    db: str, run_id: str, fingerprint: str, side: str, n_neighbors: int, min_dist: float
) -> pd.DataFrame:
    model = _run_model(db, run_id)
    params = ProjectionParams(n_neighbors=n_neighbors, min_dist=min_dist)
    coords = run_projection(run_id, side, params, model=model)
    return point_table(dataset(registry.get_run(run_id).dataset), model, side, coords)


def embedding_points(run_id: str, side: str, n_neighbors: int, min_dist: float) -> pd.DataFrame:
    """The UMAP map of a run's item or user vectors, one annotated row per point.

    The first request per run and settings fits UMAP (seconds; the first fit in a process also
    compiles it, about 20 s) and stores the layout with the run, so later sessions read it back.
    """
    fingerprint = _run_fingerprint(run_id)
    return _embedding_points(_db(), run_id, fingerprint, side, n_neighbors, min_dist)


@st.cache_resource(max_entries=4, show_spinner="Indexing the item embeddings…")
def _faiss_index(db: str, run_id: str, metric: str) -> FaissIndex:
    return FaissIndex.from_model(_run_model(db, run_id), metric=metric)


@st.cache_data(max_entries=64, show_spinner=False)
def _similar_items(
    db: str, run_id: str, fingerprint: str, metric: str, item_idx: int, k: int
) -> pd.DataFrame:
    index = _faiss_index(db, run_id, metric)
    return similar_item_table(index, dataset(registry.get_run(run_id).dataset), item_idx, k)


def similar_items(run_id: str, metric: str, item_idx: int, k: int) -> pd.DataFrame:
    """The k items nearest one item in the run's embedding space (faiss, itself excluded)."""
    return _similar_items(_db(), run_id, _run_fingerprint(run_id), metric, item_idx, k)


@st.cache_data(max_entries=64, show_spinner=False)
def _user_item_lists(
    db: str, run_id: str, fingerprint: str, metric: str, user_idx: int, k: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    model, index = _run_model(db, run_id), _faiss_index(db, run_id, metric)
    return user_item_tables(model, index, dataset(registry.get_run(run_id).dataset), user_idx, k)


def user_item_lists(
    run_id: str, metric: str, user_idx: int, k: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A user's nearest items in embedding space and the model's top-k, as two tables."""
    return _user_item_lists(_db(), run_id, _run_fingerprint(run_id), metric, user_idx, k)
