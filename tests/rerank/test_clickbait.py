"""The clickbait filter learns from training labels and drops items predicted to be clickbait."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_core.data import store
from recsys_core.data.splits import SplitSpec, materialise_split, split_rows
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import ConfigError
from recsys_core.rerank.base import Candidates, RerankContext, normalise_scores
from recsys_core.rerank.clickbait import Clickbait, item_features
from recsys_core.rerank.context import build_context
from recsys_core.rerank.pipeline import RerankPipeline

# 14 items. Genre 0 ("Bait") marks the planted clickbait; genre 1 the rest.
# Items 0-4: clickbait with clicks (low relevance); 5-9: good with clicks (high relevance);
# 10: two low-relevance clicks (too few for a label), genre Bait; 11: no clicks, genre Good;
# 12: no clicks, Bait; 13: no clicks, Good.
BAIT = [0, 1, 2, 3, 4, 10, 12]
GENRES = np.zeros((14, 2))
GENRES[BAIT, 0] = 1
GENRES[[5, 6, 7, 8, 9, 11, 13], 1] = 1
POPULARITY = np.array([9, 4, 7, 5, 6, 8, 5, 6, 9, 4, 2, 3, 7, 1], dtype=float)
AGES = np.array([1, 3, 2, np.nan, 5, 2, 4, 1, 3, 5, 2, 1, 3, 4], dtype=float)


def impressions_frame() -> pd.DataFrame:
    """Training impressions: four clicks per labelled item plus unclicked exposures."""
    rows = []
    for item in range(10):
        relevance = 0.1 + 0.02 * item if item < 5 else 0.7 + 0.02 * item
        rows += [(item, True, relevance)] * 4 + [(item, False, 0.5)] * 3
    rows += [(10, True, 0.05)] * 2 + [(11, False, 0.9)] * 5
    frame = pd.DataFrame(rows, columns=["item_idx", "clicked", "relevance"])
    frame.insert(0, "request_id", np.arange(len(frame)))
    return frame


@pytest.fixture
def context(make_context: Callable[..., RerankContext]) -> RerankContext:
    return make_context(
        item_genres=GENRES,
        genre_names=("Bait", "Good"),
        item_age=AGES,
        item_popularity=POPULARITY,
        extras={"train_impressions": impressions_frame()},
    )


@pytest.fixture
def candidates() -> Candidates:
    """Three users' candidates, best first; -1 pads (which must not read item 13)."""
    items = np.array(
        [
            [0, 5, 1, 6, 10, 11, 12, 13],
            [13, 12, 11, 10, 9, 8, -1, -1],
            [7, 4, 3, 2, -1, -1, -1, -1],
        ]
    )
    scores = np.where(items >= 0, np.arange(8, 0, -1, dtype=float), -np.inf)
    return Candidates(np.arange(3), items, scores)


def test_impression_labels_follow_the_mean_relevance_of_clicks(context: RerankContext) -> None:
    labels, source = Clickbait(weight=0.5).labels(context)
    assert source == "impressions"
    np.testing.assert_array_equal(labels, [1] * 5 + [0] * 5 + [-1] * 4)
    labels, _ = Clickbait(weight=0.5, min_evidence=2).labels(context)
    assert labels[10] == 1  # two clicks of relevance 0.05 now make a label


def test_learns_the_planted_pattern_and_drops_exactly_the_clickbait(
    candidates: Candidates, context: RerankContext
) -> None:
    # Weight 0.8 drops p >= 0.2; the fit gives about 0.9 to the Bait genre and 0.1 to the rest.
    clickbait = Clickbait(weight=0.8).prepare(context)
    assert clickbait.label_source_ == "impressions" and clickbait.proba_ is not None
    assert (
        clickbait.proba_[BAIT].min() > 0.5 > clickbait.proba_[np.setdiff1d(range(14), BAIT)].max()
    )
    dropped = clickbait.drop(candidates, context)
    expected = np.isin(candidates.item_idx, BAIT) & candidates.valid
    np.testing.assert_array_equal(dropped, expected)
    result = (
        RerankPipeline.from_settings({"clickbait": 0.8})
        .prepare(context)
        .apply(candidates, context, 4)
    )
    np.testing.assert_array_equal(
        result.item_idx, [[5, 6, 11, 13], [13, 11, 9, 8], [7, -1, -1, -1]]
    )


def test_the_weight_is_the_probability_threshold(
    candidates: Candidates, context: RerankContext
) -> None:
    proba = Clickbait(weight=0.5).prepare(context).proba_
    assert proba is not None
    previous = np.zeros(candidates.item_idx.shape, dtype=bool)
    for weight in (0.05, 0.3, 0.5, 0.7, 0.95, 1.0):
        dropped = Clickbait(weight=weight).drop(candidates, context)
        expected = (proba[candidates.item_idx] >= 1.0 - weight) & candidates.valid
        np.testing.assert_array_equal(dropped, expected)
        assert (dropped >= previous).all()  # a higher weight drops a superset
        previous = dropped
    assert previous.sum() == candidates.valid.sum()  # weight 1: threshold 0 drops every item


