"""Datasets in and out: MovieLens and tabular importers, id vocabularies and the DuckDB store.

Every source becomes a ``DatasetFrames`` (raw string ids); ``write_dataset`` validates it, maps ids
to contiguous indices and stores it atomically; ``load_dataset`` gives back a ``Dataset``.
"""

from __future__ import annotations

from recsys_core.data.dataset import Dataset, TrainSplit
from recsys_core.data.frames import DatasetFrames
from recsys_core.data.movielens import MOVIELENS_NAMES, load_movielens
from recsys_core.data.store import (
    DatasetInfo,
    connect,
    dataset_info,
    default_db_path,
    delete_dataset,
    list_datasets,
    list_splits,
    load_dataset,
    load_split,
    resolve_path,
    save_split,
    write_dataset,
)
from recsys_core.data.tabular import import_tabular
from recsys_core.data.vocab import Vocabulary, build_vocab

__all__ = [
    "MOVIELENS_NAMES",
    "Dataset",
    "DatasetFrames",
    "DatasetInfo",
    "TrainSplit",
    "Vocabulary",
    "build_vocab",
    "connect",
    "dataset_info",
    "default_db_path",
    "delete_dataset",
    "import_tabular",
    "list_datasets",
    "list_splits",
    "load_dataset",
    "load_movielens",
    "load_split",
    "resolve_path",
    "save_split",
    "write_dataset",
]
