"""``runs list | delete``: the saved runs of the run registry."""

from __future__ import annotations

import argparse

from recsys_core.cli.output import emit, format_table, note
from recsys_core.cli.parser import Handlers

_COLUMNS = [
    "run_id",
    "model",
    "kind",
    "parent_run_id",
    "dataset",
    "protocol",
    "ndcg@10",
    "precision@10",
    "created_at",
]


def runs_list(args: argparse.Namespace) -> None:
    """Print the complete runs, newest first, optionally of one dataset; a run whose files a
    quick look finds damaged is flagged (``damaged``: the problem and its fix) and listed."""
    from recsys_core.registry import list_runs, run_damage

    records = list_runs(args.dataset)
    damage = {r.run_id: run_damage(r) for r in records}
    rows = [
        {
            "run_id": r.run_id,
            "model": r.model,
            "kind": r.kind,
            "stage": r.stage,
            "parent_run_id": r.parent_run_id,
            "dataset": r.dataset,
            "protocol": r.protocol.get("name"),
            "ndcg@10": r.metrics.get("ndcg@10"),
            "precision@10": r.metrics.get("precision@10"),
            "train_seconds": r.train_seconds,
            "created_at": r.created_at.isoformat(timespec="seconds"),
            "damaged": None if damage[r.run_id] is None else str(damage[r.run_id]),
        }
        for r in records
    ]
    damaged = [str(error) for error in damage.values() if error is not None]
    columns = [*_COLUMNS, "damaged"] if damaged else _COLUMNS
    table = [{**row, "damaged": "yes" if row["damaged"] else ""} for row in rows]
    for message in damaged:
        note(f"warning: {message}")
    emit(args, {"runs": rows}, format_table(table, columns))


def runs_delete(args: argparse.Namespace) -> None:
    """Delete a run and its artifacts."""
    from recsys_core.registry import delete_run

    delete_run(args.run_id)
    note(f"deleted {args.run_id}")


HANDLERS: Handlers = {
    ("runs", "list"): runs_list,
    ("runs", "delete"): runs_delete,
}
