"""The run registry: saved runs (config + weights + metrics), indexed in DuckDB.

Not to be confused with the registry of architectures in ``recsys_core.models.base``. Importing
it registers ``clean_leftovers`` to run before the process first opens each database file.
"""

from __future__ import annotations

from recsys_core.registry.leftovers import Leftovers, clean_leftovers
from recsys_core.registry.names import rename_run, run_names
from recsys_core.registry.runs import (
    RunRecord,
    delete_run,
    fail_run,
    finish_run,
    get_run,
    lineage,
    list_runs,
    load_per_user_metrics,
    load_run_model,
    run_damage,
    start_run,
)
from recsys_core.registry.schema import RUN_KINDS, STAGES

__all__ = [
    "RUN_KINDS",
    "STAGES",
    "Leftovers",
    "RunRecord",
    "clean_leftovers",
    "delete_run",
    "fail_run",
    "finish_run",
    "get_run",
    "lineage",
    "list_runs",
    "load_per_user_metrics",
    "load_run_model",
    "rename_run",
    "run_damage",
    "run_names",
    "start_run",
]
