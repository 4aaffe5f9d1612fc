"""Atomic artifact writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from recsys_core.artifacts import write_parquet_atomic


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
