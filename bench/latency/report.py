"""The latency benchmark's report: the printed table and profile, and the JSON payload."""

from __future__ import annotations

import os
import platform
import subprocess
from typing import Any

from bench.latency.prepare import Prepared
from bench.latency.scenario import (
    DATASET,
    LIST_TARGET_MS,
    PAGE_TARGET_MS,
    PROTOCOL,
    SLIDER_TARGET_MS,
)
from bench.latency.stats import Measurement
from bench.server import REPO


def code_version() -> dict[str, Any]:
    """The commit measured and the files that differed from it (read-only git queries)."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=REPO, capture_output=True, text=True, check=True, timeout=10
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


def print_profile(profile: dict[str, Any]) -> None:
    """Each profiled script's p50/max and its top functions (cumulative and calls per run)."""
    for name, entry in profile.items():
        print(f"\n{name}: p50 {entry['p50_ms']:.0f} ms, max {entry['max_ms']:.0f} ms")
        print("   cumulative per run, calls per run, function:")
        for line in entry["top_cumulative"]:
            print("   " + line)


def build_payload(
    prepared: Prepared,
    results: dict[str, Measurement],
    profile: dict[str, Any],
    *,
    bpr_epochs: int,
    repeats: int,
    load_repeats: int,
) -> dict[str, Any]:
    """The JSON written by the benchmark: machine, code, setup, targets and every summary."""
    return {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "code": code_version(),
        "setup": {
            "dataset": DATASET,
            "protocol": PROTOCOL,
            "runs": {"bpr": prepared.bpr_run, "itemknn": prepared.itemknn_run},
            "bpr_epochs": bpr_epochs,
            "seconds": {k: round(v, 2) for k, v in prepared.seconds.items()},
        },
        "repeats": repeats,
        "load_repeats": load_repeats,
        "targets_ms": {
            "page": PAGE_TARGET_MS,
            "list_update": LIST_TARGET_MS,
            "slider_update": SLIDER_TARGET_MS,
        },
        "measurements": [m.summary() for m in results.values()],
        "server_profile": profile,
    }
