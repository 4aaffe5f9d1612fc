"""RecScope home: the dataset in use, loading more (MovieLens, your own files), saved runs, and
where to go next."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import streamlit as st

from recsys_core.data.movielens import (
    DATASETS_ENV,
    MOVIELENS_NAMES,
    MOVIELENS_URLS,
    import_movielens,
)
from recsys_core.data.tabular import import_tabular
from recsys_core.errors import DataError, RecScopeError
from recsys_core.evaluation.headline import table_metrics
from recsys_core.ui import cache, state
from recsys_core.ui.loading import progress_reporter, save_upload, select_loaded
from recsys_core.ui.page import PAGES, setup
from recsys_core.ui.wording import ui_message

LOCAL, DOWNLOAD = "A local folder or zip", "Download from GroupLens"
UPLOAD_TYPES = ["csv", "tsv", "txt", "parquet", "pq"]
#: What each view offers, shown under its link ("where to go next").
PAGE_HINTS = {
    "pages/1_Data.py": "What the dataset holds, and what a split trains on, tests on and leaks.",
    "pages/2_Train.py": "Fit any architecture with a live curve, and manage the saved runs.",
    "pages/3_Embeddings.py": "A UMAP map of a run's vectors, with nearest neighbours.",
    "pages/4_Recommendations.py": "One user's history beside a run's top-k and its hits.",
    "pages/5_Compare.py": "Runs side by side: intervals, paired tests, segments, a report.",
}


loaded = st.session_state.pop(state.HOME_LOADED, None)
if loaded is not None:
    st.session_state[state.DATASET] = loaded
dataset_name = setup("RecScope")
st.caption("Explore and evaluate recommender systems: data, training, embeddings, comparisons.")
if loaded is not None:
    st.success(f"Stored {loaded}; it is now the dataset in use.")

datasets = cache.datasets_table()
current = datasets[datasets["name"] == dataset_name].iloc[0]
st.subheader(f"Dataset in use: {dataset_name}")
cols = st.columns(4)
cols[0].metric("Users", f"{current['users']:,}")
cols[1].metric("Items", f"{current['items']:,}")
cols[2].metric("Interactions", f"{current['interactions']:,}")
cols[3].metric("Impressions", f"{current['impressions']:,}")
st.caption(f"Source: {current['source']}. Switch datasets in the sidebar, or load another below.")

st.subheader("Where to go next")
views = {script: view for script, view in PAGES.items() if script != "app.py"}
for column, (script, (label, icon)) in zip(st.columns(len(views)), views.items(), strict=True):
    column.page_link(script, label=label, icon=icon)
    column.caption(PAGE_HINTS.get(script, ""))

st.subheader("Load a dataset")
movielens_tab, upload_tab = st.tabs(["MovieLens", "Your own CSV / Parquet"])
with movielens_tab:
    release = st.selectbox("MovieLens release", MOVIELENS_NAMES)
    source_kind = st.radio("Source", [LOCAL, DOWNLOAD], horizontal=True)
    datasets_dir = os.environ.get(DATASETS_ENV)
    local_path = st.text_input(
        "Folder or zip path",
        value=str(Path(datasets_dir) / release) if datasets_dir else "",
        placeholder=f"/path/to/{release}.zip or /path/to/{release}/",
        disabled=source_kind == DOWNLOAD,
        help="The official zip, or the folder it unzips to.",
    )
    replace_movielens = st.checkbox(
        f"Replace {release} if it is already stored (its splits are recreated; runs stay)"
    )
    if st.button(f"Load {release}", type="primary"):
        downloading = source_kind == DOWNLOAD
        source = MOVIELENS_URLS[release] if downloading else local_path.strip()
        try:
            if not source:
                raise DataError(f"enter the path of the {release} zip or folder, or download it")
            with st.status(f"Loading and storing {release} from {source}…", expanded=True):
                bar = st.progress(0.0, text="Downloading…") if downloading else None
                info = import_movielens(
                    release,
                    source=source,
                    replace=replace_movielens,
                    progress=progress_reporter(bar) if bar else None,
                )
        except RecScopeError as exc:
            st.error(ui_message(exc))
        else:
            select_loaded(info.name)

with upload_tab:
    with st.form("home.upload"):
        upload_name = st.text_input(
            "Dataset name", placeholder="default: the interactions file's name"
        )
        interactions = st.file_uploader(
            "Interactions (required): user, item, optional rating and timestamp",
            type=UPLOAD_TYPES,
        )
        items = st.file_uploader(
            "Items (optional): item id, title, genres, year, …", type=UPLOAD_TYPES
        )
        users = st.file_uploader(
            "Users (optional): user id, age, gender, occupation, zip", type=UPLOAD_TYPES
        )
        replace_upload = st.checkbox("Replace a stored dataset of the same name")
        submitted = st.form_submit_button("Import")
    if submitted:
        if interactions is None:
            st.error("Choose an interactions file first.")
        else:
            name = upload_name.strip() or Path(interactions.name).stem
            with (
                st.spinner(f"Validating and storing {name}…"),
                tempfile.TemporaryDirectory(prefix="recscope-upload-") as folder,
            ):
                try:
                    info = import_tabular(
                        save_upload(interactions, Path(folder) / "interactions"),
                        name=name,
                        items=save_upload(items, Path(folder) / "items") if items else None,
                        users=save_upload(users, Path(folder) / "users") if users else None,
                        replace=replace_upload,
                    )
                except RecScopeError as exc:
                    st.error(ui_message(exc).replace(f"{folder}{os.sep}", ""))
                else:
                    select_loaded(info.name)

st.subheader("Saved runs")
runs = cache.runs_table(dataset_name)
if runs.empty:
    st.info(
        "No saved runs on this dataset yet. Train one on the Train page, or from the command "
        f"line: `python -m recsys_core train --dataset {dataset_name} --model ease`."
    )
else:
    metric_specs = table_metrics(runs["stage"])
    st.dataframe(
        runs,
        hide_index=True,
        width="stretch",
        column_order=[
            "what",
            "protocol",
            *(spec.name for spec in metric_specs),
            "train s",
            "age",
            "run",
        ],
        column_config={
            "what": st.column_config.TextColumn("Run", width="large"),
            "protocol": st.column_config.TextColumn("Protocol"),
            "age": st.column_config.TextColumn("Trained"),
            **{
                spec.name: st.column_config.NumberColumn(spec.label, format=spec.format)
                for spec in metric_specs
            },
            "train s": st.column_config.NumberColumn("Train s", format="%.1f"),
            "run": st.column_config.TextColumn("Run id"),
        },
    )

st.subheader("All datasets")
st.dataframe(
    datasets,
    hide_index=True,
    width="stretch",
    column_config={
        "name": st.column_config.TextColumn("Name"),
        "users": st.column_config.NumberColumn("Users", format="localized"),
        "items": st.column_config.NumberColumn("Items", format="localized"),
        "interactions": st.column_config.NumberColumn("Interactions", format="localized"),
        "ratings": st.column_config.CheckboxColumn("Ratings"),
        "timestamps": st.column_config.CheckboxColumn("Timestamps"),
        "impressions": st.column_config.NumberColumn("Impressions", format="localized"),
        "source": st.column_config.TextColumn("Source", width="large"),
    },
)
