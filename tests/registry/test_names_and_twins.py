"""Run names a person gives, and twins: runs that asked for exactly the same fit."""

from __future__ import annotations

from pathlib import Path

import pytest

from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import DataError
from recsys_core.experiment import train_run
from recsys_core.models.retrieval.popularity import PopularityConfig
from recsys_core.registry import list_runs
from recsys_core.registry.labels import run_labels
from recsys_core.registry.names import MAX_NAME_LENGTH, rename_run, run_names
from recsys_core.registry.twins import identical_runs

PROTOCOL = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "names.duckdb"
    frames = generate_synthetic(n_users=60, n_items=40, n_interactions=1_000, seed=2)
    store.write_dataset(frames, path=path)
    return path


def test_a_name_leads_the_label_and_an_empty_one_removes_it(db: Path) -> None:
    run_id = train_run("synthetic", "popularity", PROTOCOL, path=db).record.run_id
    assert rename_run(run_id, "  Baseline for the review ", path=db) == "Baseline for the review"
    assert run_names(path=db) == {run_id: "Baseline for the review"}
    (record,) = list_runs(path=db)
    label = run_labels([record], names=run_names(path=db))[run_id]
    assert label.startswith("Baseline for the review (Most popular) · ")
    assert rename_run(run_id, "", path=db) is None
    assert run_names(path=db) == {}


@pytest.mark.parametrize(
    ("name", "why"),
    [("x" * (MAX_NAME_LENGTH + 1), "at most"), ("bad\x00name", "printable")],
)
def test_a_bad_name_is_refused_and_changes_nothing(db: Path, name: str, why: str) -> None:
    run_id = train_run("synthetic", "popularity", PROTOCOL, path=db).record.run_id
    rename_run(run_id, "kept", path=db)
    with pytest.raises(DataError, match=why):
        rename_run(run_id, name, path=db)
    assert run_names(path=db) == {run_id: "kept"}


def test_renaming_a_run_that_does_not_exist_names_it(db: Path) -> None:
    with pytest.raises(DataError, match="no run 'bpr-gone'"):
        rename_run("bpr-gone", "x", path=db)


def test_twins_are_the_runs_with_the_same_options_seed_and_protocol(db: Path) -> None:
    first = train_run("synthetic", "popularity", PROTOCOL, path=db).record
    config = PopularityConfig().to_dict()
    found = identical_runs("synthetic", "popularity", config, PROTOCOL.to_dict(), path=db)
    assert [r.run_id for r in found] == [first.run_id]
    other_seed = {**config, "seed": 7}
    assert identical_runs("synthetic", "popularity", other_seed, PROTOCOL.to_dict(), path=db) == []
    other_split = custom_protocol(SplitSpec(kind="user", test=0.3, seed=1)).to_dict()
    assert identical_runs("synthetic", "popularity", config, other_split, path=db) == []
    assert identical_runs("synthetic", "itemknn", config, PROTOCOL.to_dict(), path=db) == []
