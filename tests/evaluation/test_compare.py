"""Comparison tables checked against hand computations, pandas group-bys and scipy; pointwise rows
against the values ``evaluate_pointwise`` stores."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from recsys_core.data.protocols import custom_protocol, get_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.errors import DataError
from recsys_core.evaluation import compare
from recsys_core.evaluation.intervals import bootstrap_ci
from recsys_core.evaluation.pointwise import evaluate_pointwise
from recsys_core.registry.runs import RunRecord


def _frame(users: list[int], **metrics: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"user_idx": users, **metrics})


def _record(run_id: str, split_name: str, **fields: object) -> RunRecord:
    values = {
        "run_id": run_id,
        "dataset": "d",
        "split_name": split_name,
        "model": "popularity",
        "config": {},
        "seed": 0,
        "status": "complete",
        "metrics": {},
        "train_seconds": 1.0,
        "created_at": datetime(2026, 1, 1),
        "finished_at": None,
        "artifact_dir": Path("/nonexistent"),
    }
    return RunRecord(**{**values, **fields})


def test_split_groups_keep_selection_order() -> None:
    records = [_record("a", "s1"), _record("b", "s2"), _record("c", "s1")]
    assert compare.split_groups(records) == {"s1": ["a", "c"], "s2": ["b"]}


def test_metric_names_parse_select_and_split_catalogue() -> None:
    assert compare.parse_metric("msr_map@10") == ("msr_map", 10)
    with pytest.raises(DataError, match="family@k"):
        compare.parse_metric("rmse")
    stored = {"ndcg@10": 0.3, "coverage@10": 0.5, "gini@5": 0.9, "rmse": 1.0, "sampled_ndcg@10": 1}
    catalogue = compare.catalogue_metrics(stored)
    assert catalogue == {"coverage@10": 0.5, "gini@5": 0.9}
    frame = _frame([0], **{"ndcg@5": [1.0], "ndcg@10": [1.0], "recall@10": [1.0]})
    available = compare.available_metrics(frame, catalogue)
    assert available == ["ndcg@5", "ndcg@10", "recall@10", "coverage@10", "gini@5"]
    assert compare.select_metrics(available, ["ndcg", "coverage"], [10]) == [
        "ndcg@10",
        "coverage@10",
    ]


def test_metrics_table_means_intervals_and_catalogue_rows() -> None:
    rng = np.random.default_rng(0)
    a = rng.random(50)
    b = rng.random(40)
    per_user = {
        "run-b": _frame(list(range(40)), **{"ndcg@10": b}),
        "run-a": _frame(list(range(50)), **{"ndcg@10": a}),
    }
    table = compare.metrics_table(
        per_user,
        ["ndcg@10", "coverage@10"],
        catalogue={"run-a": {"coverage@10": 0.25}, "run-b": {"coverage@10": 0.5}},
    )
    assert table["run"].tolist() == ["run-b", "run-b", "run-a", "run-a"]
    row = table[(table["run"] == "run-a") & (table["metric"] == "ndcg@10")].iloc[0]
    assert row["mean"] == pytest.approx(a.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(bootstrap_ci(a))
    assert (row["family"], row["k"], row["n_users"], row["protocol"]) == (
        "ndcg",
        10,
        50,
        "full ranking",
    )
    coverage = table[(table["run"] == "run-b") & (table["metric"] == "coverage@10")].iloc[0]
    assert coverage["mean"] == 0.5 and np.isnan(coverage["ci_low"])


def test_metrics_table_labels_sampled_numbers_and_rejects_missing_metrics() -> None:
    per_user = {"r": _frame([0, 1], **{"hit_rate@10": [1.0, 0.0]})}
    table = compare.metrics_table(per_user, ["hit_rate@10"], mode="sampled", n_negatives=50)
    assert table["protocol"].tolist() == ["sampled: 50 negatives per test item"]
    with pytest.raises(DataError, match="has no recall@10"):
        compare.metrics_table(per_user, ["recall@10"])


def test_paired_table_aligns_users_and_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    base = rng.random(60)
    better = np.clip(base + 0.2 + 0.05 * rng.standard_normal(60), 0, None)
    worse = base - 0.2
    noisy = base + 0.01 * rng.standard_normal(60)
    users = np.arange(60)
    order = rng.permutation(60)  # the same users in another row order
    per_user = {
        "base": _frame(list(users), m=base),
        "better": _frame(list(users[order]), m=better[order]),
        "worse": _frame(list(users), m=worse),
        "noisy": _frame(list(users), m=noisy),
        "same": _frame(list(users), m=base),
    }
    paired = compare.paired_table(per_user, "base", ["m"]).set_index("run")
    assert paired.loc["better", "p_value"] == pytest.approx(stats.ttest_rel(better, base).pvalue)
    assert paired.loc["better", "diff"] == pytest.approx((better - base).mean())
    assert paired.loc["noisy", "p_value"] == pytest.approx(stats.ttest_rel(noisy, base).pvalue)
    assert paired.loc["same", "p_value"] == 1.0
    markers = paired["marker"].to_dict()
    assert (markers["better"], markers["worse"], markers["same"]) == ("▲", "▼", "=")
    assert (paired["n_users"] == 60).all() and (paired["n_unshared"] == 0).all()


def test_paired_table_counts_unshared_users_and_needs_a_known_baseline() -> None:
    per_user = {
        "a": _frame([0, 1, 2, 3], m=[0.0, 1.0, 0.0, 1.0]),
        "b": _frame([1, 2, 3, 4, 5], m=[1.0, 1.0, 1.0, 0.0, 0.0]),
    }
    row = compare.paired_table(per_user, "a", ["m"]).iloc[0]
    assert (row["n_users"], row["n_unshared"]) == (3, 3)
    assert row["diff"] == pytest.approx(1 / 3)
    with pytest.raises(DataError, match="baseline"):
        compare.paired_table(per_user, "c", ["m"])
    with pytest.raises(DataError, match="share no evaluated user"):
        compare.paired_table({"a": _frame([0], m=[1.0]), "b": _frame([1], m=[1.0])}, "a", ["m"])


def test_with_markers_marks_baseline_and_untested_rows() -> None:
    table = pd.DataFrame({"run": ["a", "b", "b"], "metric": ["m", "m", "coverage@10"]})
    paired = pd.DataFrame({"run": ["b"], "metric": ["m"], "marker": ["▼"]})
    assert compare.with_markers(table, paired, "a")["vs_baseline"].tolist() == ["baseline", "▼", ""]


def test_segments_table_means_match_a_group_by() -> None:
    users = list(range(8))
    values = [0.0, 1.0, 0.5, 0.5, 1.0, 1.0, 0.0, 0.25]
    per_user = {"r": _frame(users, **{"ndcg@10": values})}
    user_counts = np.array([1, 1, 2, 2, 5, 5, 9, 9, 100])  # user 8 is not evaluated
    users_frame = pd.DataFrame(
        {"gender": ["F", "M"] * 4 + ["F"], "age": [20] * 9, "occupation": [None] * 9},
        index=pd.RangeIndex(9, name="user_idx"),
    )
    table = compare.segments_table(per_user, ["ndcg@10"], user_counts, users_frame, n_bins=2)
    assert set(table["segment_kind"]) == {"activity", "gender", "age"}  # occupation is all missing
    gender = table[table["segment_kind"] == "gender"].set_index("segment")
    frame = pd.DataFrame({"g": ["female", "male"] * 4, "v": values})  # codes shown as words
    assert gender["ndcg@10"].to_dict() == pytest.approx(frame.groupby("g")["v"].mean().to_dict())
    activity = table[table["segment_kind"] == "activity"]
    assert activity["segment"].tolist() == ["1–2 interactions", "3–9 interactions"]
    assert activity["ndcg@10"].tolist() == pytest.approx([np.mean(values[:4]), np.mean(values[4:])])
    assert (table["run"] == "r").all()


def test_order_flips_names_exactly_the_pairs_that_swap() -> None:
    full = pd.DataFrame(
        {"metric": ["ndcg@10"] * 3, "run": ["a", "b", "c"], "mean": [0.30, 0.20, 0.10]}
    )
    sampled = pd.DataFrame(
        {"metric": ["ndcg@10"] * 3, "run": ["a", "b", "c"], "mean": [0.70, 0.80, 0.50]}
    )
    flips = compare.order_flips(full, sampled).set_index("run")
    assert flips["rank_full"].to_dict() == {"a": 1, "b": 2, "c": 3}
    assert flips["rank_sampled"].to_dict() == {"a": 2, "b": 1, "c": 3}
    assert flips["flipped_with"].to_dict() == {"a": "b", "b": "a", "c": ""}
    assert flips["flipped"].to_dict() == {"a": True, "b": True, "c": False}


def test_order_flips_ignore_ties_and_metrics_missing_on_one_side() -> None:
    full = pd.DataFrame(
        {"metric": ["m", "m", "x", "x"], "run": ["a", "b", "a", "b"], "mean": [0.2, 0.2, 1, 2]}
    )
    sampled = pd.DataFrame({"metric": ["m", "m"], "run": ["a", "b"], "mean": [0.1, 0.9]})
    flips = compare.order_flips(full, sampled)
    assert flips["metric"].unique().tolist() == ["m"]
    assert not flips["flipped"].any()


def test_headline_with_references_lines_up_metric_columns() -> None:
    table = pd.DataFrame(
        {
            "run": ["r1", "r1", "r2"],
            "metric": ["ndcg@10", "recall@10", "ndcg@10"],
            "mean": [0.4, 0.2, 0.3],
        }
    )
    ours = compare.headline_table(table, ["ndcg@10", "recall@10"], source="this run")
    assert ours.columns.tolist() == ["model", "source", "ndcg@10", "recall@10"]
    references = pd.DataFrame(
        {"model": ["BPR"], "source": ["paper"], "recall@10": [0.5], "mrr@10": [0.1]}
    )
    both = compare.with_references(ours, references)
    assert both["model"].tolist() == ["r1", "r2", "BPR"]
    assert both.columns.tolist() == ["model", "source", "ndcg@10", "recall@10"]
    assert np.isnan(both.loc[1, "recall@10"]) and np.isnan(both.loc[2, "ndcg@10"])
    assert both.loc[2, "recall@10"] == 0.5
    assert compare.with_references(ours, references.iloc[0:0]) is ours


def test_protocol_caption_names_protocol_relevance_and_evaluation() -> None:
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1), relevant_min_rating=4)
    caption = compare.protocol_caption(protocol, "sampled: 100 negatives per test item")
    assert caption.startswith("Protocol custom:user test=0.2 valid=0 seed=1: custom split")
    assert "Held-out interactions rated ≥ 4 are relevant." in caption
    assert caption.endswith("Evaluation: sampled: 100 negatives per test item.")


def test_lineage_labels_name_the_parent_of_derived_runs() -> None:
    assert compare.lineage_label(_record("a", "s")) == "trained"
    rerank = _record("b", "s", kind="rerank", parent_run_id="a")
    assert compare.lineage_label(rerank) == "rerank of a"
    assert compare.lineage_label(_record("c", "s", kind="cascade", parent_run_id="b")) == (
        "cascade over b"
    )


def test_metric_choices_list_families_and_ks_in_order() -> None:
    frame = _frame([0], **{"recall@10": [1.0], "ndcg@5": [1.0], "ndcg@10": [1.0]})
    choices = compare.metric_choices(frame, {"coverage@20": 0.5})
    assert choices.available == ["recall@10", "ndcg@5", "ndcg@10", "coverage@20"]
    assert choices.families == ["recall", "ndcg", "coverage"]
    assert choices.ks == [5, 10, 20]


def _comparison_inputs(protocol_dict: dict) -> tuple[list[RunRecord], dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(3)
    users = list(range(12))
    records = [
        _record(
            run_id,
            "s",
            model=model,
            config={"protocol": protocol_dict},
            metrics={"coverage@10": coverage},
            **extra,
        )
        for run_id, model, coverage, extra in [
            ("base", "popularity", 0.1, {}),
            ("other", "itemknn", 0.4, {"kind": "rerank", "parent_run_id": "base"}),
        ]
    ]
    frames = {
        record.run_id: _frame(
            users,
            **{name: rng.random(12) for name in ["ndcg@10", "hit_rate@10", "msr_map@10"]},
        )
        for record in records
    }
    return records, frames


def test_build_comparison_holds_what_the_parts_compute() -> None:
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    records, frames = _comparison_inputs(protocol.to_dict())
    user_counts = np.arange(1, 13)
    users_frame = pd.DataFrame({"gender": ["F", "M"] * 6}, index=pd.RangeIndex(12, name="user_idx"))
    metrics = ["ndcg@10", "coverage@10"]
    result = compare.build_comparison(
        records,
        frames,
        metrics,
        "base",
        dataset="d",
        user_counts=user_counts,
        users_frame=users_frame,
    )
    catalogue = {"base": {"coverage@10": 0.1}, "other": {"coverage@10": 0.4}}
    paired = compare.paired_table(frames, "base", metrics)
    expected = compare.with_markers(
        compare.metrics_table(frames, metrics, catalogue=catalogue), paired, "base"
    )
    pd.testing.assert_frame_equal(result.table, expected)
    pd.testing.assert_frame_equal(result.paired, paired)
    segments = compare.segments_table(frames, ["ndcg@10"], user_counts, users_frame)
    pd.testing.assert_frame_equal(result.segments, segments)
    assert result.segment_metrics == ["ndcg@10"] and result.sampled is None
    assert result.references is None and "No published numbers" in result.reference_caption
    assert result.runs["lineage"].tolist() == ["trained", "rerank of base"]
    assert result.run_ids == ["base", "other"] and not result.mixed_protocols
    assert result.full_caption == compare.protocol_caption(protocol, "full ranking")
    assert "family" not in result.shown_table.columns and result.n_unshared == 0


def test_build_comparison_adds_references_and_sampled_flips() -> None:
    protocol = get_protocol("msr-100k")
    records, frames = _comparison_inputs(protocol.to_dict())
    sampled = {
        run_id: frame.assign(**{"hit_rate@10": 1 - frame["hit_rate@10"]})
        for run_id, frame in frames.items()
    }
    result = compare.build_comparison(
        records,
        frames,
        ["msr_map@10"],
        "base",
        dataset="ml-100k",
        user_counts=np.ones(12, dtype=np.int64),
        users_frame=None,
        sampled_per_user=sampled,
        n_negatives=50,
    )
    assert result.references is not None and "BiVAE" in set(result.references["model"])
    assert "msr_map@10" in result.reference_metrics
    assert result.sampled is not None and result.sampled.n_negatives == 50
    full = compare.metrics_table(frames, ["hit_rate@10", "ndcg@10"])  # SAMPLED_FAMILIES order
    side = compare.metrics_table(
        sampled, ["hit_rate@10", "ndcg@10"], mode="sampled", n_negatives=50
    )
    pd.testing.assert_frame_equal(result.sampled.flips, compare.order_flips(full, side))
    assert "sampled: 50 negatives per test item" in result.sampled.caption


def test_build_comparison_rejects_mixed_splits_and_unknown_baselines() -> None:
    records, frames = _comparison_inputs({})
    inputs = {"dataset": "d", "user_counts": np.ones(12, dtype=np.int64), "users_frame": None}
    with pytest.raises(DataError, match="2 splits"):
        compare.build_comparison(
            [records[0], _record("x", "t")], frames, ["ndcg@10"], "base", **inputs
        )
    with pytest.raises(DataError, match="baseline"):
        compare.build_comparison(records, frames, ["ndcg@10"], "nope", **inputs)
    with pytest.raises(DataError, match="no per-user metrics"):
        compare.build_comparison(records, {"base": frames["base"]}, ["ndcg@10"], "base", **inputs)


def test_metric_choices_offer_pointwise_metrics_only_with_ranking_runs() -> None:
    frame = _frame([0], **{"ndcg@5": [1.0], "ndcg@10": [1.0]})
    assert compare.metric_choices(frame).families == ["ndcg"]
    choices = compare.metric_choices(frame, {"coverage@10": 0.5}, pointwise=True)
    assert choices.available[-3:] == ["auc", "gauc", "logloss"]
    assert choices.families == ["ndcg", "coverage", "auc", "gauc", "logloss"]
    assert choices.ks == [5, 10]
    assert compare.select_metrics(choices.available, ["ndcg", "logloss"], [10]) == [
        "ndcg@10",
        "logloss",
    ]
    assert compare.select_metrics(choices.available, ["auc"], []) == ["auc"]
    assert compare.metric_family("gauc") == ("gauc", None)
    assert compare.family_label("logloss") == "LogLoss (lower is better)"
    assert (compare.family_label("auc"), compare.family_label("ndcg")) == ("AUC", "nDCG")
    assert compare.any_ranking([_record("r", "s", stage="ranking"), _record("p", "s")])
    assert not compare.any_ranking([_record("p", "s")])


def _scored_rows(
    rows_per_user: np.ndarray, signal: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N,) users, 0/1 labels with a third positive per user, and scores ``signal`` apart."""
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(len(rows_per_user)), rows_per_user)
    labels = np.concatenate([np.arange(n) % 3 == 0 for n in rows_per_user]).astype(np.float64)
    return users, labels, signal * labels + rng.standard_normal(len(users))


