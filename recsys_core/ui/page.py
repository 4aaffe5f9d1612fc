"""``setup(title)`` starts every page: page config, the default dataset, the shared picker."""

from __future__ import annotations

import streamlit as st

from recsys_core.ui import cache, state


def setup(title: str, icon: str = "🎯") -> str:
    """Configure the page and the sidebar dataset picker; returns the selected dataset's name."""
    st.set_page_config(page_title=f"{title} · RecScope", page_icon=icon, layout="wide")
    default = cache.default_dataset()
    state.init_state(default)
    names = cache.datasets_table()["name"].tolist()
    if st.session_state[state.DATASET] not in names:
        st.session_state[state.DATASET] = default
    with st.sidebar:
        st.selectbox(
            "Dataset",
            names,
            key=state.DATASET,
            help="Every page works on this dataset; load others on the Home page.",
        )
    state.mirror_to_url(state.DATASET)
    st.title(title)
    return str(st.session_state[state.DATASET])
