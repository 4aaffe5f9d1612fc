"""Helpers of the Home page's dataset loading: progress bars, uploads, selecting the result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.uploaded_file_manager import UploadedFile

from recsys_core.ui import state


def select_loaded(name: str) -> None:
    """Make a just-stored dataset the one in use on the next run (the sidebar picker already
    exists in this run, so its value can only change before it is drawn) and rerun."""
    st.session_state[state.HOME_LOADED] = name
    st.rerun()


def progress_reporter(bar: DeltaGenerator) -> Callable[[int, int], None]:
    """A ``load_movielens`` progress callback that moves ``bar`` (a ``st.progress``)."""

    def report(done: int, total: int) -> None:
        share = min(done / total, 1.0) if total else 0.0
        bar.progress(share, text=f"Downloaded {done / 1e6:.1f} MB")

    return report


def save_upload(upload: UploadedFile, folder: Path) -> Path:
    """Write an uploaded file under ``folder`` with its own name, so errors name the user's file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(upload.name).name
    path.write_bytes(upload.getvalue())
    return path