def _pointwise_run(
    rows_per_user: np.ndarray, signal: float, seed: int
) -> tuple[compare.PointwiseRun, dict[str, float]]:
    """A ranking run's saved pointwise evaluation and stored metrics, from ``_scored_rows``."""
    evaluation = evaluate_pointwise(*_scored_rows(rows_per_user, signal, seed))
    return compare.PointwiseRun(evaluation.to_frame(), evaluation.label()), evaluation.headline()


def test_pointwise_table_reproduces_the_stored_values_and_leaves_retrieval_runs_empty() -> None:
    rows_per_user = np.random.default_rng(0).integers(3, 15, size=40)
    run, stored = _pointwise_run(rows_per_user, 1.0, seed=1)
    table = compare.pointwise_table(
        ["rank", "pop"], {"rank": run}, {"rank": stored}, ["auc", "gauc", "logloss"]
    )
    ranked = table[table["run"] == "rank"].set_index("metric")
    for name in ("auc", "gauc", "logloss"):
        assert ranked.loc[name, "mean"] == pytest.approx(stored[name])
        assert ranked.loc[name, "ci_low"] == pytest.approx(stored[f"{name}_lo"])
        assert ranked.loc[name, "ci_high"] == pytest.approx(stored[f"{name}_hi"])
    with_both_classes = int(run.per_user["auc"].notna().sum())
    assert ranked["n_users"].to_dict() == {"auc": 40, "gauc": with_both_classes, "logloss": 40}
    assert (ranked["protocol"] == run.label).all()
    empty = table[table["run"] == "pop"]
    assert empty["mean"].isna().all() and empty["ci_low"].isna().all()
    assert (empty["protocol"] == "not evaluated pointwise (retrieval run)").all()
    other_level = compare.pointwise_table(
        ["rank"], {"rank": run}, {"rank": stored}, ["auc"], confidence=0.9
    )
    assert np.isnan(other_level["ci_low"].iloc[0])  # the stored AUC interval is a 95% one


