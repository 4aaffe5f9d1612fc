"""Session-state keys, declared once, namespaced by page. Values are selections only, never data.

Selections a person would share are mirrored in the URL query parameters (``QUERY_PARAMS``), so a
link reopens the same view.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

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
TRAIN_SHOWN = "train.shown_run"  # the finished job's run already made the selected run
TRAIN_TWIN = "train.twin"  # label of the identical run a submitted form would have repeated
TRAIN_TWIN_OK = "train.twin_ok"  # the person wants the twin all the same
TRAIN_RENAME = "train.rename"  # prefix of the rename form of the run shown under Saved runs
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
RECS_K = "recs.k"  # the list length shown
RECS_OTHER = "recs.other_run"  # a second run whose list for the same user is shown beside
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
    RECS_K: "list_k",
    RECS_OTHER: "beside",
    RECS_RERANK: "rerank",
    EMB_SIDE: "side",
    EMB_ITEM: "item",
    EMB_USER: "emb_user",
    COMPARE_RUNS: "runs",
    COMPARE_BASELINE: "baseline",
    COMPARE_FAMILIES: "metrics",
    COMPARE_KS: "k",
    COMPARE_SAMPLED: "sampled",
    COMPARE_NEGATIVES: "negatives",
    COMPARE_SEGMENT_METRIC: "segment",
    EMB_COLOUR: "colour",
    EMB_METRIC: "similarity",
    EMB_K: "neighbours",
    EMB_NEIGHBORS: "umap_neighbors",
    EMB_MIN_DIST: "umap_min_dist",
    f"{DATA_CUSTOM}.kind": "split_kind",
    f"{DATA_CUSTOM}.test": "split_test",
    f"{DATA_CUSTOM}.valid": "split_valid",
    f"{DATA_CUSTOM}.seed": "split_seed",
}
LIST_KEYS = frozenset({COMPARE_RUNS, COMPARE_FAMILIES, COMPARE_KS})
#: Keys whose widgets hold numbers or switches: how the URL's text becomes their value (list
#: keys convert each element). Other keys hold text.
PARAM_TYPES: dict[str, Callable[[str], Any]] = {
    COMPARE_KS: int,
    RECS_K: int,
    COMPARE_SAMPLED: lambda text: {"1": True, "0": False}[text],
    COMPARE_NEGATIVES: int,
    EMB_K: int,
    EMB_NEIGHBORS: int,
    EMB_MIN_DIST: float,
    f"{DATA_CUSTOM}.test": float,
    f"{DATA_CUSTOM}.valid": float,
    f"{DATA_CUSTOM}.seed": int,
}
#: Keys the URL set in this session and no page has checked yet (see ``url_fallback``).
FROM_URL = "app.from_url"
#: Why parameters of the URL were ignored (shown once by ``show_url_notices``).
URL_NOTICES = "app.url_notices"


def init_state(default_dataset: str) -> None:
    """Initialise selections, preferring what the URL carries; a value of the wrong type is
    ignored with a notice (``show_url_notices``), never an exception."""
    from_url: set[str] = st.session_state.setdefault(FROM_URL, set())
    notices: list[str] = st.session_state.setdefault(URL_NOTICES, [])
    for key, param_name in QUERY_PARAMS.items():
        if key not in st.session_state and param_name in st.query_params:
            text = st.query_params[param_name]
            try:
                st.session_state[key] = parse_param(key, text)
            except (KeyError, ValueError):
                notices.append(f"The link's {param_name}={text!r} is not a valid value; ignored.")
                del st.query_params[param_name]
            else:
                from_url.add(key)
    st.session_state.setdefault(DATASET, default_dataset)


def parse_param(key: str, text: str) -> Any:
    """The session value of ``key`` from its query parameter's text (lists comma-separated)."""
    convert = PARAM_TYPES.get(key, str)
    if key in LIST_KEYS:
        return [convert(part) for part in text.split(",") if part]
    return convert(text)


def show_url_notices() -> None:
    """Say, once, which parameters of the link were ignored."""
    for notice in st.session_state.pop(URL_NOTICES, []):
        st.info(notice)


def url_fallback(key: str, valid: Collection[Any], what: str, shown: str | None) -> None:
    """When the link set ``key`` to something that does not exist (not in ``valid``), queue a
    notice naming it and what is shown instead (``show_url_notices`` draws it), so a shared link
    never silently shows another view.

    Call it before the widget resets the value; for a list the unknown elements are named.
    """
    from_url: set[str] = st.session_state.get(FROM_URL, set())
    if key not in from_url:
        return
    from_url.discard(key)
    value = st.session_state.get(key)
    missing = [v for v in (value if key in LIST_KEYS else [value]) if v not in valid]
    if missing:
        names = ", ".join(map(str, missing))
        instead = f"; showing {shown} instead" if shown else ""
        notices: list[str] = st.session_state.setdefault(URL_NOTICES, [])
        notices.append(f"The link names {what} {names}, which does not exist here{instead}.")


def weight_key(reranker: str) -> str:
    """The session-state key of one re-ranker's weight slider on the Recommendations page."""
    return f"{RECS_WEIGHT}.{reranker}"


def clamp_choice(key: str, valid: Callable[[Any], bool], default: Any, what: str) -> None:
    """Before a widget renders: a value the link set that the widget cannot hold (an unknown
    option, a number out of its range) becomes ``default``, with a notice."""
    if key in st.session_state and not valid(st.session_state[key]):
        if key in st.session_state.get(FROM_URL, set()):
            notices: list[str] = st.session_state.setdefault(URL_NOTICES, [])
            notices.append(
                f"The link's {what} {st.session_state[key]!r} is not possible here; "
                f"showing {default!r} instead."
            )
        st.session_state[key] = default


def kept_selection(key: str, options: Sequence[Any], default: Sequence[Any]) -> list[Any]:
    """What a multiselect should hold before it renders: ``default`` the first time; else the
    chosen values still offered, an empty list when the person cleared it (so "Clear all"
    clears), and ``default`` again only when every chosen value has gone (e.g. deleted runs)."""
    if key not in st.session_state:
        return [value for value in default if value in options]
    chosen = list(st.session_state[key] or [])
    kept = [value for value in chosen if value in options]
    return kept if kept or not chosen else [value for value in default if value in options]


def mirror_to_url(key: str) -> None:
    """Write a shareable selection to the URL (or drop it when empty); the inverse of
    ``parse_param`` (switches as 1/0, lists comma-joined)."""
    value = st.session_state.get(key)
    name = QUERY_PARAMS[key]
    if value is None or value == [] or value == "":
        if name in st.query_params:
            del st.query_params[name]
        return
    st.query_params[name] = ",".join(map(_text, value)) if key in LIST_KEYS else _text(value)


def drop_from_url(*keys: str) -> None:
    """Remove selections from the URL (e.g. a custom split's settings once a preset is chosen)."""
    for key in keys:
        if QUERY_PARAMS[key] in st.query_params:
            del st.query_params[QUERY_PARAMS[key]]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return f"{value:g}" if isinstance(value, float) else str(value)
