"""A database file that is not DuckDB, a damaged one, or one of a newer schema: the command line
names the file and says what to do, in one line, and nothing in the file is ever unpickled."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from recsys_core.cli import main
from recsys_core.data import store
from recsys_core.errors import DamagedArtifactError

REPO = Path(__file__).resolve().parents[2]


class _WritesOnUnpickle:
    """Unpickling this writes a sentinel file: proof that a reader ran code from the file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.path, "unpickled"))


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def not_duckdb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "recsys.duckdb"
    path.write_bytes(pickle.dumps(_WritesOnUnpickle(tmp_path / "unpickled.txt")))
    monkeypatch.setenv("RECSCOPE_DB", str(path))
    yield path
    assert not (tmp_path / "unpickled.txt").exists()


@pytest.mark.parametrize("argv", [["runs", "list"], ["datasets", "list"]])
def test_a_database_file_that_is_not_duckdb_is_named_with_the_fix(
    not_duckdb: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = _cli(capsys, *argv)
    assert code == 1 and out == ""
    assert err.startswith(f"error: {not_duckdb} is not a readable DuckDB database"), err
    assert "move the file aside" in err and "RECSCOPE_DB" in err and err.count("\n") == 1


def test_a_truncated_database_is_named_with_the_fix(seeded_db: Path) -> None:
    os.truncate(seeded_db, 3000)  # inside DuckDB's headers (a cut among data blocks shows later)
    with pytest.raises(DamagedArtifactError, match=r"is not a readable DuckDB database") as error:
        store.list_datasets(seeded_db)
    assert error.value.path == seeded_db


def test_a_database_of_a_newer_schema_is_refused_by_the_cli(
    seeded_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    con = duckdb.connect(str(seeded_db))
    con.execute("UPDATE schema_version SET version = ?", [store.SCHEMA_VERSION + 1])
    con.close()
    monkeypatch.setenv("RECSCOPE_DB", str(seeded_db))
    code, _, err = _cli(capsys, "datasets", "list")
    assert code == 1 and err.count("\n") == 1
    assert f"{seeded_db} has schema version {store.SCHEMA_VERSION + 1}, newer than" in err
    assert "upgrade RecScope, or set RECSCOPE_DB to another database file" in err


def test_the_home_page_shows_a_database_that_is_not_duckdb_as_an_error(not_duckdb: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]  # no traceback on the page
    assert [e.value for e in at.error] and "move the file aside" in at.error[0].value
    assert f"{not_duckdb} is not a readable DuckDB database" in at.error[0].value
