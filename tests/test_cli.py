"""The command line, driven as a user would: JSON on stdout, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from recsys_core.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.duckdb"
    monkeypatch.setenv("RECSCOPE_DB", str(path))
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _generate(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(
        capsys, "datasets", "generate", "synthetic", "--name", "tiny",
        "--users", "300", "--items", "200", "--interactions", "6000", "--seed", "3",
    )  # fmt: skip
    assert code == 0, err


def test_generate_train_evaluate_recommend_round_trip(
    db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _generate(capsys)
    code, out, _ = _run(capsys, "datasets", "list", "--json")
    assert code == 0
    (info,) = json.loads(out)["datasets"]
    assert info["name"] == "tiny" and info["n_interactions"] == 6000

    recs_file = tmp_path / "recs.csv"
    code, out, err = _run(
        capsys, "train", "--dataset", "tiny", "--model", "popularity",
        "--split", "user:test=0.2,seed=1", "--json", "--save-recommendations", str(recs_file),
    )  # fmt: skip
    assert code == 0, err
    payload = json.loads(out)
    assert payload["model"] == "popularity" and payload["dataset"] == "tiny"
    for key in ("ndcg@10", "precision@10", "recall@10", "map@10", "msr_map@10"):
        assert 0.0 <= payload["metrics"][key] <= 1.0
    assert payload["train_seconds"] >= 0

    recs = pd.read_csv(recs_file, dtype={"user_id": str, "item_id": str})
    assert list(recs.columns) == ["user_id", "item_id", "rank", "score"]
    assert recs.groupby("user_id")["rank"].apply(lambda r: list(r) == list(range(1, 11))).all()
    assert recs["user_id"].str.startswith("u").all()

    code, out, _ = _run(capsys, "evaluate", "--run", payload["run_id"], "--json")
    assert code == 0
    evaluated = json.loads(out)
    assert evaluated["metrics"]["ndcg@10"] == pytest.approx(payload["metrics"]["ndcg@10"])
    low, high = evaluated["intervals"]["ndcg@10"]
    assert low <= payload["metrics"]["ndcg@10"] <= high

    user = recs["user_id"].iloc[0]
    code, out, _ = _run(capsys, "recommend", "--run", payload["run_id"], "--user", user, "--json")
    assert code == 0
    listed = json.loads(out)["recommendations"]
    assert [r["item_id"] for r in listed] == recs[recs["user_id"] == user]["item_id"].tolist()

    code, out, _ = _run(capsys, "runs", "list", "--json")
    assert [r["run_id"] for r in json.loads(out)["runs"]] == [payload["run_id"]]


def test_external_lists_are_evaluated_like_our_own(
    db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    recs = tmp_path / "recs.csv"
    truth = tmp_path / "truth.csv"
    recs.write_text("user_id,item_id,rank\na,x,1\na,y,2\nb,y,1\nb,z,2\n")
    truth.write_text("user_id,item_id\na,y\nb,q\n")
    code, out, err = _run(
        capsys, "evaluate", "--recommendations", str(recs), "--truth", str(truth), "--k", "2",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    metrics = json.loads(out)["metrics"]
    assert metrics["precision@2"] == pytest.approx((0.5 + 0.0) / 2)
    assert metrics["recall@2"] == pytest.approx((1.0 + 0.0) / 2)
    assert metrics["mrr@2"] == pytest.approx((0.5 + 0.0) / 2)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--dataset", "missing", "--model", "popularity"], "missing"),
        (["train", "--dataset", "tiny", "--model", "nope"], "unknown model"),
        (["train", "--dataset", "tiny", "--model", "popularity", "--set", "bogus=1"], "bogus"),
        (["train", "--dataset", "tiny", "--model", "popularity", "--protocol", "x"], "protocol"),
        (["recommend", "--run", "no-such-run", "--user", "1"], "no run"),
        (["evaluate"], "evaluate needs"),
        (["datasets", "load", "ml-100k", "--source", "/nonexistent/path"], "nonexistent"),
    ],
)
def test_errors_are_one_clear_line(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    _generate(capsys)
    code, out, err = _run(capsys, *argv)
    assert code != 0
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
    assert "Traceback" not in err


def test_module_entry_point_prints_json_and_usage_errors(db: Path) -> None:
    env = {**os.environ, "RECSCOPE_DB": str(db)}
    listed = subprocess.run(
        [sys.executable, "-m", "recsys_core", "models", "list", "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    names = {m["name"] for m in json.loads(listed.stdout)["models"]}
    assert {"popularity", "ease", "itemknn", "bpr", "mf", "content", "precomputed"} <= names
    bad = subprocess.run(
        [sys.executable, "-m", "recsys_core", "train"],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "--dataset" in bad.stderr


def _strict_json(text: str) -> dict:
    def refuse(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def test_rerank_prints_before_after_and_changes_as_strict_json(
    db: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _generate(capsys)
    code, out, err = _run(
        capsys, "train", "--dataset", "tiny", "--model", "itemknn",
        "--split", "user:test=0.2,seed=1", "--json",
    )  # fmt: skip
    assert code == 0, err
    run_id = json.loads(out)["run_id"]
    recs = tmp_path / "reranked.csv"
    code, out, err = _run(
        capsys, "rerank", "--run", run_id, "--set", "fairness=0.8", "--set", "mmr=0.3",
        "--candidates", "50", "--json", "--save-recommendations", str(recs),
    )  # fmt: skip
    assert code == 0, err
    payload = _strict_json(out)
    assert payload["run_id"] == run_id and payload["weights"] == {"mmr": 0.3, "fairness": 0.8}
    keys = [f"{m}@10" for m in ("ndcg", "precision", "recall", "coverage", "ild")]
    keys += [f"{m}@10" for m in ("tail_share", "genre_kl", "mean_item_age", "exposure_gini")]
    assert list(payload["before"]) == keys and list(payload["after"]) == keys
    assert payload["after"]["tail_share@10"] > payload["before"]["tail_share@10"]
    assert 0.0 <= payload["changes"]["rbo"] < 1.0 and payload["changes"]["entered"] > 0
    lists = pd.read_csv(recs)
    assert list(lists.columns) == ["user_id", "item_id", "rank", "score"]
    assert lists.groupby("user_id")["rank"].max().max() == 10

    code, out, err = _run(capsys, "rerank", "--run", run_id, "--set", "mmr=2")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "MMRConfig.weight=2.0 is above its maximum 1.0" in err
    code, _, err = _run(capsys, "rerank", "--run", run_id, "--set", "diversity=0.5")
    assert (
        code == 1
        and "unknown re-ranker 'diversity'; choose one of: bandit, blend, blocklist" in err
    )


def test_rerank_save_stores_the_weights_as_a_rerank_run_of_the_parent(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from recsys_core.registry import get_run

    _generate(capsys)
    code, out, err = _run(
        capsys, "train", "--dataset", "tiny", "--model", "itemknn",
        "--split", "user:test=0.2,seed=1", "--json",
    )  # fmt: skip
    assert code == 0, err
    parent = json.loads(out)["run_id"]
    code, out, err = _run(
        capsys, "rerank", "--run", parent, "--set", "fairness=0.8", "--candidates", "50",
        "--save", "--json",
    )  # fmt: skip
    assert code == 0, err
    payload = _strict_json(out)
    saved = payload["saved_run_id"]
    code, out, err = _run(capsys, "runs", "list", "--json")
    assert code == 0, err
    listed = {r["run_id"]: r for r in json.loads(out)["runs"]}
    assert set(listed) == {parent, saved}
    assert (listed[saved]["kind"], listed[saved]["parent_run_id"]) == ("rerank", parent)
    metrics = get_run(saved, path=db).metrics
    for name in ("ndcg@10", "tail_share@10", "recall@10"):
        assert metrics[name] == pytest.approx(payload["after"][name])
    assert metrics["tail_share@10"] > payload["before"]["tail_share@10"]

    code, out, err = _run(capsys, "rerank", "--run", saved, "--set", "mmr=0.5", "--save")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "is a rerank run; only trained runs are saved re-ranked" in err
    assert f"re-rank its parent {parent}" in err
