"""Warm latency of the RecScope app in a real browser: each page, and a Recommendations list update.

Usage: python bench/app_latency.py [--out bench/results/app_latency.json] [--repeats 20]
       [--load-repeats 5] [--bpr-epochs 20] [--profile-runs 5] [--port PORT]

Setup (before any browser): a temporary database gets ML-100K from ``$RECSCOPE_DATASETS_DIR``
(``movielens.load_movielens`` + ``store.write_dataset``), an itemknn and a BPR-MF run under
msr-100k (``experiment.train_run``, BPR last so it is every run picker's default) and the BPR item
projection with the page's default UMAP settings (``projection.run_projection``), so the Embeddings
page only reads it. Then ``streamlit run app.py`` serves that database on a free loopback port
and Playwright drives Debian's Chromium (never ``playwright install``).

Every page is opened once before measuring (warm caches; UMAP, torch and faiss imported). Then:

* ``nav:<Page>`` (the targets' "page"): in one browser session, a click on the page's sidebar
  link, ``repeats`` times per page, visiting the pages in turn.
* ``load:<Page>``: the page's URL opened in a fresh session (a new tab with ``?dataset=ml-100k``),
  ``load_repeats`` times per page; includes loading the frontend from the browser's cache.
* ``list_update:new_user``: on Recommendations, the time from choosing another user in the "User"
  selectbox to the new top-10 list shown; each repeat picks a user not shown before (the page
  ranks the catalogue for them); ``list_update:revisit`` repeats the same users (cached lists).
  Without targets, ``list_update:<kind>:first_message`` is the time to the server's first message
  after the change and ``list_update:<kind>:rerun_done`` the time until the run the change caused
  (the whole script, or the fragment holding the picker) reports finished.

Timings are taken in the page with ``performance.now()`` and polled every animation frame
(``wait_for_function(polling="raf")``), so they carry about one frame (~16 ms) of granularity:

* Start of a navigation: just before the link's ``click()`` runs in the page. Start of a fresh
  load: the document's navigation start (``performance.now()`` origin). Start of a list update:
  the ``keydown`` of the Enter that commits the typed user id (a capturing listener).
* Ready: the first frame at which (1) the browser has received the server's ``script_finished``
  message (``ForwardMsg`` field 6, ``FINISHED_SUCCESSFULLY``: a full run) of a script run started
  after the start, read from the websocket by an init script, (2) the page's ``<h1>`` is its
  title, (3) the page's marker, an element the script draws near its end, is visible, and (4)
  every visible Vega chart has drawn its SVG or canvas. Streamlit's status widget is not used: it
  fades out over 200 ms after a run, which would inflate every number.
* List shown: the first frame at which the heading "Top 10 for <user>" names the new user and the
  list's data grid has repainted its canvas (its pixels differ from those before the change).
  After that, untimed, the grid's accessible table must list exactly the expected item ids,
  computed before through ``recsys_core.inspection`` with the same saved model (that table is
  refreshed up to ~250 ms after the canvas, so it is not used for timing).

Targets: a warm page ready within 1 s (``nav:*`` and ``load:*``), a list update within 250 ms;
a measurement meets its target when its p95 does. ``--profile-runs N`` then reruns every page and
the user change N times in this process through Streamlit's ``AppTest`` (same caches, same script
code, no browser) under cProfile, and reports the server-side script time and its top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script (`python bench/app_latency.py`) from anywhere
    sys.path.insert(0, str(ROOT))

from bench.browser import CHROMIUM, CHROMIUM_ARGS, FINISHED_STATUS_JS  # noqa: E402

DATASET = "ml-100k"
PROTOCOL = "msr-100k"
K = 10
PAGE_TARGET_MS = 1000.0
LIST_TARGET_MS = 250.0
WARMUP_TIMEOUT_MS = 180_000
#: Functions listed in the server profile: the app's own code and Streamlit's element builders.
PROFILE_FILTER = r"recsys_core|pages/|app\.py|streamlit/(elements|dataframe_util|runtime/caching)"
MEASURE_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Page:
    """One view of the app: its sidebar label, script, title and ready marker.

    Attributes:
        label: the sidebar link's text.
        script: the page script, relative to the repository (for AppTest).
        path: the URL path of the page.
        title: the text of the page's ``<h1>``.
        marker: a CSS selector of an element the script draws near its end.
        marker_text: text the marker must contain ("" for any).
    """

    label: str
    script: str
    path: str
    title: str
    marker: str
    marker_text: str = ""


CAPTION = '[data-testid="stCaptionContainer"]'
UMAP_POINT = '[data-testid="stVegaLiteChart"] path[aria-roledescription="circle"]'
DOWNLOAD = '[data-testid="stDownloadButton"] button'
PAGES = (
    Page("Home", "app.py", "", "RecScope", "h3", "All datasets"),
    Page("Data", "pages/1_Data.py", "Data", "Data", CAPTION, "Test holds"),
    Page("Train", "pages/2_Train.py", "Train", "Train", "button", "Train"),
    Page("Embeddings", "pages/3_Embeddings.py", "Embeddings", "Embeddings", UMAP_POINT),
    Page(
        "Recommendations",
        "pages/4_Recommendations.py",
        "Recommendations",
        "Recommendations",
        "h3",
        "Training history of",
    ),
    Page("Compare", "pages/5_Compare.py", "Compare", "Compare runs", DOWNLOAD, "Download the"),
)

#: Init script of every page: counts the server's ``script_finished`` messages on the websocket
#: (the top-level fields of each binary ``ForwardMsg`` are walked; field 6 is the finished status:
#: 0 ends a full run, 3 a fragment run, 2 a run cut short by a rerun).
PROBE_JS = (
    """(() => {
  const probe = { finished: 0, finishedAt: [], runs: 0, lastFinished: null, times: [] };
  window.__latencyProbe = probe;
"""
    + FINISHED_STATUS_JS
    + """  const Native = window.WebSocket;
  class ProbedWebSocket extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        probe.times.push(performance.now());
        if (probe.times.length > 1000) probe.times.splice(0, 500);
        if (!(event.data instanceof ArrayBuffer)) return;
        const status = finishedStatus(new Uint8Array(event.data));
        if (status === 0) {  // a full run
          probe.finished += 1;
          probe.finishedAt.push(performance.now());
        }
        if (status === 0 || status === 3) {  // a full or a fragment run
          probe.runs += 1;
          probe.lastFinished = performance.now();
        }
      });
    }
  }
  window.WebSocket = ProbedWebSocket;
  const visible = (el) => !!el && el.checkVisibility();
  window.__pageReady = (title, marker, markerText, since) => {
    if (probe.finished <= since) return false;
    const h1 = document.querySelector('h1');
    if (!h1 || h1.textContent.trim() !== title) return false;
    const marked = [...document.querySelectorAll(marker)]
      .some((el) => visible(el) && el.textContent.includes(markerText));
    if (!marked) return false;
    return [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
      .filter(visible).every((chart) => chart.querySelector('svg, canvas'));
  };
  const topList = () => {
    const heading = [...document.querySelectorAll('h3')]
      .find((h) => h.textContent.trim().startsWith('Top '));
    const column = heading && heading.closest('[data-testid="stColumn"]');
    return {
      heading: heading ? heading.textContent.trim() : null,
      canvas: column ? column.querySelector('canvas[data-testid="data-grid-canvas"]') : null,
      grid: column ? column.querySelector('table[role="grid"]') : null,
    };
  };
  window.__listPixels = () => {
    const { canvas } = topList();
    return canvas ? canvas.toDataURL() : null;
  };
  window.__listItems = () => {
    const { heading, grid } = topList();
    if (!grid) return null;
    const heads = [...grid.querySelectorAll('thead th')].map((th) => th.textContent.trim());
    const column = heads.indexOf('Item');
    const items = [...grid.querySelectorAll('tbody tr')]
      .map((tr) => tr.querySelectorAll('td')[column]?.textContent.trim());
    return { heading, items };
  };
  window.__listHeading = () => topList().heading;
})();"""
)
NAV_START_JS = """(link) => {
  window.__navSince = window.__latencyProbe.finished;
  window.__navStart = performance.now();
  link.click();
}"""
#: [ready, script done]: ms from the start to the page being ready and to the server's report
#: that the script run finished (ready minus done is the browser's drawing after the run).
NAV_READY_JS = """([title, marker, markerText]) => {
  const since = window.__navSince, start = window.__navStart;
  return window.__pageReady(title, marker, markerText, since)
    && [performance.now() - start, window.__latencyProbe.finishedAt[since] - start];
}"""
LOAD_READY_JS = """([title, marker, markerText]) => window.__pageReady(title, marker, markerText, 0)
  && [performance.now(), window.__latencyProbe.finishedAt[0]]"""
ARM_ENTER_JS = """() => {
  window.__pixelsBefore = window.__listPixels();
  window.__changeSince = window.__latencyProbe.runs;
  window.__changeStart = null;
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && window.__changeStart === null) {
      window.__changeStart = performance.now();
    }
  }, { capture: true, once: true });
}"""
LIST_SHOWN_JS = """(heading) => window.__changeStart !== null
  && window.__listHeading() === heading && window.__listPixels() !== window.__pixelsBefore
  && performance.now() - window.__changeStart"""
LIST_ITEMS_JS = """([heading, items]) => {
  const shown = window.__listItems();
  return shown !== null && shown.heading === heading
    && JSON.stringify(shown.items) === JSON.stringify(items);
}"""
RERUN_DONE_JS = """() => {
  const probe = window.__latencyProbe, start = window.__changeStart;
  if (probe.runs <= window.__changeSince) return false;
  const first = probe.times.find((t) => t >= start);
  return [probe.lastFinished - start, first - start];
}"""


@dataclass
class Measurement:
    """Samples of one measurement (milliseconds) and its target."""

    name: str
    target_ms: float | None
    samples_ms: list[float] = field(default_factory=list)
    #: Per sample, when the server's script run had finished (pages only).
    done_ms: list[float] = field(default_factory=list)

    def add(self, sample: float, done: float) -> None:
        self.samples_ms.append(sample)
        self.done_ms.append(done)

    def summary(self) -> dict[str, Any]:
        samples = sorted(self.samples_ms)
        p50, p95 = percentile(samples, 50), percentile(samples, 95)
        done = sorted(self.done_ms)
        return {
            "name": self.name,
            "n": len(samples),
            "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1),
            "max_ms": round(samples[-1], 1) if samples else float("nan"),
            "mean_ms": round(statistics.fmean(samples), 1) if samples else float("nan"),
            "target_ms": self.target_ms,
            "met": None if self.target_ms is None else bool(samples) and p95 <= self.target_ms,
            "script_done_p50_ms": round(percentile(done, 50), 1) if done else None,
            "samples_ms": [round(s, 1) for s in self.samples_ms],
            "script_done_ms": [round(s, 1) for s in self.done_ms],
        }


def percentile(sorted_samples: list[float], q: float) -> float:
    """The q-th percentile with linear interpolation (numpy's default); NaN when empty."""
    if not sorted_samples:
        return float("nan")
    position = (len(sorted_samples) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(sorted_samples) - 1)
    return sorted_samples[low] + (sorted_samples[high] - sorted_samples[low]) * (position - low)


@dataclass(frozen=True)
class Prepared:
    """What the setup stored: the run ids, the users to switch between and their lists."""

    db: Path
    bpr_run: str
    itemknn_run: str
    users: list[str]
    lists: dict[str, list[str]]
    seconds: dict[str, float]


def prepare(db: Path, datasets_dir: Path, bpr_epochs: int, n_users: int) -> Prepared:
    """Store ML-100K, train itemknn and BPR-MF, project the BPR items, list users' top-k."""
    from recsys_core import inspection
    from recsys_core.analysis.projection import run_projection
    from recsys_core.data import store
    from recsys_core.data.movielens import load_movielens
    from recsys_core.data.protocols import PROTOCOLS
    from recsys_core.experiment import train_run

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    store.write_dataset(load_movielens(DATASET, datasets_dir / DATASET), path=db)
    seconds["load_ml100k"] = time.perf_counter() - started
    protocol = PROTOCOLS[PROTOCOL]
    started = time.perf_counter()
    itemknn = train_run(DATASET, "itemknn", protocol, path=db)
    seconds["train_itemknn"] = time.perf_counter() - started
    started = time.perf_counter()
    bpr = train_run(DATASET, "bpr", protocol, overrides={"n_epochs": bpr_epochs}, path=db)
    seconds["train_bpr"] = time.perf_counter() - started
    started = time.perf_counter()
    run_projection(bpr.record.run_id, "item", model=bpr.model, path=db)
    seconds["project_bpr_items"] = time.perf_counter() - started

    context = inspection.load_run_context(bpr.record.run_id, path=db)
    candidates = context.evaluated_user_ids()
    lists: dict[str, list[str]] = {}
    previous = inspection.inspect_user(bpr.model, context, candidates[0], K)
    shown = previous.recommendations["item_id"].astype(str).tolist()
    users: list[str] = []
    for user_id in candidates[1:]:  # the page opens on the first; consecutive lists must differ
        items = inspection.inspect_user(bpr.model, context, user_id, K).recommendations
        listed = items["item_id"].astype(str).tolist()
        if listed != shown:
            users.append(user_id)
            lists[user_id] = listed
            shown = listed
        if len(users) == n_users:
            break
    return Prepared(db, bpr.record.run_id, itemknn.record.run_id, users, lists, seconds)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(db: Path, port: int, log: Path) -> Iterator[str]:
    """``streamlit run app.py`` on ``db`` (the e2e harness's flags); yields the base URL."""
    env = {**os.environ, "RECSCOPE_DB": str(db)}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                "--server.headless", "true", "--server.address", "127.0.0.1",
                "--server.port", str(port), "--browser.gatherUsageStats", "false",
                "--server.fileWatcherType", "none",
            ],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {server.returncode}; see {log}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.read().decode().strip() == "ok":
                            break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"streamlit not healthy after 90 s; see {log}") from None
                    time.sleep(0.3)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def _ready_args(page: Page) -> list[str]:
    return [page.title, page.marker, page.marker_text]


