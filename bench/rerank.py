"""Re-ranking on ML-100K under msr-100k: each re-ranker's weight swept, its target checked, timed.

Usage: python bench/rerank.py [--models bpr,ease] [--bpr-epochs 200] [--out FILE.json]
(default output: bench/results/rerank.json)

Trains a BPR-MF and an EASE run on ML-100K (from $RECSCOPE_DATASETS_DIR) in a temporary database,
then for each run and each re-ranker sweeps the weight over 0, 0.2, ..., 1 on the run's top-100
candidates of every test user, printing nDCG@10 and the beyond-accuracy metrics. Each re-ranker
must move its own target the intended way between weight 0 and 1 (MMR: intra-list diversity up;
fairness: tail share up; genre calibration: genre KL down; freshness: mean item age down; genre
balance: genre KL down as lists spread over genres), and the table shows the nDCG@10 it costs.
Speed: one user's 100 candidates through every re-ranker at once (p50/p95 over users, target
p95 <= 20 ms), and every test user re-ranked with all re-rankers on plus the metrics recomputed
(target <= 1 s).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script (`python bench/rerank.py`) from anywhere
    sys.path.insert(0, str(ROOT))

from recsys_core.data.movielens import import_movielens  # noqa: E402
from recsys_core.data.protocols import PROTOCOLS  # noqa: E402
from recsys_core.experiment import train_run  # noqa: E402
from recsys_core.rerank import RerankPipeline  # noqa: E402
from recsys_core.rerank.session import RerankSession  # noqa: E402

WEIGHTS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
K = 10
COLUMNS = ("ndcg", "coverage", "diversity", "tail_share", "genre_kl", "mean_item_age")
#: re-ranker -> (metric it targets, +1 when it must rise, -1 when it must fall).
TARGETS = {
    "mmr": ("diversity", +1),
    "fairness": ("tail_share", +1),
    "genre_calibration": ("genre_kl", -1),
    "freshness": ("mean_item_age", -1),
    "genre_balance": ("genre_kl", -1),
}
#: Settings with every re-ranker on, for the speed measurements.
ALL_ON = {
    "dislikes": 1.0,
    "freshness": 0.3,
    "genre_calibration": 0.5,
    "mmr": 0.3,
    "genre_balance": 0.5,
    "fairness": 0.2,
}
TARGET_ONE_USER_P95_MS = 20.0
TARGET_ALL_USERS_S = 1.0


def sweep(session: RerankSession, name: str) -> list[dict[str, float]]:
    """Metrics at k=10 for each weight of one re-ranker."""
    rows = []
    for weight in WEIGHTS:
        outcome = session.rerank(RerankPipeline.from_settings({name: weight}), K)
        means = outcome.metrics_after.means()
        rows.append({"weight": weight, **{c: float(means[f"{c}@{K}"]) for c in COLUMNS}})
    return rows


def one_user_latency(session: RerankSession, n_users: int = 200) -> dict[str, float]:
    """p50/p95 milliseconds of one user's candidates through every re-ranker at once."""
    pipeline = RerankPipeline.from_settings(ALL_ON).prepare(session.context)
    timings = []
    for row in range(min(n_users, len(session.candidates.user_idx))):
        single = session.candidates.take(np.array([row]))
        started = time.perf_counter()
        pipeline.apply(single, session.context, K)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": float(np.percentile(timings, 50)),
        "p95_ms": float(np.percentile(timings, 95)),
    }


def all_users_seconds(session: RerankSession, repeats: int = 5) -> float:
    """Median seconds to re-rank every test user with all re-rankers on and re-evaluate."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        session.rerank(RerankPipeline.from_settings(ALL_ON), K)
        timings.append(time.perf_counter() - started)
    return float(np.median(timings))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="bpr,ease", help="comma-separated architectures")
    parser.add_argument("--bpr-epochs", type=int, default=200, help="BPR-MF training epochs")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "rerank.json")
    args = parser.parse_args()
    if not os.environ.get("RECSCOPE_DATASETS_DIR"):
        print("set RECSCOPE_DATASETS_DIR (the Makefile does) to read ML-100K", file=sys.stderr)
        return 2
    results: dict[str, object] = {"k": K, "weights": list(WEIGHTS), "runs": {}}
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "recsys.duckdb"
        import_movielens("ml-100k", path=db)
        for model in args.models.split(","):
            overrides = {"n_epochs": args.bpr_epochs} if model == "bpr" else {}
            run = train_run("ml-100k", model, PROTOCOLS["msr-100k"], overrides=overrides, path=db)
            session = RerankSession.open(run.record.run_id, path=db)
            n_users = len(session.candidates.user_idx)
            print(f"\n{model} ({run.record.run_id}), top-100 candidates of {n_users} test users")
            header = f"{'re-ranker':<18}{'weight':>7}" + "".join(f"{c:>15}" for c in COLUMNS)
            print(header)
            sweeps = {}
            for name in TARGETS:
                rows = sweep(session, name)
                sweeps[name] = rows
                for row in rows:
                    print(
                        f"{name:<18}{row['weight']:>7.1f}"
                        + "".join(f"{row[c]:>15.4f}" for c in COLUMNS)
                    )
                metric, sign = TARGETS[name]
                moved = sign * (rows[-1][metric] - rows[0][metric])
                cost = rows[0]["ndcg"] - rows[-1]["ndcg"]
                verdict = "ok" if moved > 0 else "WRONG WAY"
                direction = "up" if sign > 0 else "down"
                change = f"{metric} {direction} by {abs(moved):.4f} ({verdict})"
                print(f"  -> {change}; nDCG@10 cost {cost:.4f}")
                if moved <= 0:
                    failures.append(f"{model}/{name}")
            latency = one_user_latency(session)
            seconds = all_users_seconds(session)
            print(
                f"speed: one user, every re-ranker: p50 {latency['p50_ms']:.2f} ms, "
                f"p95 {latency['p95_ms']:.2f} ms (target <= {TARGET_ONE_USER_P95_MS:.0f}); "
                f"all users + metrics: {seconds:.3f} s (target <= {TARGET_ALL_USERS_S:.0f})"
            )
            results["runs"][model] = {  # type: ignore[index]
                "run_id": run.record.run_id,
                "sweeps": sweeps,
                "one_user": latency,
                "all_users_seconds": seconds,
            }
    results["wrong_way"] = failures
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
