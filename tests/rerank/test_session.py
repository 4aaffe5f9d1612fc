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
    # The run's own lists are evaluated once per k, whatever the pipeline.
    assert fair.metrics_before is plain.metrics_before is session.original(10)
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


@pytest.fixture(scope="module")
def other_runs(saved_run: tuple[str, Path]) -> tuple[str, str]:
    """A popularity run on the same split as ``saved_run`` and one on another split."""
    _, db = saved_run
    same = custom_protocol(parse_split_spec("user:test=0.2,seed=1"))
    other = custom_protocol(parse_split_spec("user:test=0.3,seed=2"))
    mate = train_run("synth", "popularity", same, path=db, ks=(10,))
    stranger = train_run("synth", "popularity", other, path=db, ks=(10,))
    return mate.record.run_id, stranger.record.run_id


def test_the_blend_scores_another_saved_run_loaded_only_when_asked(
    saved_run: tuple[str, Path], other_runs: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id, db = saved_run
    mate, stranger = other_runs
    load = runs.load_run_model
    loaded: list[str] = []

    def counting_load(wanted: str, *, path: Path | None = None) -> object:
        loaded.append(wanted)
        return load(wanted, path=path)

    monkeypatch.setattr(runs, "load_run_model", counting_load)
    session = RerankSession.open(run_id, depth=50, path=db)
    assert session.blend_runs() == [mate]  # not the run itself, not the other split's run
    session.rerank(RerankPipeline.from_text("mmr=0.5"), k=10)
    assert mate not in loaded  # nothing loaded until a blend asks for the run
    # Weight 1: only the other run's scores of the candidates order the lists.
    blended = session.rerank(RerankPipeline.from_text(f"blend=1,blend.runs={mate}"), k=10)
    scores = load(mate, path=db).score_candidates(
        session.candidates.user_idx, session.candidates.item_idx
    )
    order = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    expected = np.take_along_axis(session.candidates.item_idx, order, axis=1)
    np.testing.assert_array_equal(blended.after, expected)
    assert (blended.after != blended.before).any()
    half = session.rerank(RerankPipeline.from_text(f"blend=0.5,blend.runs={mate}"), k=10)
    assert loaded.count(mate) == 1  # kept for the session
    assert (half.after != blended.after).any()


def test_the_blend_refuses_a_run_of_another_split_by_name(
    saved_run: tuple[str, Path], other_runs: tuple[str, str]
) -> None:
    run_id, db = saved_run
    mate, stranger = other_runs
    session = RerankSession.open(run_id, depth=50, path=db)
    for refused in (stranger, run_id, "no-such-run"):
        pipeline = RerankPipeline.from_text(f"blend=0.5,blend.runs={refused}")
        with pytest.raises(ConfigError) as error:
            session.rerank(pipeline, k=10)
        message = str(error.value)
        assert f"cannot find the scores of run(s) ['{refused}']" in message
        assert f"(available: {mate})" in message and "same dataset and split" in message
