"""Concurrent use: four browser sessions click through the app while the CLI imports a CSV and
trains two runs against the same database file.

The real app (``bench.server.serve_app``) serves a small database (a synthetic dataset and two
BPR runs). Four Playwright sessions in Debian's Chromium click the sidebar's Home, Data, Train,
Recommendations and Compare links in turn (each starting on another page, all four clicking at
once) for a bounded time, while a CLI subprocess imports a CSV dataset and trains two runs. After
every visit each session counts the tracebacks (``stException``) and error boxes it shows whose
text is not the busy notice (target 0). After the CLI job, the home page of a session that
browsed all along must list its two new runs (the caches saw them) and every run listed before
(none lost); runs are told apart by what they are (``labels.what_it_is``: architecture and
changed settings, different for each run here), which the table shows. Embeddings is left out:
its first map of a run fits UMAP, which would spend the time budget compiling numba.

Run with ``-s`` to see the figures; they are also written as JSON to the test's temporary folder.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bench.browser import WATCH_MESSAGES_JS
from bench.server import REPO, serve_app
from recsys_core.data.store import BUSY_NOTICE
from recsys_core.registry import list_runs
from recsys_core.registry.labels import what_it_is
from tests.hardening.conftest import (
    BASE_DATASET,
    BASE_PROTOCOL,
    BPR_OPTIONS,
    build_template,
    cli,
    cli_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SESSIONS = 4
#: How long the sessions click through pages at least; they go on while the CLI job runs, to
#: at most ``MAX_BROWSE_S``.
BROWSE_S = 45.0
MAX_BROWSE_S = 120.0
PAGE_MS = 60_000
#: Sidebar link -> the page's title (its h1).
PAGES = {
    "Home": "RecScope",
    "Data": "Data",
    "Train": "Train",
    "Recommendations": "Recommendations",
    "Compare": "Compare runs",
}
CSV_ROWS = 200_000
#: Counts the full script runs the server reports finished (``watchMessages`` in bench/browser).
SCRIPT_RUNS_JS = (
    "(() => { window.__runs = 0;\n"
    + WATCH_MESSAGES_JS
    + "  watchMessages((status) => { if (status === 0) window.__runs += 1; });\n})();"
)
#: Text of every traceback and error box on the page.
ERRORS_JS = """() => [
  ...document.querySelectorAll('[data-testid="stException"]'),
  ...document.querySelectorAll('[data-testid="stAlertContentError"]'),
].map((el) => el.innerText)"""


@dataclass
class Session:
    """One browser session's tally."""

    index: int
    visits: int = 0
    busy_notices: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class CliJob:
    """The CLI subprocesses' results, in order."""

    commands: list[str] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0


def test_sessions_browse_while_the_cli_imports_and_trains(browser: Any, tmp_path: Path) -> None:
    started = time.monotonic()
    template = build_template(tmp_path / "db", n_runs=2)
    csv = tmp_path / "clicks.csv"
    rng = np.random.default_rng(7)
    pd.DataFrame(
        {
            "user_id": rng.integers(0, 3_000, CSV_ROWS),
            "item_id": rng.integers(0, 1_500, CSV_ROWS),
            "timestamp": 1_600_000_000 + np.arange(CSV_ROWS),
        }
    ).to_csv(csv, index=False)
    runs_before = {record.run_id for record in list_runs(path=template.db)}
    with serve_app(template.db, tmp_path / "streamlit.log") as url:
        pages = [_open_session(browser, url) for _ in range(SESSIONS)]
        sessions = [Session(i) for i in range(SESSIONS)]
        job = CliJob()
        worker = threading.Thread(target=_run_cli_job, args=(template.db, csv, job), daemon=True)
        browse_started = time.monotonic()
        worker.start()
        rounds = 0
        while True:
            elapsed = time.monotonic() - browse_started
            if elapsed > MAX_BROWSE_S or (elapsed > BROWSE_S and not worker.is_alive()):
                break
            _browse_round(pages, sessions, rounds)
            rounds += 1
        worker.join(timeout=MAX_BROWSE_S)
        browse_seconds = time.monotonic() - browse_started
        shown = _runs_shown(pages[0], template.db)
        for page in pages:
            page.context.close()
    runs_after = {record.run_id for record in list_runs(path=template.db)}
    server_tracebacks = (tmp_path / "streamlit.log").read_text().count("Traceback")
    figures = {
        "sessions": SESSIONS,
        "rounds": rounds,
        "page_visits": sum(s.visits for s in sessions),
        "busy_notices_seen": sum(s.busy_notices for s in sessions),
        "errors_seen": sum(len(s.errors) for s in sessions),
        "server_tracebacks": server_tracebacks,
        "runs_before": len(runs_before),
        "runs_after": len(runs_after),
        "runs_lost": len(runs_before - runs_after),
        "cli_runs": len(job.run_ids),
        "cli_runs_shown": len(set(job.run_ids) & shown),
        "runs_before_shown": len(runs_before & shown),
        "browse_seconds": round(browse_seconds, 1),
        "cli_seconds": round(job.seconds, 1),
        "seconds": round(time.monotonic() - started, 1),
    }
    detail = {"sessions_detail": [asdict(s) for s in sessions], "cli": asdict(job)}
    (tmp_path / "concurrency.json").write_text(json.dumps({**figures, **detail}, indent=2))
    print("\nconcurrency: " + ", ".join(f"{key} {value}" for key, value in figures.items()))
    assert job.exit_codes == [0, 0, 0], job.errors
    assert [error for s in sessions for error in s.errors] == []
    assert server_tracebacks == 0, f"see {tmp_path / 'streamlit.log'}"
    assert figures["runs_lost"] == 0
    assert figures["cli_runs"] == 2 and figures["cli_runs_shown"] == 2, (job.run_ids, shown)
    assert figures["runs_before_shown"] == len(runs_before)


