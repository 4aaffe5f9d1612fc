"""The bandit re-ranker: re-orders only the head, off at weight 0 and without impressions, fast."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from recsys_core.data import store
from recsys_core.data.splits import SplitSpec, materialise_split, split_rows
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import ConfigError
from recsys_core.rerank import get_reranker_class, list_rerankers
from recsys_core.rerank.bandit import UNAVAILABLE, Bandit
from recsys_core.rerank.base import Candidates, RerankContext, normalise_scores
from recsys_core.rerank.context import build_context
from recsys_core.rerank.pipeline import RerankPipeline


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> RerankContext:
    """The context of a temporal split of a small synthetic catalogue (training impressions)."""
    db = tmp_path_factory.mktemp("bandit") / "recsys.duckdb"
    frames = generate_synthetic(name="synth", n_users=300, n_items=200, n_interactions=6_000)
    store.write_dataset(frames, path=db)
    dataset = store.load_dataset("synth", path=db)
    spec = SplitSpec(kind="temporal", test=0.2)
    split = materialise_split(dataset, "t", spec.to_dict(), split_rows(dataset.interactions, spec))
    return build_context(dataset, split, None)[0]


@pytest.fixture(scope="module")
def candidates() -> Candidates:
    """40 users x 30 candidates, best first; the last user's row is padded after 6."""
    rng = np.random.default_rng(1)
    items = np.stack([rng.choice(200, 30, replace=False) for _ in range(40)])
    scores = np.sort(rng.random((40, 30)), axis=1)[:, ::-1].copy()
    items[-1, 6:], scores[-1, 6:] = -1, -np.inf
    return Candidates(np.arange(40) * 7, items, scores)


@pytest.mark.parametrize("policy", ["linucb", "thompson"])
def test_only_the_head_is_reordered_and_it_stays_above_the_rest(
    policy: str, context: RerankContext, candidates: Candidates
) -> None:
    relevance = normalise_scores(candidates.scores)
    bandit = Bandit(weight=1.0, policy=policy, head=8).prepare(context)
    out = bandit.transform(relevance, candidates, context)
    np.testing.assert_array_equal(out[:, 8:], relevance[:, 8:])  # the rest is unchanged
    assert (out[:-1, :8].min(axis=1) > out[:-1, 8:].max(axis=1)).all()
    assert np.isneginf(out[-1, 6:]).all() and np.isfinite(out[-1, :6]).all()
    # At weight 1 the head is in the order of the policy's own scores (position 1 features).
    assert bandit.policy_ is not None and bandit.features_ is not None
    user = np.repeat(candidates.user_idx[:-1], 8)  # the unpadded rows
    rows = bandit.features_.rows(user, candidates.item_idx[:-1, :8].ravel(), np.ones(len(user)))
    own = bandit.policy_.score(rows, user).reshape(-1, 8)
    head_order = np.argsort(-out[:-1, :8], axis=1)
    np.testing.assert_array_equal(head_order, np.argsort(-own, axis=1))
    assert (head_order != np.arange(8)).any()  # it did re-order something


def test_a_small_weight_moves_the_list_less_than_a_large_one(
    context: RerankContext, candidates: Candidates
) -> None:
    pipeline = {w: RerankPipeline.from_settings({"bandit": w}).prepare(context) for w in (0.1, 1)}
    moved = {
        w: (p.apply(candidates, context, 10).item_idx != candidates.item_idx[:, :10]).mean()
        for w, p in pipeline.items()
    }
    assert 0 <= moved[0.1] < moved[1]


def test_weight_zero_is_the_runs_own_list(context: RerankContext, candidates: Candidates) -> None:
    relevance = normalise_scores(candidates.scores)
    assert Bandit().transform(relevance, candidates, context) is relevance
    out = (
        RerankPipeline.from_settings({"bandit": 0.0})
        .prepare(context)
        .apply(candidates, context, 10)
    )
    np.testing.assert_array_equal(out.item_idx, candidates.item_idx[:, :10])


def test_without_training_impressions_it_is_unavailable_and_changes_nothing(
    make_context: Callable[..., RerankContext], candidates: Candidates
) -> None:
    relevance = normalise_scores(candidates.scores)
    unknown = pd.DataFrame(
        {
            "user_idx": [0, 1],
            "item_idx": [3, 4],
            "position": [1, 2],
            "clicked": pd.array([pd.NA, pd.NA], dtype="boolean"),
        }
    )
    for train in (None, unknown.iloc[:0], unknown.drop(columns=["clicked"]), unknown):
        bare = make_context(n_items=200, extras={"train_impressions": train})
        assert Bandit.unavailable_reason(bare) == UNAVAILABLE
        bandit = Bandit(weight=1.0).prepare(bare)
        assert bandit.policy_ is None
        np.testing.assert_array_equal(bandit.transform(relevance, candidates, bare), relevance)
    assert Bandit.unavailable_reason(make_context(n_items=200)) == UNAVAILABLE  # no extras
    assert "synthetic catalogue" in UNAVAILABLE


def test_thompson_gives_a_user_the_same_sample_in_any_batch(
    context: RerankContext, candidates: Candidates
) -> None:
    bandit = Bandit(weight=0.7, policy="thompson", seed=5).prepare(context)
    relevance = normalise_scores(candidates.scores)
    together = bandit.transform(relevance, candidates, context)
    rows = np.array([3, 0])
    apart = bandit.transform(relevance[rows], candidates.take(rows), context)
    # the same posterior draw; a batch's matrix product may differ in the last bits (BLAS threads)
    np.testing.assert_allclose(apart, together[rows], rtol=1e-12, atol=1e-12)
    other = Bandit(weight=0.7, policy="thompson", seed=6).prepare(context)
    assert not np.array_equal(other.transform(relevance, candidates, context), together)


def test_one_users_hundred_candidates_take_well_under_20_ms(context: RerankContext) -> None:
    rng = np.random.default_rng(2)
    one = Candidates(np.array([5]), rng.choice(200, 100, replace=False)[None], np.ones((1, 100)))
    for policy in ("linucb", "thompson"):
        pipeline = RerankPipeline.from_settings({"bandit": {"weight": 0.5, "policy": policy}})
        pipeline.prepare(context)
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            pipeline.apply(one, context, 10)
            timings.append(time.perf_counter() - started)
        assert np.median(timings) < 0.005, (policy, np.median(timings))


def test_registered_as_a_score_transform_with_checked_options() -> None:
    assert "bandit" in list_rerankers() and get_reranker_class("bandit").phase == "score"
    assert RerankPipeline.from_text("bandit=0.4").weights() == {"bandit": 0.4}
    with pytest.raises(ConfigError, match="is not one of"):
        Bandit(policy="ucb")
    with pytest.raises(ConfigError, match="head=0 is below its minimum"):
        Bandit(head=0)
