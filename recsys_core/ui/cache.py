"""Every Streamlit cache of the app lives here (DESIGN.md, caching rules). Pages call these
accessors and never decorate anything themselves.

Keys always include the database path. What another process may change (datasets imported or runs
trained from the CLI) is keyed by ``store.database_stamp()``: the mtime and size of the DuckDB file
and its write-ahead log, read with two ``stat`` calls, so a rerun opens no connection just to learn
that nothing changed, and nothing goes stale. Datasets are keyed by their content fingerprint,
complete runs (immutable, ids never reused) by their id.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recsys_core import inspection, registry
from recsys_core.analysis.embedding_points import (
    point_table,
    similar_item_table,
    user_item_tables,
)
from recsys_core.analysis.projection import ProjectionParams, embedding_sides, run_projection
from recsys_core.calibration import compare as calibration_compare
from recsys_core.calibration.runs import CALIBRATED_KIND, load_calibrated_model
from recsys_core.data import stats, store
from recsys_core.data.dataset import Dataset
from recsys_core.data.defaults import DEFAULT_DATASET, ensure_default_dataset
from recsys_core.data.protocols import PROTOCOLS, custom_protocol, protocol_parts
from recsys_core.data.splits import Parts, SplitSpec, materialise_split
from recsys_core.evaluation import compare, headline
from recsys_core.models import capabilities
from recsys_core.models.base import Recommender, list_models
from recsys_core.registry import list_runs, reevaluate
from recsys_core.registry.runs import (
    RunRecord,
    get_run,
    load_pointwise_per_user,
    load_run_details,
)
from recsys_core.rerank import RerankPipeline, views
from recsys_core.rerank import saved as saved_rerank
from recsys_core.rerank.session import RerankOutcome, RerankSession
from recsys_core.rerank.tradeoff import tradeoff_curve
from recsys_core.retrieval import FaissIndex

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
    when the database holds no dataset at all)."""
    infos = _dataset_infos(_stamp())
    if DEFAULT_DATASET in infos:
        return DEFAULT_DATASET
    if infos:
        return next(iter(infos))
    return ensure_default_dataset()


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
def _runs_table(stamp: Stamp, dataset_name: str | None) -> pd.DataFrame:
    records = list_runs(dataset_name)
    specs = headline.table_metrics(_stage(record) for record in records)
    rows = [
        {
            "run": record.run_id,
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
    """Complete runs (optionally of one dataset) with their stage, lineage and the headline
    metrics (``headline.table_metrics``) of the stages present, newest first."""
    return _runs_table(_stamp(), dataset_name)


def delete_run(run_id: str) -> None:
    """Delete a run from the registry, then clear exactly the caches that hold it.

    Entries keyed by the run id alone are dropped one by one; accessors whose keys mix runs with
    other choices (negatives, users, k, run selections) or with the database stamp are cleared
    whole, since their keys cannot be listed. Dataset, split and architecture caches are kept.

    Raises:
        DataError: no such run, or other runs derive from it (delete those first).
    """
    registry.delete_run(run_id)
    db = _db()
    for accessor in (_saved_run, _run_model, _embedding_sides, _pointwise_run):
        accessor.clear(db, run_id)
    for accessor in _RUN_SELECTION_CACHES:
        accessor.clear()


# --- Data page -------------------------------------------------------------------------------


@st.cache_data(max_entries=4, show_spinner="Profiling the dataset…")
def _dataset_profile(db: str, name: str, fingerprint: str) -> stats.DatasetProfile:
    return stats.describe_dataset(_dataset(db, name, fingerprint))


def dataset_profile(name: str) -> stats.DatasetProfile:
    """Every statistic the Data page shows for dataset ``name``, keyed by its fingerprint."""
    return _dataset_profile(_db(), name, fingerprint(name))


@st.cache_data(max_entries=16, show_spinner=False)
def _stored_splits(stamp: Stamp, name: str) -> list[str]:
    return store.list_splits(name)


def stored_splits(name: str) -> list[str]:
    """Names of the splits stored for ``name``."""
    return _stored_splits(_stamp(), name)


def _split_parts(dataset: Dataset, split: str, spec: SplitSpec | None) -> tuple[str, Parts]:
    """(description, parts) of a preset, a stored split or a spec; the stored copy wins, and
    nothing is written (a view page only looks)."""
    if spec is None and split not in PROTOCOLS:
        stored_spec, parts = store.load_split(dataset.name, split)
        return str(stored_spec.get("description", stored_spec)), parts
    protocol = custom_protocol(spec) if spec is not None else PROTOCOLS[split]
    if protocol.split_name in store.list_splits(dataset.name):
        return protocol.description, store.load_split(dataset.name, protocol.split_name)[1]
    return protocol.description, protocol_parts(dataset.interactions, protocol)


@st.cache_data(max_entries=16, show_spinner="Splitting…")
def _split_report(
    db: str, name: str, fingerprint: str, split: str, spec: tuple[str, float, float, int] | None
) -> tuple[str, stats.SplitSummary, stats.LeakageReport]:
    dataset = _dataset(db, name, fingerprint)
    custom = SplitSpec(*spec) if spec is not None else None
    description, parts = _split_parts(dataset, split, custom)
    return description, stats.split_summary(dataset, parts), stats.leakage_report(dataset, parts)


def split_report(
    name: str, split: str, spec: SplitSpec | None = None
) -> tuple[str, stats.SplitSummary, stats.LeakageReport]:
    """Description, sizes and leakage of a protocol preset or stored split of dataset ``name``,
    or of ``spec`` (computed, not stored) when given."""
    key = (spec.kind, spec.test, spec.valid, spec.seed) if spec is not None else None
    return _split_report(_db(), name, fingerprint(name), split, key)


# --- Train page ------------------------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner=False)
def _architecture_table(
    db: str, name: str, fingerprint: str, registered: tuple[str, ...]
) -> pd.DataFrame:
    found = capabilities.dataset_capabilities(_dataset(db, name, fingerprint))
    return capabilities.architecture_table(found)


def architecture_table(name: str) -> pd.DataFrame:
    """``capabilities.architecture_table`` for dataset ``name``: keyed by its fingerprint and the
    names in the registry of architectures (a newly registered one appears at once)."""
    return _architecture_table(_db(), name, fingerprint(name), tuple(list_models()))


@st.cache_data(max_entries=32, show_spinner=False)
def _saved_run(db: str, run_id: str) -> tuple[RunRecord, dict]:
    return get_run(run_id), load_run_details(run_id)


def saved_run(run_id: str) -> tuple[RunRecord, dict]:
    """A complete run's record and its ``run.json`` (metrics, evaluation labels, history).

    Both are immutable once the run is complete, so the run id is the key; ``delete_run`` drops
    the entry of a deleted run.
    """
    return _saved_run(_db(), run_id)


# --- Embeddings page -------------------------------------------------------------------------


@st.cache_data(max_entries=32, show_spinner=False)
def _embedding_sides(db: str, run_id: str) -> tuple[str, ...]:
    return embedding_sides(_run_model(db, run_id))


def run_embedding_sides(run_id: str) -> tuple[str, ...]:
    """Which of ``item``/``user`` vectors a run's model has (empty: nothing to map); cached, as
    some models build their vectors on request (content-based TF-IDF densifies its matrices)."""
    return _embedding_sides(_db(), run_id)


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


# --- Recommendations page --------------------------------------------------------------------


@st.cache_resource(max_entries=4, show_spinner="Loading the run's model…")
def _run_model(db: str, run_id: str) -> Recommender:
    return registry.load_run_model(run_id)


def run_model(run_id: str) -> Recommender:
    """A complete run's fitted model, loaded once and shared read-only (never mutate or move it).

    Runs are immutable once complete and their ids are never reused, so the run id is the key.
    """
    return _run_model(_db(), run_id)


@st.cache_data(max_entries=64, show_spinner=False)
def _run_dataset(stamp: Stamp, run_id: str) -> str:
    return registry.get_run(run_id).dataset


def _run_fingerprint(run_id: str) -> str:
    return fingerprint(_run_dataset(_stamp(), run_id))


@st.cache_resource(max_entries=4, show_spinner="Loading the run's split…")
def _run_context(db: str, run_id: str, fingerprint: str) -> inspection.RunContext:
    return inspection.load_run_context(run_id)


def run_context(run_id: str) -> inspection.RunContext:
    """The run's dataset, stored split, protocol and test truth, shared read-only; keyed also by
    the dataset's fingerprint, so a re-imported dataset gets a fresh context."""
    return _run_context(_db(), run_id, _run_fingerprint(run_id))


@st.cache_data(max_entries=64, show_spinner="Ranking the catalogue…")
def _user_inspection(
    db: str, run_id: str, fingerprint: str, user_id: str, k: int
) -> inspection.UserInspection:
    context = _run_context(db, run_id, fingerprint)
    return inspection.inspect_user(_run_model(db, run_id), context, user_id, k)


def user_inspection(run_id: str, user_id: str, k: int) -> inspection.UserInspection:
    """One user's history, top-k list (with hit flags), summary and genre shares under a run."""
    return _user_inspection(_db(), run_id, _run_fingerprint(run_id), user_id, k)


# --- Recommendations page: re-ranking -------------------------------------------------------


@st.cache_resource(max_entries=2, show_spinner="Gathering the run's top-100 candidates…")
def _rerank_session(db: str, run_id: str, fingerprint: str) -> RerankSession:
    return RerankSession.open(run_id)


def rerank_session(run_id: str) -> RerankSession:
    """A run's candidates (computed once and kept with the run), re-ranking context and truth,
    shared read-only; keyed also by the dataset's fingerprint, like ``run_context``."""
    return _rerank_session(_db(), run_id, _run_fingerprint(run_id))


@st.cache_data(max_entries=32, show_spinner=False)
def _rerank_outcome(db: str, run_id: str, fingerprint: str, k: int, weights: str) -> RerankOutcome:
    session = _rerank_session(db, run_id, fingerprint)
    return session.rerank(RerankPipeline.from_text(weights), k)


@st.cache_data(max_entries=32, show_spinner=False)
def _rerank_summary(
    db: str, run_id: str, fingerprint: str, k: int, weights: str
) -> views.OutcomeSummary:
    return views.summarise_outcome(_rerank_outcome(db, run_id, fingerprint, k, weights), k)


def rerank_summary(run_id: str, k: int, weights: str) -> views.OutcomeSummary:
    """Test-set metrics of every evaluated user's top-k re-ranked with ``weights`` (the canonical
    ``RerankPipeline.to_text``) against the run's own lists, and the list-change means."""
    return _rerank_summary(_db(), run_id, _run_fingerprint(run_id), k, weights)


@st.cache_data(max_entries=64, show_spinner=False)
def _rerank_user_lists(
    db: str, run_id: str, fingerprint: str, k: int, weights: str, user_id: str
) -> views.UserLists:
    context = _run_context(db, run_id, fingerprint)
    session = _rerank_session(db, run_id, fingerprint)
    outcome = _rerank_outcome(db, run_id, fingerprint, k, weights)
    return views.user_lists(context, session.candidates, outcome, context.user_idx(user_id))


def rerank_user_lists(run_id: str, k: int, weights: str, user_id: str) -> views.UserLists:
    """One user's original and re-ranked top-k under ``weights``, with moves and hit flags."""
    return _rerank_user_lists(_db(), run_id, _run_fingerprint(run_id), k, weights, user_id)


def save_rerank_run(run_id: str, weights: str, k: int) -> RunRecord:
    """Save ``weights`` at list length ``k`` as a run of kind ``rerank`` whose parent is
    ``run_id`` (``rerank.saved.save_rerank_run``, at the session's candidate depth), then clear
    the runs-table cache so every picker and table lists the new run.

    Raises:
        ConfigError: the run is not a trained run, or the weights or k are refused.
        DataError: the run is missing or incomplete.
    """
    depth = rerank_session(run_id).depth
    pipeline = RerankPipeline.from_text(weights)
    record = saved_rerank.save_rerank_run(run_id, pipeline, k=k, depth=depth)
    _runs_table.clear()
    return record


# --- Compare page ----------------------------------------------------------------------------


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


# --- Compare page: calibration ---------------------------------------------------------------


@st.cache_data(max_entries=16, show_spinner="Scoring the test rows for calibration…")
def _calibration_rows(db: str, run_id: str, fingerprint: str) -> calibration_compare.StageRows:
    record = get_run(run_id)
    context = _run_context(db, run_id, fingerprint)
    if record.kind == CALIBRATED_KIND:
        model = load_calibrated_model(run_id)
    else:
        model = _run_model(db, run_id)
    return calibration_compare.stage_rows(record, model, context.split, context.protocol)


@st.cache_data(max_entries=16, show_spinner=False)
def _calibration_comparison(
    db: str, run_ids: tuple[str, ...], fingerprints: tuple[str, ...], strategy: str
) -> calibration_compare.CalibrationComparison:
    records = [get_run(run_id) for run_id in run_ids]
    rows = {
        record.run_id: _calibration_rows(db, record.run_id, fingerprint)
        for record, fingerprint in zip(records, fingerprints, strict=True)
        if calibration_compare.is_calibratable(record)
    }
    return calibration_compare.compare_calibration(records, rows, strategy)  # type: ignore[arg-type]


def calibration_comparison(
    run_ids: list[str], strategy: str = "uniform"
) -> calibration_compare.CalibrationComparison:
    """``compare_calibration`` of the runs: reliability curves (``uniform`` or ``quantile``
    bins), ECE, MCE, Brier and log loss per (run, stage), and ECE per activity segment. Each
    ranking run's test rows are scored once and kept; retrieval runs are skipped with a note.
    Keyed also by the datasets' fingerprints, so a re-imported dataset is rescored."""
    fingerprints = tuple(_run_fingerprint(run_id) for run_id in run_ids)
    return _calibration_comparison(_db(), tuple(run_ids), fingerprints, strategy)


#: Accessors whose keys hold runs among other values (see ``delete_run``).
_RUN_SELECTION_CACHES = (
    _runs_table,
    _run_dataset,
    _embedding_points,
    _faiss_index,
    _similar_items,
    _user_item_lists,
    _run_context,
    _user_inspection,
    _rerank_session,
    _rerank_outcome,
    _rerank_summary,
    _rerank_user_lists,
    _compare_records,
    _per_user_frame,
    _comparison,
    _tradeoff,
    _calibration_rows,
    _calibration_comparison,
)
