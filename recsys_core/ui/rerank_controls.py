"""The Recommendations page's re-ranking controls: the weight sliders and the Options.

A slider per weight-only re-ranker (disabled, with the reason as its caption, where the re-ranker
cannot act on the run's data) and an Options expander for the block list, freshness's half-life
and the blend. Both are set from the URL's re-ranking text on first show and written back as the
canonical text (``rerank.controls``), which keys the caches and makes a link reproduce the view.
The expander draws its widgets only while open (``on_change="rerun"``), so a closed one adds
nothing to a slider step; its values live in ``OPTIONS_STATE`` meanwhile.
"""

from __future__ import annotations

import streamlit as st

from recsys_core.errors import RecScopeError
from recsys_core.rerank import controls
from recsys_core.rerank.session import RerankSession
from recsys_core.ui import state
from recsys_core.ui.wording import ui_message

#: Width (px) of a weight slider: four to a row of the wide layout at 1400 px; they wrap.
SLIDER_WIDTH = 235
#: Page-local session keys under ``recs.rerank``: the Options last set (``RerankOptions``, kept
#: while the expander is closed and its widgets are not drawn), the expander's open state, and the
#: option widgets (the blend's per-run weights: ``...blend_weight.<run id>``).
OPTIONS_STATE = f"{state.RECS_RERANK}.options"
OPTIONS_OPEN = f"{state.RECS_RERANK}.options_open"
BLOCK_GENRES = f"{state.RECS_RERANK}.block_genres"
BLOCK_ITEMS = f"{state.RECS_RERANK}.block_items"
HALF_LIFE = f"{state.RECS_RERANK}.half_life_years"
BLEND_RUNS = f"{state.RECS_RERANK}.blend_runs"
BLEND_SHARE = f"{state.RECS_RERANK}.blend_share"
BLEND_WEIGHT = f"{state.RECS_RERANK}.blend_weight"


def _forget_notice() -> None:
    """A moved slider or option replaces the settings the URL carried: its notice no longer
    applies."""
    st.session_state.pop(state.RECS_RERANK_NOTICE, None)


def _init_from_link(session: RerankSession, specs: list[controls.SliderSpec]) -> None:
    """Set the sliders and the Options from the URL's text where the session has none yet (first
    show, or back from another page); a refused text, or what this run cannot use, is said in a
    notice until something moves."""
    keys = [state.weight_key(spec.name) for spec in specs]
    if OPTIONS_STATE in st.session_state and all(key in st.session_state for key in keys):
        return
    link = st.session_state.get(state.RECS_RERANK)
    choice = controls.parse_weights(link)
    notice = None
    if choice.error:
        notice = (
            f"The link's re-ranking settings `{link}` were not used, so every re-ranker is off: "
            f"{choice.error}"
        )
    else:
        choice, notice = controls.fit_to_run(
            choice, session.context.genre_names, session.blend_runs()
        )
    if notice:
        st.session_state[state.RECS_RERANK_NOTICE] = notice
    for key, spec in zip(keys, specs, strict=True):
        st.session_state.setdefault(key, choice.weights[spec.name])
    st.session_state.setdefault(OPTIONS_STATE, controls.RerankOptions.from_choice(choice))


def rerank_controls(session: RerankSession) -> str | None:
    """A slider per weight-only re-ranker (disabled, with the reason, where it cannot act on this
    run) and the Options, set from the URL on first show; returns the settings as canonical text
    and mirrors it to the URL (None, with the error shown, when an option is refused)."""
    specs = controls.slider_specs(session.context)
    _init_from_link(session, specs)
    if state.RECS_RERANK_NOTICE in st.session_state:
        st.warning(st.session_state[state.RECS_RERANK_NOTICE], icon="⚠️")
    row = st.container(horizontal=True, gap="small")
    for spec in specs:
        key = state.weight_key(spec.name)
        box = row.container(width=SLIDER_WIDTH, gap=None) if spec.unavailable else row
        if spec.unavailable:
            st.session_state[key] = 0.0
        box.slider(
            spec.label,
            min_value=0.0,
            max_value=1.0,
            step=0.05,
            key=key,
            help=spec.help,
            on_change=_forget_notice,
            disabled=spec.unavailable is not None,
            width=SLIDER_WIDTH,
        )
        if spec.unavailable:
            box.caption(spec.unavailable)
    weights = {
        s.name: st.session_state[state.weight_key(s.name)] for s in specs if not s.unavailable
    }
    options = _options(session)
    try:
        text = controls.rerank_text(weights, options)
    except RecScopeError as exc:
        st.error(f"These re-ranking options are refused: {ui_message(exc)}")
        return None
    st.session_state[state.RECS_RERANK] = text
    state.mirror_to_url(state.RECS_RERANK)
    return text