def navigate(tab: Any, page: Page, timeout_ms: float) -> tuple[float, float]:
    """Click the page's sidebar link; milliseconds until the page is ready and until the server
    reported its script run finished."""
    link = tab.get_by_test_id("stSidebar").get_by_role("link", name=page.label, exact=True)
    link.evaluate(NAV_START_JS)
    handle = tab.wait_for_function(
        NAV_READY_JS, arg=_ready_args(page), polling="raf", timeout=timeout_ms
    )
    ready, done = handle.json_value()
    return float(ready), float(done)


def fresh_load(context: Any, url: str, page: Page, timeout_ms: float) -> tuple[float, float]:
    """Open the page's URL in a new tab (a new session); milliseconds until it is ready and until
    the server reported its script run finished."""
    tab = context.new_page()
    try:
        tab.goto(f"{url}/{page.path}?dataset={DATASET}", wait_until="commit")
        handle = tab.wait_for_function(
            LOAD_READY_JS, arg=_ready_args(page), polling="raf", timeout=timeout_ms
        )
        ready, done = handle.json_value()
        return float(ready), float(done)
    finally:
        tab.close()


def change_user(
    tab: Any, user_id: str, items: list[str], timeout_ms: float
) -> tuple[float, float, float]:
    """Type a user id into the "User" selectbox and press Enter; milliseconds until the new list
    is shown, until the script run has finished and until the first message of the server."""
    from playwright.sync_api import expect

    combobox = tab.get_by_role("combobox", name="User", exact=True)
    combobox.click()
    tab.keyboard.type(user_id)
    # Enter picks the first option: wait until the exact id heads the filtered list.
    expect(tab.get_by_role("option").first).to_have_text(user_id, timeout=timeout_ms)
    tab.evaluate(ARM_ENTER_JS)
    tab.keyboard.press("Enter")
    heading = f"Top {K} for {user_id}"
    shown = tab.wait_for_function(LIST_SHOWN_JS, arg=heading, polling="raf", timeout=timeout_ms)
    # Not timed: the grid's accessible table lists the expected items (it lags the canvas).
    tab.wait_for_function(LIST_ITEMS_JS, arg=[heading, items], timeout=timeout_ms)
    rerun, first = tab.wait_for_function(
        RERUN_DONE_JS, polling="raf", timeout=timeout_ms
    ).json_value()
    return float(shown.json_value()), float(rerun), float(first)


