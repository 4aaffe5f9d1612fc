"""Recommendations: a run's top-k list for one user beside what that user did in training, and
the same list re-ranked by weighted re-rankers, with the test-set metrics of those weights.

Each listed item says whether it was in the user's held-out test rows and whether it counted as
relevant under the run's protocol, so the list reads as the metrics read it. The re-ranking
weights and options live in the URL (``rerank=mmr=0.5,blocklist=1,blocklist.genres=Horror``, the
pipeline's text form), so a link reopens the same view. The re-ranking section comes right after
the user's list and history, before the genre chart; moving a slider reruns only that section.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recsys_core.errors import RecScopeError
from recsys_core.inspection import shared_items
from recsys_core.registry.schema import TRAIN_KIND
from recsys_core.rerank import views
from recsys_core.ui import cache, state
from recsys_core.ui.charts import recommendations as charts
from recsys_core.ui.page import setup
from recsys_core.ui.pickers import pick_run
from recsys_core.ui.rerank_controls import rerank_controls
from recsys_core.ui.wording import ui_message

dataset_name = setup("Recommendations")
run_id = pick_run(dataset_name)
if run_id is None:
    st.info(f"No runs on {dataset_name} yet: train one on the Train page, then come back here.")
    st.page_link("pages/2_Train.py", label="Train a model", icon="🏋️")
    st.stop()

try:
    context = cache.run_context(run_id)
except RecScopeError as exc:
    st.error(f"Cannot rebuild the split of run {run_id}: {ui_message(exc)}")
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
    described = cache.user_descriptions(run_id)
    state.url_fallback(state.RECS_USER, described, "user", user_ids[0])
    state.clamp_choice(state.RECS_K, lambda v: 1 <= v <= 100, context.protocol.k, "list length")
    state.show_url_notices()
    if st.session_state.get(state.RECS_USER) not in user_ids:
        st.session_state[state.RECS_USER] = user_ids[0]
    st.session_state.setdefault(state.RECS_K, context.protocol.k)

    user_col, k_col = st.columns([3, 1])
    user_col.selectbox(
        "User",
        user_ids,
        key=state.RECS_USER,
        format_func=lambda user: described.get(user, user),
        help="Users with a relevant held-out test item (the users the run was scored on), with "
        "their training interactions and the demographics the dataset has; type to search.",
    )
    k = int(
        k_col.number_input(
            "List length k",
            min_value=1,
            max_value=100,
            key=state.RECS_K,
            help=f"How many items to recommend; the run's metrics used k = {context.protocol.k}.",
        )
    )
    state.mirror_to_url(state.RECS_USER)
    state.mirror_to_url(state.RECS_K)
    user_id = str(st.session_state[state.RECS_USER])
    st.caption(
        f"Lists of {k} items (the run's metrics used k = {context.protocol.k}). Protocol "
        f"{context.protocol.name}: {context.protocol.description}."
    )

    try:
        found = cache.user_inspection(run_id, user_id, k)
    except RecScopeError as exc:
        st.error(f"Cannot recommend with run {run_id}: {ui_message(exc)}")
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
            column_order=("rank", "title", "score", "in_test", "relevant"),
            column_config={
                "rank": st.column_config.NumberColumn("Rank", width=48),
                "title": st.column_config.TextColumn("Title", width=262),
                "score": st.column_config.NumberColumn("Score", format="%.4g", width=60),
                "in_test": st.column_config.CheckboxColumn(
                    "Test", width=44, help="In the user's held-out test rows."
                ),
                "relevant": st.column_config.CheckboxColumn(
                    "Hit",
                    width=40,
                    help=f"Relevant, counts as a hit: {context.protocol.relevance_label}.",
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
                column_order=("title", "rating", "time"),
                column_config={
                    "title": st.column_config.TextColumn("Title", width=262),
                    "rating": st.column_config.NumberColumn("Rating", format="%.1f", width=58),
                    "time": st.column_config.DatetimeColumn(
                        "Time (UTC)", format="YYYY-MM-DD HH:mm", width=134
                    ),
                },
            )
        st.caption("The genres of both lists are compared in the chart below the re-ranking.")

    show_beside(user_id, k, found.recommendations)
    show_reranking(user_id, k)
    if not found.genres.empty:
        st.altair_chart(
            charts.genre_profile_chart(found.genres, user_id=user_id, run_id=run_id),
            width="stretch",
        )


def show_beside(user_id: str, k: int, mine: pd.DataFrame) -> None:
    """This run's list for the user beside another run's list for the same user."""
    runs = cache.runs_table(dataset_name)
    others = [r for r in runs["run"] if r != run_id]
    if not others:
        return
    labels = dict(zip(runs["run"], runs["label"], strict=True))
    state.url_fallback(state.RECS_OTHER, others, "run", None)
    state.show_url_notices()
    if st.session_state.get(state.RECS_OTHER) not in [None, *others]:
        st.session_state[state.RECS_OTHER] = None
    other = st.selectbox(
        "Beside it, the list of",
        [None, *others],
        key=state.RECS_OTHER,
        format_func=lambda r: "no other run" if r is None else labels[r],
        help="Another run's top-k for the same user, next to this run's.",
    )
    state.mirror_to_url(state.RECS_OTHER)
    if other is None:
        return
    try:
        theirs = cache.user_inspection(other, user_id, k)
    except RecScopeError as exc:
        st.error(f"Cannot recommend with run {other}: {ui_message(exc)}")
        return
    left, right = st.columns(2)
    for column, rid, frame in ((left, run_id, mine), (right, other, theirs.recommendations)):
        with column:
            st.markdown(f"**{labels[rid]}**")
            st.dataframe(
                frame,
                hide_index=True,
                width="stretch",
                column_order=("rank", "title", "score", "in_test", "relevant"),
                column_config=SIDE_COLUMNS,
            )
    shared = shared_items(mine, theirs.recommendations)
    st.caption(f"{shared} of the {k} items are in both lists.")


#: Columns of the lists shown side by side (two runs, one user).
SIDE_COLUMNS = {
    "rank": st.column_config.NumberColumn("Rank", width=48),
    "title": st.column_config.TextColumn("Title"),
    "score": st.column_config.NumberColumn("Score", format="%.4g", width=60),
    "in_test": st.column_config.CheckboxColumn("Test", width=44, help="A held-out test item."),
    "relevant": st.column_config.CheckboxColumn("Hit", width=40, help="A relevant test item."),
}


#: Columns shown of the two lists (``views.BEFORE_COLUMNS`` / ``AFTER_COLUMNS`` hold more); the
#: pixel widths below keep each list inside half the main area at 1400 px without scrolling.
BEFORE_SHOWN = ("rank", "title", "genres", "score", "test", "now")
AFTER_SHOWN = ("rank", "move", "title", "genres", "score", "test")
MARKS = views.TEST_MARKS
#: Row height (px) of the two lists: above 4rem the grid wraps text, so a long title or genre
#: list takes up to three lines instead of being cut.
LIST_ROW_HEIGHT = 66
#: Rows of a list shown without scrolling inside the grid (longer lists scroll).
LIST_ROWS_SHOWN = 12


def _list_columns(relevance_label: str) -> dict[str, object]:
    """Column config shared by the original and the re-ranked list."""
    return {
        "rank": st.column_config.NumberColumn("#", width=36),
        "move": st.column_config.TextColumn(
            "Move", width=48, help="Ranks moved up (▲) or down (▼) from the original; new: entered."
        ),
        "title": st.column_config.TextColumn("Title", width=160),
        "genres": st.column_config.TextColumn("Genres", width=130),
        "score": st.column_config.NumberColumn(
            "Score", format="%.2f", width=48, help="The run's own score of the item."
        ),
        "test": st.column_config.TextColumn(
            "Test",
            width=36,
            help=(
                f"{MARKS['relevant']} a relevant test item ({relevance_label}); "
                f"{MARKS['held out']} in the user's test rows but not relevant."
            ),
        ),
        "now": st.column_config.TextColumn(
            "Now", width=48, help="Rank in the re-ranked list, or left (re-ranked out)."
        ),
    }


METRIC_COLUMNS = {
    "metric": st.column_config.TextColumn("Metric", width="medium"),
    "better": st.column_config.TextColumn("Better", help="Which direction is better, if any."),
    "original": st.column_config.NumberColumn("Original", format="%.4f"),
    "reranked": st.column_config.NumberColumn("Re-ranked", format="%.4f"),
    "change": st.column_config.NumberColumn("Change", format="%+.4f"),
    "ci_low": st.column_config.NumberColumn("95% CI low", format="%+.4f"),
    "ci_high": st.column_config.NumberColumn("95% CI high", format="%+.4f"),
    "significant": st.column_config.CheckboxColumn(
        "Significant", help="Paired t-test over the same users, p < 0.05."
    ),
}


@st.fragment
def show_reranking(user_id: str, k: int) -> None:
    """The weight sliders with the user's original and re-ranked lists and the test-set metrics
    of those weights: moving a slider reruns only this part."""
    st.header("Re-ranking", divider="gray")
    try:
        session = cache.rerank_session(run_id)
    except RecScopeError as exc:
        st.error(f"Cannot re-rank run {run_id}: {ui_message(exc)}")
        return
    st.caption(
        f"Re-rankers never retrain the run: they reorder its top-{session.depth} candidates for "
        "each evaluated test user (seen items excluded), in a fixed order: filters, score "
        "boosts, then list builders. 0 turns a re-ranker off; hover a label's ⓘ for what its "
        "weight does; the block list, freshness's half-life and the blend are under Options."
    )
    weights = rerank_controls(session)
    if weights is None:
        return
    try:
        lists = cache.rerank_user_lists(run_id, k, weights, user_id)
        summary = cache.rerank_summary(run_id, k, weights)
    except RecScopeError as exc:
        st.error(f"Cannot re-rank run {run_id} with {weights or 'no re-ranker'}: {ui_message(exc)}")
        return

    columns = _list_columns(context.protocol.relevance_label)
    height = 38 + LIST_ROW_HEIGHT * min(len(lists.before), LIST_ROWS_SHOWN)
    before_col, after_col = st.columns(2, gap="small")
    with before_col:
        st.subheader(f"Original top {k} for {user_id}")
        st.dataframe(
            lists.before,
            hide_index=True,
            width="stretch",
            column_order=BEFORE_SHOWN,
            column_config=columns,
            row_height=LIST_ROW_HEIGHT,
            height=height,
        )
    with after_col:
        st.subheader(f"Re-ranked top {k}")
        st.dataframe(
            lists.after,
            hide_index=True,
            width="stretch",
            column_order=AFTER_SHOWN,
            column_config=columns,
            row_height=LIST_ROW_HEIGHT,
            height=height,
        )
        st.caption(
            f"Weights: {weights or 'all off'}. {views.departures_text(lists)} Test: "
            f"{MARKS['relevant']} relevant test item, {MARKS['held out']} held out but not "
            "relevant. Scores are the run's own; Move and Now say how far each item moved."
        )

    st.subheader(f"Test-set metrics: these weights against the run ({summary.n_users:,} users)")
    changes = summary.changes
    cells = st.container(horizontal=True)
    cells.metric(
        "Rank agreement (RBO)",
        f"{changes['rbo']:.3f}",
        help="Rank-biased overlap of original and re-ranked lists (1: same ranking), mean.",
    )
    cells.metric("Items entered per list", f"{changes['entered']:.2f}")
    cells.metric("Items left per list", f"{changes['left']:.2f}")
    moved = changes["mean_displacement"]
    cells.metric(
        "Mean displacement",
        "–" if moved != moved else f"{moved:.2f} ranks",
        help="How far the items kept in a list moved, mean over lists.",
    )
    st.dataframe(
        summary.metrics,
        hide_index=True,
        width="stretch",
        column_order=tuple(METRIC_COLUMNS),
        column_config=METRIC_COLUMNS,
        placeholder="–",
    )
    st.caption(
        f"Change = re-ranked - original at k = {k}, averaged over the same users, with a paired "
        "bootstrap 95% interval. ILD: intra-list diversity (genre distance within a list); tail "
        "share: long-tail items in the list; genre KL: miscalibration against the user's "
        "training genres; coverage and Gini of exposure are one number for the whole catalogue, "
        f"so they have no interval. Protocol: {context.protocol.description}."
    )
    _save_weights(weights, k)


def _save_weights(weights: str, k: int) -> None:
    """A button that saves the weights as a run of kind rerank (parent: this run), evaluated like
    a trained run, so it can be compared with the run on the Compare page."""
    record, _ = cache.saved_run(run_id)
    blended = any(part.startswith("blend=") for part in weights.split(","))
    if record.kind != TRAIN_KIND:
        reason = f"Run {run_id} is a {record.kind} run: save weights of the trained run instead."
    elif not weights:
        reason = "Every weight is 0: move a slider to have weights worth saving."
    elif blended:
        reason = "A blend with other runs cannot be saved as a run yet: set its share to 0 first."
    else:
        reason = f"Saves {weights} at k = {k} as a new run whose parent is {run_id}."
    clicked = st.button(
        "Save these weights as a run",
        icon="💾",
        disabled=record.kind != TRAIN_KIND or not weights or blended,
        help=reason,
        key=state.RECS_SAVE_RERANK,
    )
    if not clicked:
        return
    try:
        with st.spinner("Evaluating the re-ranked run…"):
            saved = cache.save_rerank_run(run_id, weights, k)
    except RecScopeError as exc:
        st.error(f"Cannot save {weights} as a run: {ui_message(exc)}")
        return
    st.success(
        f"Saved as run {saved.run_id} (kind rerank, parent {run_id}): it is listed with the "
        "other runs; compare the two on the Compare page."
    )


show_user()
