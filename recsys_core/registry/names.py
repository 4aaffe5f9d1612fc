"""Names people give runs ("Tuned BPR for the review"), shown first in the run's label.

A name is kept beside the run, not in it: renaming rewrites no artifact and never changes what a
run is or measured. An empty name removes it, so the label says what the run is again. A name of
a deleted run is never shown (labels are looked up by the runs listed).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from recsys_core.data import store
from recsys_core.data.store import Table, declare_table
from recsys_core.errors import DataError
from recsys_core.registry.runs import get_run

RUN_NAMES = declare_table(
    Table("run_names", "run_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, named_at TIMESTAMP")
)
#: Longest name a run may have (it leads every label, so it must fit a picker).
MAX_NAME_LENGTH = 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def rename_run(run_id: str, name: str, *, path: Path | None = None) -> str | None:
    """Give ``run_id`` a name (surrounding spaces dropped); an empty name removes it.

    Returns:
        The stored name, or None when it was removed.

    Raises:
        DataError: no such run, a name over ``MAX_NAME_LENGTH`` characters, or one with control
            characters; nothing is changed then.
    """
    get_run(run_id, path=path)  # DataError naming the run when it does not exist
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise DataError(
            f"a run name has at most {MAX_NAME_LENGTH} characters, this one {len(name)}; shorten it"
        )
    if _CONTROL.search(name):
        raise DataError("a run name must be printable text: remove the control characters")
    with store.connect(path) as con:
        con.execute("DELETE FROM run_names WHERE run_id = ?", [run_id])
        if name:
            con.execute(
                "INSERT INTO run_names VALUES (?, ?, ?)",
                [run_id, name, datetime.now(UTC).replace(tzinfo=None)],
            )
    return name or None


def run_names(*, path: Path | None = None) -> dict[str, str]:
    """Run id -> the name a person gave it, for every named run."""
    with store.connect(path, read_only=True) as con:
        rows = con.execute("SELECT run_id, name FROM run_names").fetchall()
    return {str(run_id): str(name) for run_id, name in rows}
