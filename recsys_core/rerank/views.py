"""Tables of the Recommendations page's re-ranking view: one user's two lists and the metrics.

Pure functions over a ``RerankOutcome`` (no Streamlit), so what the page shows is tested here:
one user's original and re-ranked lists with what entered, left and moved, and the test-set
metrics of the re-ranked lists against the run's own with paired 95% intervals. The controls
(sliders, options, the URL's text) are ``rerank.controls``. Shape legend: B evaluated users, N
candidates, K list length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys_core.errors import DataError
from recsys_core.evaluation.compare.names import LOWER_IS_BETTER, NO_DIRECTION
from recsys_core.inspection import RunContext, recommendation_table
from recsys_core.rerank.base import Candidates
from recsys_core.rerank.session import RerankOutcome

#: Columns of ``UserLists.before``.
BEFORE_COLUMNS: tuple[str, ...] = (
    "rank",
    "item_id",
    "title",
    "year",
    "genres",
    "score",
    "in_test",
    "relevant",
    "test",
    "new_rank",
    "now",
)
#: Columns of ``UserLists.after``.
AFTER_COLUMNS: tuple[str, ...] = (
    "rank",
    "item_id",
    "title",
    "year",
    "genres",
    "score",
    "in_test",
    "relevant",
    "test",
    "old_rank",
    "shift",
    "move",
)
#: Metric family -> display label, in the order of the metrics table.
METRIC_LABELS: dict[str, str] = {
    "ndcg": "nDCG",
    "precision": "Precision",
    "recall": "Recall",
    "map": "MAP",
    "coverage": "Coverage",
    "diversity": "ILD (diversity)",
    "tail_share": "Tail share",
    "genre_kl": "Genre KL",
    "mean_item_age": "Mean item age",
    "gini": "Gini of exposure",
}
#: Columns of ``metrics_table``.
METRIC_COLUMNS: tuple[str, ...] = (
    "metric",
    "name",
    "better",
    "original",
    "reranked",
    "change",
    "ci_low",
    "ci_high",
    "p_value",
    "significant",
)
#: The one-character mark of the ``test`` column: a relevant test item, or one only held out.
TEST_MARKS: dict[str, str] = {"relevant": "★", "held out": "☆"}
_YEAR_SUFFIX = re.compile(r"\(\d{4}\)\s*$")


@dataclass(frozen=True)
class UserLists:
    """One user's original and re-ranked top-k, and the items that left.

    Attributes:
        before: ``BEFORE_COLUMNS``: the run's own list; ``new_rank`` is the item's rank in the
            re-ranked list (NA when it left) and ``now`` says it ("#3" or "left").
        after: ``AFTER_COLUMNS``: the re-ranked list; ``old_rank`` (NA for an item that entered),
            ``shift`` = old_rank - rank (positive: moved up) and ``move`` says it ("▲3", "▼1",
            "=" or "new").
        left: the rows of ``before`` whose item is not in the re-ranked list.
    """

    before: pd.DataFrame
    after: pd.DataFrame
    left: pd.DataFrame

    @property
    def entered(self) -> pd.DataFrame:
        """The rows of ``after`` whose item was not in the original list."""
        return self.after[self.after["old_rank"].isna()]


def user_lists(
    run: RunContext, candidates: Candidates, outcome: RerankOutcome, user_idx: int
) -> UserLists:
    """One evaluated user's original and re-ranked lists, with held-out/relevant flags and moves.

    Scores are the run's own scores of the items (re-rankers reorder, they do not rescore), so
    both lists read on one scale. Titles end in the item's year when it is known (MovieLens
    titles already do), so the year needs no column of its own; ``test`` marks a relevant test
    item ★ and an item only held out ☆.

    Args:
        run: the run's context (items, held-out and relevant test rows).
        candidates: (B, N) the candidates the outcome was built from.
        outcome: the re-ranking of every evaluated user; rows align with ``candidates``.
        user_idx: the user.

    Raises:
        DataError: the user is not among the run's evaluated users.
    """
    rows = np.flatnonzero(np.asarray(candidates.user_idx) == user_idx)
    if len(rows) == 0:
        raise DataError(
            f"user index {user_idx} has no relevant test item in run {run.run_id}, so it was "
            "not re-ranked; pick one of the run's evaluated users"
        )
    row = int(rows[0])
    items, scores = candidates.item_idx[row], candidates.scores[row]
    before_items, after_items = outcome.before[row], outcome.after[row]
    before = _list_table(run, user_idx, before_items, items, scores)
    after = _list_table(run, user_idx, after_items, items, scores)
    before_rank = dict(zip(before["item_id"], before["rank"].tolist(), strict=True))
    after_rank = dict(zip(after["item_id"], after["rank"].tolist(), strict=True))
    before["new_rank"] = before["item_id"].map(after_rank).astype("Int64")
    before["now"] = [
        "left" if pd.isna(rank) else f"#{rank}" for rank in before["new_rank"].tolist()
    ]
    after["old_rank"] = after["item_id"].map(before_rank).astype("Int64")
    after["shift"] = (after["old_rank"] - after["rank"]).astype("Int64")
    after["move"] = [_move_label(shift) for shift in after["shift"].tolist()]
    left = before[before["new_rank"].isna()].reset_index(drop=True)
    return UserLists(
        before=before[list(BEFORE_COLUMNS)],
        after=after[list(AFTER_COLUMNS)],
        left=left[list(BEFORE_COLUMNS)],
    )


def departures_text(lists: UserLists) -> str:
    """One line naming the items that left the list with their old ranks, or saying none did."""
    if lists.left.empty:
        return "No item left the list."
    left = [f"{t} (was #{r})" for t, r in zip(lists.left["title"], lists.left["rank"], strict=True)]
    return "Left the list: " + "; ".join(left) + "."


def _list_table(
    run: RunContext,
    user_idx: int,
    listed: np.ndarray,
    candidate_items: np.ndarray,
    candidate_scores: np.ndarray,
) -> pd.DataFrame:
    """``recommendation_table`` of a (K,) list, scored from the user's (N,) candidates, with the
    item's year (also ending the title) and one ``test`` mark (``TEST_MARKS``, or "")."""
    listed = np.asarray(listed, dtype=np.int64)
    matches = candidate_items[None, :] == listed[:, None]  # (K, N)
    found = matches.any(axis=1)
    scores = np.where(found, candidate_scores[matches.argmax(axis=1)], np.nan)
    table = recommendation_table(run, user_idx, listed, scores)
    shown = listed[listed >= 0]
    items = run.dataset.items
    year = (
        pd.to_numeric(items["year"], errors="coerce").astype("Int64").iloc[shown]
        if "year" in items
        else pd.Series(pd.NA, index=range(len(shown)), dtype="Int64")
    )
    year = year.reset_index(drop=True)
    table.insert(table.columns.get_loc("genres"), "year", year)
    table["title"] = [
        _with_year(title, y) for title, y in zip(table["title"], table["year"], strict=True)
    ]
    table["genres"] = table["genres"].str.replace("|", ", ", regex=False)
    table["test"] = np.select(
        [table["relevant"].to_numpy(bool), table["in_test"].to_numpy(bool)],
        [TEST_MARKS["relevant"], TEST_MARKS["held out"]],
        default="",
    )
    return table


