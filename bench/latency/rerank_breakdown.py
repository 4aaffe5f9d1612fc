"""The latency benchmark's re-ranking breakdown: the library work of one slider step, timed part
by part in this process (no Streamlit, no profiler), on the page's default user.

A step of the MMR slider makes the page's re-ranking fragment re-rank every evaluated user and
re-measure the lists (``RerankSession.rerank``), then build the metrics table and the user's two
lists. Timed apart: the pipeline, the evaluation of the re-ranked lists, the paired intervals of
every metric, the list changes, the summary and the user's lists. Two parts the session no longer
does on every step are timed too, for comparison: the evaluation of the run's own lists (now once
per k) and the paired intervals one metric at a time (now one shared pass).

After every script or fragment run Streamlit collects garbage over the whole process while its
``runner.postScriptGC`` option is on (the default): ``gc.collect(2)`` over everything torch,
pandas, Altair and the app keep alive. That collection is timed here too (in this process, which
has imported the same), with the option as the served app reads it.
"""

from __future__ import annotations

import gc
import os
import time
import tomllib
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.latency.prepare import Prepared
from bench.latency.scenario import SLIDER_STEPS, K
from bench.latency.stats import percentile
from bench.server import REPO

#: Parts of a step, in the order they run; the last two are what a step used to add.
PARTS = (
    "pipeline_apply",
    "evaluate_reranked",
    "paired_intervals",
    "list_changes",
    "rerank_total",
    "summary_table",
    "user_lists",
    "was:evaluate_original",
    "was:paired_one_metric_at_a_time",
)


def rerank_breakdown(prepared: Prepared, steps: int = SLIDER_STEPS) -> dict[str, Any]:
    """p50 and max milliseconds of every part of a slider step over ``steps`` MMR weights (0.05
    apart), the first opening of the session and the first evaluation of the run's own lists."""
    from recsys_core.evaluation.intervals import paired_compare, paired_compare_many
    from recsys_core.inspection import load_run_context
    from recsys_core.rerank import RerankPipeline, views
    from recsys_core.rerank.changes import list_changes
    from recsys_core.rerank.session import RerankSession

    started = time.perf_counter()
    session = RerankSession.open(prepared.bpr_run, path=prepared.db)
    opened_ms = (time.perf_counter() - started) * 1000
    run = load_run_context(prepared.bpr_run, path=prepared.db)
    user_idx = run.user_idx(run.evaluated_user_ids()[0])
    started = time.perf_counter()
    original = session.original(K)
    original_ms = (time.perf_counter() - started) * 1000
    samples: dict[str, list[float]] = {part: [] for part in PARTS}

    def timed(part: str, action: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = action()
        samples[part].append((time.perf_counter() - started) * 1000)
        return result

    before = session.candidates.item_idx[:, :K]
    for step in range(1, steps + 1):
        pipeline = RerankPipeline.from_settings({"mmr": round(0.05 * step, 2)})
        pipeline.prepare(session.context)
        reranked = timed(
            "pipeline_apply", lambda p=pipeline: p.apply(session.candidates, session.context, K)
        )
        after = timed("evaluate_reranked", lambda r=reranked: session.evaluate(r.item_idx, K))
        timed(
            "paired_intervals", lambda a=after: paired_compare_many(original.per_user, a.per_user)
        )
        timed("list_changes", lambda r=reranked: list_changes(before, r.item_idx))
        outcome = timed("rerank_total", lambda p=pipeline: session.rerank(p, K))
        timed("summary_table", lambda o=outcome: views.summarise_outcome(o, K))
        timed(
            "user_lists", lambda o=outcome: views.user_lists(run, session.candidates, o, user_idx)
        )
        timed("was:evaluate_original", lambda: session.evaluate(before, K))
        timed(
            "was:paired_one_metric_at_a_time",
            lambda a=after: {
                name: paired_compare(values, a.per_user[name], metric=name)
                for name, values in original.per_user.items()
                if (~np.isnan(values) & ~np.isnan(a.per_user[name])).any()
            },
        )
    collections = []
    for _ in range(3):
        started = time.perf_counter()
        gc.collect(2)
        collections.append((time.perf_counter() - started) * 1000)
    report: dict[str, Any] = {
        "post_script_gc": _post_script_gc(),
        "gc_collect_ms": round(sorted(collections)[1], 1),
        "gc_tracked_objects": len(gc.get_objects()),
        "steps": steps,
        "users": int(before.shape[0]),
        "candidates": session.depth,
        "session_open_ms": round(opened_ms, 1),
        "first_original_evaluation_ms": round(original_ms, 1),
    }
    for part, values in samples.items():
        ordered = sorted(values)
        report[part] = {
            "p50_ms": round(percentile(ordered, 50), 1),
            "max_ms": round(ordered[-1], 1),
        }
    return report


def _post_script_gc() -> bool:
    """Streamlit's ``runner.postScriptGC`` as the served app reads it: the environment's
    ``STREAMLIT_RUNNER_POST_SCRIPT_GC``, else the repository's ``.streamlit/config.toml``, else
    Streamlit's default (on)."""
    value = os.environ.get("STREAMLIT_RUNNER_POST_SCRIPT_GC")
    if value is not None:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    file = REPO / ".streamlit" / "config.toml"
    settings = tomllib.loads(file.read_text()) if file.is_file() else {}
    return bool(settings.get("runner", {}).get("postScriptGC", True))


def print_breakdown(report: dict[str, Any]) -> None:
    """The breakdown as a table: part, p50 and max milliseconds."""
    if not report:
        return
    print(
        f"\nRe-ranking work per slider step ({report['steps']} MMR weights, {report['users']} "
        f"users x {report['candidates']} candidates; session opened in "
        f"{report['session_open_ms']:.0f} ms):"
    )
    print("   {:<34} {:>7} {:>7}".format("part", "p50 ms", "max ms"))
    for part in PARTS:
        entry = report[part]
        print(f"   {part:<34} {entry['p50_ms']:>7.1f} {entry['max_ms']:>7.1f}")
    state = "on" if report["post_script_gc"] else "off"
    print(
        f"   Streamlit's post-run gc.collect(2): {report['gc_collect_ms']:.0f} ms over "
        f"{report['gc_tracked_objects']:,} objects, after every run while runner.postScriptGC "
        f"is {state}"
    )
