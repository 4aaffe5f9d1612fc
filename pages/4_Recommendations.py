"""Recommendations: a run's top-k list for one user beside what that user did in training.

Each listed item says whether it was in the user's held-out test rows and whether it counted as
relevant under the run's protocol, so the list reads as the metrics read it.
"""

from __future__ import annotations

import streamlit as st

from recsys_core.errors import RecScopeError
from recsys_core.ui import cache, state
from recsys_core.ui.charts import recommendations as charts
from recsys_core.ui.page import setup
from recsys_core.ui.pickers import pick_run

dataset_name = setup("Recommendations")
run_id = pick_run(dataset_name)
if run_id is None:
    st.info(f"No runs on {dataset_name} yet: train one on the Train page, then come back here.")
    st.page_link("pages/2_Train.py", label="Train a model", icon="🏋️")
    st.stop()

try:
    context = cache.run_context(run_id)
except RecScopeError as exc:
    st.error(f"Cannot rebuild the split of run {run_id}: {exc}")
    st.stop()
user_ids = context.evaluated_user_ids()
if not user_ids:
    st.info(
        "No user of this run's split has a relevant held-out item, so there is nothing to check "
        "a list against; train a run with another protocol."
    )
    st.stop()


@st.fragment
def show_user() -> None:
    """The user picker and everything that depends on the user: a change reruns only this part,
    so switching users updates the list without redrawing the page."""
    if st.session_state.get(state.RECS_USER) not in user_ids:
        st.session_state[state.RECS_USER] = user_ids[0]

    user_col, k_col = st.columns([3, 1])
    user_col.selectbox(
        "User",
        user_ids,
        key=state.RECS_USER,
        help="Users with a relevant held-out test item (the users the run was scored on).",
    )
    k = int(
        k_col.number_input(
            "List length k",
            min_value=1,
            max_value=100,
            value=context.protocol.k,
            help=f"How many items to recommend; the run's metrics used k = {context.protocol.k}.",
        )
    )
    state.mirror_to_url(state.RECS_USER)
    user_id = str(st.session_state[state.RECS_USER])
    st.caption(f"Protocol: {context.protocol.description}; {context.protocol.relevance_label}.")

    try:
        found = cache.user_inspection(run_id, user_id, k)
    except RecScopeError as exc:
        st.error(f"Cannot recommend with run {run_id}: {exc}")
        return
    summary = found.summary
    metrics = st.columns(4)
    metrics[0].metric(f"Hits in the top {summary.k}", summary.hits)
    metrics[1].metric("Relevant test items", summary.n_relevant)
    metrics[2].metric("Held-out test items", summary.n_test)
    metrics[3].metric("Training interactions", summary.n_train)

    list_col, history_col = st.columns(2)
    with list_col:
        st.subheader(f"Top {summary.k} for {user_id}")
        st.dataframe(
            found.recommendations,
            hide_index=True,
            width="stretch",
            column_config={
                "rank": st.column_config.NumberColumn("Rank", width="small"),
                "item_id": st.column_config.TextColumn("Item"),
                "title": st.column_config.TextColumn("Title", width="large"),
                "genres": st.column_config.TextColumn("Genres"),
                "score": st.column_config.NumberColumn("Score", format="%.4g"),
                "in_test": st.column_config.CheckboxColumn(
                    "In held-out test set", help="The user interacted with it in the test rows."
                ),
                "relevant": st.column_config.CheckboxColumn(
                    "Relevant", help=f"Counts as a hit: {context.protocol.relevance_label}."
                ),
            },
        )
        st.altair_chart(
            charts.list_scores_chart(found.recommendations, user_id=user_id, run_id=run_id),
            width="stretch",
        )
    with history_col:
        st.subheader(f"Training history of {user_id} ({summary.n_train:,} interactions)")
        if found.history.empty:
            st.info("This user has no training interactions in the run's split.")
        else:
            st.dataframe(
                found.history,
                hide_index=True,
                width="stretch",
                column_config={
                    "item_id": st.column_config.TextColumn("Item"),
                    "title": st.column_config.TextColumn("Title", width="large"),
                    "genres": st.column_config.TextColumn("Genres"),
                    "rating": st.column_config.NumberColumn("Rating", format="%.1f"),
                    "time": st.column_config.DatetimeColumn(
                        "Time (UTC)", format="YYYY-MM-DD HH:mm"
                    ),
                },
            )

    if not found.genres.empty:
        st.altair_chart(
            charts.genre_profile_chart(found.genres, user_id=user_id, run_id=run_id),
            width="stretch",
        )


show_user()
