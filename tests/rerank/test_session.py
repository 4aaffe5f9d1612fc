"""A saved run re-ranked end to end: cached candidates, the context, metrics before and after."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import parse_split_spec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import ConfigError, DataError
from recsys_core.experiment import train_run
from recsys_core.registry import runs
from recsys_core.rerank import RerankPipeline
from recsys_core.rerank.candidates import CANDIDATES_FILE, read_candidates
from recsys_core.rerank.session import RerankSession


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    db = tmp_path_factory.mktemp("rerank") / "recsys.duckdb"
    frames = generate_synthetic(
        name="synth", n_users=300, n_items=200, n_interactions=6_000, seed=3
    )
    store.write_dataset(frames, path=db)
    protocol = custom_protocol(parse_split_spec("user:test=0.2,seed=1"))
    run = train_run("synth", "itemknn", protocol, path=db, ks=(10,))
    return run.record.run_id, db


def test_candidates_are_computed_once_and_kept_with_the_run(saved_run: tuple[str, Path]) -> None:
    run_id, db = saved_run
    session = RerankSession.open(run_id, depth=30, path=db)
    file = runs.get_run(run_id, path=db).artifact_dir / CANDIDATES_FILE
    cached = read_candidates(file)
    np.testing.assert_array_equal(cached.item_idx, session.candidates.item_idx)
    model = runs.load_run_model(run_id, path=db)
    top = model.recommend(session.candidates.user_idx, 30)
    np.testing.assert_array_equal(session.candidates.item_idx, top.item_idx)
    stamp = file.stat().st_mtime_ns
    RerankSession.open(run_id, depth=30, path=db)
    assert file.stat().st_mtime_ns == stamp  # read back, not recomputed


def test_a_damaged_candidates_file_is_refused_by_name(
    saved_run: tuple[str, Path], tmp_path: Path
) -> None:
    bad = tmp_path / CANDIDATES_FILE
    bad.write_bytes(b"\x80\x04 not safetensors")
    with pytest.raises(DataError, match="not a readable candidates file.*delete it"):
        read_candidates(bad)
    save_file({"user_idx": np.zeros(2, dtype=np.int64)}, str(bad))
    with pytest.raises(DataError, match=r"holds \['user_idx'\]"):
        read_candidates(bad)


def test_weights_at_zero_reproduce_the_run_and_metrics_follow_the_weights(
    saved_run: tuple[str, Path],
) -> None:
    run_id, db = saved_run
    session = RerankSession.open(run_id, depth=50, path=db)
    plain = session.rerank(RerankPipeline.from_settings({"mmr": 0.0}), k=10)
    np.testing.assert_array_equal(plain.after, plain.before)
    stored = runs.get_run(run_id, path=db).metrics
    assert plain.metrics_before.means()["ndcg@10"] == pytest.approx(stored["ndcg@10"])
    assert plain.changes.means()["rbo"] == pytest.approx(1.0)
    fair = session.rerank(RerankPipeline.from_settings({"fairness": 0.8}), k=10)
    before, after = fair.metrics_before.means(), fair.metrics_after.means()
    assert after["tail_share@10"] > before["tail_share@10"]
    assert fair.paired["tail_share@10"].diff == pytest.approx(
        after["tail_share@10"] - before["tail_share@10"]
    )
    assert fair.changes.means()["rbo"] < 1.0
    with pytest.raises(ConfigError, match=r"k must lie in \[1, 50\]"):
        session.rerank(RerankPipeline.from_settings({}), k=51)


def test_a_pipeline_that_empties_every_list_is_measured_not_refused(
    saved_run: tuple[str, Path],
) -> None:
    run_id, db = saved_run
    session = RerankSession.open(run_id, depth=50, path=db)
    genres = list(session.context.genre_names)
    settings = {"blocklist": {"weight": 1.0, "genres": genres}}
    emptied = session.rerank(RerankPipeline.from_settings(settings), k=10)
    assert (emptied.after == -1).all()
    assert emptied.metrics_after.means()["ndcg@10"] == 0.0
    assert "ndcg@10" in emptied.paired and "novelty@10" not in emptied.paired
