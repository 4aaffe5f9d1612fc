"""Trade-off curves of a saved run: weight 0 is the run itself, fairness lifts the tail."""

from __future__ import annotations

import pytest

from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import parse_split_spec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import ConfigError
from recsys_core.experiment import train_run
from recsys_core.registry import runs
from recsys_core.rerank.session import RerankSession
from recsys_core.rerank.tradeoff import COLUMNS, sweepable_rerankers, tradeoff_curve


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[RerankSession, dict[str, float]]:
    db = tmp_path_factory.mktemp("tradeoff") / "recsys.duckdb"
    frames = generate_synthetic(
        name="synth", n_users=300, n_items=200, n_interactions=6_000, seed=3
    )
    store.write_dataset(frames, path=db)
    protocol = custom_protocol(parse_split_spec("user:test=0.2,seed=1"))
    run = train_run("synth", "itemknn", protocol, path=db, ks=(10,))
    stored = runs.get_run(run.record.run_id, path=db).metrics
    return RerankSession.open(run.record.run_id, depth=50, path=db), stored


@pytest.fixture(scope="module")
def session(saved: tuple[RerankSession, dict[str, float]]) -> RerankSession:
    return saved[0]


def test_weight_zero_is_the_run_and_fairness_raises_the_tail_share(
    saved: tuple[RerankSession, dict[str, float]],
) -> None:
    session, stored = saved
    frame = tradeoff_curve(session, "fairness", "tail_share", k=10)
    assert list(frame.columns) == list(COLUMNS)
    assert frame["weight"].tolist() == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert set(frame["run"]) == {session.run_id} and set(frame["metric"]) == {"tail_share"}
    own = session.evaluate(session.candidates.item_idx[:, :10], 10).means()
    first = frame.iloc[0]
    assert first["ndcg"] == pytest.approx(stored["ndcg@10"])
    assert first["value"] == pytest.approx(own["tail_share@10"])
    assert frame["value"].iloc[-1] > first["value"]


def test_a_chosen_k_and_weights_are_used(session: RerankSession) -> None:
    frame = tradeoff_curve(session, "mmr", "diversity", k=5, weights=(0.0, 1.0))
    own = session.evaluate(session.candidates.item_idx[:, :5], 5).means()
    assert len(frame) == 2
    assert frame["value"].iloc[0] == pytest.approx(own["diversity@5"])
    assert frame["value"].iloc[1] > frame["value"].iloc[0]


def test_unknown_names_are_refused_with_the_valid_ones(session: RerankSession) -> None:
    assert "blocklist" not in sweepable_rerankers() and "fairness" in sweepable_rerankers()
    with pytest.raises(ConfigError, match=r"choose one of: .*fairness"):
        tradeoff_curve(session, "blocklist", "tail_share")
    with pytest.raises(ConfigError, match=r"choose one of: diversity, tail_share, genre_kl"):
        tradeoff_curve(session, "fairness", "ndcg")
