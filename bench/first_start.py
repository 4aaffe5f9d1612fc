"""Seconds from ``make run`` on a fresh clone to a healthy app, and to the starter runs being ready.

Usage: python bench/first_start.py [--out bench/results/first_start.json] [--keep]

The repository's committed HEAD is cloned into a temporary folder (no ``.venv``, no database), and
``make run`` is started there on a free loopback port with an empty database, as a person would
on a new machine: the Makefile creates the virtual environment and installs the requirements
(uv when it can be had, else pip). Measured from the start of ``make run``:

* ``healthy_s``: Streamlit's ``/_stcore/health`` answers ``ok``.
* ``first_page_s``: headless Chromium (Debian's, driven by Playwright) has the home page drawn,
  its "Dataset in use" heading visible; the first page view creates the synthetic default and
  starts the starter runs.
* ``runs_ready_s``: every starter run is listed in the run registry of that database (polled
  from this process between the app's writes).

The package caches are whatever this machine holds (warm after any earlier install), which the
README's figure states. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from bench.server import HOST, free_port  # noqa: E402
from recsys_core.errors import RecScopeError  # noqa: E402
from recsys_core.registry import list_runs  # noqa: E402
from recsys_core.starter import STARTER_ENV, STARTER_MODELS  # noqa: E402

TIMEOUT_S = 600.0


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def _wait(condition, what: str, server: subprocess.Popen[bytes], log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if server.poll() is not None:
            raise RuntimeError(f"make run exited with {server.returncode} before {what}; see {log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} after {TIMEOUT_S:.0f} s; see {log}")
        time.sleep(0.25)


def _starter_runs_listed(db: Path) -> bool:
    try:
        return len(list_runs(path=db)) >= len(STARTER_MODELS)
    except (RecScopeError, OSError):  # the app holds the database for a write: poll again
        return False


def measure(clone: Path) -> dict[str, float]:
    """Run ``make run`` in ``clone`` and time its milestones (seconds from the start)."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://{HOST}:{port}"
    db = clone / "data" / "first-start.duckdb"
    log = clone / "make-run.log"
    env = {**os.environ, "RECSCOPE_DB": str(db), STARTER_ENV: "1", "PORT": str(port)}
    env.pop("VIRTUAL_ENV", None)
    start = time.monotonic()
    with log.open("wb") as out:
        server = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=clone,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make, its shell and streamlit: stopped together below
        )
        try:
            _wait(lambda: _healthy(url), "healthy app", server, log)
            healthy = time.monotonic() - start
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(url)
                page.get_by_text("Dataset in use", exact=False).first.wait_for(timeout=120_000)
                first_page = time.monotonic() - start
                _wait(lambda: _starter_runs_listed(db), "starter runs", server, log)
                ready = time.monotonic() - start
                browser.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    return {"healthy_s": healthy, "first_page_s": first_page, "runs_ready_s": ready}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "first_start.json")
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="recscope-first-start-"))
    clone = folder / "main"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    try:
        figures = measure(clone)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    print(f"first start of a fresh clone of {commit} (make run, empty database)")
    print(f"{'milestone':<28}{'seconds':>8}")
    for name, label in [
        ("healthy_s", "healthy app"),
        ("first_page_s", "home page drawn"),
        ("runs_ready_s", f"{len(STARTER_MODELS)} starter runs ready"),
    ]:
        print(f"{label:<28}{figures[name]:>8.1f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"commit": commit, **figures}, indent=2))


if __name__ == "__main__":
    main()
