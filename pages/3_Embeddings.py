"""Embeddings: a UMAP map of a run's item or user vectors, nearest neighbours found with faiss,
and, for a user, the model's recommendations highlighted on the item map."""

from __future__ import annotations

import streamlit as st

from recsys_core.analysis.embedding_points import colour_fields, highlight_points
from recsys_core.analysis.projection import ProjectionParams
from recsys_core.errors import RecScopeError
from recsys_core.retrieval import METRICS
from recsys_core.ui import cache, state
from recsys_core.ui.charts.embeddings import projection_chart
from recsys_core.ui.page import setup
from recsys_core.ui.pickers import pick_run
from recsys_core.ui.wording import ui_message

SIDE_LABELS = {"item": "Items", "user": "Users"}
METRIC_LABELS = {"cosine": "Cosine (direction only)", "ip": "Inner product (the model's score)"}
#: Why inner-product neighbours may sit far apart on the map, which UMAP lays out by cosine.
IP_NOTE = (
    "The map is laid out by cosine distance; inner product also rewards long vectors (often "
    "popular items), so its nearest items can sit far from the selected one."
)
TABLE_COLUMNS = {
    "rank": st.column_config.NumberColumn("Rank", width="small"),
    "title": st.column_config.TextColumn("Title"),
    "genres": st.column_config.TextColumn("Genres"),
    "score": st.column_config.NumberColumn("Similarity", format="%.3f"),
    "item_id": st.column_config.TextColumn("Item id"),
}
DEFAULTS = ProjectionParams()

dataset_name = setup("Embeddings")
st.caption(
    "Where a model puts items and users: a 2-D UMAP map of the learned vectors, the nearest "
    "neighbours of any item (exact faiss search) and a user's recommendations on the item map."
)
found = cache.mappable_runs(dataset_name)
for message in found.damaged.values():
    st.error(message)
without_vectors = found.without_vectors
asked = st.session_state.get(state.RUN)
run_id = pick_run(dataset_name, only=found.run_ids)
known = set(cache.runs_table(dataset_name).get("run", [])) - set(found.damaged)
if asked and asked != run_id and asked in known:
    st.info(
        f"Run {asked} scores items without learning embeddings, so there is nothing to map"
        + (f"; showing {run_id} instead." if run_id else ".")
    )
if without_vectors:
    st.caption(
        f"Runs of {', '.join(without_vectors)} are not offered: they score items without learning "
        "vectors, so there is nothing to map."
    )
if run_id is None:
    st.info(
        f"No run on {dataset_name} has embeddings to map yet: train BPR-MF, biased MF or "
        "content-based TF-IDF, which learn item and user vectors."
    )
    st.page_link("pages/2_Train.py", label="Train a model", icon="🏋️")
    st.stop()

try:
    model = cache.run_model(run_id)
    sides = cache.run_embedding_sides(run_id)
except RecScopeError as exc:
    st.error(ui_message(exc))
    st.stop()

st.session_state.setdefault(state.EMB_NEIGHBORS, DEFAULTS.n_neighbors)
st.session_state.setdefault(state.EMB_MIN_DIST, DEFAULTS.min_dist)
state.clamp_choice(state.EMB_NEIGHBORS, lambda v: 2 <= v <= 100, DEFAULTS.n_neighbors, "UMAP k")
state.clamp_choice(state.EMB_MIN_DIST, lambda v: 0 <= v <= 0.99, DEFAULTS.min_dist, "distance")
with st.sidebar.form("emb.umap"):
    st.markdown("**UMAP settings**")
    st.slider(
        "Neighbours",
        2,
        100,
        key=state.EMB_NEIGHBORS,
        help="Small: local detail; large: the global shape.",
    )
    st.slider(
        "Minimum distance",
        0.0,
        0.99,
        step=0.01,
        key=state.EMB_MIN_DIST,
        help="0 packs neighbours into clumps; larger values spread them out.",
    )
    st.form_submit_button("Update the map")
state.mirror_to_url(state.EMB_NEIGHBORS)
state.mirror_to_url(state.EMB_MIN_DIST)
n_neighbors = int(st.session_state[state.EMB_NEIGHBORS])
min_dist = float(st.session_state[state.EMB_MIN_DIST])

if st.session_state.get(state.EMB_SIDE) not in sides:
    st.session_state[state.EMB_SIDE] = sides[0]
side_col, colour_col, metric_col, k_col = st.columns([1, 2, 2, 1])
side_col.radio("Map", sides, key=state.EMB_SIDE, format_func=SIDE_LABELS.get)
state.mirror_to_url(state.EMB_SIDE)
side = str(st.session_state[state.EMB_SIDE])
st.session_state.setdefault(state.EMB_METRIC, "cosine")  # the map's own distance
state.clamp_choice(state.EMB_METRIC, METRICS.__contains__, "cosine", "similarity")
metric_col.selectbox(
    "Neighbour similarity",
    sorted(METRICS, key=list(METRIC_LABELS).index),
    key=state.EMB_METRIC,
    format_func=METRIC_LABELS.get,
    help="How the faiss index ranks neighbours: cosine similarity (the distance the map is "
    "laid out by) or inner product (what dot-product models score). " + IP_NOTE,
)
st.session_state.setdefault(state.EMB_K, 10)
state.clamp_choice(state.EMB_K, lambda v: 1 <= v <= 100, 10, "number of neighbours")
k_col.number_input("Neighbours k", min_value=1, max_value=100, key=state.EMB_K)
state.mirror_to_url(state.EMB_METRIC)
state.mirror_to_url(state.EMB_K)
metric, k = str(st.session_state[state.EMB_METRIC]), int(st.session_state[state.EMB_K])

