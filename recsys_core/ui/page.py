"""``setup(title)`` starts every page: page config, navigation, the default dataset, the shared
dataset picker.

The layout keeps legacy numbered ``pages/`` (no ``st.navigation``), whose automatic sidebar would
label the home page "app"; ``.streamlit/config.toml`` hides it and ``setup`` draws the same
navigation with proper labels.
"""

from __future__ import annotations

import streamlit as st

from recsys_core.ui import cache, state

#: Script path -> (label, Material icon) of every view, in sidebar order.
PAGES: dict[str, tuple[str, str]] = {
    "app.py": ("Home", ":material/home:"),
    "pages/1_Data.py": ("Data", ":material/database:"),
    "pages/2_Train.py": ("Train", ":material/model_training:"),
    "pages/3_Embeddings.py": ("Embeddings", ":material/scatter_plot:"),
    "pages/4_Recommendations.py": ("Recommendations", ":material/recommend:"),
    "pages/5_Compare.py": ("Compare", ":material/compare_arrows:"),
}


def setup(title: str, icon: str = "🎯") -> str:
    """Configure the page and the sidebar dataset picker; returns the selected dataset's name."""
    st.set_page_config(page_title=f"{title} · RecScope", page_icon=icon, layout="wide")
    default = cache.default_dataset()
    state.init_state(default)
    names = cache.datasets_table()["name"].tolist()
    if st.session_state[state.DATASET] not in names:
        st.session_state[state.DATASET] = default
    with st.sidebar:
        for script, (label, page_icon) in PAGES.items():
            st.page_link(script, label=label, icon=page_icon)
        st.divider()
        st.selectbox(
            "Dataset",
            names,
            key=state.DATASET,
            help="Every page works on this dataset; load others on the Home page.",
            persist_state="session",  # keep the choice across page switches
        )
    state.mirror_to_url(state.DATASET)
    st.title(title)
    return str(st.session_state[state.DATASET])