def test_rating_labels_mark_much_rated_items_with_a_low_mean(
    make_context: Callable[..., RerankContext],
) -> None:
    # Items 0-3 rated by all 6 users (top half by count): 0, 1 low (mean < 3), 2, 3 high.
    # Items 4-7 rated by 3 users (bottom half): 4, 5 low but rarely rated, 6, 7 high. 8 unrated.
    ratings = np.zeros((6, 9))
    ratings[:, 0], ratings[:, 1], ratings[:, 2], ratings[:, 3] = 1, 2, 5, 4
    ratings[:3, 4], ratings[:3, 5], ratings[:3, 6], ratings[:3, 7] = 2, 1, 5, 5
    genres = np.zeros((9, 2))
    genres[:2, 0], genres[2:, 1] = 1, 1  # the much-rated low items share a genre: separable
    context = make_context(
        train_ratings=ratings, item_popularity=(ratings > 0).sum(axis=0), item_genres=genres
    )
    labels, source = Clickbait(weight=0.5).labels(context)
    assert source == "ratings"
    np.testing.assert_array_equal(labels, [1, 1, 0, 0, 0, 0, 0, 0, -1])
    # Too few positives for the default min_per_class=5: no classifier, nothing dropped.
    candidates = Candidates(np.array([0]), np.arange(9)[None, :], np.ones((1, 9)))
    assert not Clickbait(weight=1.0).drop(candidates, context).any()
    clickbait = Clickbait(weight=0.8, min_per_class=2).prepare(context)
    assert clickbait.label_source_ == "ratings" and clickbait.proba_ is not None
    np.testing.assert_array_equal(clickbait.drop(candidates, context), [[True, True] + [False] * 7])


def test_features_are_standardised_and_include_what_the_context_has(
    context: RerankContext, make_context: Callable[..., RerankContext]
) -> None:
    features = item_features(context)
    assert features.shape == (14, 4)  # log popularity, two genres, age (no ratings)
    np.testing.assert_allclose(features.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(features.std(axis=0), 1.0)
    assert np.isfinite(features).all()  # the unknown age got the median
    bare = item_features(make_context(n_items=3, train_ratings=np.array([[4.0, 0.0, 2.0]])))
    assert bare.shape == (3, 2)  # popularity (constant: 0) and mean rating (unrated: the mean)
    np.testing.assert_allclose(bare, [[0.0, 1.5**0.5], [0.0, 0.0], [0.0, -(1.5**0.5)]])


def test_without_labels_of_both_classes_nothing_is_dropped(
    candidates: Candidates, context: RerankContext, make_context: Callable[..., RerankContext]
) -> None:
    same = impressions_frame().assign(relevance=0.5)  # no click is below the median
    for ctx in (
        make_context(item_genres=GENRES),
        make_context(item_genres=GENRES, extras={"train_impressions": None}),
        make_context(item_genres=GENRES, extras={"train_impressions": same}),
    ):
        clickbait = Clickbait(weight=1.0).prepare(ctx)
        assert clickbait.proba_ is None and clickbait.label_source_ is None
        assert not clickbait.drop(candidates, ctx).any()
    assert not Clickbait(weight=1.0, min_per_class=6).drop(candidates, context).any()


def test_weight_zero_drops_nothing_and_a_new_context_is_prepared_afresh(
    candidates: Candidates, context: RerankContext, make_context: Callable[..., RerankContext]
) -> None:
    assert not Clickbait().drop(candidates, context).any()
    result = (
        RerankPipeline.from_settings({"clickbait": 0.0})
        .prepare(context)
        .apply(candidates, context, 3)
    )
    np.testing.assert_array_equal(result.item_idx, candidates.item_idx[:, :3])
    np.testing.assert_array_equal(result.scores, normalise_scores(candidates.scores)[:, :3])
    clickbait = Clickbait(weight=0.8).prepare(make_context(item_genres=GENRES))
    assert clickbait.proba_ is None
    np.testing.assert_array_equal(  # refitted on the new context
        clickbait.drop(candidates, context), Clickbait(weight=0.8).drop(candidates, context)
    )
    assert clickbait.drop(candidates, context).sum() == 9


def test_bad_options_are_refused() -> None:
    with pytest.raises(ConfigError, match="min_evidence=0 is below its minimum"):
        Clickbait(min_evidence=0)
    with pytest.raises(ConfigError, match="weight=1.5 is above its maximum"):
        Clickbait(weight=1.5)


def test_the_context_of_a_synthetic_run_carries_its_training_impressions(tmp_path: Path) -> None:
    db = tmp_path / "recsys.duckdb"
    frames = generate_synthetic(name="synth", n_users=150, n_items=80, n_interactions=3_000, seed=5)
    store.write_dataset(frames, path=db)
    dataset = store.load_dataset("synth", path=db)
    spec = SplitSpec(kind="temporal", test=0.2)
    split = materialise_split(dataset, "t", spec.to_dict(), split_rows(dataset.interactions, spec))
    context, _ = build_context(dataset, split, None)
    assert context.extras["train_impressions"] is split.train.impressions
    impressions = split.train.impressions
    assert impressions is not None and len(impressions) < len(dataset.impressions)
    clickbait = Clickbait(weight=0.5, min_per_class=3).prepare(context)
    labels, _ = clickbait.labels(context)
    clicked = impressions[impressions["clicked"].astype(bool)]
    mean_relevance = clicked.groupby("item_idx")["relevance"].mean()
    mean_relevance = mean_relevance[labels[mean_relevance.index] >= 0]
    positive = mean_relevance.index.isin(np.flatnonzero(labels == 1))
    assert positive.any() and (~positive).any()
    assert mean_relevance[positive].max() <= mean_relevance[~positive].min()
    assert clickbait.label_source_ == "impressions" and clickbait.proba_ is not None
    assert clickbait.proba_.shape == (dataset.n_items,)
