"""Session-state keys, declared once, namespaced by page. Values are selections only, never data.

Selections a person would share are mirrored in the URL query parameters (``QUERY_PARAMS``), so a
link reopens the same view.
"""

from __future__ import annotations

import streamlit as st

# --- shared (every page) ---
DATASET = "app.dataset"
RUN = "app.run"
# --- Train page ---
TRAIN_MODEL = "train.model"
TRAIN_PROTOCOL = "train.protocol"
TRAIN_SUGGESTED = "train.suggested_protocol"  # the preset proposed for the dataset last shown
TRAIN_SPLIT = "train.split"  # prefix of the custom split's widgets: train.split.kind, ...
TRAIN_K = "train.k"
TRAIN_FORM = "train.form"  # prefix of the hyperparameter forms: train.form.<model>.<field>
TRAIN_JOB = "train.job_id"
TRAIN_CANCEL = "train.cancel"
TRAIN_DELETE = "train.delete"
TRAIN_DELETE_CONFIRM = "train.delete_confirm"
TRAIN_NOTICE = "train.notice"
# --- Data page ---
DATA_SPLIT = "data.split"  # the protocol or stored split whose sizes and leakage are shown
DATA_CUSTOM = "data.custom"  # prefix of the on-the-fly split's widgets: data.custom.kind, ...
DATA_BANDITS = "data.bandits"  # the dataset whose offline bandit evaluation was asked for
DATA_GO = "data.bandits_go"  # the button that asks for it
# --- Home page ---
HOME_LOADED = "home.loaded"  # a dataset just loaded or imported: selected on the next run
# --- Embeddings page ---
EMB_SIDE = "emb.side"  # which vectors are mapped: "item" or "user"
EMB_COLOUR = "emb.colour"
EMB_ITEM = "emb.item_id"  # the inspected item (raw id)
EMB_USER = "emb.user_id"  # the inspected user (raw id)
EMB_K = "emb.k"
EMB_METRIC = "emb.metric"  # similarity of the neighbour search: "ip" or "cosine"
EMB_NEIGHBORS = "emb.n_neighbors"  # UMAP settings, applied when the form is submitted
EMB_MIN_DIST = "emb.min_dist"
# --- Recommendations page ---
RECS_USER = "recs.user_id"
RECS_RERANK = "recs.rerank"  # the re-ranking weights as text: "mmr=0.5,fairness=0.3"
RECS_RERANK_NOTICE = "recs.rerank_notice"  # why the URL's weights were refused (until a move)
RECS_WEIGHT = "recs.weight"  # prefix of the weight sliders: recs.weight.<re-ranker name>
RECS_SAVE_RERANK = "recs.save_rerank"  # the button that saves the weights as a rerank run
# --- Compare page ---
COMPARE_RUNS = "compare.runs"
COMPARE_BASELINE = "compare.baseline"
COMPARE_SPLIT = "compare.split"  # which split's runs are shown when a selection mixes splits
COMPARE_FAMILIES = "compare.families"
COMPARE_KS = "compare.ks"
COMPARE_SAMPLED = "compare.sampled"
COMPARE_NEGATIVES = "compare.negatives"
COMPARE_SEGMENT_METRIC = "compare.segment_metric"
COMPARE_TRADEOFF_RERANKER = "compare.tradeoff_reranker"  # the re-ranker whose weight is swept
COMPARE_TRADEOFF_METRIC = "compare.tradeoff_metric"  # the beyond-accuracy axis of that chart
COMPARE_CALIBRATION_BINS = "compare.calibration_bins"  # reliability binning: uniform | quantile

#: state key -> query parameter name. List-valued selections are stored comma-joined in the URL.
QUERY_PARAMS = {
    DATASET: "dataset",
    RUN: "run",
    DATA_SPLIT: "split",
    TRAIN_MODEL: "model",
    RECS_USER: "user",
    RECS_RERANK: "rerank",
    EMB_SIDE: "side",
    EMB_ITEM: "item",
    EMB_USER: "emb_user",
    COMPARE_RUNS: "runs",
    COMPARE_BASELINE: "baseline",
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


def weight_key(reranker: str) -> str:
    """The session-state key of one re-ranker's weight slider on the Recommendations page."""
    return f"{RECS_WEIGHT}.{reranker}"


def mirror_to_url(key: str) -> None:
    """Write a shareable selection to the URL (or drop it when empty)."""
    value = st.session_state.get(key)
    name = QUERY_PARAMS[key]
    if value is None or value == [] or value == "":
        if name in st.query_params:
            del st.query_params[name]
        return
    st.query_params[name] = ",".join(value) if key in LIST_KEYS else str(value)