def measure_browser(
    url: str, prepared: Prepared, repeats: int, load_repeats: int
) -> dict[str, Measurement]:
    """Every browser measurement (see the module docstring)."""
    from playwright.sync_api import sync_playwright

    results: dict[str, Measurement] = {}
    for page in PAGES:
        results[f"nav:{page.label}"] = Measurement(f"nav:{page.label}", PAGE_TARGET_MS)
    for page in PAGES:
        results[f"load:{page.label}"] = Measurement(f"load:{page.label}", PAGE_TARGET_MS)
    for kind in ("new_user", "revisit"):
        results[f"list_update:{kind}"] = Measurement(f"list_update:{kind}", LIST_TARGET_MS)
    for kind in ("new_user", "revisit"):  # where the time of a list update goes (no targets)
        for part in ("first_message", "rerun_done"):
            name = f"list_update:{kind}:{part}"
            results[name] = Measurement(name, None)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(PROBE_JS)
        tab = context.new_page()
        tab.goto(f"{url}/?dataset={DATASET}")
        tab.wait_for_function(
            LOAD_READY_JS, arg=_ready_args(PAGES[0]), polling="raf", timeout=WARMUP_TIMEOUT_MS
        )
        for page in (*PAGES[1:], PAGES[0]):  # warm-up: every page once
            ms, _ = navigate(tab, page, WARMUP_TIMEOUT_MS)
            print(f"  warm-up {page.label}: {ms:.0f} ms", flush=True)
        for _ in range(repeats):
            for page in (*PAGES[1:], PAGES[0]):
                results[f"nav:{page.label}"].add(*navigate(tab, page, MEASURE_TIMEOUT_MS))
        for page in PAGES:
            fresh_load(context, url, page, WARMUP_TIMEOUT_MS)  # warm the browser's cache too
            for _ in range(load_repeats):
                results[f"load:{page.label}"].add(
                    *fresh_load(context, url, page, MEASURE_TIMEOUT_MS)
                )

        navigate(tab, PAGES[4], MEASURE_TIMEOUT_MS)  # Recommendations, on the BPR run
        users = prepared.users[:repeats]
        # Revisits start where the first pass ended: skip a first user whose list is on screen.
        again = users[1:] if prepared.lists[users[0]] == prepared.lists[users[-1]] else users
        for kind, sequence in (("new_user", users), ("revisit", again)):
            for user_id in sequence:
                shown, rerun, first = change_user(
                    tab, user_id, prepared.lists[user_id], MEASURE_TIMEOUT_MS
                )
                results[f"list_update:{kind}"].samples_ms.append(shown)
                results[f"list_update:{kind}:rerun_done"].samples_ms.append(rerun)
                results[f"list_update:{kind}:first_message"].samples_ms.append(first)
        browser.close()
    return results


