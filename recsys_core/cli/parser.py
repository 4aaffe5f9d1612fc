"""The argparse tree of the command line, with every command's help text."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from recsys_core.calibration.base import METHODS
from recsys_core.data.protocols import PROTOCOLS

#: Exit status of a command line that does not parse.
EXIT_USAGE = 2

#: Command handlers by (command, action); action is None for commands without one.
Handlers = dict[tuple[str, str | None], Callable[[argparse.Namespace], None]]


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
    _add_datasets(commands)
    _add_train(commands)
    _add_evaluate(commands)
    _add_recommend(commands)
    _add_runs(commands)
    _add_models(commands)
    _add_calibrate(commands)
    _add_rerank(commands)
    _add_bandit(commands)
    return parser


def _add_datasets(commands: argparse._SubParsersAction) -> None:
    datasets = commands.add_parser("datasets", help="list, load, import or generate datasets")
    ds = datasets.add_subparsers(dest="action", required=True, parser_class=_Parser)
    ds_list = ds.add_parser("list", help="datasets in the database")
    _add_json_flag(ds_list)
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


def _add_train(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="fit a model on a split, evaluate it, save the run")
    train.add_argument("--dataset", required=True, help="a stored dataset (see `datasets list`)")
    train.add_argument("--model", required=True, help="architecture (see `models list`)")
    how = train.add_mutually_exclusive_group()
    how.add_argument(
        "--protocol",
        help=f"named protocol: {', '.join(PROTOCOLS)} (default msr-100k)",
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
    _add_json_flag(train)
    train.add_argument(
        "--save-recommendations",
        type=Path,
        metavar="FILE.csv",
        help="write every test user's top-k as user_id,item_id,rank,score (dataset ids)",
    )
    train.add_argument(
        "--save-predictions",
        type=Path,
        metavar="FILE.csv",
        help="ranking models only: write every pointwise test row as user_id,item_id,label,score "
        "(score = sigmoid of the model's logit, not corrected for negative downsampling)",
    )


def _add_evaluate(commands: argparse._SubParsersAction) -> None:
    evaluate = commands.add_parser("evaluate", help="metrics of a saved run or of external lists")
    evaluate.add_argument("--run", help="a saved run id")
    evaluate.add_argument("--recommendations", type=Path, help="CSV user_id,item_id,rank")
    evaluate.add_argument("--truth", type=Path, help="CSV user_id,item_id[,rating]")
    evaluate.add_argument("--k", type=int, default=10, help="list length (external lists)")
    _add_json_flag(evaluate)


def _add_recommend(commands: argparse._SubParsersAction) -> None:
    recommend = commands.add_parser("recommend", help="top-k for one user from a saved run")
    recommend.add_argument("--run", required=True, help="a saved run id")
    recommend.add_argument("--user", required=True, help="the user's id in the dataset")
    recommend.add_argument("--k", type=int, default=10, help="list length")
    _add_json_flag(recommend)


def _add_runs(commands: argparse._SubParsersAction) -> None:
    runs_cmd = commands.add_parser("runs", help="saved runs")
    rs = runs_cmd.add_subparsers(dest="action", required=True, parser_class=_Parser)
    rs_list = rs.add_parser("list", help="complete runs, newest first")
    rs_list.add_argument("--dataset", help="only runs on this dataset")
    _add_json_flag(rs_list)
    rs_delete = rs.add_parser("delete", help="delete a run and its artifacts")
    rs_delete.add_argument("run_id")
    rs_project = rs.add_parser(
        "project",
        help="fit the 2-D UMAP map of a run's embeddings (default settings) and store it",
        description=(
            "Lay out the run's item or user vectors in 2-D with UMAP (cosine distance, the "
            "Embeddings page's default settings) and store the map with the run, where the page "
            "reads it back; a stored map is read back instead of fitted again."
        ),
    )
    rs_project.add_argument("run_id", help="a saved run whose model learns embeddings")
    rs_project.add_argument(
        "--side", choices=["item", "user"], default="item", help="whose vectors (default: item)"
    )
    _add_json_flag(rs_project)


def _add_models(commands: argparse._SubParsersAction) -> None:
    models = commands.add_parser("models", help="the architectures RecScope can train")
    ms = models.add_subparsers(dest="action", required=True, parser_class=_Parser)
    ms_list = ms.add_parser("list", help="registered architectures")
    _add_json_flag(ms_list)
    ms_show = ms.add_parser("show", help="an architecture's options with help and bounds")
    ms_show.add_argument("name")
    _add_json_flag(ms_show)


def _add_calibrate(commands: argparse._SubParsersAction) -> None:
    calibrate = commands.add_parser(
        "calibrate",
        help="calibrate a ranking run's probabilities and save them as a calibrated run",
        description=(
            "Fit a calibrator on the run's validation rows (after correcting for negative "
            "downsampling when the model used it), report ECE, MCE, Brier score and log loss on "
            "its test rows before and after, and save a run of kind calibrated whose parent is "
            "the original."
        ),
    )
    calibrate.add_argument("--run", required=True, help="a saved ranking run id (see `runs list`)")
    calibrate.add_argument(
        "--method",
        required=True,
        choices=METHODS,
        help="platt: logistic regression on the logit; isotonic: monotone step fit; bayes: "
        "Bayesian binning into quantiles (BBQ), with posterior intervals",
    )
    _add_json_flag(calibrate)
    calibrate.add_argument(
        "--save-predictions",
        type=Path,
        metavar="FILE.csv",
        help="write every test row as user_id,item_id,label,score (score = calibrated probability)",
    )


def _add_rerank(commands: argparse._SubParsersAction) -> None:
    rerank = commands.add_parser(
        "rerank",
        help="re-rank a saved run's test users and compare the lists before and after",
        description=(
            "Re-rank the run's top-N candidates of every evaluated test user (the run is never "
            "retrained) with the chosen re-rankers, in the fixed order filters, score transforms, "
            "list builders; print accuracy and beyond-accuracy metrics before and after and what "
            "changed (rank-biased overlap, items that entered, mean displacement)."
        ),
    )
    rerank.add_argument("--run", required=True, help="a saved run id (see `runs list`)")
    rerank.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=WEIGHT",
        help="a re-ranker's weight in [0, 1] (0: off), repeatable: blocklist, clickbait, "
        "dislikes, bandit, blend, freshness, genre_calibration, mmr, genre_balance, fairness "
        "(bandit acts only on datasets with logged impressions; blocklist "
        "and blend need options, item ids or runs, that this command does not take yet)",
    )
    rerank.add_argument(
        "--candidates", type=int, default=100, metavar="N", help="candidates per user (top-N)"
    )
    rerank.add_argument("--k", type=int, default=10, help="list length of the re-ranked lists")
    _add_json_flag(rerank)
    rerank.add_argument(
        "--save-recommendations",
        type=Path,
        metavar="FILE.csv",
        help="write the re-ranked lists as user_id,item_id,rank,score (dataset ids)",
    )
    rerank.add_argument(
        "--save",
        action="store_true",
        help="save these weights as a run of kind rerank whose parent is --run (evaluated like a "
        "trained run; only trained runs are re-ranked)",
    )


def _add_bandit(commands: argparse._SubParsersAction) -> None:
    bandit = commands.add_parser(
        "bandit",
        help="learn contextual bandits on a dataset's logged impressions and estimate their CTR",
        description=(
            "Fit LinUCB and/or linear Thompson sampling on the first 80% of logged requests (by "
            "time), let each choose position 1 of every later request's slate, and estimate its "
            "click-through rate by replay (exploration bucket), IPS and SNIPS with 95% intervals, "
            "beside its true CTR from the planted relevance and the logging and random "
            "baselines. Needs impressions with logging propensities (the synthetic catalogue)."
        ),
    )
    bandit.add_argument("--dataset", required=True, help="a stored dataset (see `datasets list`)")
    bandit.add_argument(
        "--policy",
        choices=["linucb", "thompson", "all"],
        default="all",
        help="the policy to evaluate (default: all)",
    )
    _add_json_flag(bandit)


def _add_json_flag(command: argparse.ArgumentParser) -> None:
    """``--json``: the command prints exactly one JSON object on stdout instead of a table."""
    command.add_argument("--json", action="store_true", help="print one JSON object")
