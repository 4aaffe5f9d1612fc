"""The offline default: a synthetic catalogue stored on first use, so the app opens with data."""

from __future__ import annotations

from pathlib import Path

from recsys_core.data import store
from recsys_core.data.synthetic import generate_synthetic

DEFAULT_DATASET = "synthetic"


def ensure_default_dataset(path: Path | None = None) -> str:
    """Return a dataset to open on: the default synthetic one, generated and stored if the
    database holds no dataset yet (no network needed)."""
    names = [info.name for info in store.list_datasets(path=path)]
    if DEFAULT_DATASET in names:
        return DEFAULT_DATASET
    if names:
        return names[0]
    store.write_dataset(generate_synthetic(name=DEFAULT_DATASET), path=path)
    return DEFAULT_DATASET