noun = "items" if side == "item" else "users"
try:
    with st.spinner(
        f"Projecting the {noun} with UMAP… the first map of a session compiles UMAP (20–40 s); "
        "maps are then stored with the run."
    ):
        points = cache.embedding_points(run_id, side, n_neighbors, min_dist)
except RecScopeError as exc:
    st.error(f"Cannot map run {run_id}: {ui_message(exc)}")
    st.stop()

colours = colour_fields(points, side)
state.clamp_choice(state.EMB_COLOUR, colours.__contains__, next(iter(colours)), "colour")
state.show_url_notices()
if st.session_state.get(state.EMB_COLOUR) not in colours:
    st.session_state[state.EMB_COLOUR] = next(iter(colours))
colour_col.selectbox("Colour by", list(colours), key=state.EMB_COLOUR, format_func=colours.get)
state.mirror_to_url(state.EMB_COLOUR)
colour = str(st.session_state[state.EMB_COLOUR])
n_total = model.n_items_ if side == "item" else model.n_users_
if len(points) < n_total:
    st.caption(
        f"Showing a fixed random sample of {len(points):,} of {n_total:,} {noun}: UMAP fits at "
        f"most {DEFAULTS.max_points:,} points (the same sample every time)."
    )

labels = dict(zip(points["id"], points["label"], strict=True))
by_count = points.sort_values("popularity" if side == "item" else "activity", ascending=False)
options = by_count["id"].tolist()
picked_key = state.EMB_ITEM if side == "item" else state.EMB_USER
state.url_fallback(picked_key, labels, side, labels.get(options[0], options[0]))
state.show_url_notices()
if st.session_state.get(picked_key) not in labels:
    st.session_state[picked_key] = options[0]
st.selectbox(
    "Item" if side == "item" else "User",
    options,
    key=picked_key,
    format_func=lambda raw_id: f"{labels[raw_id]} · {raw_id}" if side == "item" else raw_id,
    help=f"Type to search; {noun} are listed from the most to the least active in training.",
)
state.mirror_to_url(picked_key)
picked_id = str(st.session_state[picked_key])
picked_idx = int(points.loc[points["id"] == picked_id, "idx"].iloc[0])
run_label = f"{model.label} run {run_id}"


def show_item_neighbours() -> None:
    """The item map with the picked item and its nearest neighbours highlighted, and their table."""
    neighbours = cache.similar_items(run_id, metric, picked_idx, k)
    highlight = highlight_points(
        points, {"selected": [picked_idx], "nearest": neighbours["item_idx"].to_numpy()}
    )
    st.altair_chart(
        projection_chart(
            points,
            side="item",
            colour=colour,
            colour_title=colours[colour],
            run_label=run_label,
            dataset_name=dataset_name,
            highlight=highlight,
        ),
        width="stretch",
    )
    st.subheader(f"{k} nearest to {labels[picked_id]}")
    note = f" {IP_NOTE}" if metric == "ip" else ""
    st.caption(
        f"Faiss exact search, {METRIC_LABELS[metric].lower()}; the item itself excluded.{note}"
    )
    st.dataframe(
        neighbours,
        hide_index=True,
        width="stretch",
        column_order=list(TABLE_COLUMNS),
        column_config=TABLE_COLUMNS,
    )


def show_user_lists() -> None:
    """The user map with the picked user, the user's two item lists, and the item map with the
    recommended items highlighted."""
    st.altair_chart(
        projection_chart(
            points,
            side="user",
            colour=colour,
            colour_title=colours[colour],
            run_label=run_label,
            dataset_name=dataset_name,
            highlight=highlight_points(points, {"selected": [picked_idx]}),
        ),
        width="stretch",
    )
    if "item" not in sides:
        st.info(f"{model.label} has no item vectors, so there is no item map to compare with.")
        return
    nearest, recommended = cache.user_item_lists(run_id, metric, picked_idx, k)
    recs_col, nearest_col = st.columns(2)
    with recs_col:
        st.subheader(f"Top {k} recommended to {picked_id}")
        st.caption("The model's full score (biases included); items seen in training excluded.")
        st.dataframe(
            recommended,
            hide_index=True,
            width="stretch",
            column_order=list(TABLE_COLUMNS),
            column_config={**TABLE_COLUMNS, "score": st.column_config.NumberColumn("Score")},
        )
    with nearest_col:
        st.subheader(f"{k} items nearest {picked_id}'s vector")
        st.caption(
            f"Faiss exact search, {METRIC_LABELS[metric].lower()}: raw embedding similarity, "
            "without biases and with seen items."
        )
        st.dataframe(
            nearest,
            hide_index=True,
            width="stretch",
            column_order=list(TABLE_COLUMNS),
            column_config=TABLE_COLUMNS,
        )
    with st.spinner("Projecting the items with UMAP…"):
        item_points = cache.embedding_points(run_id, "item", n_neighbors, min_dist)
    item_colours = colour_fields(item_points, "item")
    item_colour = next(iter(item_colours))
    recommended_role = f"recommended to {picked_id}"
    st.altair_chart(
        projection_chart(
            item_points,
            side="item",
            colour=item_colour,
            colour_title=item_colours[item_colour],
            run_label=run_label,
            dataset_name=dataset_name,
            highlight=highlight_points(
                item_points, {recommended_role: recommended["item_idx"].to_numpy()}
            ),
        ),
        width="stretch",
    )


if side == "item":
    show_item_neighbours()
else:
    show_user_lists()
