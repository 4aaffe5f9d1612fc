"""A fitted encoder on disk: ``features.json`` (spec, vocabularies, quantiles) beside
``features.safetensors`` (per-user/per-item tables). Nothing is pickled; anything missing or
malformed is refused with a ``DamagedArtifactError`` naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from recsys_core import strict_json
from recsys_core.artifacts import regular_file
from recsys_core.data.features.fitting import FittedField, Table
from recsys_core.data.features.ragged import Ragged
from recsys_core.errors import DamagedArtifactError

FEATURES_JSON = "features.json"
FEATURES_TENSORS = "features.safetensors"
#: Written into features.json; a different value means another program wrote the file.
FORMAT = "recscope.features/1"
#: How to recover a damaged encoder folder (inside a run, the run's own fix replaces it).
SAVE_AGAIN = "save the feature encoder again"


def write_artifact(directory: Path, payload: dict[str, Any], tables: dict[str, Table]) -> None:
    """Write the tables (field name -> table) and the JSON payload into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for name, table in tables.items():
        if isinstance(table, Ragged):
            arrays[f"{name}.ids"] = np.ascontiguousarray(table.values, dtype=np.int64)
            arrays[f"{name}.indptr"] = np.ascontiguousarray(table.indptr, dtype=np.int64)
        else:
            arrays[f"{name}.dense"] = np.ascontiguousarray(table, dtype=np.float32)
    save_file(arrays, str(directory / FEATURES_TENSORS))
    text = strict_json.dumps({"format": FORMAT, **payload}, indent=2, sort_keys=True)
    (directory / FEATURES_JSON).write_text(text, encoding="utf-8")


def read_artifact(directory: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON payload and the raw arrays of a saved encoder.

    Raises:
        DamagedArtifactError: a file is missing, a link, corrupt or of another format.
    """
    json_path, tensors_path = directory / FEATURES_JSON, directory / FEATURES_TENSORS
    for path in (json_path, tensors_path):
        regular_file(path, SAVE_AGAIN)
    try:
        payload = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise DamagedArtifactError(json_path, f"is corrupt ({exc})", SAVE_AGAIN) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise DamagedArtifactError(json_path, f"is not a {FORMAT} file", SAVE_AGAIN)
    try:
        arrays = load_file(str(tensors_path))
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types
        problem = f"is corrupt ({type(exc).__name__}: {exc})"
        raise DamagedArtifactError(tensors_path, problem, SAVE_AGAIN) from None
    return payload, arrays


def read_table(arrays: dict[str, np.ndarray], fitted: FittedField, size: int, where: Path) -> Table:
    """The table of ``fitted.field`` with ``size`` rows, checked against its codec's shape."""
    name = fitted.field.name
    try:
        if fitted.field.is_sparse:
            table = Ragged(values=arrays[f"{name}.ids"], indptr=arrays[f"{name}.indptr"])
            _check_ragged(table, fitted.cardinality, size)
            return table
        dense = arrays[f"{name}.dense"]
        width = len(fitted.dense_names)
        if dense.shape != (size, width):
            raise ValueError(f"{name}.dense has shape {dense.shape}, expected {(size, width)}")
        return dense
    except (KeyError, ValueError) as exc:
        problem = f"does not match {FEATURES_JSON} ({exc})"
        raise DamagedArtifactError(where / FEATURES_TENSORS, problem, SAVE_AGAIN) from None


def _check_ragged(table: Ragged, cardinality: int, size: int) -> None:
    indptr, ids = table.indptr, table.values
    if indptr.shape != (size + 1,) or indptr[0] != 0 or indptr[-1] != len(ids):
        raise ValueError(f"row boundaries do not describe {size} rows of {len(ids)} ids")
    if (np.diff(indptr) < 1).any():
        raise ValueError("a row has no id")
    if len(ids) and (ids.min() < 0 or ids.max() >= cardinality):
        raise ValueError(f"ids fall outside 0..{cardinality - 1}")
