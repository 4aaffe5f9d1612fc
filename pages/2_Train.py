"""Train: fit any registered architecture in the background with a live curve, and manage runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from recsys_core import jobs
from recsys_core.data.protocols import PROTOCOLS, Protocol, resolve_protocol
from recsys_core.data.splits import SPLIT_KINDS, SplitSpec
from recsys_core.errors import ConfigError, DataError, RecScopeError
from recsys_core.evaluation.headline import TABLE_K, MetricSpec, headline_metrics
from recsys_core.models import get_model_class
from recsys_core.registry.names import MAX_NAME_LENGTH
from recsys_core.ui import cache, state
from recsys_core.ui.charts.training import (
    history_frame,
    search_curve,
    search_curve_chart,
    training_curve_chart,
)
from recsys_core.ui.forms import config_form
from recsys_core.ui.page import setup
from recsys_core.ui.pickers import pick_run
from recsys_core.ui.wording import ui_message

CUSTOM = "custom split"
#: The architecture the form opens on: it fits in seconds on every dataset (BPR's 200 epochs
#: take about a minute).
FAST_DEFAULT_MODEL = "ease"
NEXT_PAGES = {
    "pages/5_Compare.py": ("Compare it with other runs", "⚖️"),
    "pages/4_Recommendations.py": ("See its recommendations", "📋"),
}


def show_metrics(
    metrics: dict[str, float], train_seconds: float | None, headline: list[MetricSpec]
) -> None:
    """The headline metrics of a run, then every metric in a table."""
    columns = st.columns(len(headline) + 1)
    for column, spec in zip(columns, headline, strict=False):
        column.metric(spec.label, spec.render(metrics.get(spec.name)))
    columns[-1].metric("Train time", "–" if train_seconds is None else f"{train_seconds:.1f} s")
    with st.expander("All metrics"):
        table = pd.DataFrame({"metric": list(metrics), "value": list(metrics.values())})
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={"value": st.column_config.NumberColumn(format="%.4f")},
        )


def show_curve(history: Sequence[Mapping[str, float]], model: str, dataset: str) -> None:
    """The training curve; a validation curve for a model whose steps are a search (EASE's λ
    grid), with the chosen value; or a note when the model reports no epochs."""
    search = search_curve(history)
    if search is not None:
        st.altair_chart(search_curve_chart(search, model=model, dataset=dataset), width="content")
        st.caption(
            f"{model} searched {search.option} over {len(search.frame)} values and kept "
            f"{search.option} = {search.chosen:,.4g}, the best by {search.metric} (the form's "
            f"{search.option} = 0 asks for this search; set it above 0 to fix it instead)."
        )
        return
    curve = history_frame(history)
    if curve.empty:
        st.caption(f"{model} reports no per-epoch loss or validation metric: it fits in one step.")
        return
    st.altair_chart(training_curve_chart(curve, model=model, dataset=dataset), width="content")


def choose_protocol(suggested: str) -> Protocol | None:
    """Protocol widgets (a preset or a custom split, and k), opening on the preset the dataset
    suits; None while the choice is invalid. The choices survive page switches."""
    protocol_column, k_column = st.columns([3, 1])
    chosen = st.session_state.get(state.TRAIN_PROTOCOL)
    if chosen not in [*PROTOCOLS, CUSTOM] or chosen == st.session_state.get(state.TRAIN_SUGGESTED):
        st.session_state[state.TRAIN_PROTOCOL] = suggested  # follow the dataset until one picks
    st.session_state[state.TRAIN_SUGGESTED] = suggested
    choice = protocol_column.selectbox(
        "Protocol",
        [*PROTOCOLS, CUSTOM],
        key=state.TRAIN_PROTOCOL,
        format_func=lambda name: f"{name} (suits this dataset)" if name == suggested else name,
        help="The split, filters and relevance every metric of the run is computed under.",
        persist_state="session",
    )
    k = k_column.number_input(
        "k (list length)",
        min_value=1,
        max_value=100,
        value=10,
        step=1,
        key=state.TRAIN_K,
        persist_state="session",
    )
    try:
        if choice != CUSTOM:
            protocol = resolve_protocol(choice, None, k=int(k))
        else:
            kind_col, test_col, valid_col, seed_col = st.columns(4)
            default = SplitSpec()
            split = SplitSpec(
                kind=kind_col.selectbox(
                    "Split kind",
                    SPLIT_KINDS,
                    index=SPLIT_KINDS.index(default.kind),
                    key=f"{state.TRAIN_SPLIT}.kind",
                    persist_state="session",
                ),
                test=test_col.number_input(
                    "Test fraction",
                    0.01,
                    0.9,
                    default.test,
                    0.05,
                    key=f"{state.TRAIN_SPLIT}.test",
                    persist_state="session",
                ),
                valid=valid_col.number_input(
                    "Validation fraction",
                    0.0,
                    0.5,
                    default.valid,
                    0.05,
                    key=f"{state.TRAIN_SPLIT}.valid",
                    persist_state="session",
                ),
                seed=int(
                    seed_col.number_input(
                        "Split seed",
                        0,
                        2**31 - 1,
                        default.seed,
                        1,
                        key=f"{state.TRAIN_SPLIT}.seed",
                        persist_state="session",
                    )
                ),
            )
            protocol = resolve_protocol(None, split, k=int(k))
    except ConfigError as exc:
        st.error(ui_message(exc))
        return None
    st.caption(f"{protocol.description}; {protocol.relevance_label}.")
    return protocol


@st.fragment(run_every=1.0)
def show_live_job(job_id: str) -> None:
    """Progress, curve and a Cancel button, refreshed every second while the job runs."""
    job = jobs.get_job(job_id)
    if job is None or job.finished:
        st.rerun()  # the whole page then shows the outcome, outside this polling fragment
    snap = job.snapshot()
    request = snap.request
    if snap.n_epochs is None:
        text = f"Fitting {request.model}… ({snap.elapsed_seconds:.0f} s)"
    elif snap.progress >= 1.0:
        text = f"Epoch {snap.epoch} of {snap.n_epochs} done; evaluating on the test split…"
    else:
        text = f"Epoch {snap.epoch} of {snap.n_epochs} ({snap.elapsed_seconds:.0f} s)"
    st.progress(snap.progress, text=text)
    if snap.cancel_requested:
        st.caption("Cancelling: the fit stops before its next batch or epoch report…")
    else:
        st.button("Cancel training", key=state.TRAIN_CANCEL, icon="⏹️", on_click=job.cancel)
    show_curve(snap.history, request.model, request.dataset)


def show_finished_job(snap: jobs.JobSnapshot) -> None:
    """The outcome of this session's last job: its metrics and next steps, or what went wrong."""
    request = snap.request
    if snap.status == "cancelled":
        done = f"after {snap.epoch} of {snap.n_epochs} epochs" if snap.n_epochs else "early"
        st.warning(
            f"Training cancelled {done}. No run was saved: the unfinished fit is recorded as "
            "failed and never listed. Train again to get a usable run."
        )
        return
    if snap.status == "failed":
        st.error(f"Training {request.model} failed: {snap.error}")
        return
    st.success(
        f"Run **{snap.run_id}** saved: {request.model} on {request.dataset} under "
        f"{request.protocol.name}."
    )
    if snap.cancel_requested:
        st.info(
            "The fit finished before the cancel took effect, so the run was saved; delete it under "
            "Saved runs if you do not want it."
        )
    stage = get_model_class(request.model).stage
    show_metrics(snap.metrics, snap.train_seconds, headline_metrics(request.protocol.k, stage))
    st.caption(f"{request.protocol.description}; {request.protocol.relevance_label}.")
    show_curve(snap.history, request.model, request.dataset)
    if st.session_state.get(state.TRAIN_SHOWN) != snap.run_id:  # once, so a later pick stays
        st.session_state[state.TRAIN_SHOWN] = snap.run_id
        st.session_state[state.RUN] = snap.run_id  # the next pages open on the run just trained
    for page, (label, icon) in NEXT_PAGES.items():
        st.page_link(page, label=label, icon=icon)


