"""The re-ranking view's tables on a hand-made outcome: two users, six items, lists of three."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys_core.data.dataset import Dataset
from recsys_core.errors import DataError
from recsys_core.evaluation.intervals import paired_compare
from recsys_core.evaluation.topk import evaluate_topk
from recsys_core.inspection import RunContext
from recsys_core.rerank.base import Candidates
from recsys_core.rerank.changes import list_changes
from recsys_core.rerank.session import RerankOutcome
from recsys_core.rerank.views import (
    METRIC_COLUMNS,
    summarise_outcome,
    user_lists,
)

K = 3
ITEMS = pd.DataFrame(
    {
        "item_id": ["i0", "i1", "i2", "i3", "i4", "i5"],
        "title": ["Alpha (1990)", "Beta", "Gamma (1998)", "Delta", "Eps (2000)", "Zeta"],
        "genres": ["A|B", "A", "B", "C", "A|C", "B|C"],
        "year": pd.array([1990, None, 1999, 2001, 2000, 1980], dtype="Int64"),
    }
)
GENRES = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 1]], float)
# User 0: i2 and i4 relevant, i5 held out but rated low. User 1: i1 relevant.
TRUTH = sp.csr_matrix(np.array([[0, 0, 1, 0, 1, 0], [0, 1, 0, 0, 0, 0]], dtype=np.float64))
HELD_OUT = sp.csr_matrix(np.array([[0, 0, 1, 0, 1, 1], [0, 1, 0, 0, 0, 0]], dtype=np.float64))
CANDIDATES = Candidates(
    user_idx=np.array([0, 1]),
    item_idx=np.array([[0, 1, 2, 5, 4], [3, 1, 0, 2, 4]]),
    scores=np.array([[0.9, 0.8, 0.7, 0.6, 0.5], [3.0, 2.0, 1.0, 0.5, 0.1]]),
)
BEFORE = CANDIDATES.item_idx[:, :K]
# User 0: i2 up two, i0 down one, i5 enters, i1 leaves. User 1: a filter left two items.
AFTER = np.array([[2, 0, 5], [1, 3, -1]])


def _run() -> RunContext:
    users = pd.DataFrame({"user_id": ["u0", "u1"]})
    dataset = Dataset("hand", pd.DataFrame(), users, ITEMS, None, "fp")
    return RunContext(
        run_id="hand-run",
        dataset=dataset,
        split=None,  # type: ignore[arg-type]  # not read by the views
        protocol=None,  # type: ignore[arg-type]
        held_out=HELD_OUT,
        truth=TRUTH,
        evaluated=np.array([0, 1]),
    )


def _outcome(*, genres: bool = True) -> RerankOutcome:
    users = CANDIDATES.user_idx
    extra = (
        {
            "item_vectors": GENRES,
            "item_genres": GENRES,
            "user_genres": np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]),
        }
        if genres
        else {}
    )

    def evaluate(recs: np.ndarray):  # noqa: ANN202 - a TopKEvaluation
        return evaluate_topk(
            recs,
            users,
            TRUTH,
            (K,),
            long_tail=np.array([0, 0, 1, 1, 1, 1], bool),
            item_age=np.array([30.0, np.nan, 20.0, 10.0, 5.0, 40.0]),
            **extra,
        )

    before, after = evaluate(BEFORE), evaluate(AFTER)
    paired = {
        name: paired_compare(values, after.per_user[name], metric=name)
        for name, values in before.per_user.items()
    }
    # The re-ranked relevance is not shown (the lists show the run's own scores).
    relevance = np.where(AFTER >= 0, 0.5, -np.inf)
    return RerankOutcome(
        BEFORE, AFTER, relevance, before, after, paired, list_changes(BEFORE, AFTER)
    )


def test_user_lists_mark_moves_entries_and_departures() -> None:
    lists = user_lists(_run(), CANDIDATES, _outcome(), user_idx=0)
    before, after = lists.before, lists.after
    assert before["item_id"].tolist() == ["i0", "i1", "i2"]
    assert before["now"].tolist() == ["#2", "left", "#1"]
    assert after["item_id"].tolist() == ["i2", "i0", "i5"]
    assert after["rank"].tolist() == [1, 2, 3]
    assert after["move"].tolist() == ["▲2", "▼1", "new"]
    assert after["shift"].tolist()[:2] == [2, -1] and pd.isna(after["shift"].iloc[2])
    assert lists.left["item_id"].tolist() == ["i1"]
    assert lists.entered["item_id"].tolist() == ["i5"]
    # The run's own scores follow the items into the new order.
    assert after["score"].tolist() == pytest.approx([0.7, 0.9, 0.6])
    assert after["test"].tolist() == ["★", "", "☆"]
    assert after["in_test"].tolist() == [True, False, True]
    assert after["relevant"].tolist() == [True, False, False]


def test_titles_end_in_the_item_s_year() -> None:
    before = user_lists(_run(), CANDIDATES, _outcome(), user_idx=1).before
    # "Delta" gains its year; "Beta" has none; "Alpha (1990)" already ends in one.
    assert before["title"].tolist() == ["Delta (2001)", "Beta", "Alpha (1990)"]
    assert before["year"].tolist()[0] == 2001 and pd.isna(before["year"].iloc[1])
    assert before["genres"].tolist() == ["C", "A", "A, B"]


def test_a_shortened_list_reads_without_its_padding() -> None:
    lists = user_lists(_run(), CANDIDATES, _outcome(), user_idx=1)
    assert lists.after["item_id"].tolist() == ["i1", "i3"]
    assert lists.after["move"].tolist() == ["▲1", "▼1"]
    assert lists.before["now"].tolist() == ["#2", "#1", "left"]
    assert lists.entered.empty


def test_a_user_who_was_not_reranked_is_refused() -> None:
    with pytest.raises(DataError, match="user index 5 .* evaluated users"):
        user_lists(_run(), CANDIDATES, _outcome(), user_idx=5)


def _ndcg(hit_ranks: list[int], n_relevant: int) -> float:
    dcg = sum(1 / math.log2(r + 1) for r in hit_ranks)
    return dcg / sum(1 / math.log2(r + 1) for r in range(1, min(n_relevant, K) + 1))


def test_metrics_table_holds_hand_computed_means_and_paired_changes() -> None:
    summary = summarise_outcome(_outcome(), K)
    table = summary.metrics.set_index("name")
    assert list(summary.metrics.columns) == list(METRIC_COLUMNS)
    assert summary.metrics["metric"].tolist() == [
        "nDCG@3",
        "Precision@3",
        "Recall@3",
        "MAP@3",
        "Coverage@3",
        "ILD (diversity)@3",
        "Tail share@3",
        "Genre KL@3",
        "Mean item age@3",
        "Gini of exposure@3",
    ]
    ndcg_before = (_ndcg([3], 2) + _ndcg([2], 1)) / 2
    ndcg_after = (_ndcg([1], 2) + _ndcg([1], 1)) / 2
    row = table.loc["ndcg@3"]
    assert row["original"] == pytest.approx(ndcg_before)
    assert row["reranked"] == pytest.approx(ndcg_after)
    assert row["change"] == pytest.approx(ndcg_after - ndcg_before)
    assert row["ci_low"] <= row["change"] <= row["ci_high"]
    assert row["better"] == "higher"
    # Precision: one hit in three for both users, before and after.
    assert table.loc["precision@3", ["original", "reranked", "change"]].tolist() == pytest.approx(
        [1 / 3, 1 / 3, 0.0]
    )
    assert not table.loc["precision@3", "significant"]
    # Tail share (i2..i5 are long-tail): before 1/3 and 1/3, after 2/3 and 1/2.
    assert table.loc["tail_share@3", "reranked"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    # Catalogue metrics: distinct items over six, no per-user interval.
    coverage = table.loc["coverage@3"]
    assert [coverage["original"], coverage["reranked"]] == pytest.approx([4 / 6, 5 / 6])
    assert coverage["change"] == pytest.approx(1 / 6)
    assert np.isnan(coverage["ci_low"]) and pd.isna(coverage["significant"])
    assert table.loc["genre_kl@3", "better"] == "lower"
    assert table.loc["mean_item_age@3", "better"] == ""
    assert summary.n_users == 2 and summary.k == K
    assert summary.changes["entered"] == pytest.approx(0.5)  # one, then none
    assert summary.changes["left"] == pytest.approx(1.0)  # one, then one (padding)


def test_metrics_the_data_cannot_give_are_left_out() -> None:
    names = summarise_outcome(_outcome(genres=False), K).metrics["name"].tolist()
    assert "diversity@3" not in names and "genre_kl@3" not in names
    assert "ndcg@3" in names and "tail_share@3" in names