def test_pointwise_pairs_follow_scipy_with_equal_rows_and_weigh_users_by_rows() -> None:
    equal = np.full(50, 9)
    base, _ = _pointwise_run(equal, 0.5, seed=2)
    better, _ = _pointwise_run(equal, 2.0, seed=3)
    runs = {"base": base, "better": better}
    (run_id, gauc, unshared), (_, logloss, _) = compare.pointwise_pairs(
        runs, "base", ["auc", "gauc", "logloss"]
    )
    assert (run_id, gauc.metric, logloss.metric, unshared) == ("better", "gauc", "logloss", 0)
    a, b = base.per_user, better.per_user
    assert gauc.diff == pytest.approx((b["auc"] - a["auc"]).mean())
    assert gauc.p_value == pytest.approx(stats.ttest_rel(b["auc"], a["auc"]).pvalue)
    assert (gauc.ci_low, gauc.ci_high) == pytest.approx(bootstrap_ci(b["auc"] - a["auc"]))
    assert logloss.p_value == pytest.approx(stats.ttest_rel(b["logloss"], a["logloss"]).pvalue)

    uneven = np.random.default_rng(4).integers(3, 20, size=60)
    base, base_stored = _pointwise_run(uneven, 0.5, seed=5)
    other, other_stored = _pointwise_run(uneven, 2.0, seed=6)
    pairs = compare.pointwise_pairs({"base": base, "other": other}, "base", ["gauc", "logloss"])
    results = {result.metric: result for _, result, _ in pairs}
    both = base.per_user["auc"].notna()
    weights = base.per_user["n_rows"][both]
    for name, frame, stored in (("a", base, base_stored), ("b", other, other_stored)):
        weighted = np.average(frame.per_user["auc"][both], weights=weights)
        assert getattr(results["gauc"], f"mean_{name}") == pytest.approx(weighted)
        assert getattr(results["logloss"], f"mean_{name}") == pytest.approx(stored["logloss"])
    assert results["logloss"].diff == pytest.approx(
        other_stored["logloss"] - base_stored["logloss"]
    )
    assert results["gauc"].ci_low < results["gauc"].diff < results["gauc"].ci_high
    assert compare.pointwise_pairs({"base": base}, "pop", ["gauc"]) == []  # retrieval baseline


