"""The Recommendations page's caches: one user's lists and history."""

from __future__ import annotations

import streamlit as st

from recsys_core import inspection, registry
from recsys_core.models.base import Recommender
from recsys_core.ui.cache._shared import Stamp, _db, _stamp, fingerprint


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


@st.cache_data(max_entries=8, show_spinner=False)
def _user_descriptions(db: str, run_id: str, fingerprint: str) -> dict[str, str]:
    return inspection.user_descriptions(_run_context(db, run_id, fingerprint))


def user_descriptions(run_id: str) -> dict[str, str]:
    """Evaluated user id -> ``"196 · 39 in training · male, 49, writer"``, for the user picker."""
    return _user_descriptions(_db(), run_id, _run_fingerprint(run_id))
