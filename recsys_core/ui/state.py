"""Session-state keys, declared once. Values are selections only, never data."""

from __future__ import annotations

import streamlit as st

DATASET = "app.dataset"
#: Selections a person would share, mirrored in the URL query parameters under these names.
QUERY_PARAMS = {DATASET: "dataset"}


def init_state(default_dataset: str) -> None:
    """Initialise selections, preferring what the URL carries."""
    for key, param_name in QUERY_PARAMS.items():
        if key not in st.session_state and param_name in st.query_params:
            st.session_state[key] = st.query_params[param_name]
    st.session_state.setdefault(DATASET, default_dataset)


def mirror_to_url(key: str) -> None:
    """Write a shareable selection to the URL so a link reopens the same view."""
    value = st.session_state.get(key)
    if value is not None:
        st.query_params[QUERY_PARAMS[key]] = str(value)