def test_paired_table_reads_log_loss_as_lower_is_better() -> None:
    rows = np.full(80, 10)
    weak, _ = _pointwise_run(rows, 0.2, seed=7)
    strong, _ = _pointwise_run(rows, 3.0, seed=8)
    frames = {run_id: _frame(list(range(80)), m=np.zeros(80)) for run_id in ("weak", "strong")}
    paired = compare.paired_table(
        frames, "weak", ["m", "gauc", "logloss"], pointwise={"weak": weak, "strong": strong}
    )
    assert paired["metric"].tolist() == ["m", "gauc", "logloss"]
    verdicts = paired.set_index("metric")[["diff", "marker", "verdict"]]
    assert verdicts.loc["gauc"].tolist()[1:] == ["▲", "better"]
    assert verdicts.loc["logloss", "diff"] < 0
    assert verdicts.loc["logloss"].tolist()[1:] == ["▼", "better"]
    assert verdicts.loc["m"].tolist()[1:] == ["=", "no difference"]
    reversed_ = compare.paired_table(
        frames, "strong", ["logloss"], pointwise={"weak": weak, "strong": strong}
    )
    assert reversed_[["marker", "verdict"]].iloc[0].tolist() == ["▲", "worse"]


def test_build_comparison_adds_pointwise_rows_for_ranking_runs_only() -> None:
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    records, frames = _comparison_inputs(protocol.to_dict())
    rows = np.full(12, 6)
    run, stored = _pointwise_run(rows, 1.0, seed=9)
    ranked = _record(
        "ranked", "s", model="logistic", stage="ranking", config=records[0].config, metrics=stored
    )
    records = [ranked, *records]
    frames = {"ranked": frames["base"], **frames}
    inputs = {"dataset": "d", "user_counts": np.arange(1, 13), "users_frame": None}
    metrics = ["ndcg@10", "auc", "logloss"]
    result = compare.build_comparison(
        records, frames, metrics, "ranked", pointwise={"ranked": run}, **inputs
    )
    table = result.table.set_index(["run", "metric"])
    assert result.table["run"].tolist() == ["ranked"] * 3 + ["base"] * 3 + ["other"] * 3
    assert table.loc[("ranked", "auc"), "mean"] == pytest.approx(stored["auc"])
    assert table.loc[("ranked", "logloss"), "mean"] == pytest.approx(stored["logloss"])
    assert table.loc[("base", "auc"), ["mean", "ci_low", "ci_high"]].isna().all()
    assert pd.isna(table.loc[("ranked", "auc"), "k"]) and table.loc[("base", "ndcg@10"), "k"] == 10
    top_n = compare.metrics_table(frames, ["ndcg@10"])
    kept = result.table[result.table["metric"] == "ndcg@10"].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept[top_n.columns].astype(top_n.dtypes), top_n)
    assert set(result.paired["metric"]) == {"ndcg@10"}  # no retrieval run is paired pointwise
    assert result.pointwise_labels == {"ranked": run.label}
    assert run.label in result.pointwise_caption
    assert "Retrieval runs are not evaluated pointwise" in result.pointwise_caption
    assert "LogLoss (lower is better)" in result.metrics_caption
    assert result.metrics_caption.startswith(result.full_caption)
    plain = compare.build_comparison(records, frames, ["ndcg@10"], "ranked", **inputs)
    assert plain.pointwise_caption == "" and plain.metrics_caption == plain.full_caption
    with pytest.raises(DataError, match="no pointwise per-user metrics given for ranking run"):
        compare.build_comparison(records, frames, metrics, "ranked", **inputs)


