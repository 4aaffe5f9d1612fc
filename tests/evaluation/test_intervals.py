"""Bootstrap intervals, paired comparisons and the summary table."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from recsys_core.errors import DataError
from recsys_core.evaluation import TopKEvaluation, bootstrap_ci, paired_compare, summarise
from recsys_core.evaluation.intervals import (
    bootstrap_means,
    paired_compare_many,
    percentile_bounds,
    resample_counts,
)


def test_ci_contains_the_mean_and_narrows_with_more_users() -> None:
    rng = np.random.default_rng(0)
    widths = []
    for n in (100, 10_000):
        values = rng.random(n)
        low, high = bootstrap_ci(values, seed=1)
        assert low < values.mean() < high
        widths.append(high - low)
    assert widths[1] < widths[0] / 5  # ~ 1 / sqrt(n): 10x narrower for 100x the users


def test_ci_width_agrees_with_the_normal_approximation() -> None:
    values = np.random.default_rng(1).exponential(size=4000)
    low, high = bootstrap_ci(values, n_resamples=2000, seed=2)
    half_width = 1.959964 * values.std(ddof=1) / np.sqrt(len(values))
    assert (high - low) / 2 == pytest.approx(half_width, rel=0.1)
    assert (low + high) / 2 == pytest.approx(values.mean(), abs=half_width * 0.2)


def test_bootstrap_means_equal_an_explicit_resampling_loop() -> None:
    values = np.random.default_rng(2).random(50)
    means = bootstrap_means(values, n_resamples=20, seed=3)[:, 0]
    rng = np.random.default_rng(3)
    drawn = rng.integers(0, 50, size=(20, 50))  # same draws: one block covers all 20 resamples
    np.testing.assert_allclose(means, values[drawn].mean(axis=1))


def test_ci_is_deterministic_ignores_nan_and_handles_degenerate_input() -> None:
    values = np.random.default_rng(3).random(300)
    assert bootstrap_ci(values, seed=5) == bootstrap_ci(values, seed=5)
    assert bootstrap_ci(values, seed=5) != bootstrap_ci(values, seed=6)
    with_nan = np.concatenate([values, [np.nan] * 10])
    assert bootstrap_ci(with_nan, seed=5) == bootstrap_ci(values, seed=5)
    assert bootstrap_ci(np.full(5, 0.25)) == (0.25, 0.25)
    assert all(np.isnan(bootstrap_ci(np.array([np.nan]))))


def test_paired_compare_detects_a_real_difference() -> None:
    rng = np.random.default_rng(4)
    a = rng.random(500)
    b = np.clip(a + 0.05 + rng.normal(0, 0.1, 500), 0, None)
    result = paired_compare(a, b, metric="ndcg@10", seed=0)
    assert result.significant
    assert 0 < result.ci_low < result.diff < result.ci_high
    assert result.diff == pytest.approx(b.mean() - a.mean())
    assert result.p_value == pytest.approx(stats.ttest_rel(b, a).pvalue)
    assert (result.metric, result.n_users) == ("ndcg@10", 500)


def test_paired_compare_finds_nothing_under_the_null() -> None:
    rng = np.random.default_rng(5)
    a = rng.random(500)
    b = a + rng.normal(0, 0.1, 500)  # noise only: mean difference ~ 0
    result = paired_compare(a, b, seed=0)
    assert not result.significant
    assert result.ci_low < 0 < result.ci_high
    assert result.p_value > 0.05


def test_paired_compare_identical_runs_and_constant_shifts() -> None:
    a = np.random.default_rng(6).random(100)
    same = paired_compare(a, a.copy())
    assert (same.p_value, same.significant, same.diff) == (1.0, False, 0.0)
    shifted = paired_compare(a, a + 0.1)
    assert shifted.p_value == 0.0 and shifted.significant
    assert shifted.ci_low == pytest.approx(0.1) and shifted.ci_high == pytest.approx(0.1)


def test_paired_compare_drops_nan_pairs_and_rejects_misaligned_runs() -> None:
    a = np.array([0.1, np.nan, 0.3, 0.4])
    b = np.array([0.2, 0.5, np.nan, 0.6])
    assert paired_compare(a, b).n_users == 2
    with pytest.raises(DataError, match="same users"):
        paired_compare(np.ones(3), np.ones(4))


def test_summarise_gives_each_metric_its_own_bootstrap_interval() -> None:
    rng = np.random.default_rng(7)
    users = np.arange(200)
    ndcg = rng.random(200)
    diversity = rng.random(200)
    diversity[:20] = np.nan
    evaluation = TopKEvaluation(
        users, {"ndcg@10": ndcg, "diversity@10": diversity}, {"coverage@10": 0.4}
    )
    table = summarise(evaluation, seed=3).set_index("metric")
    assert list(table.columns) == ["mean", "ci_low", "ci_high", "n_users", "protocol"]
    assert tuple(table.loc["ndcg@10", ["ci_low", "ci_high"]]) == pytest.approx(
        bootstrap_ci(ndcg, seed=3)
    )
    assert tuple(table.loc["diversity@10", ["ci_low", "ci_high"]]) == pytest.approx(
        bootstrap_ci(diversity, seed=3)
    )
    assert table.loc["diversity@10", "n_users"] == 180
    assert table.loc["diversity@10", "mean"] == pytest.approx(np.nanmean(diversity))
    assert table.loc["coverage@10", "mean"] == 0.4
    assert np.isnan(table.loc["coverage@10", "ci_low"])
    assert set(table["protocol"]) == {"full ranking"}


def test_summarise_labels_sampled_results() -> None:
    evaluation = TopKEvaluation(
        np.arange(3), {"hit_rate@10": np.ones(3)}, {}, mode="sampled", n_negatives=99
    )
    table = summarise(evaluation)
    assert table["protocol"].tolist() == ["sampled: 99 negatives per test item"]
    assert table.attrs["protocol"] == "sampled: 99 negatives per test item"


def test_resample_counts_are_the_draws_bootstrap_means_averages() -> None:
    values = np.random.default_rng(4).random((30, 2))
    counts = np.concatenate(list(resample_counts(30, n_resamples=25, seed=5)))
    assert counts.shape == (25, 30) and (counts.sum(axis=1) == 30).all()
    np.testing.assert_allclose(
        bootstrap_means(values, n_resamples=25, seed=5), counts @ values / 30
    )


def test_resample_counts_come_in_blocks_that_bound_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("recsys_core.evaluation.intervals.RESAMPLE_BLOCK_ENTRIES", 100)
    blocks = list(resample_counts(30, n_resamples=10, seed=5))
    assert [len(block) for block in blocks] == [3, 3, 3, 1]
    with pytest.raises(DataError, match="empty"):
        resample_counts(0)


def test_percentile_bounds_skip_undefined_resamples() -> None:
    means = np.column_stack(
        [np.arange(101.0), np.full(101, np.nan), np.r_[np.arange(100.0), np.nan]]
    )
    low, high = percentile_bounds(means, 0.9)
    assert (low[0], high[0]) == pytest.approx((5.0, 95.0))
    assert np.isnan(low[1]) and np.isnan(high[1])
    assert (low[2], high[2]) == pytest.approx(np.quantile(np.arange(100.0), [0.05, 0.95]))


def test_paired_compare_many_equals_paired_compare_metric_by_metric() -> None:
    rng = np.random.default_rng(4)
    n = 300
    a = {
        "ndcg": rng.random(n),
        "hit": (rng.random(n) < 0.4).astype(float),
        "same": np.full(n, 0.5),
        "ild": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),  # undefined for some users
        "none": np.full(n, np.nan),  # no user has it: left out
    }
    b = {
        "ndcg": a["ndcg"] + rng.normal(0.05, 0.2, n),
        "hit": (rng.random(n) < 0.5).astype(float),
        "same": np.full(n, 0.5),
        "ild": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) + 0.1),
        "none": rng.random(n),
    }
    many = paired_compare_many(a, b, seed=3)
    assert list(many) == ["ndcg", "hit", "same", "ild"]
    for name, result in many.items():
        alone = paired_compare(a[name], b[name], metric=name, seed=3)
        assert result.metric == alone.metric == name
        assert result.n_users == alone.n_users and result.significant == alone.significant
        # The same resamples: equal up to the rounding of one matrix product against several.
        for field in ("mean_a", "mean_b", "diff", "ci_low", "ci_high", "p_value"):
            assert getattr(result, field) == pytest.approx(getattr(alone, field), rel=1e-12)
    assert many["ild"].n_users < n and many["same"].p_value == 1.0
    assert many["ndcg"].significant and many["ndcg"].ci_low > 0
    with pytest.raises(DataError, match="paired comparison of ndcg needs the same users"):
        paired_compare_many({"ndcg": np.zeros(3)}, {"ndcg": np.zeros(4)})
