"""Shared by the hardening tests: a small database (a synthetic dataset and BPR runs on it) and
the command lines that run the real CLI against it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.server import REPO
from recsys_core.data import store
from recsys_core.data.protocols import get_protocol
from recsys_core.data.store import hooks
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.experiment import train_run

#: The small dataset every hardening test starts from, and the protocol its runs use.
BASE_DATASET = "base"
BASE_PROTOCOL = "synthetic-user"
#: BPR options of the runs made here (a few seconds on two cores).
BPR_OPTIONS = {"n_epochs": 10}
DB_NAME = "recsys.duckdb"


@dataclass(frozen=True)
class Template:
    """A folder holding ``recsys.duckdb`` and its ``runs/``, with what it holds."""

    folder: Path
    run_ids: tuple[str, ...]

    @property
    def db(self) -> Path:
        return self.folder / DB_NAME


def build_template(folder: Path, n_runs: int) -> Template:
    """The base dataset (1,000 users, 500 items, 30,000 interactions) and ``n_runs`` BPR runs."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / DB_NAME
    frames = generate_synthetic(
        name=BASE_DATASET, n_users=1_000, n_items=500, n_interactions=30_000
    )
    store.write_dataset(frames, path=db)
    protocol = get_protocol(BASE_PROTOCOL)
    run_ids = tuple(
        train_run(
            BASE_DATASET,
            "bpr",
            protocol,
            overrides={**BPR_OPTIONS, "seed": seed},
            ks=(10,),
            path=db,
        ).record.run_id
        for seed in range(n_runs)
    )
    return Template(folder, run_ids)


def cli(*args: str) -> list[str]:
    """The command line of ``python -m recsys_core ARGS``."""
    return [sys.executable, "-m", "recsys_core", *args]


def cli_env(db: Path) -> dict[str, str]:
    """The environment of a CLI subprocess on ``db``: one thread, no starter runs."""
    return {
        **os.environ,
        store.DB_ENV: str(db),
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "RECSCOPE_STARTER_RUNS": "0",
        "PYTHONPATH": str(REPO),
    }


@pytest.fixture()
def without_cleanup() -> Iterator[None]:
    """This test process never cleans leftovers itself (``store.on_first_open`` hooks off), so
    what it sees is what the killed and restarted subprocesses left."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hooks, "_FIRST_OPEN_HOOKS", [])
        yield
