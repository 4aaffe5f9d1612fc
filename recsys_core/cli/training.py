"""``train``, ``evaluate`` and ``recommend``: fit and save a run, score it, list a user's top-k."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np

from recsys_core.cli.output import emit, format_table, note
from recsys_core.cli.parser import Handlers
from recsys_core.errors import ConfigError, DataError


def train(args: argparse.Namespace) -> None:
    """Fit a model on the protocol's split, evaluate it and save the run; epochs go to stderr."""
    from recsys_core.experiment import test_user_recommendations, train_run
    from recsys_core.models import EpochReport, get_model_class

    if args.save_predictions and get_model_class(args.model).stage != "ranking":
        raise ConfigError(
            f"--save-predictions writes the pointwise rows of a ranking model, and {args.model} "
            "is a retrieval model; use --save-recommendations for its lists"
        )
    overrides: dict[str, Any] = _parse_sets(args.set)
    if args.seed is not None:
        overrides["seed"] = args.seed
    protocol = _protocol(args)

    def show_epoch(report: EpochReport) -> bool:
        extra = " ".join(f"{k}={v:.4g}" for k, v in report.metrics.items())
        note(f"epoch {report.epoch}/{report.n_epochs} loss={report.loss:.4g} {extra}".rstrip())
        return False

    result = train_run(
        args.dataset,
        args.model,
        protocol,
        overrides=overrides,
        ks=(args.k,),
        callbacks=[show_epoch],
        sampled_negatives=args.sampled,
    )
    if args.save_recommendations or args.save_predictions:
        from recsys_core.calibration.rows import test_predictions
        from recsys_core.data import store

        dataset = store.load_dataset(args.dataset)
        if args.save_recommendations:
            frame = test_user_recommendations(result.model, dataset, result.split, protocol, args.k)
            frame.to_csv(args.save_recommendations, index=False)
            note(f"wrote {len(frame):,} rows to {args.save_recommendations}")
        if args.save_predictions:
            frame = test_predictions(result.model, dataset, result.split, protocol)
            frame.to_csv(args.save_predictions, index=False)
            note(f"wrote {len(frame):,} rows to {args.save_predictions}")
    record = result.record
    payload = {
        "run_id": record.run_id,
        "model": record.model,
        "dataset": record.dataset,
        "protocol": protocol.name,
        "protocol_description": protocol.description,
        "relevance": protocol.relevance_label,
        "evaluation": result.evaluation.full.label(),
        "metrics": record.metrics,
        "train_seconds": record.train_seconds,
    }
    text = _metrics_text(record.run_id, protocol.description, record.metrics, args.k)
    emit(args, payload, text + f"\ntrain_seconds  {record.train_seconds:.2f}")


def evaluate(args: argparse.Namespace) -> None:
    """Metrics of a saved run (with 95% intervals) or of an external recommendations file."""
    if args.run and (args.recommendations or args.truth):
        raise ConfigError("give either --run, or --recommendations with --truth, not both")
    if args.run:
        _evaluate_run(args)
        return
    if not (args.recommendations and args.truth):
        raise ConfigError("evaluate needs --run ID, or --recommendations FILE --truth FILE")
    from recsys_core.evaluation.external import evaluate_recommendation_file

    evaluation = evaluate_recommendation_file(args.recommendations, args.truth, args.k)
    metrics = evaluation.means()
    payload = {
        "run_id": None,
        "model": "external",
        "dataset": None,
        "protocol": "external",
        "evaluation": evaluation.label(),
        "metrics": metrics,
        "n_users": len(evaluation.users),
        "train_seconds": None,
    }
    text = _metrics_text(str(args.recommendations), evaluation.label(), metrics, args.k)
    emit(args, payload, text)


def recommend(args: argparse.Namespace) -> None:
    """One user's top-k from a saved run, with titles (the user given by dataset id)."""
    from recsys_core.data import store
    from recsys_core.experiment import topk_frame
    from recsys_core.registry import get_run, load_run_model

    record = get_run(args.run)
    model = load_run_model(args.run)
    dataset = store.load_dataset(record.dataset)
    matches = np.flatnonzero(dataset.users["user_id"].astype(str).to_numpy() == args.user)
    if len(matches) == 0:
        raise DataError(
            f"user {args.user!r} is not in dataset {record.dataset!r}; user ids look like "
            f"{', '.join(dataset.users['user_id'].astype(str).head(3))}"
        )
    frame = topk_frame(model.recommend(matches, args.k), matches, dataset)
    titles = dataset.items.set_index("item_id")["title"]
    frame["title"] = titles.reindex(frame["item_id"]).to_numpy()
    rows = frame.to_dict("records")
    payload = {"run_id": record.run_id, "user_id": args.user, "recommendations": rows}
    emit(args, payload, format_table(rows, ["rank", "item_id", "title", "score"]))


def _evaluate_run(args: argparse.Namespace) -> None:
    from recsys_core.evaluation.intervals import bootstrap_ci
    from recsys_core.registry import get_run, load_per_user_metrics

    record = get_run(args.run)
    per_user = load_per_user_metrics(args.run)
    rows = []
    for column in per_user.columns:
        if column == "user_idx":
            continue
        values = per_user[column].to_numpy(np.float64)
        low, high = bootstrap_ci(values)
        rows.append(
            {"metric": column, "mean": float(values.mean()), "ci_low": low, "ci_high": high}
        )
    payload = {
        "run_id": record.run_id,
        "model": record.model,
        "dataset": record.dataset,
        "protocol": record.protocol.get("name"),
        "metrics": record.metrics,
        "intervals": {r["metric"]: [r["ci_low"], r["ci_high"]] for r in rows},
        "n_users": len(per_user),
        "train_seconds": record.train_seconds,
    }
    header = f"{record.run_id} ({record.model} on {record.dataset}, {record.protocol.get('name')})"
    emit(args, payload, header + "\n" + format_table(rows, ["metric", "mean", "ci_low", "ci_high"]))


def _protocol(args: argparse.Namespace) -> Any:
    """The named protocol (default msr-100k), or the one a custom ``--split`` describes."""
    from recsys_core.data.protocols import resolve_protocol
    from recsys_core.data.splits import parse_split_spec

    split = parse_split_spec(args.split) if args.split else None
    return resolve_protocol(args.protocol or "msr-100k", split, k=args.k)


def _parse_sets(pairs: Sequence[str]) -> dict[str, str]:
    """``--set KEY=VALUE`` pairs as a dict (values stay text; the config parses them)."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set takes KEY=VALUE, got {pair!r}")
        values[key.strip()] = value.strip()
    return values


def _metrics_text(title: str, subtitle: str, metrics: dict[str, float], k: int) -> str:
    """The metrics at list length ``k`` (and those without one) under a two-line header."""
    keys = [m for m in metrics if m.endswith(f"@{k}") or "@" not in m]
    rows = [{"metric": m, "value": metrics[m]} for m in keys]
    return f"{title}\n{subtitle}\n" + format_table(rows, ["metric", "value"])


HANDLERS: Handlers = {
    ("train", None): train,
    ("evaluate", None): evaluate,
    ("recommend", None): recommend,
}
