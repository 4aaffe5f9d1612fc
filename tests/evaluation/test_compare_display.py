"""How a comparison reads to a person: runs by label everywhere, metrics and columns by name, the
metrics in the order they were chosen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_core.data.protocols import get_protocol
from recsys_core.evaluation import compare
from recsys_core.evaluation.pointwise import evaluate_pointwise
from recsys_core.registry.runs import RunRecord

LABELS = {
    "base": "Most popular · msr-100k · nDCG@10 0.25 · 5 min ago",
    "other": "Item k-NN (cosine) re-ranked: mmr=0.5 · msr-100k · 1 min ago",
}


def _record(run_id: str, **fields: object) -> RunRecord:
    values = {
        "run_id": run_id,
        "dataset": "ml-100k",
        "split_name": "s",
        "model": "popularity",
        "config": {"protocol": get_protocol("msr-100k").to_dict()},
        "seed": 0,
        "status": "complete",
        "metrics": {},
        "train_seconds": 1.0,
        "created_at": datetime(2026, 1, 1, 9, 15),
        "finished_at": None,
        "artifact_dir": Path("/nonexistent"),
    }
    return RunRecord(**{**values, **fields})


def _comparison() -> compare.Comparison:
    """Two runs on ml-100k's msr-100k (published rows), the second a re-rank of the first, with
    sampled evaluation that swaps their order on hit rate."""
    records = [
        _record("base", metrics={"coverage@10": 0.1}),
        _record(
            "other",
            model="itemknn",
            kind="rerank",
            parent_run_id="base",
            metrics={"coverage@10": 0.4},
        ),
    ]
    rng = np.random.default_rng(3)
    frames = {
        run_id: pd.DataFrame(
            {
                "user_idx": range(30),
                **{
                    name: rng.random(30) + shift
                    for name in ("ndcg@10", "hit_rate@10", "msr_map@10", "ndcg@5")
                },
            }
        )
        for run_id, shift in (("base", 0.0), ("other", 0.3))
    }
    sampled = {
        "base": frames["base"].assign(**{"hit_rate@10": frames["base"]["hit_rate@10"] + 1}),
        "other": frames["other"],
    }
    return compare.build_comparison(
        records,
        frames,
        ["msr_map@10", "ndcg@10"],
        "base",
        dataset="ml-100k",
        user_counts=np.arange(30) + 1,
        users_frame=pd.DataFrame({"gender": ["F", "M"] * 15}, index=pd.RangeIndex(30)),
        sampled_per_user=sampled,
        n_negatives=50,
    )


def test_metrics_follow_the_chosen_family_order_then_k() -> None:
    available = ["ndcg@5", "ndcg@10", "recall@10", "recall@5", "coverage@10", "auc", "logloss"]
    chosen = compare.select_metrics(available, ["recall", "logloss", "ndcg"], [10, 5])
    assert chosen == ["recall@5", "recall@10", "logloss", "ndcg@5", "ndcg@10"]


def test_tables_follow_the_chosen_order_pointwise_metrics_included() -> None:
    protocol = get_protocol("msr-100k").to_dict()
    users = np.repeat(np.arange(10), 5)
    labels = (np.arange(50) % 5 == 0).astype(float)
    evaluation = evaluate_pointwise(users, labels, np.random.default_rng(1).random(50))
    records = [
        _record(
            "rank", stage="ranking", metrics=evaluation.headline(), config={"protocol": protocol}
        ),
        _record("pop", config={"protocol": protocol}),
    ]
    frame = pd.DataFrame({"user_idx": range(10), "ndcg@10": np.linspace(0, 1, 10)})
    comparison = compare.build_comparison(
        records,
        {r.run_id: frame for r in records},
        ["logloss", "ndcg@10", "auc"],
        "rank",
        dataset="d",
        user_counts=np.arange(10) + 1,
        users_frame=None,
        pointwise={"rank": compare.PointwiseRun(evaluation.to_frame(), evaluation.label())},
    )
    assert comparison.table["metric"].tolist() == ["logloss", "ndcg@10", "auc"] * 2
    assert comparison.table["run"].tolist() == ["rank"] * 3 + ["pop"] * 3


def test_metric_and_column_names_read_as_words() -> None:
    assert compare.metric_label("ndcg@10") == "nDCG@10"
    assert compare.metric_label("msr_map@10") == "MAP (MSR)@10"
    assert compare.metric_label("hit_rate@20") == "Hit rate@20"
    assert (compare.metric_label("logloss"), compare.metric_label("auc")) == ("LogLoss", "AUC")
    assert compare.metric_label("unknown_metric@3") == "unknown_metric@3"
    assert compare.family_label("gini") == "Gini of exposure (lower is better)"
    headers = {
        name: compare.header(name)
        for name in ("n_users", "vs_baseline", "mean_baseline", "segment_kind", "p_value")
    }
    assert headers == {
        "n_users": "Users",
        "vs_baseline": "vs baseline",
        "mean_baseline": "Baseline mean",
        "segment_kind": "Segment kind",
        "p_value": "p",
    }
    assert compare.header("recall@10") == "Recall@10" and compare.header("gauc") == "GAUC"


def test_labelled_names_every_run_by_its_label() -> None:
    raw = _comparison()
    shown = compare.labelled(raw, LABELS, settings={"base": "defaults", "other": "k=20"})
    base, other = LABELS["base"], LABELS["other"]
    assert shown.baseline == base and shown.run_ids == [base, other]
    runs = shown.runs
    assert list(runs.columns) == ["run", "stage", "lineage", "settings", "created", "run_id"]
    assert runs["lineage"].tolist() == ["trained", f"rerank of {base}"]
    assert runs["run_id"].tolist() == ["base", "other"] and runs["settings"].tolist() == [
        "defaults",
        "k=20",
    ]
    assert runs["created"].tolist() == ["2026-01-01T09:15:00+00:00"] * 2
    assert set(shown.table["run"]) == {base, other}
    assert shown.table["metric"].tolist()[:2] == ["MAP (MSR)@10", "nDCG@10"]
    assert shown.table["family"].tolist()[:2] == ["msr_map", "ndcg"]  # kept for directions
    assert shown.paired is not None
    assert set(shown.paired["run"]) == {other} and set(shown.paired["baseline"]) == {base}
    assert shown.segments is not None and set(shown.segments["run"]) == {base, other}
    assert shown.references is not None
    ours = shown.references[shown.references["source"] == "this run"]
    assert ours["model"].tolist() == [base, other]
    sampled = shown.sampled
    assert sampled is not None
    assert set(sampled.full["run"]) == set(sampled.sampled["run"]) == {base, other}
    flipped = sampled.flips[sampled.flips["metric"] == "Hit rate@10"].set_index("run")
    assert flipped["flipped_with"].to_dict() == {base: other, other: base}
    assert raw.run_ids == ["base", "other"]  # the comparison itself keeps its ids


def test_published_rows_list_metrics_first_then_a_short_source_and_its_address() -> None:
    references = compare.labelled(_comparison(), LABELS).references
    assert references is not None
    columns = list(references.columns)
    assert columns[0] == "model" and columns[-2:] == ["source", "link"]
    bivae = references[references["model"] == "BiVAE"].iloc[0]
    assert bivae["source"] == "Microsoft Recommenders 1.x ML-100K benchmark"
    assert bivae["link"].startswith("https://github.com/recommenders-team/recommenders/")
    assert bivae["link"].endswith("movielens.ipynb")
    assert references.loc[references["source"] == "this run", "link"].isna().all()
    assert compare.split_source("a paper") == ("a paper", "")


def test_paired_view_keeps_what_the_verdict_does_not_say() -> None:
    paired = compare.labelled(_comparison(), LABELS).paired
    assert paired is not None
    view = compare.paired_view(paired)
    assert list(view.columns) == compare.PAIRED_SHOWN
    assert not {"marker", "significant", "baseline", "n_unshared"} & set(view.columns)


def test_sampled_view_and_flip_pairs_read_the_order_changes() -> None:
    sampled = compare.labelled(_comparison(), LABELS).sampled
    assert sampled is not None
    view = compare.sampled_view(sampled)
    assert view.columns.tolist() == [
        "run",
        "metric",
        "full",
        "full_ci_low",
        "full_ci_high",
        "sampled",
        "sampled_ci_low",
        "sampled_ci_high",
        "rank_full",
        "rank_sampled",
    ]
    assert view["run"].tolist()[0] == LABELS["base"] and len(view) == len(sampled.flips)
    row = view[(view["run"] == LABELS["base"]) & (view["metric"] == "Hit rate@10")].iloc[0]
    side = sampled.sampled.set_index(["run", "metric"]).loc[(LABELS["base"], "Hit rate@10")]
    assert (row["sampled"], row["sampled_ci_low"]) == (side["mean"], side["ci_low"])
    assert compare.flip_pairs(sampled.flips) == [
        f"Hit rate@10: {LABELS['other']} ahead under full ranking, {LABELS['base']} under sampled"
    ]


def test_segment_extremes_name_the_highest_and_lowest_segment() -> None:
    segments = pd.DataFrame(
        {
            "segment_kind": ["age"] * 3 + ["gender"] * 2,
            "segment": ["18–24", "25–34", "35–44", "F", "M"],
            "run": ["a"] * 5,
            "n_users": [5] * 5,
            "ndcg@10": [0.3, 0.1, np.nan, 0.2, 0.4],
        }
    )
    summary = compare.segment_extremes(segments, "ndcg@10")
    assert summary.to_dict("records") == [
        {
            "segment_kind": "age",
            "run": "a",
            "segments": 2,
            "highest_segment": "18–24",
            "highest": 0.3,
            "lowest_segment": "25–34",
            "lowest": 0.1,
        },
        {
            "segment_kind": "gender",
            "run": "a",
            "segments": 2,
            "highest_segment": "M",
            "highest": 0.4,
            "lowest_segment": "F",
            "lowest": 0.2,
        },
    ]


def test_times_read_in_utc_with_their_offset() -> None:
    assert compare.iso_utc(datetime(2026, 2, 3, 4, 5)) == "2026-02-03T04:05:00+00:00"
    local = datetime(2026, 2, 3, 6, 5, tzinfo=timezone(timedelta(hours=2)))
    assert compare.iso_utc(local) == "2026-02-03T04:05:00+00:00"
    assert compare.iso_utc(datetime(2026, 2, 3, 4, 5, tzinfo=UTC)).endswith("+00:00")


@pytest.mark.parametrize("run_id", ["base", "other"])
def test_an_id_without_a_label_keeps_its_id(run_id: str) -> None:
    labels = {key: value for key, value in LABELS.items() if key != run_id}
    shown = compare.labelled(_comparison(), labels)
    assert run_id in shown.run_ids
