"""Session-state keys, declared once, namespaced by page. Values are selections only, never data.

Selections a person would share are mirrored in the URL query parameters (``QUERY_PARAMS``), so a
link reopens the same view.
"""

from __future__ import annotations

import streamlit as st

# --- shared (every page) ---
DATASET = "app.dataset"
RUN = "app.run"
# --- Recommendations page ---
RECS_USER = "recs.user_id"
# --- Compare page ---
COMPARE_RUNS = "compare.runs"
COMPARE_BASELINE = "compare.baseline"

#: state key -> query parameter name. List-valued selections are stored comma-joined in the URL.
QUERY_PARAMS = {
    DATASET: "dataset",
    RUN: "run",
    RECS_USER: "user",
    COMPARE_RUNS: "runs",
}
LIST_KEYS = frozenset({COMPARE_RUNS})


def init_state(default_dataset: str) -> None:
    """Initialise selections, preferring what the URL carries."""
    for key, param_name in QUERY_PARAMS.items():
        if key not in st.session_state and param_name in st.query_params:
            value = st.query_params[param_name]
            is_list = key in LIST_KEYS
            st.session_state[key] = [v for v in value.split(",") if v] if is_list else value
    st.session_state.setdefault(DATASET, default_dataset)


def mirror_to_url(key: str) -> None:
    """Write a shareable selection to the URL (or drop it when empty)."""
    value = st.session_state.get(key)
    name = QUERY_PARAMS[key]
    if value is None or value == [] or value == "":
        if name in st.query_params:
            del st.query_params[name]
        return
    st.query_params[name] = ",".join(value) if key in LIST_KEYS else str(value)