def show_saved_run(run_id: str) -> None:
    """A saved run's settings, metrics and curve; a damaged run says which file and how to fix."""
    try:
        record, details = cache.saved_run(run_id)
    except RecScopeError as exc:
        st.error(ui_message(exc))
        return
    protocol_info = record.protocol
    st.markdown(
        f"**{record.model}** on **{record.dataset}** under **{protocol_info.get('name')}**, "
        f"created {record.created_at:%Y-%m-%d %H:%M} UTC"
    )
    st.caption(str(protocol_info.get("description", "")))
    k = int(protocol_info.get("k", TABLE_K))
    stage = getattr(record, "stage", "retrieval")
    show_metrics(record.metrics, record.train_seconds, headline_metrics(k, stage))
    config_column, protocol_column = st.columns(2)
    config_column.markdown("Model config")
    config_column.json(record.config.get("model", {}))
    protocol_column.markdown("Protocol")
    protocol_column.json(protocol_info)
    show_curve(details.get("history", []), record.model, record.dataset)


def rename_form(run_id: str) -> None:
    """A name for the run, shown first wherever it is listed; empty gives the plain label back."""
    runs = cache.runs_table(None).set_index("run")
    current = str(runs.at[run_id, "name"]) if run_id in runs.index else ""
    with st.form(f"{state.TRAIN_RENAME}.{run_id}"):
        name = st.text_input(
            "Name of this run",
            value=current,
            max_chars=MAX_NAME_LENGTH,
            placeholder="e.g. Tuned BPR for the review",
            help="Shown first in every picker, table and chart; empty removes it.",
        )
        submitted = st.form_submit_button("Rename")
    if submitted:
        try:
            stored = cache.rename_run(run_id, name)
        except RecScopeError as exc:
            st.error(ui_message(exc))
        else:
            done = f"Run {run_id} is now named {stored!r}." if stored else "Run name removed."
            st.session_state[state.TRAIN_NOTICE] = done
            st.rerun()


