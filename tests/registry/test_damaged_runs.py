"""Tampered and damaged run files, tried as a person would: every reader (the library, the CLI,
a page) says which file of which run is damaged and how to recover, without a traceback, and
nothing is ever unpickled (the database file itself: tests/data/test_damaged_database.py).

A module fixture trains one tiny popularity run and one tiny BPR run (the BPR run also gets its
candidates cache and an item projection); each case copies that folder, damages one file of the
BPR run and reads it back.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import load_file, save_file

from recsys_core.analysis import projection
from recsys_core.analysis.projection import ProjectionParams, projection_path, run_projection
from recsys_core.cli import main
from recsys_core.data import store
from recsys_core.data.frames import DatasetFrames
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.errors import DamagedArtifactError
from recsys_core.experiment import train_run
from recsys_core.registry import runs
from recsys_core.rerank.candidates import CANDIDATES_FILE
from recsys_core.rerank.session import RerankSession

REPO = Path(__file__).resolve().parents[2]
DATASET = "synthetic"  # the default name, so the pages open on it without generating one
DEPTH = 20
N_USERS, N_ITEMS = 60, 30
PROTOCOL = custom_protocol(SplitSpec(kind="user", test=0.25, seed=1))
#: The files of a saved run that are damaged, by short name -> path inside the run's folder.
FILES = {
    "config": "model/config.json",
    "weights": "model/weights.safetensors",
    "per_user": "per_user.parquet",
    "run_json": "run.json",
    "candidates": CANDIDATES_FILE,
    "projection": projection_path(Path(), "item", ProjectionParams()).as_posix(),
}
CACHES = {"candidates", "projection"}
CASES = ("random", "pickle", "truncated", "symlink", "wrong_shape", "removed")


class _WritesOnUnpickle:
    """Unpickling this writes a sentinel file: proof that a reader ran code from the file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.path, "unpickled"))


def _frames() -> DatasetFrames:
    rng = np.random.default_rng(0)
    pairs = np.unique(rng.integers(0, [N_USERS, N_ITEMS], size=(900, 2)), axis=0)
    n = len(pairs)
    interactions = pd.DataFrame(
        {
            "user_id": [f"u{u}" for u in pairs[:, 0]],
            "item_id": [f"i{i}" for i in pairs[:, 1]],
            "rating": rng.integers(1, 6, n).astype(float),
            "timestamp": pd.array(rng.integers(0, 10**6, n), dtype="Int64"),
            "session_id": pd.array([None] * n, dtype="Int64"),
        }
    )
    items = pd.DataFrame(
        {
            "item_id": [f"i{i}" for i in range(N_ITEMS)],
            "title": [f"Item {i}" for i in range(N_ITEMS)],
            "genres": ["Drama|Comedy" if i % 2 else "Action" for i in range(N_ITEMS)],
            "year": pd.array([2000 + i % 10 for i in range(N_ITEMS)], dtype="Int64"),
            "provider": [None] * N_ITEMS,
            "release_ts": pd.array([None] * N_ITEMS, dtype="Int64"),
            "tags": [""] * N_ITEMS,
        }
    )
    users = pd.DataFrame(
        {
            "user_id": [f"u{u}" for u in range(N_USERS)],
            "age": pd.array([None] * N_USERS, dtype="Int64"),
            "gender": [None] * N_USERS,
            "occupation": [None] * N_USERS,
            "zip": [None] * N_USERS,
        }
    )
    return DatasetFrames(DATASET, "test", interactions, items, users)


@dataclass(frozen=True)
class Saved:
    """A folder holding the database and its ``runs/``, with the two runs' ids."""

    folder: Path
    popularity: str
    bpr: str

    @property
    def db(self) -> Path:
        return self.folder / "runs.duckdb"

    def run_dir(self, run_id: str) -> Path:
        return self.folder / "runs" / run_id


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Saved:
    folder = tmp_path_factory.mktemp("pristine")
    db = folder / "runs.duckdb"
    store.write_dataset(_frames(), path=db)
    pop = train_run(DATASET, "popularity", PROTOCOL, path=db).record.run_id
    overrides = {"n_epochs": 2, "dim": 8}
    bpr = train_run(DATASET, "bpr", PROTOCOL, path=db, overrides=overrides).record.run_id
    with pytest.MonkeyPatch.context() as patch:  # a stand-in layout: UMAP compiles for 20 s
        patch.setattr(projection, "_fit_umap", lambda data, params: data[:, :2].copy())
        for run_id in (pop, bpr):
            RerankSession.open(run_id, depth=DEPTH, path=db)
        run_projection(bpr, "item", path=db)
    saved = Saved(folder, pop, bpr)
    for name, relative in FILES.items():
        assert (saved.run_dir(bpr) / relative).is_file(), name
    return saved


