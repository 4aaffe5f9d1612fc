"""The DuckDB store: one embedded file holding datasets, their splits and the run registry's table.

``database`` opens the file for one operation at a time and keeps the declared schema current;
``datasets`` and ``splits`` own the data tables. Every write is atomic: on any error the database
is exactly as before. Every public function takes ``path`` to override the database file.
"""

from __future__ import annotations

from recsys_core.data.store.database import (
    BUSY_NOTICE,
    DB_ENV,
    SCHEMA_VERSION,
    Table,
    connect,
    database_stamp,
    declare_table,
    declared_tables,
    default_db_path,
    resolve_path,
)
from recsys_core.data.store.datasets import (
    DatasetInfo,
    check_writable,
    dataset_info,
    delete_dataset,
    list_datasets,
    load_dataset,
    write_dataset,
)
from recsys_core.data.store.hooks import on_first_open
from recsys_core.data.store.splits import SPLIT_PARTS, list_splits, load_split, save_split

__all__ = [
    "BUSY_NOTICE",
    "DB_ENV",
    "SCHEMA_VERSION",
    "SPLIT_PARTS",
    "DatasetInfo",
    "Table",
    "check_writable",
    "connect",
    "database_stamp",
    "dataset_info",
    "declare_table",
    "declared_tables",
    "default_db_path",
    "delete_dataset",
    "list_datasets",
    "list_splits",
    "load_dataset",
    "load_split",
    "on_first_open",
    "resolve_path",
    "save_split",
    "write_dataset",
]
