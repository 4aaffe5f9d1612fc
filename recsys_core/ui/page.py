"""``setup(title)`` starts every page: page config (tab title, About), navigation, the default
dataset, the shared dataset picker, and the starter runs' progress line while they train.

The layout keeps legacy numbered ``pages/`` (no ``st.navigation``), whose automatic sidebar would
label the home page "app"; ``.streamlit/config.toml`` hides it and ``setup`` draws the same
navigation with proper labels.
"""

from __future__ import annotations

import time

import streamlit as st

from recsys_core import __version__, starter
from recsys_core.data import store
from recsys_core.errors import RecScopeError, StoreLockedError
from recsys_core.ui import cache, state
from recsys_core.ui.wording import ui_message

APP_NAME = "RecScope"
#: Seconds between tries while another process keeps the database locked.
BUSY_RETRY_S = 1.0

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
    try:
        default = cache.default_dataset()  # draws nothing, so the page config still comes first
        names = cache.datasets_table()["name"].tolist()
    except StoreLockedError:  # another process holds the file for a long write: wait, retry
        st.set_page_config(page_title=f"{title} · {APP_NAME}", page_icon=icon, layout="wide")
        st.title(title)
        st.info(store.BUSY_NOTICE)
        time.sleep(BUSY_RETRY_S)
        st.rerun()
    except RecScopeError as exc:  # e.g. the database file is not DuckDB: say so, draw nothing
        st.set_page_config(page_title=f"{title} · {APP_NAME}", page_icon=icon, layout="wide")
        st.title(title)
        st.error(ui_message(exc))
        st.stop()
    st.set_page_config(
        page_title=title if title == APP_NAME else f"{title} · {APP_NAME}",
        page_icon=icon,
        layout="wide",
        menu_items={"About": _about(names)},
    )
    state.init_state(default)
    state.url_fallback(state.DATASET, names, "dataset", default)
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
        progress = starter.starter_progress()
        if progress is not None and not progress.finished:
            _starter_line()
    state.mirror_to_url(state.DATASET)
    st.title(title)
    state.show_url_notices()
    return str(st.session_state[state.DATASET])


def _about(datasets: list[str]) -> str:
    """The About box of the app menu: version, database and the datasets it holds."""
    return (
        f"**{APP_NAME} {__version__}**: explore and evaluate recommender systems.\n\n"
        f"Database: `{store.resolve_path()}`  \nDatasets: {', '.join(datasets) or 'none yet'}."
    )


@st.fragment(run_every=1.5)
def _starter_line() -> None:
    """The starter runs' progress, refreshed while they train; reruns the page when they finish
    so every picker and table shows them."""
    progress = starter.starter_progress()
    if progress is None or progress.finished:
        st.rerun(scope="app")
    st.progress(progress.done / progress.total, text=progress.text)
