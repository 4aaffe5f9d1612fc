"""Time RecScope's vectorised top-k evaluation against a pandas per-user loop and MS Recommenders.

Usage: python bench/evaluation.py [--out bench/results/evaluation.json] [--recommenders-python PATH]

Two cases, all users, k = 10: ML-100K (seeded 75/25 random split, most-popular top-10 lists with
seen items excluded) and a 100,000-user case of the project's synthetic catalogue (1,000 items,
2.5M interactions, user-stratified 80/20 split, most-popular lists). Each is scored by
``recsys_core.evaluation.evaluate_topk`` (ours), by the plain
pandas reference in ``bench/reference_metrics.py`` (a loop over users) and, when its interpreter
is available, by Microsoft Recommenders 1.2.1's python evaluators
(``bench/peers/setup_recommenders.sh`` installs it apart, since it pins pandas<3).
Definitions matched: precision = hits / k; recall; nDCG with binary gains and an ideal DCG over
min(|rel|, k) items; ``map`` = AP normalised by min(|rel|, k) = recommenders' ``map_at_k`` (1.2.x);
``msr_map`` = AP normalised by |rel| = recommenders' ``map``. Results must agree to 1e-6; the
script fails otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script (`python bench/evaluation.py`) from anywhere
    sys.path.insert(0, str(ROOT))

from bench.reference_metrics import reference_topk_metrics  # noqa: E402
from recsys_core.data.dataset import TrainSplit  # noqa: E402
from recsys_core.data.splits import SplitSpec, split_rows  # noqa: E402
from recsys_core.data.synthetic import generate_synthetic  # noqa: E402
from recsys_core.evaluation import evaluate_topk  # noqa: E402
from recsys_core.models import get_model_class  # noqa: E402

K = 10
METRICS = tuple(f"{name}@{K}" for name in ("precision", "recall", "ndcg", "map", "msr_map"))
TOLERANCE = 1e-6
SEED = 42
DEFAULT_PEER_PYTHON = ROOT / ".venv-peers" / "recommenders" / "bin" / "python"
PEER_SCRIPT = ROOT / "bench" / "peers" / "recommenders_eval.py"
#: Timed repeats of our evaluation (the median is reported); the slower peers run once.
OUR_REPEATS = 3


@dataclass(frozen=True)
class Case:
    """Top-k lists and binary truth for one benchmark case.

    Attributes:
        name: case name in the table.
        recs: (B, K) item indices best first, -1 padding.
        users: (B,) evaluated users (each has at least one test item).
        truth: (U, I) csr, 1.0 for every test interaction.
        description: how the case was made.
    """

    name: str
    recs: np.ndarray
    users: np.ndarray
    truth: sp.csr_matrix
    description: str


def _ml100k_case() -> Case:
    """Most-popular lists on a seeded 75/25 random split of ML-100K."""
    root = os.environ.get("RECSCOPE_DATASETS_DIR")
    path = Path(root or "") / "ml-100k" / "u.data"
    if not root or not path.is_file():
        raise FileNotFoundError("set RECSCOPE_DATASETS_DIR to the folder holding ml-100k/u.data")
    frame = pd.read_csv(path, sep="\t", names=["user_id", "item_id", "rating", "timestamp"])
    user_idx, user_ids = pd.factorize(frame["user_id"])
    item_idx, item_ids = pd.factorize(frame["item_id"])
    frame = frame.assign(user_idx=user_idx, item_idx=item_idx)
    n_users, n_items = len(user_ids), len(item_ids)
    in_train = np.random.default_rng(SEED).permutation(len(frame)) < int(0.75 * len(frame))
    train = TrainSplit.from_frame(frame[in_train], n_users, n_items)
    test = frame[~in_train]
    truth = _binary_truth(
        test["user_idx"].to_numpy(), test["item_idx"].to_numpy(), n_users, n_items
    )
    users = np.flatnonzero(np.diff(truth.indptr))
    model = get_model_class("popularity")().fit(train)
    recs = model.recommend(users, K, exclude_seen=True).item_idx
    return Case("ml-100k", recs, users, truth, "75/25 random split (seed 42), popularity top-10")


def _synthetic_case(n_users: int = 100_000, n_items: int = 1_000) -> Case:
    """Most-popular lists on a seeded user-stratified 80/20 split of the project's synthetic
    catalogue (planted factors, power-law popularity) with 100,000 users."""
    frames = generate_synthetic(
        n_users=n_users, n_items=n_items, n_interactions=25 * n_users, seed=SEED
    )
    inter = frames.interactions
    user_idx, _ = pd.factorize(inter["user_id"])
    item_idx, _ = pd.factorize(inter["item_id"])
    frame = pd.DataFrame(
        {"row_id": np.arange(len(inter)), "user_idx": user_idx, "item_idx": item_idx}
    )
    parts = split_rows(frame, SplitSpec(kind="user", test=0.2, seed=SEED))
    train = TrainSplit.from_frame(frame.iloc[parts["train"]], n_users, n_items)
    test = frame.iloc[parts["test"]]
    truth = _binary_truth(
        test["user_idx"].to_numpy(), test["item_idx"].to_numpy(), n_users, n_items
    )
    users = np.flatnonzero(np.diff(truth.indptr))
    recs = get_model_class("popularity")().fit(train).recommend(users, K).item_idx
    description = (
        f"synthetic catalogue, {n_users:,} users x {n_items:,} items, {len(inter):,} "
        "interactions; user-stratified 80/20 split (seed 42), popularity top-10"
    )
    return Case(f"synthetic-{n_users // 1000}k", recs, users, truth, description)


def _binary_truth(
    users: np.ndarray, items: np.ndarray, n_users: int, n_items: int
) -> sp.csr_matrix:
    """(U, I) csr with 1.0 for every (user, item) pair given."""
    truth = sp.csr_matrix(
        (np.ones(len(users)), (users, items)), shape=(n_users, n_items), dtype=np.float64
    )
    truth.sum_duplicates()
    truth.data[:] = 1.0
    return truth


def make_case(name: str) -> Case:
    """The case called ``name`` ("ml-100k" or "synthetic-100k")."""
    if name == "ml-100k":
        return _ml100k_case()
    if name == "synthetic-100k":
        return _synthetic_case()
    raise ValueError(f"unknown case {name!r}; choose ml-100k or synthetic-100k")


def _time_ours(case: Case) -> tuple[float, dict[str, np.ndarray]]:
    times, per_user = [], {}
    for _ in range(OUR_REPEATS):
        start = time.perf_counter()
        evaluation = evaluate_topk(case.recs, case.users, case.truth, (K,))
        times.append(time.perf_counter() - start)
        per_user = evaluation.per_user
    return statistics.median(times), {m: per_user[m] for m in METRICS}


def _time_reference(case: Case) -> tuple[float, dict[str, np.ndarray]]:
    start = time.perf_counter()
    frame = reference_topk_metrics(case.recs, case.users, case.truth, K)
    seconds = time.perf_counter() - start
    return seconds, {m: frame[m].to_numpy() for m in METRICS}


def _run_recommenders(case: Case, python: Path) -> tuple[float, dict[str, float], str]:
    """Call MS Recommenders in its own interpreter; lists and truth go over as Parquet files."""
    coo = case.truth.tocoo()
    truth = pd.DataFrame(
        {"userID": coo.row.astype(np.int64), "itemID": coo.col.astype(np.int64), "rating": 1.0}
    )
    valid = case.recs >= 0
    rows = np.nonzero(valid)
    pred = pd.DataFrame(
        {
            "userID": case.users[rows[0]].astype(np.int64),
            "itemID": case.recs[valid].astype(np.int64),
            # strictly decreasing within a list, so re-sorting by prediction keeps our order
            "prediction": (K - rows[1]).astype(np.float64),
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        truth.to_parquet(directory / "truth.parquet", index=False)
        pred.to_parquet(directory / "pred.parquet", index=False)
        subprocess.run(
            [str(python), str(PEER_SCRIPT), str(directory), str(K)],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads((directory / "result.json").read_text())
    return float(result["seconds"]), result["values"], str(result["version"])


def _peer_python(requested: str | None) -> Path | None:
    """The recommenders interpreter to use, or None when it is not installed."""
    candidate = Path(requested) if requested else DEFAULT_PEER_PYTHON
    if not candidate.is_file():
        return None
    probe = subprocess.run(
        [str(candidate), "-c", "import recommenders.evaluation.python_evaluation"],
        capture_output=True,
    )
    return candidate if probe.returncode == 0 else None


def _max_diff(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray | float]) -> float:
    return max(float(np.max(np.abs(np.asarray(ours[m]) - theirs[m]), initial=0.0)) for m in METRICS)


def run_case(case: Case, peer_python: Path | None) -> dict[str, object]:
    """Time every implementation on one case and check that they agree."""
    our_seconds, ours = _time_ours(case)
    our_means = {m: float(np.mean(v)) for m, v in ours.items()}
    results = [
        {
            "implementation": "recscope evaluate_topk",
            "seconds": our_seconds,
            "speedup_vs_ours": 1.0,
            "max_abs_diff": 0.0,
            "means": our_means,
        }
    ]
    ref_seconds, reference = _time_reference(case)
    results.append(
        {
            "implementation": "pandas per-user reference",
            "seconds": ref_seconds,
            "speedup_vs_ours": ref_seconds / our_seconds,
            "max_abs_diff": _max_diff(ours, reference),
            "compared": "per user",
            "means": {m: float(np.mean(v)) for m, v in reference.items()},
        }
    )
    if peer_python is not None:
        peer_seconds, peer_means, version = _run_recommenders(case, peer_python)
        results.append(
            {
                "implementation": f"recommenders {version} python_evaluation",
                "seconds": peer_seconds,
                "speedup_vs_ours": peer_seconds / our_seconds,
                "max_abs_diff": _max_diff(our_means, peer_means),
                "compared": "means (it returns one number per metric)",
                "means": peer_means,
            }
        )
    for result in results:
        if result["max_abs_diff"] > TOLERANCE:
            raise SystemExit(
                f"{case.name}: {result['implementation']} differs from ours by "
                f"{result['max_abs_diff']:.3g} (> {TOLERANCE}); means {result['means']} vs "
                f"{our_means}"
            )
    return {
        "case": case.name,
        "description": case.description,
        "n_users": len(case.users),
        "n_items": case.truth.shape[1],
        "n_truth": int(case.truth.nnz),
        "results": results,
    }


def _print_table(cases: list[dict[str, object]], peer_status: str) -> None:
    print(f"top-{K} metrics over all test users: {', '.join(METRICS)}")
    print(f"peer: {peer_status}")
    header = f"{'case':<16} {'implementation':<40} {'seconds':>9} {'speed-up vs ours':>17}"
    print(header + f" {'max |diff|':>11}")
    print("-" * (len(header) + 12))
    for case in cases:
        for result in case["results"]:
            print(
                f"{case['case']:<16} {result['implementation']:<40} {result['seconds']:>9.3f} "
                f"{result['speedup_vs_ours']:>16.1f}x {result['max_abs_diff']:>11.2e}"
            )
    print("speed-up vs ours = their seconds / our seconds (ours: median of 3 runs)")
    for case in cases:
        means = case["results"][0]["means"]
        print(f"{case['case']}: " + ", ".join(f"{m}={v:.4f}" for m, v in means.items()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "evaluation.json"))
    parser.add_argument(
        "--recommenders-python",
        default=None,
        help="interpreter with recommenders 1.2.1 (default: .venv-peers/recommenders/bin/python)",
    )
    parser.add_argument("--cases", default="ml-100k,synthetic-100k", help="comma-separated cases")
    args = parser.parse_args(argv)

    peer_python = _peer_python(args.recommenders_python)
    peer_status = (
        f"recommenders via {peer_python}"
        if peer_python is not None
        else "recommenders: not installed (run bench/peers/setup_recommenders.sh)"
    )
    cases = [run_case(make_case(name), peer_python) for name in args.cases.split(",")]
    _print_table(cases, peer_status)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "k": K,
        "metrics": list(METRICS),
        "tolerance": TOLERANCE,
        "peer": peer_status,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "cases": cases,
    }
    out.write_text(json.dumps(payload, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
