"""Warm latency of the RecScope app in a real browser: pages, list updates and re-ranking sliders.

Usage: python bench/app_latency.py [--out bench/results/app_latency.json] [--repeats 20]
       [--load-repeats 5] [--bpr-epochs 20] [--profile-runs 5] [--port PORT] [--only-slider]

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
* ``slider_update``: on Recommendations, the MMR re-ranking slider moved one step (an arrow key
  on the focused slider) 32 times, 0 -> 0.8 and back: the time from the key to the end of the
  re-ranking fragment's run, by which the re-ranked lists and the test-set metrics of the new
  weights are drawn (target 250 ms). ``slider_update:new_weights`` are the 16 steps up (weights
  not shown before: re-ranked and re-measured), ``slider_update:revisit`` the 16 back (cached).
  ``slider_update:first_message`` is the time to the server's first message;
  ``slider_update:messages`` and ``slider_update:kilobytes`` count what the server sent per step
  (printed in the ms columns). ``--only-slider`` measures these alone (after one warm-up view of
  Recommendations, without the item projection).

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
  After that, untimed, the grid's accessible table must list exactly the expected item titles,
  computed before through ``recsys_core.inspection`` with the same saved model (that table is
  refreshed up to ~250 ms after the canvas, so it is not used for timing).

Targets: a warm page ready within 1 s (``nav:*`` and ``load:*``), a list update or a slider step
within 250 ms; a measurement meets its target when its p95 does. ``--profile-runs N`` then reruns
every page, the user change and a slider step N times in this process through Streamlit's
``AppTest`` (same caches, same script code, no browser) under cProfile, and reports the
server-side script time and its top functions; the re-ranking breakdown
(``latency/rerank_breakdown.py``) times the library work of a slider step part by part, and
the full ``gc.collect`` Streamlit runs after every run while ``runner.postScriptGC`` is on (about
240 ms here, more than a slider step's own work: ``STREAMLIT_RUNNER_POST_SCRIPT_GC=false`` in the
environment turns it off for a measurement).

The parts live in ``bench/latency/``: ``scenario`` (pages, targets), ``prepare`` (the data),
``probe`` (the in-page JavaScript), ``measure`` (the browser), ``server_profile``, ``stats`` and
``report`` (table and JSON); ``bench/server.py`` starts the server, as for the e2e tests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script (`python bench/app_latency.py`) from anywhere
    sys.path.insert(0, str(ROOT))

from bench.browser import CHROMIUM  # noqa: E402
from bench.latency.measure import measure_browser  # noqa: E402
from bench.latency.prepare import prepare  # noqa: E402
from bench.latency.report import build_payload, print_profile, print_table  # noqa: E402
from bench.latency.rerank_breakdown import print_breakdown, rerank_breakdown  # noqa: E402
from bench.latency.scenario import DATASET  # noqa: E402
from bench.latency.server_profile import profile_server  # noqa: E402
from bench.server import serve_app  # noqa: E402


def main() -> None:
    """Parse the command line, prepare the data, measure, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "app_latency.json")
    parser.add_argument("--repeats", type=int, default=20, help="navigations per page; users")
    parser.add_argument("--load-repeats", type=int, default=5, help="fresh loads per page")
    parser.add_argument("--bpr-epochs", type=int, default=20)
    parser.add_argument(
        "--profile-runs", type=int, default=5, help="AppTest reruns under cProfile (0: off)"
    )
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument(
        "--only-slider", action="store_true", help="measure the re-ranking slider alone"
    )
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
        prepared = prepare(
            db, datasets_dir, args.bpr_epochs, n_users=args.repeats, project=not args.only_slider
        )
        print("  " + ", ".join(f"{k} {v:.1f} s" for k, v in prepared.seconds.items()), flush=True)
        print(f"Measuring in Chromium (load average {_load()})…", flush=True)
        with serve_app(db, Path(folder) / "streamlit.log", port=args.port) as url:
            results = measure_browser(
                url, prepared, args.repeats, args.load_repeats, only_slider=args.only_slider
            )
        load = _load()
        print_table(results)
        print(f"load average after measuring: {load}")
        breakdown = rerank_breakdown(prepared)
        print_breakdown(breakdown)
        profile = (
            profile_server(prepared, args.profile_runs, only_slider=args.only_slider)
            if args.profile_runs
            else {}
        )
        print_profile(profile)

    payload = build_payload(
        prepared,
        results,
        profile,
        bpr_epochs=args.bpr_epochs,
        repeats=args.repeats,
        load_repeats=args.load_repeats,
    )
    payload["load_average_after_measuring"] = load
    payload["rerank_breakdown"] = breakdown
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nwrote {args.out}")


def _load() -> str:
    """The machine's 1, 5 and 15 minute load averages (other work skews every timing)."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