def _open_session(browser: Any, url: str) -> Any:
    """A new browser context on the home page, its first script run finished."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(SCRIPT_RUNS_JS)
    page = context.new_page()
    page.set_default_timeout(PAGE_MS)
    page.goto(f"{url}/?dataset={BASE_DATASET}")
    page.wait_for_function("() => window.__runs > 0", timeout=90_000)
    return page


def _browse_round(pages: list[Any], sessions: list[Session], round_index: int) -> None:
    """Every session clicks its next sidebar link at once, then each waits for its page and
    counts what it shows."""
    links = list(PAGES)
    targets = []
    for session, page in zip(sessions, pages, strict=True):
        link = links[(session.index + round_index) % len(links)]
        before = int(page.evaluate("() => window.__runs"))
        page.get_by_test_id("stSidebar").get_by_role("link", name=link, exact=True).click()
        targets.append((link, before))
    for session, page, (link, before) in zip(sessions, pages, targets, strict=True):
        page.wait_for_function("(n) => window.__runs > n", arg=before, timeout=PAGE_MS)
        heading = page.get_by_role("heading", name=PAGES[link], level=1, exact=True)
        heading.wait_for(timeout=PAGE_MS)
        session.visits += 1
        for text in page.evaluate(ERRORS_JS):
            if BUSY_NOTICE in text:
                session.busy_notices += 1
            else:
                session.errors.append(f"{link}: {text[:300]}")


def _run_cli_job(db: Path, csv: Path, job: CliJob) -> None:
    """Import the CSV, then train two runs on the base dataset, one command after another."""
    started = time.monotonic()
    commands = [
        cli("datasets", "import", str(csv), "--name", "cli-import"),
        *(
            cli(
                "train",
                "--dataset",
                BASE_DATASET,
                "--model",
                model,
                "--protocol",
                BASE_PROTOCOL,
                *(arg for key, value in options.items() for arg in ("--set", f"{key}={value}")),
                "--json",
            )  # fmt: skip
            for model, options in (("popularity", {}), ("bpr", {**BPR_OPTIONS, "seed": 9}))
        ),
    ]
    for command in commands:
        done = subprocess.run(
            command, cwd=REPO, env=cli_env(db), capture_output=True, text=True, timeout=300
        )
        job.commands.append(" ".join(command[2:5]))
        job.exit_codes.append(done.returncode)
        if done.returncode != 0:
            job.errors.append(done.stderr.strip()[-500:])
        elif command[3] == "train":
            job.run_ids.append(json.loads(done.stdout)["run_id"])
    job.seconds = time.monotonic() - started


def _runs_shown(page: Any, db: Path) -> set[str]:
    """The runs of ``db`` that the home page's Saved runs table lists, reached through the
    sidebar in a session that has browsed all along (the server's caches)."""
    before = int(page.evaluate("() => window.__runs"))
    page.get_by_test_id("stSidebar").get_by_role("link", name="Home", exact=True).click()
    page.wait_for_function("(n) => window.__runs > n", arg=before, timeout=PAGE_MS)
    page.get_by_role("heading", name="Saved runs").wait_for()
    page.get_by_test_id("stDataFrame").first.locator("table td").first.wait_for(state="attached")
    cells = {
        text.strip()
        for text in page.get_by_test_id("stDataFrame").first.locator("table td").all_inner_texts()
    }
    records = list_runs(BASE_DATASET, path=db)
    return {record.run_id for record in records if what_it_is(record) in cells}
