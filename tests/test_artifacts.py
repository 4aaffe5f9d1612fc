"""Artifact files: atomic writes (a reader sees the old file or the new one, never half of one),
and readers that report every kind of damage one way, naming the file and, in a run, the run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import save_file

from recsys_core.artifacts import (
    cache_damage,
    check_file_whole,
    read_json,
    read_parquet,
    read_safetensors,
    refuse_links,
    regular_file,
    run_files,
    write_parquet_atomic,
)
from recsys_core.errors import DamagedArtifactError


def test_write_creates_folders_replaces_and_leaves_no_staging_files(tmp_path: Path) -> None:
    target = tmp_path / "run" / "projections" / "items.parquet"
    write_parquet_atomic(pd.DataFrame({"idx": [0, 1], "x": [0.5, 1.5]}), target)
    write_parquet_atomic(pd.DataFrame({"idx": [2], "x": [2.5]}), target)
    pd.testing.assert_frame_equal(pd.read_parquet(target), pd.DataFrame({"idx": [2], "x": [2.5]}))
    assert [p.name for p in target.parent.iterdir()] == ["items.parquet"]


def test_a_failed_write_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "sampled-100.parquet"
    old = pd.DataFrame({"user_idx": [3], "ndcg@10": [0.25]})
    write_parquet_atomic(old, target)

    def half_then_fail(self: pd.DataFrame, path: Path, **kwargs: object) -> None:
        Path(path).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_parquet_atomic(pd.DataFrame({"user_idx": [4], "ndcg@10": [0.5]}), target)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(pd.read_parquet(target), old)
    assert [p.name for p in tmp_path.iterdir()] == ["sampled-100.parquet"]


# --- readers that report damage -----------------------------------------------------------------
def _safetensors(path: Path) -> bytes:
    save_file({"a": np.arange(6, dtype=np.float32).reshape(2, 3)}, str(path))
    return path.read_bytes()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (lambda good: good[: len(good) - 4], "is truncated or padded"),
        (lambda good: good + b"\0" * 8, "is truncated or padded"),
        (lambda good: good[:5], "its header does not fit in the file"),
        (lambda good: (4).to_bytes(8, "little") + b"[1]\n", "header is not safetensors JSON"),
    ],
    ids=["truncated", "padded", "cut-in-header", "foreign-header"],
)
def test_the_quick_look_at_a_safetensors_file_finds_it_broken(
    tmp_path: Path, content: Callable[[bytes], bytes], problem: str
) -> None:
    file = tmp_path / "weights.safetensors"
    good = _safetensors(file)
    check_file_whole(file, "fix it")  # a whole file passes
    file.write_bytes(content(good))
    with pytest.raises(DamagedArtifactError, match=rf"weights\.safetensors .*{problem}.*; fix it"):
        check_file_whole(file, "fix it")
    with pytest.raises(DamagedArtifactError, match=problem):
        read_safetensors(file, "fix it")


def test_the_quick_look_at_parquet_and_json(tmp_path: Path) -> None:
    table = tmp_path / "per_user.parquet"
    pd.DataFrame({"user_idx": [0, 1]}).to_parquet(table)
    check_file_whole(table, "fix")
    whole = table.read_bytes()
    table.write_bytes(whole[:-3])
    with pytest.raises(DamagedArtifactError, match="must start and end with PAR1"):
        check_file_whole(table, "fix")
    table.write_bytes(whole[:4] + (10**6).to_bytes(4, "little") + whole[-4:])
    with pytest.raises(DamagedArtifactError, match="footer is longer than the file"):
        read_parquet(table, "fix")
    document = tmp_path / "run.json"
    document.write_text('["not", "an", "object"]')
    with pytest.raises(DamagedArtifactError, match="holds a JSON list, not an object"):
        check_file_whole(document, "fix")
    document.write_text("[" * 100_000)
    with pytest.raises(DamagedArtifactError, match="is not valid JSON"):
        read_json(document, "fix")


def test_links_anywhere_in_a_run_folder_are_refused_and_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "hidden").symlink_to(tmp_path)  # would loop if followed
    run = tmp_path / "runs" / "bpr-1"
    (run / "model").mkdir(parents=True)
    (run / "model" / "config.json").write_text("{}")
    refuse_links(run, "fix")
    (run / "projections").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DamagedArtifactError, match="projections is a symbolic link"):
        refuse_links(run, "fix")
    with pytest.raises(DamagedArtifactError, match="is a symbolic link"):
        regular_file(run / "projections", "fix")


def test_run_files_names_the_run_and_how_to_recover(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "ease-abc"
    with pytest.raises(DamagedArtifactError) as error, run_files("ease-abc", run):
        read_json(run / "run.json", "save it again")
    assert str(error.value) == (
        "run ease-abc is damaged: run.json is missing; delete the run (Train page → Saved runs → "
        "Delete run, or `python -m recsys_core runs delete ease-abc`) and train it again"
    )
    assert error.value.run_id == "ease-abc" and error.value.path == run / "run.json"
    cache = cache_damage(run, DamagedArtifactError(run / "candidates.safetensors", "is odd", "x"))
    assert str(cache).startswith(
        "run ease-abc is damaged: candidates.safetensors is odd; delete candidates.safetensors "
        "(a cache: it is computed again when next needed), or delete the run"
    )
