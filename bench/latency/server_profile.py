"""The latency benchmark's server part: script run times under cProfile through ``AppTest``.

Every page and the user change rerun in this process (same caches, same script code, no
browser), so the numbers are the server's share of what the browser measured.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import time
from typing import Any

from bench.latency.prepare import Prepared
from bench.latency.scenario import DATASET, PAGES, RECOMMENDATIONS, Page
from bench.latency.stats import percentile
from bench.server import REPO

#: Functions listed in the server profile: the app's own code, Streamlit's element builders and
#: its clean-up after each run (``runner.postScriptGC``: a full ``gc.collect`` of the process).
PROFILE_FILTER = (
    r"recsys_core|pages/|app\.py|streamlit/(elements|dataframe_util|runtime/caching)"
    r"|_on_script_finished|gc\.collect"
)


def profile_server(
    prepared: Prepared, runs: int, top: int = 12, *, only_slider: bool = False
) -> dict[str, Any]:
    """Script run time of every page, of the user change and of a re-ranking slider step (each
    to a new MMR weight), measured through ``AppTest`` in this process (warm caches), with
    cProfile's top functions by cumulative time; with ``only_slider`` the slider step's alone.

    AppTest reruns the whole script where the browser reruns only the re-ranking fragment, so for
    the slider the fragment's share is the cumulative time of ``show_reranking``.
    """
    from streamlit.testing.v1 import AppTest

    from recsys_core.ui import state

    os.environ["RECSCOPE_DB"] = str(prepared.db)

    def opened(page: Page) -> AppTest:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
        at.query_params["dataset"] = DATASET
        at.run()
        if page.script != "app.py":
            at.switch_page(page.script).run()
        if at.exception:
            raise RuntimeError(f"{page.label}: {[e.value for e in at.exception]}")
        return at

    report: dict[str, Any] = {}
    if not only_slider:
        for page in PAGES:
            at = opened(page)
            report[f"script:{page.label}"] = _profiled(lambda at=at: at.run(), runs, top)
        at = opened(RECOMMENDATIONS)
        users = iter(prepared.users * (runs + 1))

        def change() -> None:
            at.selectbox(key=state.RECS_USER).set_value(next(users)).run()

        report["script:list_update:new_user"] = _profiled(change, runs, top)
    slid = opened(RECOMMENDATIONS)
    weights = iter(round(0.05 * step, 2) for step in range(1, runs + 1))

    def move() -> None:
        slid.slider(key=state.weight_key("mmr")).set_value(next(weights)).run()

    report["script:slider_update"] = _profiled(move, runs, top + 8)
    return report


def _profiled(action: Any, runs: int, top: int) -> dict[str, Any]:
    """Wall milliseconds of ``runs`` calls of ``action`` and cProfile's top cumulative entries of
    the script runs they cause (profiled in Streamlit's script thread, where pages run)."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    profiler = cProfile.Profile()
    original = ScriptRunner._run_script

    def run_script(self: ScriptRunner, rerun_data: Any) -> None:
        profiler.enable()
        try:
            original(self, rerun_data)
        finally:
            profiler.disable()

    samples = []
    ScriptRunner._run_script = run_script  # type: ignore[method-assign]
    try:
        for _ in range(runs):
            started = time.perf_counter()
            action()
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        ScriptRunner._run_script = original  # type: ignore[method-assign]
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).sort_stats("cumulative")
    stats.print_stats(PROFILE_FILTER, top)
    ordered = sorted(samples)
    return {
        "n": runs,
        "p50_ms": round(percentile(ordered, 50), 1),
        "max_ms": round(ordered[-1], 1),
        "top_cumulative": _trim_stats(text.getvalue(), runs),
    }


def _trim_stats(text: str, runs: int) -> list[str]:
    """``<cumulative ms per run> <calls per run> <function>`` for each row of a pstats printout,
    paths shortened to the repository or the package."""
    rows = []
    for line in text.splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) < 6 or not parts[0][:1].isdigit() or "(" not in parts[5]:
            continue  # the header lines
        calls = int(parts[0].split("/")[0]) / runs
        where = parts[5].replace(str(REPO) + "/", "").split("site-packages/")[-1]
        rows.append(f"{float(parts[3]) * 1000 / runs:7.1f} ms {calls:5.1f}x  {where}")
    return rows