def _options(session: RerankSession) -> controls.RerankOptions:
    """The Options expander (the block list, freshness's half-life, the blend); its widgets are
    drawn only while it is open, so a closed one costs a slider step nothing. Returns the options
    (the last ones set while it is closed)."""
    stored: controls.RerankOptions = st.session_state[OPTIONS_STATE]
    expander = st.expander(
        "Options",
        icon=":material/tune:",
        expanded=stored.changed,
        key=OPTIONS_OPEN,
        on_change="rerun",
    )
    if expander.open:
        with expander:
            stored = _option_widgets(session, stored)
    st.session_state[OPTIONS_STATE] = stored
    return stored


def _option_widgets(
    session: RerankSession, stored: controls.RerankOptions
) -> controls.RerankOptions:
    """The option widgets, set from ``stored`` where not drawn yet; returns their values."""
    genre_names = list(session.context.genre_names)
    blend_runs = session.blend_runs()
    st.session_state.setdefault(BLOCK_GENRES, list(stored.block_genres))
    st.session_state.setdefault(BLOCK_ITEMS, ", ".join(stored.block_items))
    st.session_state.setdefault(HALF_LIFE, stored.half_life_years)
    st.session_state.setdefault(BLEND_RUNS, list(stored.blend_runs))
    st.session_state.setdefault(BLEND_SHARE, stored.blend_share)
    for run, weight in zip(stored.blend_runs, stored.run_weights(), strict=True):
        st.session_state.setdefault(f"{BLEND_WEIGHT}.{run}", weight)
    # Offer only what this run has: a stale choice (a run deleted since) would break the picker.
    for key, allowed in ((BLOCK_GENRES, genre_names), (BLEND_RUNS, blend_runs)):
        st.session_state[key] = [v for v in st.session_state[key] if v in allowed]
    block, fresh, blend = st.columns(3)
    block.multiselect(
        "Block list: genres",
        genre_names,
        key=BLOCK_GENRES,
        help=controls.option_help("blocklist", "genres"),
        on_change=_forget_notice,
        disabled=not genre_names,
        placeholder="No genre blocked" if genre_names else "This catalogue has no genres",
    )
    block.text_input(
        "Block list: item ids",
        key=BLOCK_ITEMS,
        help=controls.option_help("blocklist", "items") + " Comma-separated raw ids.",
        on_change=_forget_notice,
    )
    fresh.number_input(
        "Freshness: half-life in years",
        min_value=0.1,
        step=0.5,
        key=HALF_LIFE,
        help=controls.option_help("freshness", "half_life_years"),
        on_change=_forget_notice,
    )
    chosen = blend.multiselect(
        "Blend with runs",
        blend_runs,
        key=BLEND_RUNS,
        help=controls.option_help("blend", "runs") + " Runs of this run's dataset and split.",
        on_change=_forget_notice,
        placeholder="Pick runs to mix in" if blend_runs else "No other run of this split",
        disabled=not blend_runs,
    )
    blend.slider(
        "Blend: share of the other runs",
        min_value=0.0,
        max_value=1.0,
        step=0.05,
        key=BLEND_SHARE,
        help=controls.weight_help("blend"),
        on_change=_forget_notice,
        disabled=not chosen,
    )
    shares = []
    for run in chosen:
        st.session_state.setdefault(f"{BLEND_WEIGHT}.{run}", 1.0)
        shares.append(
            blend.number_input(
                f"Weight of {run}",
                min_value=0.0,
                step=0.5,
                key=f"{BLEND_WEIGHT}.{run}",
                help=controls.option_help("blend", "run_weights"),
                on_change=_forget_notice,
            )
        )
    return controls.RerankOptions(
        block_genres=tuple(st.session_state[BLOCK_GENRES]),
        block_items=controls.parse_item_ids(str(st.session_state[BLOCK_ITEMS])),
        half_life_years=float(st.session_state[HALF_LIFE]),
        blend_runs=tuple(chosen),
        blend_weights=tuple(float(w) for w in shares),
        blend_share=float(st.session_state[BLEND_SHARE]),
    )
