"""Splits in the store: a split of a dataset is the interaction row ids of each of its parts.

Splits are stored so that every run on a split trains and tests on exactly the same rows; they are
deleted with their dataset (their row ids mean nothing without it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from recsys_core.data.ingest import check_dataset_name, dump_json
from recsys_core.data.store.database import (
    Table,
    connect,
    declare_table,
    fetch_one,
    insert_arrow,
)
from recsys_core.data.store.datasets import read_info, require_dataset
from recsys_core.errors import DataError
from recsys_core.types import IntArray

#: Parts a split may have.
SPLIT_PARTS: tuple[str, ...] = ("train", "valid", "test")

declare_table(
    Table(
        "splits",
        """
        dataset VARCHAR NOT NULL, name VARCHAR NOT NULL, spec JSON, created_at TIMESTAMP NOT NULL,
        PRIMARY KEY (dataset, name)""",
        owned_by_dataset=True,
    )
)
declare_table(
    Table(
        "split_rows",
        """
        dataset VARCHAR NOT NULL, split_name VARCHAR NOT NULL, row_id BIGINT NOT NULL,
        part VARCHAR NOT NULL""",
        owned_by_dataset=True,
    )
)


def save_split(
    dataset: str,
    name: str,
    spec: dict[str, Any],
    parts: Mapping[str, IntArray],
    *,
    path: Path | None = None,
    replace: bool = False,
) -> None:
    """Store a split of ``dataset`` as the interaction row ids of each part.

    Args:
        dataset: a stored dataset.
        name: the split's name (unique per dataset).
        spec: how it was made (strategy, fractions, seed), stored as JSON and shown in the app.
        parts: row ids per part; keys among ``train``, ``valid``, ``test``; parts are disjoint.
        path: database file; default ``default_db_path()``.
        replace: overwrite a split of the same name.

    Raises:
        DataError: unknown dataset, bad part names, row ids out of range or in two parts, a spec
            that is not JSON, or an existing name without ``replace``.
    """
    check_dataset_name(name)
    spec_json = dump_json(spec, "split spec")
    unknown = sorted(set(parts) - set(SPLIT_PARTS))
    if unknown:
        raise DataError(f"split parts {unknown} are not among {list(SPLIT_PARTS)}; rename them")
    rows = _split_rows_table(parts)
    created_at = datetime.now(UTC).replace(tzinfo=None)
    with connect(path) as con:
        info = read_info(con, dataset)
        row_ids = rows.column("row_id").to_numpy()
        if row_ids.size and (row_ids.min() < 0 or row_ids.max() >= info.n_interactions):
            raise DataError(
                f"split {name!r} has row ids outside 0..{info.n_interactions - 1} of {dataset!r}; "
                "build it from this dataset's interactions"
            )
        exists = fetch_one(
            con, "SELECT count(*) FROM splits WHERE dataset = ? AND name = ?", [dataset, name]
        )
        if exists and exists[0]:
            if not replace:
                raise DataError(
                    f"split {name!r} of {dataset!r} already exists; pass replace=True or choose "
                    "another name"
                )
            _delete_split(con, dataset, name)
        con.execute(
            "INSERT INTO splits (dataset, name, spec, created_at) VALUES (?, ?, ?, ?)",
            [dataset, name, spec_json, created_at],
        )
        insert_arrow(con, "split_rows", ("row_id", "part"), rows, dataset, (("split_name", name),))


def _split_rows_table(parts: Mapping[str, IntArray]) -> pa.Table:
    present = [p for p in SPLIT_PARTS if p in parts]
    ids = [np.asarray(parts[p], dtype=np.int64).ravel() for p in present]
    labels = [np.full(len(a), p, dtype=object) for p, a in zip(present, ids, strict=True)]
    row_id = np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
    part = np.concatenate(labels) if labels else np.empty(0, dtype=object)
    unique, counts = np.unique(row_id, return_counts=True)
    if (counts > 1).any():
        repeated = unique[counts > 1][:5].tolist()
        raise DataError(
            f"split rows {repeated} appear more than once (within or across parts); parts must be "
            "disjoint sets of row ids"
        )
    return pa.table({"row_id": pa.array(row_id), "part": pa.array(part, type=pa.string())})


def _delete_split(con: duckdb.DuckDBPyConnection, dataset: str, name: str) -> None:
    con.execute("DELETE FROM split_rows WHERE dataset = ? AND split_name = ?", [dataset, name])
    con.execute("DELETE FROM splits WHERE dataset = ? AND name = ?", [dataset, name])


def load_split(
    dataset: str, name: str, *, path: Path | None = None
) -> tuple[dict[str, Any], dict[str, IntArray]]:
    """Read a split back.

    Returns:
        ``(spec, parts)``: the stored spec and sorted row ids for every part in ``SPLIT_PARTS``
        (an empty array for a part that has no rows).

    Raises:
        DataError: unknown dataset or split (the message lists what exists).
    """
    with connect(path, read_only=True) as con:
        require_dataset(con, dataset)
        row = fetch_one(
            con, "SELECT spec FROM splits WHERE dataset = ? AND name = ?", [dataset, name]
        )
        if row is None:
            names = _split_names(con, dataset)
            stored = ", ".join(map(repr, names)) if names else "none yet"
            raise DataError(
                f"dataset {dataset!r} has no split {name!r} (stored: {stored}); create it first"
            )
        rows = con.execute(
            "SELECT row_id, part FROM split_rows WHERE dataset = ? AND split_name = ? "
            "ORDER BY row_id",
            [dataset, name],
        ).fetchnumpy()
    part = np.asarray(rows["part"], dtype=object)
    row_id = np.asarray(rows["row_id"], dtype=np.int64)
    parts = {p: row_id[part == p] for p in SPLIT_PARTS}
    return json.loads(row[0]) if row[0] else {}, parts


def _split_names(con: duckdb.DuckDBPyConnection, dataset: str) -> list[str]:
    rows = con.execute(
        "SELECT name FROM splits WHERE dataset = ? ORDER BY name", [dataset]
    ).fetchall()
    return [r[0] for r in rows]


def list_splits(dataset: str, path: Path | None = None) -> list[str]:
    """Names of the splits stored for ``dataset``, sorted."""
    with connect(path, read_only=True) as con:
        require_dataset(con, dataset)
        return _split_names(con, dataset)
