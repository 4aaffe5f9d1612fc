"""The latency benchmark's data: ML-100K, two trained runs and a projection in a fresh database."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bench.latency.scenario import DATASET, PROTOCOL, K


@dataclass(frozen=True)
class Prepared:
    """What the setup stored: the run ids, the users to switch between, their lists and how the
    user picker shows them (``inspection.user_descriptions``)."""

    db: Path
    bpr_run: str
    itemknn_run: str
    users: list[str]
    lists: dict[str, list[str]]
    seconds: dict[str, float]
    labels: dict[str, str]


def prepare(
    db: Path, datasets_dir: Path, bpr_epochs: int, n_users: int, *, project: bool = True
) -> Prepared:
    """Store ML-100K, train itemknn and BPR-MF, project the BPR items (unless ``project`` is
    False: only the Embeddings page reads the projection), list users' top-k."""
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
    if project:
        started = time.perf_counter()
        run_projection(bpr.record.run_id, "item", model=bpr.model, path=db)
        seconds["project_bpr_items"] = time.perf_counter() - started

    context = inspection.load_run_context(bpr.record.run_id, path=db)
    candidates = context.evaluated_user_ids()
    lists: dict[str, list[str]] = {}
    previous = inspection.inspect_user(bpr.model, context, candidates[0], K)
    shown = previous.recommendations["title"].astype(str).tolist()
    users: list[str] = []
    for user_id in candidates[1:]:  # the page opens on the first; consecutive lists must differ
        items = inspection.inspect_user(bpr.model, context, user_id, K).recommendations
        listed = items["title"].astype(str).tolist()
        if listed != shown:
            users.append(user_id)
            lists[user_id] = listed
            shown = listed
        if len(users) == n_users:
            break
    labels = inspection.user_descriptions(context)
    return Prepared(db, bpr.record.run_id, itemknn.record.run_id, users, lists, seconds, labels)
