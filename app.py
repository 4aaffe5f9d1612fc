"""RecScope home: the dataset in use, its size, and the saved runs with their headline metrics."""

from __future__ import annotations

import streamlit as st

from recsys_core.ui import cache
from recsys_core.ui.page import setup

dataset_name = setup("RecScope")
st.caption("Explore and evaluate recommender systems: data, training, embeddings, comparisons.")

datasets = cache.datasets_table()
current = datasets[datasets["name"] == dataset_name].iloc[0]
st.subheader(f"Dataset in use: {dataset_name}")
cols = st.columns(4)
cols[0].metric("Users", f"{current['users']:,}")
cols[1].metric("Items", f"{current['items']:,}")
cols[2].metric("Interactions", f"{current['interactions']:,}")
cols[3].metric("Impressions", f"{current['impressions']:,}")
st.caption(f"Source: {current['source']}. Switch datasets in the sidebar.")

st.subheader("Saved runs")
runs = cache.runs_table(dataset_name)
if runs.empty:
    st.info(
        "No saved runs on this dataset yet. Train one from the command line, for example "
        f"`python -m recsys_core train --dataset {dataset_name} --model ease`."
    )
else:
    st.dataframe(
        runs,
        hide_index=True,
        width="stretch",
        column_config={
            "ndcg@10": st.column_config.NumberColumn(format="%.4f"),
            "precision@10": st.column_config.NumberColumn(format="%.4f"),
            "recall@10": st.column_config.NumberColumn(format="%.4f"),
            "map@10": st.column_config.NumberColumn(format="%.4f"),
            "train s": st.column_config.NumberColumn(format="%.1f"),
        },
    )

st.subheader("All datasets")
st.dataframe(datasets, hide_index=True, width="stretch")
