"""Fixtures for the data-layer tests: a temporary database, a toy dataset and a table snapshot."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

import recsys_core.registry.schema  # noqa: F401  (declares the runs table the seeded db uses)
from recsys_core.data import store
from recsys_core.data.frames import DatasetFrames

Snapshot = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database file that does not exist yet."""
    return tmp_path / "db" / "recsys.duckdb"


def make_frames(name: str = "toy", *, rating_offset: float = 0.0) -> DatasetFrames:
    """Three users (ids 10, 2, 1 in that order), three items, five interactions."""
    users = pd.DataFrame(
        {
            "user_id": ["10", "2", "1"],
            "age": pd.array([31, pd.NA, 18], dtype="Int64"),
            "gender": ["F", pd.NA, "M"],
            "occupation": ["artist", pd.NA, pd.NA],
            "zip": ["02139", pd.NA, pd.NA],
        }
    )
    items = pd.DataFrame(
        {
            "item_id": ["b", "a", "c"],
            "title": ["Bee (1999)", "Ant (1998)", "Cat (2001)"],
            "genres": ["Drama", "Comedy|Drama", ""],
            "year": pd.array([1999, 1998, 2001], dtype="Int64"),
            "provider": pd.array([pd.NA, pd.NA, pd.NA], dtype="str"),
            "release_ts": pd.array([pd.NA, 10, pd.NA], dtype="Int64"),
            "tags": ["", "funny|smart", ""],
        }
    )
    interactions = pd.DataFrame(
        {
            "user_id": ["1", "2", "10", "1", "10"],
            "item_id": ["a", "b", "a", "c", "c"],
            "rating": np.array([5.0, 3.0, 4.0, 1.0, 2.0]) + rating_offset,
            "timestamp": pd.array([100, 200, 300, 400, 500], dtype="Int64"),
            "session_id": pd.array([pd.NA] * 5, dtype="Int64"),
        }
    )
    return DatasetFrames(
        name=name,
        source="test:toy",
        interactions=interactions,
        items=items,
        users=users,
        meta={"note": "toy"},
    )


@pytest.fixture
def toy_frames() -> DatasetFrames:
    return make_frames()


def snapshot_db(path: Path) -> Snapshot:
    """Every row of every table, sorted, read without going through the code under test."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY table_name"
            ).fetchall()
        ]
        return {
            table: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in tables
        }
    finally:
        con.close()


@pytest.fixture
def snapshot() -> Callable[[Path], Snapshot]:
    return snapshot_db


@pytest.fixture(scope="session")
def _seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "recsys.duckdb"
    store.write_dataset(make_frames("existing"), path=path)
    store.save_split(
        "existing", "holdout", {"kind": "random"}, {"train": np.arange(4), "test": [4]}, path=path
    )
    with store.connect(path) as con:
        con.execute(
            "INSERT INTO runs (run_id, dataset, status) VALUES (?, ?, ?)",
            ["run-1", "existing", "complete"],
        )
    return path


@pytest.fixture
def seeded_db(db_path: Path, _seeded_template: Path) -> Path:
    """A fresh copy of a database holding dataset 'existing', a split of it and a run row."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_seeded_template, db_path)
    return db_path


@pytest.fixture
def frames_factory() -> Callable[..., DatasetFrames]:
    """``make_frames(name, rating_offset=...)`` for tests that need several datasets."""
    return make_frames


def _movielens_dir(name: str, probe: str) -> Path:
    value = os.environ.get("RECSCOPE_DATASETS_DIR")
    folder = Path(value) / name if value else None
    if folder is None or not (folder / probe).is_file():
        pytest.skip(f"{name}/{probe} is not under RECSCOPE_DATASETS_DIR")
    return folder


@pytest.fixture(scope="session")
def ml1m_dir() -> Path:
    """The real ml-1m movies.dat/users.dat (its ratings.dat is not available here)."""
    return _movielens_dir("ml-1m", "users.dat")


@pytest.fixture(scope="session")
def latest_small_dir() -> Path:
    return _movielens_dir("ml-latest-small", "ratings.csv")
