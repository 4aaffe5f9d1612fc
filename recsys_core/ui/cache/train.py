"""The Train page's caches: the architecture table and saved runs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recsys_core.models import capabilities
from recsys_core.models.base import list_models
from recsys_core.registry.runs import (
    RunRecord,
    get_run,
    load_run_details,
)
from recsys_core.ui.cache._shared import _dataset, _db, fingerprint


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