def profile_server(prepared: Prepared, runs: int, top: int = 12) -> dict[str, Any]:
    """Script run time of every page and of the user change, measured through ``AppTest`` in this
    process (warm caches), with cProfile's top functions by cumulative time."""
    from streamlit.testing.v1 import AppTest

    from recsys_core.ui import state

    os.environ["RECSCOPE_DB"] = str(prepared.db)

    def opened(page: Page) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.query_params["dataset"] = DATASET
        at.run()
        if page.script != "app.py":
            at.switch_page(page.script).run()
        if at.exception:
            raise RuntimeError(f"{page.label}: {[e.value for e in at.exception]}")
        return at

    report: dict[str, Any] = {}
    for page in PAGES:
        at = opened(page)
        report[f"script:{page.label}"] = _profiled(lambda at=at: at.run(), runs, top)
    at = opened(PAGES[4])
    users = iter(prepared.users * (runs + 1))

    def change() -> None:
        at.selectbox(key=state.RECS_USER).set_value(next(users)).run()

    report["script:list_update:new_user"] = _profiled(change, runs, top)
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
        where = parts[5].replace(str(ROOT) + "/", "").split("site-packages/")[-1]
        rows.append(f"{float(parts[3]) * 1000 / runs:7.1f} ms {calls:5.1f}x  {where}")
    return rows


