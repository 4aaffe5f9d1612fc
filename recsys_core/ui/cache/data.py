"""The Data page's caches: dataset profiles, stored splits and split reports."""

from __future__ import annotations

import streamlit as st

from recsys_core.data import stats, store
from recsys_core.data.dataset import Dataset
from recsys_core.data.protocols import PROTOCOLS, custom_protocol, protocol_parts
from recsys_core.data.splits import Parts, SplitSpec
from recsys_core.ui.cache._shared import Stamp, _dataset, _db, _stamp, fingerprint


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