def _with_year(title: str, year: object) -> str:
    """The title ending in its year: ``"Toy Story (1995)"`` stays, ``"Last Storm"`` of 2019
    becomes ``"Last Storm (2019)"``; a title without a known year stays as it is."""
    if _YEAR_SUFFIX.search(title) or pd.isna(year):  # type: ignore[call-overload]
        return title
    return f"{title} ({int(year)})"  # type: ignore[call-overload]


def _move_label(shift: object) -> str:
    """How far an item moved: "▲3" up, "▼2" down, "=" in place, "new" when it entered."""
    if pd.isna(shift):
        return "new"
    shift = int(shift)  # type: ignore[call-overload]
    if shift > 0:
        return f"▲{shift}"
    if shift < 0:
        return f"▼{-shift}"
    return "="


def metrics_table(outcome: RerankOutcome, k: int) -> pd.DataFrame:
    """The test-set metrics of the re-ranked lists against the run's own, one row per metric.

    Per-user metrics carry the paired comparison of the same users (change, its 95% bootstrap
    interval, t-test p-value and significance); catalogue metrics (coverage, Gini) are one number
    per run, so their interval, p-value and significance are missing. Metrics the run's data
    cannot give (no genres: no ILD or genre KL; no years: no item age) are left out.

    Returns:
        ``METRIC_COLUMNS``: display label ("nDCG@10"), metric name ("ndcg@10"), which direction
        is better ("higher", "lower" or "" when neither), original, reranked, change
        (reranked - original), ci_low, ci_high, p_value, significant (nullable boolean).
    """
    before, after = outcome.metrics_before.means(), outcome.metrics_after.means()
    rows = []
    for family, label in METRIC_LABELS.items():
        name = f"{family}@{k}"
        if name not in before:
            continue
        paired = outcome.paired.get(name)
        better = (
            "" if family in NO_DIRECTION else "lower" if family in LOWER_IS_BETTER else "higher"
        )
        rows.append(
            {
                "metric": f"{label}@{k}",
                "name": name,
                "better": better,
                "original": before[name],
                "reranked": after[name],
                "change": after[name] - before[name] if paired is None else paired.diff,
                "ci_low": np.nan if paired is None else paired.ci_low,
                "ci_high": np.nan if paired is None else paired.ci_high,
                "p_value": np.nan if paired is None else paired.p_value,
                "significant": pd.NA if paired is None else paired.significant,
            }
        )
    table = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    table["significant"] = table["significant"].astype("boolean")
    return table


@dataclass(frozen=True)
class OutcomeSummary:
    """What the page shows of a whole-test-set re-ranking.

    Attributes:
        metrics: ``metrics_table``.
        changes: per-user means of ``ListChanges``: entered, left, mean_displacement, rbo.
        n_users: B, the evaluated users re-ranked.
        k: the list length.
    """

    metrics: pd.DataFrame
    changes: dict[str, float]
    n_users: int
    k: int


def summarise_outcome(outcome: RerankOutcome, k: int) -> OutcomeSummary:
    """The metrics table and the list-change means of a re-ranking."""
    return OutcomeSummary(
        metrics=metrics_table(outcome, k),
        changes=outcome.changes.means(),
        n_users=int(outcome.before.shape[0]),
        k=k,
    )
