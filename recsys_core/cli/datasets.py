"""``datasets list | load | import | generate | delete``: the datasets in the database."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from recsys_core.cli.output import download_progress, emit, format_table, note
from recsys_core.cli.parser import Handlers


def datasets_list(args: argparse.Namespace) -> None:
    """Print every stored dataset's sizes and source."""
    from recsys_core.data import store

    infos = [_info_dict(i) for i in store.list_datasets()]
    columns = ["name", "n_users", "n_items", "n_interactions", "has_ratings", "source"]
    emit(args, {"datasets": infos}, format_table(infos, columns))


def datasets_load(args: argparse.Namespace) -> None:
    """Load a MovieLens release (local copy or verified download) into the database."""
    from recsys_core.data.movielens import import_movielens

    info = import_movielens(
        args.name,
        source=args.source,
        replace=args.replace,
        progress=download_progress(f"download {args.name}"),
    )
    _stored(info)


def datasets_import(args: argparse.Namespace) -> None:
    """Import the user's CSV or Parquet interactions (with optional items and users tables)."""
    from recsys_core.data.tabular import import_tabular

    info = import_tabular(
        args.file, name=args.name, items=args.items, users=args.users, replace=args.replace
    )
    _stored(info)


def datasets_generate(args: argparse.Namespace) -> None:
    """Generate and store a synthetic catalogue; unset sizes keep the generator's defaults."""
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
    _stored(info)


def datasets_delete(args: argparse.Namespace) -> None:
    """Remove a dataset and its splits."""
    from recsys_core.data import store

    store.delete_dataset(args.name)
    note(f"deleted {args.name}")


def _info_dict(info: Any) -> dict[str, Any]:
    return {k: v for k, v in asdict(info).items() if k != "meta"}


def _stored(info: Any) -> None:
    note(f"stored {info.name}: {info.n_interactions:,} interactions")


HANDLERS: Handlers = {
    ("datasets", "list"): datasets_list,
    ("datasets", "load"): datasets_load,
    ("datasets", "import"): datasets_import,
    ("datasets", "generate"): datasets_generate,
    ("datasets", "delete"): datasets_delete,
}
