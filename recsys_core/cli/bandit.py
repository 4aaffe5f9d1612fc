"""``bandit``: learn contextual bandits on a dataset's early log and estimate their CTR offline."""

from __future__ import annotations

import argparse
from typing import Any

from recsys_core.cli.output import emit, format_table
from recsys_core.cli.parser import Handlers


def bandit(args: argparse.Namespace) -> None:
    """Print each policy's replay, IPS and SNIPS estimates with 95% intervals and its true CTR."""
    from recsys_core.bandits.evaluation import evaluate_bandits
    from recsys_core.bandits.linear import POLICIES
    from recsys_core.data.store import load_dataset

    dataset = load_dataset(args.dataset)
    policies = tuple(POLICIES) if args.policy == "all" else (args.policy,)
    report = evaluate_bandits(dataset, policies)
    payload = report.to_dict()
    rows = [_row(entry) for entry in payload["policies"].values()]
    header = (
        f"{report.dataset}: {report.n_test_requests:,} test requests after "
        f"{report.n_train_requests:,} training requests ({report.n_explored_test:,} explored); "
        "position-1 CTR, 95% intervals, * = the interval holds the true CTR"
    )
    columns = ["policy", "replay", "ips", "snips", "true_ctr", "matched"]
    emit(args, payload, f"{header}\n{format_table(rows, columns)}")


def _row(entry: dict[str, Any]) -> dict[str, Any]:
    """One table row: each estimate as ``value [low, high]`` with ``*`` when it holds the truth."""
    row: dict[str, Any] = {"policy": entry["policy"], "true_ctr": entry["true_ctr"]}
    for name in ("replay", "ips", "snips"):
        row[name] = _interval(entry[name])
    row["matched"] = f"{entry['n_matched']:,}/{entry['n_requests']:,}"
    return row


def _interval(estimate: dict[str, Any] | None) -> str:
    if estimate is None or estimate["value"] is None:
        return "-"
    if estimate["low"] is None:
        return f"{estimate['value']:.4f}"
    mark = "*" if estimate["contains_truth"] else " "
    return f"{estimate['value']:.4f} [{estimate['low']:.4f}, {estimate['high']:.4f}]{mark}"


HANDLERS: Handlers = {("bandit", None): bandit}
