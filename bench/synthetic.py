"""Time the synthetic catalogue generator from 1k to 10M interactions, with its peak memory.

Usage: python bench/synthetic.py [--cases 1k,100k,1m,10m] [--out bench/results/synthetic.json]

Each case runs ``generate_synthetic`` (interactions, impressions, users, items, frames) in a fresh
subprocess, so that its peak resident memory (``ru_maxrss``) is its own; the table shows it beside
the resident memory right after the imports. The peer is the usual way to draw such data: a Python
loop over users calling ``numpy.random.Generator.choice(n_items, k, replace=False, p=p)`` for each
user's items (their softmax) and each of their requests' slates (the logging policy). It draws the
same distributions (successive sampling) but skips release dates, timestamps, ratings, clicks and
side information, so it is a lower bound on a looped generator; it runs up to 1M interactions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script (`python bench/synthetic.py`) from anywhere
    sys.path.insert(0, str(ROOT))

from recsys_core.data.synthetic import (  # noqa: E402
    SyntheticConfig,
    generate_synthetic,
    planted_truth,
)

#: Case name -> sizes; the rest of the config is the default (10 requests x 10 slots per user).
CASES: dict[str, dict[str, int]] = {
    "1k": {"n_users": 100, "n_items": 200, "n_interactions": 1_000},
    "100k": {"n_users": 2_000, "n_items": 1_000, "n_interactions": 100_000},
    "1m": {"n_users": 20_000, "n_items": 5_000, "n_interactions": 1_000_000},
    "10m": {"n_users": 100_000, "n_items": 5_000, "n_interactions": 10_000_000},
}
#: Cases the per-user peer loop runs on (beyond that it takes minutes).
PEER_CASES = ("1k", "100k", "1m")
#: Timed repeats for cases under 1M interactions (the median is reported).
SMALL_REPEATS = 3


def _rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure_case(name: str) -> dict[str, object]:
    """Generate one case in this process: seconds (median of repeats) and memory."""
    sizes = CASES[name]
    config = SyntheticConfig(**sizes)
    baseline = _current_rss_mb()
    repeats = SMALL_REPEATS if sizes["n_interactions"] < 1_000_000 else 1
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        frames = generate_synthetic(config)
        seconds.append(time.perf_counter() - start)
    assert frames.impressions is not None
    assert len(frames.interactions) == config.n_interactions
    return {
        "case": name,
        **sizes,
        "n_impressions": len(frames.impressions),
        "seconds": statistics.median(seconds),
        "interactions_per_s": config.n_interactions / statistics.median(seconds),
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
    }


def peer_seconds(name: str) -> float:
    """The per-user ``Generator.choice`` loop: each user's items, then their requests' slates."""
    config = SyntheticConfig(**CASES[name])
    truth = planted_truth(config)
    rng = np.random.default_rng(0)
    activity = np.full(config.n_users, config.n_interactions // config.n_users)
    popularity = np.exp(truth.item_log_popularity)
    share = config.policy_personalization
    start = time.perf_counter()
    for user in range(config.n_users):
        affinity = truth.item_factors @ truth.user_factors[user] / config.temperature
        logits = truth.item_log_popularity + affinity
        taste = np.exp(logits - logits.max())
        taste /= taste.sum()
        rng.choice(config.n_items, size=activity[user], replace=False, p=taste)
        policy = share * taste + (1 - share) * popularity
        for _ in range(config.requests_per_user):
            rng.choice(config.n_items, size=config.slots_per_request, replace=False, p=policy)
    return time.perf_counter() - start


def _run_in_subprocess(name: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--one", name],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _print_table(rows: list[dict[str, object]]) -> None:
    header = (
        f"{'case':>5} {'users':>8} {'items':>7} {'interactions':>13} {'impressions':>12} "
        f"{'seconds':>8} {'inter./s':>10} {'peak MiB':>9} {'base MiB':>9} {'peer s':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        peer = row.get("peer_seconds")
        peer_text = f"{peer:8.2f}" if isinstance(peer, float) else f"{'-':>8}"
        print(
            f"{row['case']:>5} {row['n_users']:>8,} {row['n_items']:>7,} "
            f"{row['n_interactions']:>13,} {row['n_impressions']:>12,} {row['seconds']:>8.2f} "
            f"{row['interactions_per_s']:>10,.0f} {row['peak_rss_mb']:>9,.0f} "
            f"{row['baseline_rss_mb']:>9,.0f} {peer_text}"
        )
    print("peer: numpy Generator.choice(replace=False, p) per user and per request (sampling only)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "synthetic.json"))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one case, print JSON
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure_case(args.one)))
        return
    rows = []
    for name in args.cases.split(","):
        row = _run_in_subprocess(name)
        if name in PEER_CASES:
            row["peer_seconds"] = peer_seconds(name)
        rows.append(row)
    _print_table(rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "peer": "numpy Generator.choice(replace=False, p) per user and per request (sampling only)",
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "cases": rows,
    }
    out.write_text(json.dumps(payload, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
