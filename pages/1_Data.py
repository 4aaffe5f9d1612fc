"""Data: what the selected dataset holds, and what a split of it trains on, tests on and leaks."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from recsys_core.data.protocols import PROTOCOLS
from recsys_core.data.splits import SPLIT_KINDS, SplitSpec
from recsys_core.errors import RecScopeError
from recsys_core.ui import cache, state
from recsys_core.ui.charts import data as charts
from recsys_core.ui.charts.bandits import bandit_chart
from recsys_core.ui.page import setup
from recsys_core.ui.wording import ui_message

#: Selectbox value standing for a split computed here from the widgets below it.
CUSTOM = "(custom)"


def show_bandits(name: str) -> None:
    """Contextual bandits learnt and evaluated offline on this log, on request (a few seconds)."""
    st.markdown("**Contextual bandits on this log (offline)**")
    st.caption(
        "LinUCB and Thompson sampling learn from the first 80% of requests by time, then choose "
        "position 1 of each later request's slate. Their click-through rate is estimated from the "
        "logged clicks by replay (the uniform exploration bucket), IPS and SNIPS (the logged "
        "propensities), and set against the true CTR the planted relevance gives."
    )
    asked = st.session_state.get(state.DATA_BANDITS) == name
    clicked = not asked and st.button("Evaluate the bandits (a few seconds)", key=state.DATA_GO)
    if not (asked or clicked):
        return
    st.session_state[state.DATA_BANDITS] = name
    try:
        with st.spinner("Fitting LinUCB and Thompson sampling and estimating their CTR…"):
            report, frame = cache.bandit_evaluation(name)
    except RecScopeError as exc:
        st.warning(f"The bandits cannot be evaluated on {name}: {ui_message(exc)}")
        return
    st.altair_chart(bandit_chart(frame, name), width="stretch")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "policy": st.column_config.TextColumn("Policy"),
            "estimator": st.column_config.TextColumn("Estimator"),
            "estimate": st.column_config.NumberColumn("Estimated CTR", format="%.3f"),
            "low": st.column_config.NumberColumn("95% low", format="%.3f"),
            "high": st.column_config.NumberColumn("95% high", format="%.3f"),
            "true_ctr": st.column_config.NumberColumn("True CTR", format="%.3f"),
            "contains_truth": st.column_config.CheckboxColumn("Interval holds the truth"),
            "n": st.column_config.NumberColumn("Events", format="localized"),
        },
    )
    st.caption(
        f"{report.n_train_requests:,} requests train, {report.n_test_requests:,} test "
        f"({report.n_explored_test:,} in the exploration bucket replay uses). Logging policy: "
        "the one that wrote the log; uniform random: a uniform choice within the slate."
    )


dataset_name = setup("Data")
profile = cache.dataset_profile(dataset_name)
overview = profile.overview


def _day(ts: int | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d") if ts is not None else "—"


cols = st.columns(4)
cols[0].metric("Users", f"{overview.n_users:,}")
cols[1].metric("Items", f"{overview.n_items:,}")
cols[2].metric("Interactions", f"{overview.n_interactions:,}")
cols[3].metric(
    "Sparsity",
    f"{overview.sparsity:.2%}",
    help="Share of the user × item matrix with no interaction (over distinct pairs).",
)
cols = st.columns(4)
cols[0].metric("Ratings", "yes" if overview.has_ratings else "no (implicit)")
days = overview.days_covered
cols[1].metric("Days covered", "no timestamps" if days is None else f"{days:,}")
cols[2].metric("Impressions", f"{overview.n_impressions:,}")
cols[3].metric("Median interactions per user", f"{overview.median_per_user:g}")
span = (
    f" Interactions from {_day(overview.first_timestamp)} to {_day(overview.last_timestamp)} (UTC)."
    if overview.has_timestamps
    else ""
)
datasets = cache.datasets_table()
source = datasets.loc[datasets["name"] == dataset_name, "source"].iloc[0]
st.caption(f"Source: {source}.{span}")

tabs = st.tabs(["Popularity", "Users", "Ratings", "Time", "Genres", "Demographics", "Impressions"])
with tabs[0]:
    tail = profile.long_tail
    st.altair_chart(charts.long_tail_chart(tail, dataset_name), width="stretch")
    st.caption(
        f"The top {tail.head_item_share:.0%} of items ({tail.head_items:,}) take "
        f"{tail.head_share:.1%} of interactions; the Gini coefficient of item popularity is "
        f"{tail.gini:.3f} (0 = every item equally popular). {tail.cold_items:,} items have no "
        "interaction. The dashed diagonal is what uniform popularity would give."
    )
with tabs[1]:
    st.altair_chart(
        charts.user_activity_chart(profile.user_activity, dataset_name), width="stretch"
    )
    st.caption(
        f"{overview.active_users:,} of {overview.n_users:,} users have interactions: "
        f"{overview.mean_per_user:.1f} on average, {overview.median_per_user:g} at the median."
    )
with tabs[2]:
    if profile.ratings is None:
        st.info(
            "This dataset has no ratings: it is implicit feedback, every interaction a positive."
        )
    else:
        st.altair_chart(charts.rating_chart(profile.ratings, dataset_name), width="stretch")
with tabs[3]:
    if profile.timeline is None:
        st.info("The interactions carry no timestamps, so there is no timeline.")
    else:
        st.altair_chart(charts.timeline_chart(profile.timeline, dataset_name), width="stretch")
with tabs[4]:
    if profile.genres is None:
        st.info("No item of this dataset has a genre.")
    else:
        st.altair_chart(charts.genre_chart(profile.genres, dataset_name), width="stretch")
        st.caption("Items can have several genres, so the shares add up to more than 100%.")
with tabs[5]:
    if not profile.demographics:
        st.info("This dataset has no user demographics (gender, age, occupation).")
    for attribute, groups in profile.demographics.items():
        st.altair_chart(charts.demographic_chart(attribute, groups, dataset_name), width="stretch")
with tabs[6]:
    impressions = profile.impressions
    if impressions is None:
        st.info(
            "No impressions are logged for this dataset. The synthetic catalogue has them "
            "(lists shown to users, with clicks); MovieLens has none."
        )
    else:
        cols = st.columns(4)
        cols[0].metric("Impressions", f"{impressions.n_impressions:,}")
        cols[1].metric("Requests", f"{impressions.n_requests:,}")
        cols[2].metric("Clicks", f"{impressions.n_clicks:,}")
        cols[3].metric("Click-through rate", f"{impressions.ctr:.2%}")
        st.altair_chart(charts.ctr_by_position_chart(impressions, dataset_name), width="stretch")
        st.dataframe(
            impressions.by_position,
            hide_index=True,
            width="stretch",
            column_config={
                "position": st.column_config.NumberColumn("Position"),
                "impressions": st.column_config.NumberColumn("Impressions", format="localized"),
                "clicks": st.column_config.NumberColumn("Clicks", format="localized"),
                "ctr": st.column_config.NumberColumn("CTR", format="percent"),
                "ctr_low": st.column_config.NumberColumn("CTR 95% low", format="percent"),
                "ctr_high": st.column_config.NumberColumn("CTR 95% high", format="percent"),
                "examination": st.column_config.NumberColumn(
                    "Logged examination", format="percent"
                ),
            },
        )
        show_bandits(dataset_name)

st.subheader("Split")
stored = cache.stored_splits(dataset_name)
options = [*PROTOCOLS, *(name for name in stored if name not in PROTOCOLS), CUSTOM]
if st.session_state.get(state.DATA_SPLIT) not in options:
    st.session_state[state.DATA_SPLIT] = options[0]


def _split_label(name: str) -> str:
    if name == CUSTOM:
        return "custom split (computed here, not stored)"
    kind = "preset" if name in PROTOCOLS else "stored split"
    return f"{name} · {kind}{', stored' if name in PROTOCOLS and name in stored else ''}"


choice = st.selectbox(
    "Protocol or split",
    options,
    key=state.DATA_SPLIT,
    format_func=_split_label,
    help="Presets are computed on the fly when not stored yet; nothing is written from here.",
)
state.mirror_to_url(state.DATA_SPLIT)
spec = None
CUSTOM_KEYS = [f"{state.DATA_CUSTOM}.{name}" for name in ("kind", "test", "valid", "seed")]
if choice != CUSTOM:
    state.drop_from_url(*CUSTOM_KEYS)
else:
    for key, valid, default in zip(
        CUSTOM_KEYS,
        [SPLIT_KINDS.__contains__, lambda v: 0.05 <= v <= 0.5, lambda v: 0 <= v <= 0.3],
        [SPLIT_KINDS[0], 0.2, 0.0],
        strict=False,
    ):
        state.clamp_choice(key, valid, default, key.rsplit(".", 1)[-1])
    state.show_url_notices()
    cols = st.columns(4)
    kind = cols[0].selectbox("Kind", SPLIT_KINDS, key=f"{state.DATA_CUSTOM}.kind")
    last_out = kind == "leave-last-out"
    test = cols[1].slider(
        "Test share",
        0.05,
        0.5,
        0.2,
        0.05,
        key=f"{state.DATA_CUSTOM}.test",
        disabled=last_out,
        help="Leave-last-out holds out each user's last interaction, whatever this says."
        if last_out
        else None,
    )
    valid = cols[2].slider(
        "Validation share",
        0.0,
        0.3,
        0.0,
        0.05,
        key=f"{state.DATA_CUSTOM}.valid",
        help="Leave-last-out: above 0 holds out each user's second-to-last interaction too."
        if last_out
        else None,
    )
    seed = cols[3].number_input("Seed", 0, 2**31 - 1, 42, key=f"{state.DATA_CUSTOM}.seed")
    for key in CUSTOM_KEYS:
        state.mirror_to_url(key)
    try:
        spec = SplitSpec(kind=kind, test=test, valid=valid, seed=int(seed))
    except RecScopeError as exc:
        st.warning(ui_message(exc))
        st.stop()
try:
    description, summary, leakage = cache.split_report(dataset_name, choice, spec)
except RecScopeError as exc:
    st.warning(f"This split cannot be made on {dataset_name}: {ui_message(exc)}")
    st.stop()

st.caption(description)
st.dataframe(
    summary.parts,
    hide_index=True,
    width="stretch",
    column_config={
        "part": st.column_config.TextColumn("Part"),
        "interactions": st.column_config.NumberColumn("Interactions", format="localized"),
        "share": st.column_config.NumberColumn("Share of all", format="percent"),
        "users": st.column_config.NumberColumn("Users", format="localized"),
        "user_coverage": st.column_config.NumberColumn("Users covered", format="percent"),
        "items": st.column_config.NumberColumn("Items", format="localized"),
        "item_coverage": st.column_config.NumberColumn("Items covered", format="percent"),
        "cold_users": st.column_config.NumberColumn(
            "Cold users", help="Users in this part with no training interaction"
        ),
        "cold_items": st.column_config.NumberColumn(
            "Cold items", help="Items in this part with no training interaction"
        ),
        "cold_rows": st.column_config.NumberColumn(
            "Cold rows", help="Rows whose user or item has no training interaction"
        ),
    },
)
if summary.n_unassigned:
    st.caption(
        f"{summary.n_unassigned:,} of {summary.n_interactions:,} interactions are in no part: "
        "the protocol's filters (ratings, k-core) removed them."
    )
test_part = summary.part("test")
preset = PROTOCOLS.get(choice)
split_kind = spec.kind if spec is not None else (preset.split.kind if preset else None)
if split_kind == "leave-last-out":
    st.caption(
        f"Leave-last-out: test is each user's last interaction ({test_part['interactions']:,} "
        f"rows for {test_part['users']:,} users, one each), not a share of the interactions; "
        f"that is {test_part['share']:.1%} of them."
    )
st.caption(
    f"Test holds {test_part['cold_users']:,} users and {test_part['cold_items']:,} items absent "
    f"from training ({test_part['cold_rows']:,} rows no collaborative model can score)."
)
if leakage.level == "none":
    st.success(leakage.message)
elif leakage.level == "unknown":
    st.info(leakage.message)
else:
    st.warning(leakage.message)
