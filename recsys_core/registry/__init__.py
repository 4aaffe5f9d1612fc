"""The run registry: saved runs (config + weights + metrics), indexed in DuckDB.

Not to be confused with the registry of architectures in ``recsys_core.models.base``.
"""

from __future__ import annotations

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
    "RunRecord",
    "delete_run",
    "fail_run",
    "finish_run",
    "get_run",
    "lineage",
    "list_runs",
    "load_per_user_metrics",
    "load_run_model",
    "run_damage",
    "start_run",
]
