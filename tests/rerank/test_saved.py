"""Re-ranking weights saved as a run of kind ``rerank``: evaluated as runs are, stored with its
parent, reloaded with the same lists."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import parse_split_spec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import ConfigError, DataError
from recsys_core.experiment import train_run
from recsys_core.registry import runs
from recsys_core.rerank import RerankPipeline
from recsys_core.rerank.saved import (
    RERANK_DIR,
    SETTINGS_FILE,
    load_reranked_model,
    save_rerank_run,
)
from recsys_core.rerank.session import RerankSession

WEIGHTS = "mmr=0.4,fairness=0.7"


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path]:
    """A trained itemknn run (reported at k = 5, 10, 20) and its saved re-ranked run."""
    db = tmp_path_factory.mktemp("saved") / "recsys.duckdb"
    frames = generate_synthetic(
        name="synth", n_users=300, n_items=200, n_interactions=6_000, seed=3
    )
    store.write_dataset(frames, path=db)
    protocol = custom_protocol(parse_split_spec("user:test=0.2,seed=1"))
    parent = train_run("synth", "itemknn", protocol, path=db, ks=(5, 10, 20)).record.run_id
    record = save_rerank_run(parent, RerankPipeline.from_text(WEIGHTS), k=10, depth=50, path=db)
    return parent, record.run_id, db


def test_the_saved_run_s_metrics_are_the_session_s_after_metrics(
    saved: tuple[str, str, Path],
) -> None:
    parent, child, db = saved
    stored = runs.get_run(child, path=db).metrics
    session = RerankSession.open(parent, depth=50, path=db)
    after = session.rerank(RerankPipeline.from_text(WEIGHTS), k=10).metrics_after.means()
    for name in ("ndcg@10", "recall@10", "tail_share@10", "diversity@10", "genre_kl@10"):
        assert stored[name] == pytest.approx(after[name], rel=1e-9, abs=1e-12), name
    parent_metrics = runs.get_run(parent, path=db).metrics
    assert stored["tail_share@10"] > parent_metrics["tail_share@10"]  # the weights did something
    assert {"ndcg@5", "ndcg@20"} <= set(stored)  # the parent's list lengths are reported too


def test_the_run_records_its_parent_and_weights_and_guards_the_parent(
    saved: tuple[str, str, Path],
) -> None:
    parent, child, db = saved
    record = runs.get_run(child, path=db)
    assert (record.kind, record.parent_run_id, record.status) == ("rerank", parent, "complete")
    assert [r.run_id for r in runs.lineage(child, path=db)] == [child, parent]
    config = record.config["model"]
    assert config["weights"] == WEIGHTS and config["base_model"] == "itemknn"
    assert (config["k"], config["depth"]) == (10, 50)
    settings = json.loads(
        (record.artifact_dir / runs.MODEL_DIR / RERANK_DIR / SETTINGS_FILE).read_text()
    )
    assert settings["settings"]["mmr"]["weight"] == 0.4 and settings["depth"] == 50
    # The rerank run's own model files are the parent's model (same lists as the parent).
    users = np.arange(20)
    np.testing.assert_array_equal(
        runs.load_run_model(child, path=db).recommend(users, 10).item_idx,
        runs.load_run_model(parent, path=db).recommend(users, 10).item_idx,
    )
    with pytest.raises(DataError):
        runs.delete_run(parent, path=db)
    assert runs.get_run(parent, path=db).status == "complete"


def test_load_round_trip_gives_the_same_lists_and_the_session_s(
    saved: tuple[str, str, Path],
) -> None:
    parent, child, db = saved
    model = load_reranked_model(child, path=db)
    session = RerankSession.open(parent, depth=50, path=db)
    expected = session.rerank(RerankPipeline.from_text(WEIGHTS), k=10).after
    users = session.candidates.user_idx
    np.testing.assert_array_equal(model.recommend(users, 10).item_idx, expected)
    np.testing.assert_array_equal(model.recommend(users, 5).item_idx, expected[:, :5])
    longer = model.recommend(users, 20).item_idx
    np.testing.assert_array_equal(longer[:, :10], expected)  # the saved top-10 is kept
    for row in longer:
        real = row[row >= 0]
        assert len(set(real.tolist())) == len(real)  # no item listed twice
    pairs_u, pairs_i = np.repeat(users[:3], 4), np.tile(np.arange(4), 3)
    np.testing.assert_array_equal(
        model.score(pairs_u, pairs_i),
        runs.load_run_model(parent, path=db).score(pairs_u, pairs_i),
    )
    assert model.stage == "retrieval" and model.pipeline.to_text() == WEIGHTS


def test_derived_runs_and_bad_lengths_are_refused(saved: tuple[str, str, Path]) -> None:
    parent, child, db = saved
    pipeline = RerankPipeline.from_text("mmr=0.5")
    with pytest.raises(ConfigError, match=f"is a rerank run.*re-rank its parent {parent}"):
        save_rerank_run(child, pipeline, path=db)
    with pytest.raises(ConfigError, match=r"k=60 must lie in \[1, 50\]"):
        save_rerank_run(parent, pipeline, k=60, depth=50, path=db)
    with pytest.raises(DataError, match="not rerank"):
        load_reranked_model(parent, path=db)
    assert [r.run_id for r in runs.list_runs("synth", kind="rerank", path=db)] == [child]


def test_damaged_settings_are_refused_by_name(saved: tuple[str, str, Path]) -> None:
    _, child, db = saved
    file = runs.get_run(child, path=db).artifact_dir / runs.MODEL_DIR / RERANK_DIR / SETTINGS_FILE
    original = file.read_text()
    try:
        file.write_text("{not json")
        with pytest.raises(DataError, match=f"{SETTINGS_FILE} is corrupt"):
            load_reranked_model(child, path=db)
        file.write_text(json.dumps({"settings": {"mmr": 3.0}, "k": 10, "depth": 50}))
        with pytest.raises(DataError, match="settings this version refuses"):
            load_reranked_model(child, path=db)
    finally:
        file.write_text(original)
