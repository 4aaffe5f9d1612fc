"""The Recommendations page's re-ranking caches: sessions, outcomes, lists, saved runs."""

from __future__ import annotations

import streamlit as st

from recsys_core.registry.runs import (
    RunRecord,
)
from recsys_core.rerank import RerankPipeline, views
from recsys_core.rerank import saved as saved_rerank
from recsys_core.rerank.session import RerankOutcome, RerankSession
from recsys_core.ui.cache._shared import _db, _runs_table
from recsys_core.ui.cache.recommendations import _run_context, _run_fingerprint


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
