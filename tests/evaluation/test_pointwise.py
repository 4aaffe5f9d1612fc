"""Pointwise metrics against scikit-learn, a hand-written per-user GAUC loop and an explicit
bootstrap over users."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit
from sklearn import metrics as skm

from recsys_core.errors import DataError
from recsys_core.evaluation.auc import weighted_auc
from recsys_core.evaluation.intervals import percentile_bounds, resample_counts
from recsys_core.evaluation.pointwise import evaluate_pointwise, per_user_auc


def _rows(seed: int, n_rows: int = 3000, n_users: int = 120, decimals: int = 1):
    """Rows of users with a few to many impressions, scores rounded so that ties occur."""
    rng = np.random.default_rng(seed)
    users = rng.integers(0, n_users, n_rows) * 3  # sparse, unsorted user indices
    labels = (rng.random(n_rows) < 0.3).astype(float)
    scores = np.round(rng.normal(size=n_rows) + labels, decimals)
    return users, labels, scores


def _gauc_loop(users, labels, scores) -> float:
    """GAUC as Zhou et al. define it: sum_u n_u AUC_u / sum_u n_u over users with both classes."""
    total, weight = 0.0, 0
    for user in np.unique(users):
        mine = users == user
        if 0 < labels[mine].sum() < mine.sum():
            total += mine.sum() * skm.roc_auc_score(labels[mine], scores[mine])
            weight += mine.sum()
    return total / weight


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_gauc_and_logloss_match_sklearn_and_a_per_user_loop(seed: int) -> None:
    users, labels, scores = _rows(seed)
    result = evaluate_pointwise(users, labels, scores, n_resamples=50)
    assert result.values["auc"] == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)
    assert result.values["gauc"] == pytest.approx(_gauc_loop(users, labels, scores), abs=1e-12)
    expected_loss = skm.log_loss(labels, expit(scores))
    assert result.values["logloss"] == pytest.approx(expected_loss, rel=1e-9)
    assert result.sigmoid and "sigmoid(score)" in result.label()


def test_per_user_arrays_match_sklearn_user_by_user() -> None:
    users, labels, scores = _rows(3, n_rows=800, n_users=40)
    result = evaluate_pointwise(users, labels, scores, n_resamples=10)
    assert result.users.tolist() == sorted(set(users.tolist()))
    for position, user in enumerate(result.users):
        mine = users == user
        assert result.n_rows[position] == mine.sum()
        assert result.n_positive[position] == labels[mine].sum()
        loss = skm.log_loss(labels[mine], expit(scores[mine]), labels=[0, 1])
        assert result.logloss[position] == pytest.approx(loss, rel=1e-9)
        if 0 < labels[mine].sum() < mine.sum():
            expected = skm.roc_auc_score(labels[mine], scores[mine])
            assert result.auc[position] == pytest.approx(expected, abs=1e-12)
        else:
            assert np.isnan(result.auc[position])
    frame = result.to_frame()
    assert frame.columns.tolist() == ["user_idx", "n_rows", "n_positive", "auc", "logloss"]
    assert frame["user_idx"].tolist() == result.users.tolist()


def test_per_user_auc_counts_ties_as_half() -> None:
    inverse = np.array([0, 0, 0, 0, 1, 1])
    positive = np.array([True, False, False, True, True, True])
    scores = np.array([0.5, 0.5, 0.1, 0.9, 0.2, 0.3])
    auc, n_rows, n_pos = per_user_auc(inverse, positive, scores, 2)
    # user 0: positives 0.5 and 0.9 against negatives 0.5 (tie) and 0.1 -> (0.5 + 1 + 1 + 1) / 4
    assert auc[0] == pytest.approx(3.5 / 4) and np.isnan(auc[1])
    assert n_rows.tolist() == [4, 2] and n_pos.tolist() == [2, 2]


def test_weighted_auc_matches_sklearn_sample_weights() -> None:
    _, labels, scores = _rows(4, n_rows=500)
    weights = np.random.default_rng(5).integers(0, 4, size=(6, 500))
    expected = [skm.roc_auc_score(labels, scores, sample_weight=w) for w in weights]
    np.testing.assert_allclose(weighted_auc(weights, labels > 0, scores), expected, atol=1e-12)


def test_intervals_are_a_bootstrap_over_users_with_their_rows() -> None:
    users, labels, scores = _rows(6, n_rows=600, n_users=30)
    result = evaluate_pointwise(users, labels, scores, n_resamples=40, seed=7)
    unique = np.unique(users)
    (counts,) = list(resample_counts(len(unique), n_resamples=40, seed=7))
    auc, gauc, loss = [], [], []
    for draw in counts:  # explicit resampling: each drawn user brings all of its rows, count times
        drawn = np.repeat(unique, draw)
        rows = np.concatenate([np.flatnonzero(users == u) for u in drawn])
        copies = np.concatenate([np.full((users == u).sum(), copy) for copy, u in enumerate(drawn)])
        auc.append(skm.roc_auc_score(labels[rows], scores[rows]))
        gauc.append(_gauc_loop(copies, labels[rows], scores[rows]))
        loss.append(skm.log_loss(labels[rows], expit(scores[rows])))
    low, high = percentile_bounds(np.column_stack([auc, gauc, loss]), 0.95)
    for position, name in enumerate(["auc", "gauc", "logloss"]):
        assert result.intervals[name] == pytest.approx((low[position], high[position]), abs=1e-9)
        assert result.intervals[name][0] < result.values[name] < result.intervals[name][1]
    assert result.headline()["gauc_lo"] == result.intervals["gauc"][0]


def test_probabilities_are_used_as_they_are_and_sampled_negatives_are_labelled() -> None:
    users, labels, scores = _rows(8)
    probs = expit(scores)
    result = evaluate_pointwise(users, labels, probs, n_negatives=4, n_resamples=20)
    assert not result.sigmoid
    assert result.values["logloss"] == pytest.approx(skm.log_loss(labels, probs), rel=1e-9)
    assert result.label() == "pointwise on test positives with 4 sampled negatives each"
    forced = evaluate_pointwise(users, labels, probs, probabilities=False, n_resamples=20)
    assert forced.values["logloss"] == pytest.approx(skm.log_loss(labels, expit(probs)))
    summary = result.summary().set_index("metric")
    assert summary.loc["auc", "n_users"] == len(np.unique(users))
    assert (summary["protocol"] == result.label()).all()


def test_gauc_is_nan_without_a_user_of_both_classes() -> None:
    result = evaluate_pointwise(
        np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0]), np.array([0.9, 0.8, 0.3, 0.1])
    )
    assert result.values["auc"] == 1.0
    assert np.isnan(result.values["gauc"]) and np.isnan(result.intervals["gauc"]).all()
    assert result.summary().set_index("metric").loc["gauc", "n_users"] == 0


def test_unusable_rows_are_rejected() -> None:
    with pytest.raises(DataError, match="0 or 1"):
        evaluate_pointwise(np.array([0, 1]), np.array([0.0, 2.0]), np.array([0.1, 0.2]))
    with pytest.raises(DataError, match="one length"):
        evaluate_pointwise(np.array([0, 1]), np.array([0.0, 1.0]), np.array([0.1]))
    with pytest.raises(DataError, match="NaN"):
        evaluate_pointwise(np.array([0, 1]), np.array([0.0, 1.0]), np.array([0.1, np.nan]))
    with pytest.raises(DataError, match="both positive and negative"):
        evaluate_pointwise(np.array([0, 1]), np.array([1.0, 1.0]), np.array([0.1, 0.2]))