@pytest.fixture()
def copy(pristine: Saved, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Saved:
    """A fresh copy of the pristine runs, which ``RECSCOPE_DB`` points at."""
    shutil.copytree(pristine.folder, tmp_path / "copy")
    saved = Saved(tmp_path / "copy", pristine.popularity, pristine.bpr)
    monkeypatch.setenv("RECSCOPE_DB", str(saved.db))
    return saved


def _wrong_shape(name: str, file: Path) -> None:
    """Replace ``file`` by one that parses but does not fit the run."""
    if name == "config":
        text = file.read_text().replace(f'"n_users": {N_USERS}', '"n_users": 7')
        assert '"n_users": 7' in text
        file.write_text(text)
    elif name == "weights":
        arrays = load_file(str(file))
        arrays["seen.indptr"] = arrays["seen.indptr"][:7].copy()
        save_file(arrays, str(file))
    elif name == "per_user":
        pd.DataFrame({"user_idx": ["a", "b"], "ndcg@10": ["high", "low"]}).to_parquet(file)
    elif name == "run_json":
        file.write_text("[1, 2, 3]")
    elif name == "candidates":
        arrays = load_file(str(file))
        arrays["item_idx"] = arrays["item_idx"] + 10_000
        save_file(arrays, str(file))
    else:
        frame = pd.read_parquet(file)
        frame.assign(idx=frame["idx"] + 10_000).to_parquet(file, index=False)


def damage(saved: Saved, name: str, case: str, sentinel: Path) -> Path:
    """Damage file ``name`` of the BPR run in the way ``case`` says; returns the file."""
    file = saved.run_dir(saved.bpr) / FILES[name]
    original = file.read_bytes()
    if case == "random":
        file.write_bytes(np.random.default_rng(7).bytes(512))
    elif case == "pickle":
        file.write_bytes(pickle.dumps(_WritesOnUnpickle(sentinel)))
    elif case == "truncated":
        file.write_bytes(original[: len(original) // 2])
    elif case == "symlink":
        file.unlink()
        other = saved.run_dir(saved.popularity) / FILES[name]
        file.symlink_to(other if other.exists() else saved.run_dir(saved.popularity) / "run.json")
    elif case == "wrong_shape":
        _wrong_shape(name, file)
    else:
        file.unlink()
    return file


def _library_read(saved: Saved, name: str) -> Callable[[], object]:
    """The library call that reads file ``name`` of the BPR run."""
    run_id = saved.bpr
    return {
        "config": lambda: runs.load_run_model(run_id),
        "weights": lambda: runs.load_run_model(run_id),
        "per_user": lambda: runs.load_per_user_metrics(run_id),
        "run_json": lambda: runs.load_run_details(run_id),
        "candidates": lambda: RerankSession.open(run_id, depth=DEPTH),
        "projection": lambda: run_projection(run_id, "item"),
    }[name]


def _cli_reads(run_id: str, name: str) -> list[list[str]]:
    """The commands that read file ``name`` of a run (run.json and projections have none)."""
    return {
        "config": [["recommend", "--run", run_id, "--user", "u1"]],
        "weights": [
            ["recommend", "--run", run_id, "--user", "u1"],
            ["rerank", "--run", run_id, "--candidates", str(DEPTH)],
        ],
        "per_user": [["evaluate", "--run", run_id, "--json"]],
        "run_json": [],
        "candidates": [["rerank", "--run", run_id, "--candidates", str(DEPTH), "--set", "mmr=0.5"]],
        "projection": [],
    }[name]


def _expects_damage(name: str, case: str) -> bool:
    """A removed cache is recomputed, not damage; every other case is."""
    return not (case == "removed" and name in CACHES)


def _assert_names_run_and_file(message: str, run_id: str, name: str, case: str) -> None:
    assert f"run {run_id} is damaged: " in message, message
    shown = "config.json" if name == "config" and case == "wrong_shape" else FILES[name]
    assert shown in message, message
    assert f"runs delete {run_id}" in message or f"delete {FILES[name]}" in message, message
    assert "Traceback" not in message


def _strict_json(text: str) -> Any:
    def refuse(token: str) -> None:
        raise AssertionError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", list(FILES))
def test_every_reader_names_the_damaged_file_and_run(
    copy: Saved, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, case: str
) -> None:
    if case == "removed" and name == "projection":
        pytest.skip("a removed projection is fitted again (tests/analysis covers the refit)")
    sentinel = tmp_path / "unpickled.txt"
    damage(copy, name, case, sentinel)
    read = _library_read(copy, name)
    if _expects_damage(name, case):
        with pytest.raises(DamagedArtifactError) as error:
            read()
        _assert_names_run_and_file(str(error.value), copy.bpr, name, case)
        assert error.value.run_id == copy.bpr
    else:
        read()  # the cache is computed again
    for argv in _cli_reads(copy.bpr, name):
        code, out, err = _cli(capsys, *argv)
        if _expects_damage(name, case):
            assert code == 1 and out == "", (argv, err)
            assert err.startswith("error: run ") and err.count("\n") == 1, err
            _assert_names_run_and_file(err, copy.bpr, name, case)
        else:
            assert code == 0, err
    assert not sentinel.exists()


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", list(FILES))
def test_listing_runs_flags_a_damaged_run_without_failing(
    copy: Saved, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, case: str
) -> None:
    damage(copy, name, case, tmp_path / "unpickled.txt")
    code, out, err = _cli(capsys, "runs", "list", "--json")
    assert code == 0, err
    rows = {row["run_id"]: row for row in _strict_json(out)["runs"]}
    assert set(rows) == {copy.bpr, copy.popularity}
    assert rows[copy.popularity]["damaged"] is None
    # The quick look reads headers, not arrays: a file of the right format holding arrays of the
    # wrong shape, and a removed cache, are found when the run is loaded (or recomputed).
    seen = _expects_damage(name, case) and (case != "wrong_shape" or name == "run_json")
    flagged = rows[copy.bpr]["damaged"]
    if seen:
        _assert_names_run_and_file(flagged, copy.bpr, name, case)
        assert f"warning: run {copy.bpr} is damaged" in err
    else:
        assert flagged is None, flagged
    code, out, _ = _cli(capsys, "runs", "list")
    assert code == 0 and (" yes" in out) == seen


def test_weights_of_the_wrong_shape_read_as_a_new_user_would(copy: Saved) -> None:
    """The issue's report, through a real process: index pointer size 7 vs the run's users."""
    damage(copy, "weights", "wrong_shape", copy.folder / "unused")
    env = {**os.environ, "RECSCOPE_DB": str(copy.db), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "recsys_core", "recommend", "--run", copy.bpr, "--user", "u1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        f"error: run {copy.bpr} is damaged: model/weights.safetensors does not fit its "
        f"config.json (seen.indptr has shape (7,) where ({N_USERS + 1},) was expected); delete "
        f"the run (Train page → Saved runs → Delete run, or `python -m recsys_core runs delete "
        f"{copy.bpr}`) and train it again\n"
    )


def test_a_run_folder_that_is_a_link_or_missing_is_damage(copy: Saved) -> None:
    folder = copy.run_dir(copy.bpr)
    shutil.rmtree(folder)
    with pytest.raises(DamagedArtifactError, match=rf"run {copy.bpr} is damaged: its folder .* is"):
        runs.load_run_model(copy.bpr)
    folder.symlink_to(copy.run_dir(copy.popularity), target_is_directory=True)
    with pytest.raises(DamagedArtifactError, match="is a symbolic link"):
        runs.load_per_user_metrics(copy.bpr)
    runs.delete_run(copy.bpr)  # deleting removes the link, never the run it points to
    assert not folder.exists() and not folder.is_symlink()
    assert (copy.run_dir(copy.popularity) / "run.json").is_file()


def test_a_deleted_damaged_run_leaves_a_clean_listing(
    copy: Saved, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damage(copy, "weights", "random", tmp_path / "unused")
    code, _, err = _cli(capsys, "runs", "delete", copy.bpr)
    assert code == 0, err
    code, out, _ = _cli(capsys, "runs", "list", "--json")
    assert [row["damaged"] for row in _strict_json(out)["runs"]] == [None]


# --- pages --------------------------------------------------------------------------------------
PAGES = [
    ("weights", "pages/4_Recommendations.py", "Cannot recommend with run"),
    ("projection", "pages/3_Embeddings.py", "Cannot map run"),
    pytest.param("weights", "pages/3_Embeddings.py", "", id="weights-embeddings"),
    pytest.param("per_user", "pages/5_Compare.py", "", id="per_user-compare"),
    pytest.param("run_json", "pages/2_Train.py", "", id="run_json-train"),
]


@pytest.mark.parametrize(("name", "page", "prefix"), PAGES)
def test_a_page_shows_the_damage_as_an_error(
    copy: Saved, tmp_path: Path, name: str, page: str, prefix: str
) -> None:
    from streamlit.testing.v1 import AppTest

    from recsys_core.ui import state

    damage(copy, name, "random", tmp_path / "unused")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).switch_page(page)
    at.session_state[state.RUN] = copy.bpr
    at.run()
    assert not at.exception, [e.message for e in at.exception]  # no traceback on the page
    errors = [element.value for element in at.error]
    assert len(errors) == 1, errors
    assert errors[0].startswith(prefix)
    _assert_names_run_and_file(errors[0], copy.bpr, name, "random")
