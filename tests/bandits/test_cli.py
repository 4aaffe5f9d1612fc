"""``python -m recsys_core bandit``: a table or strict JSON, and one clear line without a log."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from recsys_core.cli import main


def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.duckdb"
    monkeypatch.setenv("RECSCOPE_DB", str(path))
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_bandit_prints_strict_json_and_a_table(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(
        capsys, "datasets", "generate", "synthetic", "--name", "tiny",
        "--users", "300", "--items", "200", "--interactions", "6000", "--seed", "3",
    )  # fmt: skip
    assert code == 0, err
    code, out, err = _run(capsys, "bandit", "--dataset", "tiny", "--json")
    assert code == 0, err
    payload = _strict(out)
    assert isinstance(payload, dict) and payload["dataset"] == "tiny"
    assert list(payload["policies"]) == ["linucb", "thompson", "logging", "random"]
    for entry in payload["policies"].values():
        assert 0.0 < entry["true_ctr"] < 1.0
        assert entry["ips"]["low"] <= entry["ips"]["value"] <= entry["ips"]["high"]
    code, out, _ = _run(capsys, "bandit", "--dataset", "tiny", "--policy", "thompson")
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split() == ["policy", "replay", "ips", "snips", "true_ctr", "matched"]
    assert [line.split()[0] for line in lines[2:]] == ["thompson", "logging", "random"]


def test_a_dataset_without_impressions_gives_one_clear_line(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ratings = tmp_path / "ratings.csv"
    rows = [(f"u{u}", f"i{(u * 7 + j) % 20}", 1 + (u + j) % 5) for u in range(12) for j in range(5)]
    pd.DataFrame(rows, columns=["user_id", "item_id", "rating"]).to_csv(ratings, index=False)
    code, _, err = _run(capsys, "datasets", "import", str(ratings), "--name", "mine")
    assert code == 0, err
    code, out, err = _run(capsys, "bandit", "--dataset", "mine")
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "no logged impressions" in err and "datasets generate synthetic" in err
    code, _, err = _run(capsys, "bandit", "--dataset", "ghost", "--json")
    assert code == 1 and "no dataset named 'ghost'" in err and len(err.strip().splitlines()) == 1