def test_default_metrics_follow_the_protocol_next_item_or_top_n() -> None:
    frame = pd.DataFrame(
        {
            "user_idx": [0],
            **{f"{m}@10": [0.5] for m in ("ndcg", "recall", "precision", "hit_rate", "mrr")},
        }
    )
    top_n = compare.metric_choices(frame, pointwise=True)
    assert top_n.defaults == ["ndcg", "recall", "precision", "auc", "gauc", "logloss"]
    next_item = compare.metric_choices(frame, next_item=True)
    assert next_item.defaults == ["hit_rate", "ndcg", "mrr"]
    assert compare.is_next_item({"split": {"kind": "leave-last-out"}})
    assert not compare.is_next_item({"split": {"kind": "item"}}) and not compare.is_next_item({})


def test_verdicts_read_each_metric_family_with_its_direction() -> None:
    from recsys_core.evaluation.compare.tables import _paired_row
    from recsys_core.evaluation.intervals import PairedComparison

    def verdict(metric: str, diff: float) -> str:
        result = PairedComparison(metric, 0.5, 0.5 + diff, diff, diff, diff, 0.001, 100, True)
        return _paired_row("b", "a", result, 0)[11]

    assert verdict("ndcg@10", 0.1) == "better" and verdict("ndcg@10", -0.1) == "worse"
    assert verdict("genre_kl@10", -0.1) == "better" and verdict("gini@10", 0.1) == "worse"
    assert verdict("logloss", -0.1) == "better"
    assert verdict("mean_item_age@10", -0.1) == "lower"
    assert compare.family_label("genre_kl") == "Genre KL (lower is better)"
