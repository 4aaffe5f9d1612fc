"""Writing artifact files so that a reader never sees half of one."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pandas as pd


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` (without its index) to ``path`` through a temporary file and a rename.

    The temporary file sits beside ``path`` (same file system, so ``os.replace`` is atomic) under a
    unique hidden name, so concurrent writers never clash and an interrupted write leaves nothing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        frame.to_parquet(staging, index=False)
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)
