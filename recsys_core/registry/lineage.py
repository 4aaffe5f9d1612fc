"""Where runs come from: the parent checks of a derived run, the walk back to the trained run and
the runs that derive from one (deleted only together with it).

A derived run (``rerank``, ``cascade``, ``calibrated``) names a complete parent run on the same
dataset and split. These helpers work on run ids over an open connection, so ``registry.runs``
wraps them in its own transaction and turns the ids into records.
"""

from __future__ import annotations

import duckdb

from recsys_core.errors import DataError

#: How to see which runs exist, for error messages.
LIST_HINT = "list runs with `python -m recsys_core runs list`"


def check_parent(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    parent_run_id: str | None,
    dataset: str,
    split_name: str,
) -> None:
    """Refuse a derived run unless its parent is a complete run on the same dataset and split.

    Raises:
        DataError: no parent given, or it is missing, incomplete or on another dataset/split.
    """
    if parent_run_id is None:
        raise DataError(
            f"a {kind} run is derived from another run: pass parent_run_id (a complete run on "
            f"{dataset!r}, split {split_name!r}); {LIST_HINT}"
        )
    rows = con.execute(
        "SELECT dataset, split_name, status FROM runs WHERE run_id = ?", [parent_run_id]
    ).fetchall()
    if not rows:
        raise DataError(f"parent run {parent_run_id!r} does not exist; {LIST_HINT}")
    parent_dataset, parent_split, status = rows[0]
    if status != "complete":
        raise DataError(
            f"parent run {parent_run_id} is {status}, not complete; derive from a complete run"
        )
    if (parent_dataset, parent_split) != (dataset, split_name):
        raise DataError(
            f"parent run {parent_run_id} is on {parent_dataset!r}, split {parent_split!r}, not "
            f"{dataset!r}, split {split_name!r}; derive from a run on the same dataset and split"
        )


def ancestor_ids(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """``run_id`` and the runs it derives from, nearest first (the trained run last).

    Raises:
        DataError: ``run_id`` or one of its ancestors does not exist.
    """
    chain: list[str] = []
    current: str | None = run_id
    while current is not None:
        rows = con.execute("SELECT parent_run_id FROM runs WHERE run_id = ?", [current]).fetchall()
        if not rows:
            raise DataError(f"no run {current!r}; {LIST_HINT}")
        chain.append(current)
        current = rows[0][0]
    return chain


def descendant_ids(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """Every run derived from ``run_id``, directly or through other derived runs, by id."""
    rows = con.execute(
        "WITH RECURSIVE tree(run_id) AS ("
        " SELECT run_id FROM runs WHERE parent_run_id = ?"
        " UNION ALL"
        " SELECT r.run_id FROM runs r JOIN tree t ON r.parent_run_id = t.run_id"
        ") SELECT DISTINCT run_id FROM tree ORDER BY run_id",
        [run_id],
    ).fetchall()
    return [row[0] for row in rows]


def check_deletable(con: duckdb.DuckDBPyConnection, run_id: str, *, cascade: bool) -> list[str]:
    """The runs a deletion of ``run_id`` removes with it (its descendants, by id).

    Raises:
        DataError: runs derive from it and ``cascade`` is false (naming its direct children).
    """
    descendants = descendant_ids(con, run_id)
    if descendants and not cascade:
        children = con.execute(
            "SELECT run_id FROM runs WHERE parent_run_id = ? ORDER BY run_id", [run_id]
        ).fetchall()
        raise DataError(
            f"runs {', '.join(row[0] for row in children)} derive from run {run_id}; delete them "
            "first, or pass cascade=True to delete them with it"
        )
    return descendants
