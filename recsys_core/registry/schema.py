"""The run registry's table in the DuckDB store: its columns and how older databases upgrade.

Declared with ``store.declare_table``, so every ``store.connect()`` in a process that imported the
registry creates the table when missing and upgrades it in place. Version 2 added a run's ``kind``
(how it was made), ``stage`` (the stage of its model) and ``parent_run_id`` (the run it was derived
from; NULL for a trained run).
"""

from __future__ import annotations

import duckdb

from recsys_core.data.store import Table, declare_table
from recsys_core.errors import ConfigError
from recsys_core.models.base import get_model_class

#: How a run was made: trained from data, or derived from a parent run.
RUN_KINDS: tuple[str, ...] = ("train", "rerank", "cascade", "calibrated")
#: The kind of a run that is trained, not derived (it has no parent).
TRAIN_KIND = "train"
#: Model stages, as ``Recommender.stage`` names them.
STAGES: tuple[str, ...] = ("retrieval", "ranking")


def _registered_stage(model: str) -> str:
    """The stage of architecture ``model`` in the registry of architectures (``retrieval`` when
    it is not registered, as for runs of a removed architecture)."""
    try:
        return get_model_class(model).stage
    except ConfigError:
        return "retrieval"


def _add_lineage(con: duckdb.DuckDBPyConnection) -> None:
    """Version 1 -> 2: add kind (all ``train``), stage (the model's registered stage) and a NULL
    parent to every run."""
    con.execute("ALTER TABLE runs ADD COLUMN kind VARCHAR NOT NULL DEFAULT 'train'")
    con.execute("ALTER TABLE runs ADD COLUMN stage VARCHAR NOT NULL DEFAULT 'retrieval'")
    con.execute("ALTER TABLE runs ADD COLUMN parent_run_id VARCHAR")
    rows = con.execute("SELECT DISTINCT model FROM runs WHERE model IS NOT NULL").fetchall()
    for (model,) in rows:
        stage = _registered_stage(model)
        if stage != "retrieval":
            con.execute("UPDATE runs SET stage = ? WHERE model = ?", [stage, model])


RUNS = declare_table(
    Table(
        "runs",
        """
        run_id VARCHAR PRIMARY KEY, dataset VARCHAR NOT NULL, split_name VARCHAR, model VARCHAR,
        config JSON, seed BIGINT, status VARCHAR, metrics JSON, train_seconds DOUBLE,
        created_at TIMESTAMP, finished_at TIMESTAMP, artifact_dir VARCHAR,
        kind VARCHAR NOT NULL DEFAULT 'train', stage VARCHAR NOT NULL DEFAULT 'retrieval',
        parent_run_id VARCHAR""",
        migrations={2: _add_lineage},
    )
)
