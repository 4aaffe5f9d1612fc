"""Evaluate top-k lists produced by any other system against a truth file, with our metrics.

Lists: CSV ``user_id,item_id,rank`` (rank from 1). Truth: CSV ``user_id,item_id`` (an optional
``rating`` column becomes the graded gain). Every truth user is evaluated; a user without a list
scores zero, which is what a system that failed to recommend deserves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys_core.errors import DataError
from recsys_core.evaluation.topk import TopKEvaluation, evaluate_topk


def _read(path: Path, required: tuple[str, ...], what: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype={"user_id": str, "item_id": str})
    except FileNotFoundError:
        raise DataError(f"{what} file {path} does not exist") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{what} file {path} is not a readable CSV ({exc})") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what} file {path} lacks column(s) {missing}; expected a header with "
            f"{', '.join(required)} (found {', '.join(map(str, frame.columns))})"
        )
    return frame


def evaluate_recommendation_file(recommendations: Path, truth: Path, k: int = 10) -> TopKEvaluation:
    """Metrics at ``k`` of the lists in ``recommendations`` against ``truth``."""
    recs = _read(Path(recommendations), ("user_id", "item_id", "rank"), "recommendations")
    rel = _read(Path(truth), ("user_id", "item_id"), "truth")
    ranks = pd.to_numeric(recs["rank"], errors="coerce")
    if ranks.isna().any() or (ranks < 1).any():
        row = int(np.flatnonzero((ranks.isna() | (ranks < 1)).to_numpy())[0]) + 2
        raise DataError(
            f"recommendations file {recommendations}, line {row}: rank must be an integer >= 1"
        )
    user_ids = pd.Index(pd.unique(pd.concat([rel["user_id"], recs["user_id"]])))
    item_ids = pd.Index(pd.unique(pd.concat([rel["item_id"], recs["item_id"]])))
    gains = np.ones(len(rel), dtype=np.float32)
    if "rating" in rel:
        gains = pd.to_numeric(rel["rating"], errors="coerce").fillna(1.0).to_numpy(np.float32)
    truth_matrix = sp.csr_matrix(
        (gains, (user_ids.get_indexer(rel["user_id"]), item_ids.get_indexer(rel["item_id"]))),
        shape=(len(user_ids), len(item_ids)),
    )
    truth_matrix.sum_duplicates()
    users = np.flatnonzero(np.diff(truth_matrix.indptr) > 0).astype(np.int64)
    lists = np.full((len(user_ids), k), -1, dtype=np.int64)
    ordered = recs.assign(rank=ranks.astype(int)).sort_values(["user_id", "rank"], kind="stable")
    ordered = ordered.drop_duplicates(["user_id", "item_id"])
    position = ordered.groupby("user_id", sort=False).cumcount().to_numpy()
    keep = position < k
    lists[user_ids.get_indexer(ordered["user_id"])[keep], position[keep]] = item_ids.get_indexer(
        ordered["item_id"]
    )[keep]
    return evaluate_topk(lists[users], users, truth_matrix, (k,))
