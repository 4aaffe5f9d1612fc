"""Twins: complete runs that asked for exactly what a new fit would ask for.

Training the same architecture with the same options (seed included) under the same protocol on
the same dataset gives the same numbers, so the Train page says so before adding a twin.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from recsys_core.registry.runs import RunRecord, list_runs
from recsys_core.registry.schema import TRAIN_KIND


def identical_runs(
    dataset: str,
    model: str,
    model_config: Mapping[str, Any],
    protocol: Mapping[str, Any],
    *,
    path: Path | None = None,
) -> list[RunRecord]:
    """The complete trained runs of ``dataset`` with this architecture, model config and protocol
    (both as ``to_dict()`` gives them), newest first."""
    wanted = (_normalised(model_config), _normalised(protocol))
    return [
        record
        for record in list_runs(dataset, path=path)
        if record.kind == TRAIN_KIND
        and record.model == model
        and (_normalised(record.config.get("model", {})), _normalised(record.protocol)) == wanted
    ]


def _normalised(values: Mapping[str, Any]) -> str:
    """A canonical JSON text (tuples as lists, keys sorted), as the registry stores configs."""
    return json.dumps(values, sort_keys=True, default=str)
