"""Shared selection widgets: the run picker(s) every run-based page uses, mirrored to the URL."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from recsys_core.ui import cache, state


def _label(runs_frame: pd.DataFrame, run_id: str) -> str:
    """The run's label (``registry.labels``: what it is, protocol, metric, age)."""
    return str(runs_frame.loc[runs_frame["run"] == run_id, "label"].iloc[0])


def pick_run(
    dataset_name: str, *, label: str = "Run", only: Sequence[str] | None = None
) -> str | None:
    """A selectbox of the dataset's complete runs (newest first), or of those in ``only``; None
    when there are none."""
    runs = cache.runs_table(dataset_name)
    if only is not None and not runs.empty:
        runs = runs[runs["run"].isin(list(only))]
    options = runs["run"].tolist() if not runs.empty else []
    state.url_fallback(state.RUN, options, "run", _label(runs, options[0]) if options else None)
    if not options:
        state.show_url_notices()
        return None
    if st.session_state.get(state.RUN) not in options:
        st.session_state[state.RUN] = options[0]
    st.selectbox(
        label,
        options,
        key=state.RUN,
        format_func=lambda run_id: _label(runs, run_id),
        persist_state="session",  # the chosen run follows the person from page to page
    )
    state.show_url_notices()
    state.mirror_to_url(state.RUN)
    return str(st.session_state[state.RUN])


def pick_runs(dataset_name: str, *, label: str = "Runs to compare") -> list[str]:
    """A multiselect of the dataset's complete runs; defaults to the two newest, and stays empty
    once the person clears it."""
    runs = cache.runs_table(dataset_name)
    if runs.empty:
        return []
    options = runs["run"].tolist()
    state.url_fallback(state.COMPARE_RUNS, options, "run", None)
    st.session_state[state.COMPARE_RUNS] = state.kept_selection(
        state.COMPARE_RUNS, options, options[:2]
    )
    st.multiselect(
        label,
        options,
        key=state.COMPARE_RUNS,
        format_func=lambda run_id: _label(runs, run_id),
        persist_state="session",
    )
    state.show_url_notices()
    state.mirror_to_url(state.COMPARE_RUNS)
    return list(st.session_state[state.COMPARE_RUNS])
