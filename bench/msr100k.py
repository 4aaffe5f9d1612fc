"""Reproduce the Microsoft Recommenders ML-100K table with RecScope's models.

Usage: python bench/msr100k.py [--models ease,bpr,...] [--out bench/results/msr100k.json]

Loads ML-100K from $RECSCOPE_DATASETS_DIR (or downloads it) into a temporary database, trains
each model under the ``msr-100k`` protocol (item-stratified 75/25, seed 42, k=10, full ranking),
and prints our rows beside the published ones. The command for one row is
``python -m recsys_core train --dataset ml-100k --model MODEL --protocol msr-100k``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script (`python bench/msr100k.py`) from anywhere
    sys.path.insert(0, str(ROOT))

from recsys_core.data import store  # noqa: E402
from recsys_core.data.movielens import load_movielens  # noqa: E402
from recsys_core.data.protocols import PROTOCOLS  # noqa: E402
from recsys_core.experiment import train_run  # noqa: E402

#: Microsoft Recommenders' ML-100K benchmark (recommenders 1.x, examples/06_benchmarks), k = 10.
PUBLISHED = {
    "BiVAE": {
        "map": 0.146126,
        "ndcg@10": 0.475077,
        "precision@10": 0.411771,
        "recall@10": 0.219145,
    },
    "BPR": {"map": 0.132478, "ndcg@10": 0.441997, "precision@10": 0.388229, "recall@10": 0.212522},
    "LightGCN": {
        "map": 0.088526,
        "ndcg@10": 0.419846,
        "precision@10": 0.379626,
        "recall@10": 0.144336,
    },
    "NCF": {"map": 0.107720, "ndcg@10": 0.396118, "precision@10": 0.347296, "recall@10": 0.180775},
    "SAR": {"map": 0.110591, "ndcg@10": 0.382461, "precision@10": 0.330753, "recall@10": 0.176385},
}
DEFAULT_MODELS = ("popularity", "content", "itemknn", "mf", "bpr", "ease")
COLUMNS = ("ndcg@10", "precision@10", "recall@10", "map@10", "msr_map@10")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS))
    parser.add_argument("--out", type=Path, default=Path("bench/results/msr100k.json"))
    args = parser.parse_args()
    source = os.environ.get("RECSCOPE_DATASETS_DIR")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        store.write_dataset(
            load_movielens("ml-100k", Path(source) / "ml-100k" if source else None), path=db
        )
        rows = []
        for model in args.models.split(","):
            started = time.perf_counter()
            result = train_run("ml-100k", model, PROTOCOL, path=db, ks=(10,))
            metrics = result.record.metrics
            rows.append(
                {
                    "model": model,
                    **{c: metrics[c] for c in COLUMNS},
                    "rmse": metrics.get("rmse"),
                    "train_seconds": result.record.train_seconds,
                    "total_seconds": time.perf_counter() - started,
                }
            )
            print(f"{model:>12}: nDCG@10 {metrics['ndcg@10']:.4f}", flush=True)
    header = f"{'model':<22}" + "".join(f"{c:>14}" for c in (*COLUMNS, "train s"))
    print("\n" + header)
    for row in rows:
        print(
            f"{row['model']:<22}"
            + "".join(f"{row[c]:>14.4f}" for c in COLUMNS)
            + f"{row['train_seconds']:>14.1f}"
        )
    for name, published in PUBLISHED.items():
        print(
            f"{'published ' + name:<22}"
            + f"{published['ndcg@10']:>14.4f}{published['precision@10']:>14.4f}"
            + f"{published['recall@10']:>14.4f}{'':>14}{published['map']:>14.4f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"protocol": PROTOCOL.to_dict(), "rows": rows, "published": PUBLISHED}, indent=2)
    )
    print(f"\nwrote {args.out}")


PROTOCOL = PROTOCOLS["msr-100k"]

if __name__ == "__main__":
    main()