dataset_name = setup("Train")
st.caption(
    "Fit any registered architecture on the dataset in use; the run lands in the run registry "
    "with its config, weights, metrics and training curve."
)
architectures = cache.architecture_table(dataset_name)
job = jobs.get_job(st.session_state.get(state.TRAIN_JOB))
job_running = job is not None and not job.finished

train_tab, runs_tab = st.tabs(["Train a model", "Saved runs"])

with train_tab:
    # A job's progress, curve and outcome go first, where the person looks after clicking Train
    # (below the form they were out of sight); the container is filled at the end of this tab.
    job_area = st.container()
    names = architectures["name"].tolist()
    if st.session_state.get(state.TRAIN_MODEL) not in names:
        available = architectures.loc[architectures["available"], "name"].tolist()
        first = FAST_DEFAULT_MODEL if FAST_DEFAULT_MODEL in available else None
        st.session_state[state.TRAIN_MODEL] = first or (available or names)[0]
    labels = architectures.set_index("name")
    model_name = st.selectbox(
        "Architecture",
        names,
        key=state.TRAIN_MODEL,
        format_func=lambda name: (
            f"{labels.at[name, 'label']} ({name})"
            + ("" if labels.at[name, "available"] else " · not available for this dataset")
        ),
        help="Every architecture in the registry of architectures; its form follows below.",
        persist_state="session",
    )
    state.mirror_to_url(state.TRAIN_MODEL)
    model_class = get_model_class(model_name)
    row = labels.loc[model_name]
    summary = (model_class.__doc__ or "").strip().splitlines()
    st.caption(
        f"{summary[0] if summary else model_class.label} Stage: {row['stage']}; "
        f"needs: {row['requires']}."
    )
    if not row["available"]:
        st.warning(f"{dataset_name} cannot feed {model_class.label}. It lacks {row['missing']}.")
    with st.expander("What each architecture needs"):
        st.dataframe(
            architectures,
            hide_index=True,
            width="stretch",
            column_config={
                "available": st.column_config.CheckboxColumn("trainable here"),
                "missing": st.column_config.TextColumn("what this dataset lacks"),
            },
        )

    protocol = choose_protocol(cache.suggested_protocol(dataset_name))
    st.markdown(f"**Hyperparameters of {model_class.label}**")
    values = config_form(
        model_class.config_class,
        key=f"{state.TRAIN_FORM}.{model_name}",
        submit_label="Train",
        disabled=job_running or protocol is None or not row["available"],
    )
    if job_running:
        st.caption("A training job of this session is running: wait for it or cancel it below.")
    if values is not None and protocol is not None:
        asked = model_class.config_class.from_dict(values).to_dict()
        twins = cache.identical_runs(dataset_name, model_name, asked, protocol.to_dict())
        if twins and not st.session_state.get(state.TRAIN_TWIN_OK):
            st.session_state[state.TRAIN_TWIN] = twins[0]
            values = None  # said below; a tick and a second click train the twin
        else:
            st.session_state.pop(state.TRAIN_TWIN, None)
            st.session_state.pop(state.TRAIN_TWIN_OK, None)
    if st.session_state.get(state.TRAIN_TWIN):
        st.warning(
            f"An identical run already exists: {st.session_state[state.TRAIN_TWIN]}. The same "
            "options, seed and protocol give the same numbers, so nothing was trained. Change a "
            "value (the seed, say), or tick the box below and click Train again."
        )
        st.checkbox("Train a twin anyway", key=state.TRAIN_TWIN_OK)
    if values is not None and protocol is not None:
        request = jobs.TrainRequest(dataset_name, model_name, protocol, values)
        try:
            job = jobs.start_training_job(request)
        except ConfigError as exc:
            st.error(ui_message(exc))
        else:
            st.session_state[state.TRAIN_JOB] = job.job_id

    if job is not None:
        with job_area:
            st.subheader(f"Training {job.request.model} on {job.request.dataset}")
            if job.finished:
                show_finished_job(job.snapshot())
            else:
                show_live_job(job.job_id)
            st.divider()

with runs_tab:
    notice = st.session_state.pop(state.TRAIN_NOTICE, None)
    if notice:
        st.success(notice)
    run_id = pick_run(dataset_name, label="Saved run")
    if run_id is None:
        st.info("No saved runs on this dataset yet: train one in the first tab.")
    else:
        show_saved_run(run_id)
        rename_form(run_id)
        st.markdown("**Delete this run**")
        confirmed = st.checkbox(
            f"Yes, delete {run_id} with its weights and metrics (this cannot be undone)",
            key=state.TRAIN_DELETE_CONFIRM,
        )
        if st.button("Delete run", key=state.TRAIN_DELETE, disabled=not confirmed, icon="🗑️"):
            try:
                cache.delete_run(run_id)
            except DataError as exc:
                st.error(ui_message(exc))
            else:
                st.session_state.pop(state.TRAIN_DELETE_CONFIRM, None)
                st.session_state.pop(state.RUN, None)
                st.session_state[state.TRAIN_NOTICE] = f"Deleted run {run_id}."
                st.rerun()