def code_version() -> dict[str, Any]:
    """The commit measured and the files that differed from it (read-only git queries)."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout

    changed = [line[3:] for line in git("status", "--porcelain").splitlines() if line.strip()]
    return {"commit": git("rev-parse", "HEAD").strip(), "uncommitted": changed}


def print_table(results: dict[str, Measurement]) -> None:
    """p50/p95/max of every measurement against its target (met: p95 within the target)."""
    head = ("measurement", "n", "p50 ms", "p95 ms", "max ms", "done50", "target", "met")
    print("\n{:<38} {:>3} {:>7} {:>7} {:>7} {:>7} {:>7}  {}".format(*head))
    for measurement in results.values():
        row = measurement.summary()
        target = "-" if row["target_ms"] is None else f"{row['target_ms']:.0f}"
        done = "-" if row["script_done_p50_ms"] is None else f"{row['script_done_p50_ms']:.0f}"
        met = {None: "-", True: "yes", False: "NO"}[row["met"]]
        print(
            f"{row['name']:<38} {row['n']:>3} {row['p50_ms']:>7.0f} {row['p95_ms']:>7.0f} "
            f"{row['max_ms']:>7.0f} {done:>7} {target:>7}  {met}"
        )
    print("done50: p50 of when the server reported the script run finished (ready - done50 is")
    print("the browser drawing after the run); met: p95 within the target.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "app_latency.json")
    parser.add_argument("--repeats", type=int, default=20, help="navigations per page; users")
    parser.add_argument("--load-repeats", type=int, default=5, help="fresh loads per page")
    parser.add_argument("--bpr-epochs", type=int, default=20)
    parser.add_argument(
        "--profile-runs", type=int, default=5, help="AppTest reruns under cProfile (0: off)"
    )
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    args = parser.parse_args()
    if args.repeats < 2:
        parser.error("--repeats must be at least 2 (list updates alternate between users)")
    datasets_dir = Path(os.environ.get("RECSCOPE_DATASETS_DIR", ""))
    if not (datasets_dir / DATASET / "u.data").is_file():
        sys.exit("set RECSCOPE_DATASETS_DIR to the folder holding ml-100k/ (see Makefile)")
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")

    with tempfile.TemporaryDirectory(prefix="recscope-latency-") as folder:
        db = Path(folder) / "latency.duckdb"
        os.environ["RECSCOPE_DB"] = str(db)
        print("Preparing ML-100K, itemknn, BPR-MF and its item projection…", flush=True)
        prepared = prepare(db, datasets_dir, args.bpr_epochs, n_users=args.repeats)
        print("  " + ", ".join(f"{k} {v:.1f} s" for k, v in prepared.seconds.items()), flush=True)
        print("Measuring in Chromium…", flush=True)
        with serve(db, args.port or _free_port(), Path(folder) / "streamlit.log") as url:
            results = measure_browser(url, prepared, args.repeats, args.load_repeats)
        print_table(results)
        profile = profile_server(prepared, args.profile_runs) if args.profile_runs else {}
        for name, entry in profile.items():
            print(f"\n{name}: p50 {entry['p50_ms']:.0f} ms, max {entry['max_ms']:.0f} ms")
            print("   cumulative per run, calls per run, function:")
            for line in entry["top_cumulative"]:
                print("   " + line)

    payload = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "code": code_version(),
        "setup": {
            "dataset": DATASET,
            "protocol": PROTOCOL,
            "runs": {"bpr": prepared.bpr_run, "itemknn": prepared.itemknn_run},
            "bpr_epochs": args.bpr_epochs,
            "seconds": {k: round(v, 2) for k, v in prepared.seconds.items()},
        },
        "repeats": args.repeats,
        "load_repeats": args.load_repeats,
        "targets_ms": {"page": PAGE_TARGET_MS, "list_update": LIST_TARGET_MS},
        "measurements": [m.summary() for m in results.values()],
        "server_profile": profile,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
