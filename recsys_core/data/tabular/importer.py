"""The import entry point: read, map and validate every file, then store them in one transaction."""

from __future__ import annotations

from pathlib import Path

from recsys_core.data.frames import ITEM_COLUMNS, USER_COLUMNS, DatasetFrames
from recsys_core.data.ingest import check_dataset_name
from recsys_core.data.store import DatasetInfo, list_datasets, write_dataset
from recsys_core.data.tabular.columns import resolve_columns
from recsys_core.data.tabular.reading import read_source
from recsys_core.data.tabular.tables import (
    check_references,
    minimal_side,
    parse_interactions,
    parse_side,
)
from recsys_core.errors import DataError


def import_tabular(
    interactions: Path,
    *,
    name: str,
    items: Path | None = None,
    users: Path | None = None,
    path: Path | None = None,
    replace: bool = False,
) -> DatasetInfo:
    """Validate a user's files and store them as dataset ``name`` in one transaction.

    Args:
        interactions: CSV or Parquet with user and item columns (+ optional rating, timestamp).
        name: the dataset's name in the store.
        items: optional items file (item id + title, genres, year, provider, tags).
        users: optional users file (user id + age, gender, occupation, zip).
        path: database file; default ``store.default_db_path()``.
        replace: overwrite an existing dataset of that name.

    Returns:
        The stored dataset's ``DatasetInfo``.

    Raises:
        DataError: any rule in the ``recsys_core.data.tabular`` docstring; the database is then
            unchanged.
    """
    check_dataset_name(name)
    if not replace and any(info.name == name for info in list_datasets(path)):
        raise DataError(
            f"dataset {name!r} already exists; pass replace=True (--replace) to overwrite it, "
            "or choose another name"
        )
    sources = {"interactions": read_source(Path(interactions), "interactions")}
    if items is not None:
        sources["items"] = read_source(Path(items), "items")
    if users is not None:
        sources["users"] = read_source(Path(users), "users")
    ignored: dict[str, list[str]] = {}
    columns: dict[str, dict[str, str]] = {}
    for kind, source in sources.items():
        columns[kind], extra = resolve_columns(source, kind)
        if extra:
            ignored[kind] = extra

    log = parse_interactions(sources["interactions"], columns["interactions"])
    item_frame = (
        parse_side(sources["items"], columns["items"], "item_id", ITEM_COLUMNS)
        if "items" in sources
        else minimal_side(log["item_id"], "item_id", ITEM_COLUMNS)
    )
    user_frame = (
        parse_side(sources["users"], columns["users"], "user_id", USER_COLUMNS)
        if "users" in sources
        else minimal_side(log["user_id"], "user_id", USER_COLUMNS)
    )
    for kind, frame, key in (("items", item_frame, "item_id"), ("users", user_frame, "user_id")):
        if kind in sources:
            check_references(
                sources["interactions"],
                columns["interactions"][key],
                log[key],
                frame[key],
                sources[kind],
                key,
            )
    source = sources["interactions"]
    meta: dict[str, object] = {
        "format": "csv" if source.is_csv else "parquet",
        "files": {kind: str(s.file) for kind, s in sources.items()},
        "ignored_columns": ignored,
    }
    if source.delimiter is not None:
        meta["delimiter"] = source.delimiter
    frames = DatasetFrames(
        name=name,
        source=str(source.file),
        interactions=log,
        items=item_frame,
        users=user_frame,
        meta=meta,
    )
    return write_dataset(frames, path=path, replace=replace)
