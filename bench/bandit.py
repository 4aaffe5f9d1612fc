"""Off-policy estimates of LinUCB and Thompson sampling against their true CTR on the synthetic log.

Usage: python bench/bandit.py [--seeds 1,2,3,4,5] [--out bench/results/bandit.json]

Generates the default synthetic catalogue (seed 42; 2,000 users x 10 requests x 10 slots, 20% of
requests ordered uniformly at random) into a temporary database, and runs the offline report
(``recsys_core.bandits.evaluation``): both bandits fitted on the first 80% of requests by time,
each choosing position 1 of every later request's slate, estimated by replay (exploration bucket),
IPS and SNIPS with 95% intervals beside its true CTR (mean planted relevance of its choices), with
the logging policy and a uniform choice within the slate as baselines. The table marks whether each
interval contains the truth; the run is repeated over other generator seeds and the containment
counted (about 95% of intervals should hold the truth). Peer: a plain pandas computation of IPS
and SNIPS straight from the stored impression rows (one merge of the policy's choices with the
position-1 rows, no shared code with ``bandits.logs``) must agree with the report to 1e-9; the
estimators follow the definitions of Open Bandit Pipeline (Saito et al., NeurIPS 2021 Datasets and
Benchmarks), not installed here.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script (`python bench/bandit.py`) from anywhere
    sys.path.insert(0, str(ROOT))

from recsys_core.bandits.evaluation import (  # noqa: E402
    TRAIN_SHARE,
    BanditReport,
    choose,
    evaluate_bandits,
    fit_policy,
    training_features,
)
from recsys_core.bandits.logs import logged_impressions, split_log  # noqa: E402
from recsys_core.data import store  # noqa: E402
from recsys_core.data.dataset import Dataset  # noqa: E402
from recsys_core.data.synthetic import generate_synthetic  # noqa: E402

ESTIMATORS = ("replay", "ips", "snips")
PEER_TOLERANCE = 1e-9


def stored_catalogue(seed: int, folder: Path) -> Dataset:
    """The default synthetic catalogue of ``seed``, written to a fresh database and read back."""
    db = folder / f"seed-{seed}.duckdb"
    store.write_dataset(generate_synthetic(seed=seed), path=db)
    return store.load_dataset("synthetic", path=db)


def print_report(report: BanditReport) -> None:
    """One row per policy: each estimate with its interval and whether it holds the truth."""
    print(
        f"{'policy':<10}"
        + "".join(f"{name:>32}" for name in ESTIMATORS)
        + f"{'true CTR':>10}{'matched':>9}"
    )
    for name, p in report.policies.items():
        cells = []
        for estimator in ESTIMATORS:
            e = getattr(p, estimator)
            if e is None:
                cells.append(f"{'-':>32}")
                continue
            mark = "yes" if e.contains(p.true_ctr) else "NO"
            cells.append(f"{e.value:.4f} [{e.low:.4f}, {e.high:.4f}] {mark:>3}".rjust(32))
        print(f"{name:<10}" + "".join(cells) + f"{p.true_ctr:>10.4f}{p.n_matched:>9}")


def peer_estimates(dataset: Dataset, policy: str) -> dict[str, float]:
    """IPS and SNIPS of ``policy`` from the raw impression rows with plain pandas."""
    impressions = logged_impressions(dataset)
    split = split_log(impressions, TRAIN_SHARE)
    features = training_features(dataset, split)
    fitted = fit_policy(policy, split.train, features)
    column = choose(fitted, split.test, features)
    chosen = pd.DataFrame(
        {
            "request_id": split.test.request_id,
            "chosen": split.test.item[np.arange(len(column)), column],
        }
    )
    first = impressions[impressions["position"] == 1].merge(chosen, on="request_id")
    weight = (first["item_idx"] == first["chosen"]) / first["propensity"]
    reward = first["clicked"].astype(float)
    return {
        "ips": float((weight * reward).mean()),
        "snips": float((weight * reward).sum() / weight.sum()),
    }


def containment(reports: list[BanditReport]) -> dict[str, dict[str, int]]:
    """Per estimator: intervals over all seeds and policies, and how many hold the truth."""
    counts = {name: {"intervals": 0, "contain": 0} for name in ESTIMATORS}
    for report in reports:
        for p in report.policies.values():
            for name in ESTIMATORS:
                e = getattr(p, name)
                if e is not None:
                    counts[name]["intervals"] += 1
                    counts[name]["contain"] += int(e.contains(p.true_ctr))
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5", help="generator seeds of the repeat")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "bandit.json")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dataset = stored_catalogue(42, folder)
        started = time.perf_counter()
        report = evaluate_bandits(dataset)
        seconds = time.perf_counter() - started
        print(
            f"default synthetic catalogue (seed 42): {report.n_train_requests:,} training "
            f"requests, {report.n_test_requests:,} test requests ({report.n_explored_test:,} "
            f"explored); position-1 CTR with 95% intervals ('yes': holds the true CTR)"
        )
        print_report(report)
        print(f"offline report: {seconds:.2f} s")
        disagreements = []
        for policy in ("linucb", "thompson"):
            peer = peer_estimates(dataset, policy)
            ours = report.policies[policy]
            for name in ("ips", "snips"):
                gap = abs(peer[name] - getattr(ours, name).value)
                if gap > PEER_TOLERANCE:
                    disagreements.append(f"{policy}/{name}: {gap:.2e}")
        print(
            f"peer (pandas IPS/SNIPS from raw rows): {'agrees' if not disagreements else 'DIFFERS'}"
        )
        repeats = []
        for seed in seeds:
            seeded = evaluate_bandits(stored_catalogue(seed, folder))
            repeats.append(seeded)
            print(f"\nseed {seed}")
            print_report(seeded)
    counts = containment(repeats)
    print(f"\ncontainment over seeds {seeds} (4 policies each):")
    for name, c in counts.items():
        print(f"  {name:<7}{c['contain']:>3} of {c['intervals']} intervals hold the true CTR")
    holds = all(
        e.contains(report.policies[n].true_ctr)
        for n in ("linucb", "thompson")
        for e in (report.policies[n].ips, report.policies[n].snips)
    )
    print(f"IPS and SNIPS of both bandits hold the truth on the default catalogue: {holds}")
    results = {
        "default": report.to_dict(),
        "seconds": seconds,
        "peer_disagreements": disagreements,
        "seeds": seeds,
        "repeats": [r.to_dict() for r in repeats],
        "containment": counts,
        "default_bandits_contained": holds,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, allow_nan=False))
    print(f"wrote {args.out}")
    return 1 if disagreements or not holds else 0


if __name__ == "__main__":
    raise SystemExit(main())
