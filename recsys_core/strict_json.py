"""Strict JSON text, the one way RecScope writes JSON: ``run.json``, model configs, the runs table's
JSON columns and every ``--json`` output.

Python's ``json`` writes ``NaN`` and ``Infinity`` by default, which no strict parser (browsers,
``jq``, most languages) accepts. Here a float that is not finite becomes ``null`` (a metric that
has no value, such as the loss of a closed-form model) and ``allow_nan=False`` guards the rest.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np


def to_json_value(value: Any) -> Any:
    """``value`` as plain JSON types, recursively.

    Numpy scalars and arrays are unwrapped, floats that are not finite become None, paths become
    text and date-times ISO-8601 text to the second; dict keys become text.
    """
    if isinstance(value, dict):
        return {str(key): to_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    if isinstance(value, np.ndarray):
        return to_json_value(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value


def dumps(value: Any, **options: Any) -> str:
    """Strict JSON text of ``value`` (``to_json_value`` first); ``options`` go to ``json.dumps``
    (``indent``, ``sort_keys``)."""
    return json.dumps(to_json_value(value), allow_nan=False, **options)
