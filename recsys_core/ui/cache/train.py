"""The Train page's caches: the architecture table, saved runs, their twins and names."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from recsys_core.models import capabilities
from recsys_core.models.base import list_models
from recsys_core.registry import names, twins
from recsys_core.registry.runs import (
    RunRecord,
    get_run,
    load_run_details,
)
from recsys_core.ui.cache._shared import _dataset, _db, _stamp, fingerprint, runs_table


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


@st.cache_data(max_entries=32, show_spinner=False)
def _identical_runs(
    stamp: tuple, dataset: str, model: str, config: str, protocol: str
) -> list[str]:
    found = twins.identical_runs(dataset, model, json.loads(config), json.loads(protocol))
    return [record.run_id for record in found]


def identical_runs(
    dataset: str, model: str, model_config: Mapping[str, Any], protocol: Mapping[str, Any]
) -> list[str]:
    """Labels of the complete runs that asked for exactly this fit (``registry.twins``)."""
    config_text = json.dumps(model_config, sort_keys=True, default=str)
    protocol_text = json.dumps(protocol, sort_keys=True, default=str)
    ids = _identical_runs(_stamp(), dataset, model, config_text, protocol_text)
    labels = runs_table(dataset).set_index("run")["label"] if ids else {}
    return [str(labels.get(run_id, run_id)) for run_id in ids]


def rename_run(run_id: str, name: str) -> str | None:
    """Name a run (empty: drop its name); every table and picker shows it at once (the database
    stamp changes)."""
    return names.rename_run(run_id, name)
