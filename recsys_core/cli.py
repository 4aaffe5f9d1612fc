"""The RecScope command line: datasets, training, evaluation, recommendations and saved runs.

Every command accepts ``--json`` where it prints results, then prints exactly one JSON object on
stdout. Progress goes to stderr. Any error exits non-zero with one line on stderr, no traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from recsys_core.errors import ConfigError, DataError, RecScopeError

EXIT_USAGE = 2
EXIT_ERROR = 1


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr (no usage dump), like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full command tree; ``--help`` on any level documents it."""
    parser = _Parser(
        prog="python -m recsys_core",
        description=(
            "RecScope: load datasets, train and evaluate recommenders, inspect saved runs. "
            "The database is data/recsys.duckdb unless RECSCOPE_DB names another file."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    datasets = commands.add_parser("datasets", help="list, load, import or generate datasets")
    ds = datasets.add_subparsers(dest="action", required=True, parser_class=_Parser)
    ds_list = ds.add_parser("list", help="datasets in the database")
    ds_list.add_argument("--json", action="store_true", help="print one JSON object")
    ds_load = ds.add_parser("load", help="load MovieLens (ml-100k, ml-1m, ml-latest-small)")
    ds_load.add_argument("name", help="ml-100k | ml-1m | ml-latest-small")
    ds_load.add_argument(
        "--source",
        help="local zip, unzipped folder or URL; default: $RECSCOPE_DATASETS_DIR/NAME if present, "
        "else the official GroupLens download (SHA-256 checked)",
    )
    ds_load.add_argument("--replace", action="store_true", help="overwrite a stored dataset")
    ds_import = ds.add_parser("import", help="import your own CSV or Parquet interactions")
    ds_import.add_argument("file", type=Path, help="interactions: user, item[, rating, timestamp]")
    ds_import.add_argument("--name", required=True, help="name to store the dataset under")
    ds_import.add_argument("--items", type=Path, help="optional items table (item id, title, ...)")
    ds_import.add_argument("--users", type=Path, help="optional users table (user id, age, ...)")
    ds_import.add_argument("--replace", action="store_true", help="overwrite a stored dataset")
    ds_gen = ds.add_parser("generate", help="generate a synthetic catalogue (works offline)")
    ds_gen.add_argument("kind", choices=["synthetic"], help="generator (only: synthetic)")
    ds_gen.add_argument("--name", default="synthetic", help="name to store it under")
    ds_gen.add_argument("--users", type=int, help="number of users")
    ds_gen.add_argument("--items", type=int, help="number of items")
    ds_gen.add_argument("--interactions", type=int, help="number of interactions (1k to 10M)")
    ds_gen.add_argument("--seed", type=int, help="generator seed (same seed, same data)")
    ds_gen.add_argument("--replace", action="store_true", help="overwrite a stored dataset")
    ds_delete = ds.add_parser("delete", help="remove a dataset and its splits")
    ds_delete.add_argument("name")

    train = commands.add_parser("train", help="fit a model on a split, evaluate it, save the run")
    train.add_argument("--dataset", required=True, help="a stored dataset (see `datasets list`)")
    train.add_argument("--model", required=True, help="architecture (see `models list`)")
    how = train.add_mutually_exclusive_group()
    how.add_argument(
        "--protocol",
        help="named protocol: msr-100k (default), recbole-general, recbole-seq, recbole-ctr",
    )
    how.add_argument(
        "--split",
        help="custom split KIND[:test=F,valid=F,seed=S], KIND in random, user, item, temporal, "
        "leave-last-out (every held-out interaction relevant)",
    )
    train.add_argument("--seed", type=int, help="model seed (overrides the config's seed)")
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="model option, repeatable (see `models show MODEL`)",
    )
    train.add_argument("--k", type=int, default=10, help="list length of the reported metrics")
    train.add_argument(
        "--sampled",
        type=int,
        metavar="N",
        help="also evaluate against N sampled negatives per test item (labelled as sampled)",
    )
    train.add_argument("--json", action="store_true", help="print one JSON object")
    train.add_argument(
        "--save-recommendations",
        type=Path,
        metavar="FILE.csv",
        help="write every test user's top-k as user_id,item_id,rank,score (dataset ids)",
    )

    evaluate = commands.add_parser("evaluate", help="metrics of a saved run or of external lists")
    evaluate.add_argument("--run", help="a saved run id")
    evaluate.add_argument("--recommendations", type=Path, help="CSV user_id,item_id,rank")
    evaluate.add_argument("--truth", type=Path, help="CSV user_id,item_id[,rating]")
    evaluate.add_argument("--k", type=int, default=10, help="list length (external lists)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    recommend = commands.add_parser("recommend", help="top-k for one user from a saved run")
    recommend.add_argument("--run", required=True, help="a saved run id")
    recommend.add_argument("--user", required=True, help="the user's id in the dataset")
    recommend.add_argument("--k", type=int, default=10, help="list length")
    recommend.add_argument("--json", action="store_true", help="print one JSON object")

    runs_cmd = commands.add_parser("runs", help="saved runs")
    rs = runs_cmd.add_subparsers(dest="action", required=True, parser_class=_Parser)
    rs_list = rs.add_parser("list", help="complete runs, newest first")
    rs_list.add_argument("--dataset", help="only runs on this dataset")
    rs_list.add_argument("--json", action="store_true", help="print one JSON object")
    rs_delete = rs.add_parser("delete", help="delete a run and its artifacts")
    rs_delete.add_argument("run_id")

    models = commands.add_parser("models", help="the architectures RecScope can train")
    ms = models.add_subparsers(dest="action", required=True, parser_class=_Parser)
    ms_list = ms.add_parser("list", help="registered architectures")
    ms_list.add_argument("--json", action="store_true", help="print one JSON object")
    ms_show = ms.add_parser("show", help="an architecture's options with help and bounds")
    ms_show.add_argument("name")
    ms_show.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = build_parser().parse_args(argv)
    handler = _HANDLERS[(args.command, getattr(args, "action", None))]
    try:
        handler(args)
    except RecScopeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted; nothing was saved for an unfinished run", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, never a traceback
        print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return 0


# --- helpers ---------------------------------------------------------------------------------
def _emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    print(json.dumps(_jsonable(payload)) if getattr(args, "json", False) else text)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value


def _progress(label: str) -> Any:
    """A stderr progress printer for downloads (bytes done, bytes total)."""
    last = [-1]

    def report(done: int, total: int) -> None:
        percent = int(100 * done / total) if total else -1
        if percent != last[0] and (percent % 10 == 0 or percent < 0):
            last[0] = percent
            shown = f"{percent}%" if percent >= 0 else f"{done / 1e6:.1f} MB"
            print(f"{label}: {shown}", file=sys.stderr)

    return report


def _table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


def _parse_sets(pairs: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set takes KEY=VALUE, got {pair!r}")
        values[key.strip()] = value.strip()
    return values


# --- datasets ----------------------------------------------------------------------------------
def _info_dict(info: Any) -> dict[str, Any]:
    return {k: v for k, v in asdict(info).items() if k != "meta"}


def _datasets_list(args: argparse.Namespace) -> None:
    from recsys_core.data import store

    infos = [_info_dict(i) for i in store.list_datasets()]
    columns = ["name", "n_users", "n_items", "n_interactions", "has_ratings", "source"]
    _emit(args, {"datasets": infos}, _table(infos, columns))


def _datasets_load(args: argparse.Namespace) -> None:
    from recsys_core.data.movielens import import_movielens

    info = import_movielens(
        args.name,
        source=args.source,
        replace=args.replace,
        progress=_progress(f"download {args.name}"),
    )
    print(f"stored {info.name}: {info.n_interactions:,} interactions", file=sys.stderr)


def _datasets_import(args: argparse.Namespace) -> None:
    from recsys_core.data.tabular import import_tabular

    info = import_tabular(
        args.file, name=args.name, items=args.items, users=args.users, replace=args.replace
    )
    print(f"stored {info.name}: {info.n_interactions:,} interactions", file=sys.stderr)


def _datasets_generate(args: argparse.Namespace) -> None:
    from recsys_core.data import store
    from recsys_core.data.synthetic import generate_synthetic

    sizes = {
        "n_users": args.users,
        "n_items": args.items,
        "n_interactions": args.interactions,
        "seed": args.seed,
    }
    frames = generate_synthetic(name=args.name, **{k: v for k, v in sizes.items() if v is not None})
    info = store.write_dataset(frames, replace=args.replace)
    print(f"stored {info.name}: {info.n_interactions:,} interactions", file=sys.stderr)


def _datasets_delete(args: argparse.Namespace) -> None:
    from recsys_core.data import store

    store.delete_dataset(args.name)
    print(f"deleted {args.name}", file=sys.stderr)


# --- training and evaluation --------------------------------------------------------------------
def _protocol(args: argparse.Namespace) -> Any:
    from recsys_core.data.protocols import resolve_protocol
    from recsys_core.data.splits import parse_split_spec

    split = parse_split_spec(args.split) if args.split else None
    return resolve_protocol(args.protocol or "msr-100k", split, k=args.k)


def _train(args: argparse.Namespace) -> None:
    from recsys_core.experiment import test_user_recommendations, train_run
    from recsys_core.models import EpochReport

    overrides: dict[str, Any] = _parse_sets(args.set)
    if args.seed is not None:
        overrides["seed"] = args.seed
    protocol = _protocol(args)

    def show_epoch(report: EpochReport) -> bool:
        extra = " ".join(f"{k}={v:.4g}" for k, v in report.metrics.items())
        print(
            f"epoch {report.epoch}/{report.n_epochs} loss={report.loss:.4g} {extra}".rstrip(),
            file=sys.stderr,
        )
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
    if args.save_recommendations:
        from recsys_core.data import store

        dataset = store.load_dataset(args.dataset)
        frame = test_user_recommendations(result.model, dataset, result.split, protocol, args.k)
        frame.to_csv(args.save_recommendations, index=False)
        print(f"wrote {len(frame):,} rows to {args.save_recommendations}", file=sys.stderr)
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
    _emit(args, payload, text + f"\ntrain_seconds  {record.train_seconds:.2f}")


def _metrics_text(title: str, subtitle: str, metrics: dict[str, float], k: int) -> str:
    keys = [m for m in metrics if m.endswith(f"@{k}") or "@" not in m]
    rows = [{"metric": m, "value": metrics[m]} for m in keys]
    return f"{title}\n{subtitle}\n" + _table(rows, ["metric", "value"])


def _evaluate(args: argparse.Namespace) -> None:
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
    _emit(
        args, payload, _metrics_text(str(args.recommendations), evaluation.label(), metrics, args.k)
    )


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
    _emit(args, payload, header + "\n" + _table(rows, ["metric", "mean", "ci_low", "ci_high"]))


def _recommend(args: argparse.Namespace) -> None:
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
    _emit(args, payload, _table(rows, ["rank", "item_id", "title", "score"]))


# --- runs and models ------------------------------------------------------------------------------
def _runs_list(args: argparse.Namespace) -> None:
    from recsys_core.registry import list_runs

    records = list_runs(args.dataset)
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
        }
        for r in records
    ]
    columns = [
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
    _emit(args, {"runs": rows}, _table(rows, columns))


def _runs_delete(args: argparse.Namespace) -> None:
    from recsys_core.registry import delete_run

    delete_run(args.run_id)
    print(f"deleted {args.run_id}", file=sys.stderr)


def _models_list(args: argparse.Namespace) -> None:
    from recsys_core.models import get_model_class, list_models

    rows = []
    for name in list_models():
        cls = get_model_class(name)
        rows.append(
            {"name": name, "label": cls.label, "stage": cls.stage, "requires": sorted(cls.requires)}
        )
    _emit(args, {"models": rows}, _table(rows, ["name", "label", "stage", "requires"]))


def _models_show(args: argparse.Namespace) -> None:
    from recsys_core.models import get_model_class

    cls = get_model_class(args.name)
    rows = [
        {
            "option": f.name,
            "default": f.default,
            **{key: f.metadata[key] for key in ("min", "max", "choices") if key in f.metadata},
            "help": f.metadata.get("help", ""),
        }
        for f in fields(cls.config_class)
    ]
    _emit(args, {"model": cls.name, "options": rows}, _table(rows, ["option", "default", "help"]))


_HANDLERS = {
    ("datasets", "list"): _datasets_list,
    ("datasets", "load"): _datasets_load,
    ("datasets", "import"): _datasets_import,
    ("datasets", "generate"): _datasets_generate,
    ("datasets", "delete"): _datasets_delete,
    ("train", None): _train,
    ("evaluate", None): _evaluate,
    ("recommend", None): _recommend,
    ("runs", "list"): _runs_list,
    ("runs", "delete"): _runs_delete,
    ("models", "list"): _models_list,
    ("models", "show"): _models_show,
}
