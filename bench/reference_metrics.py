"""A plain pandas implementation of the top-k metric definitions, one user at a time.

It is the independent reference that ``tests/evaluation`` and ``bench/evaluation.py`` check
``recsys_core.evaluation.evaluate_topk`` against: written for readability, not speed, and sharing no
code with the package. Definitions: precision = hits / k; recall = hits / |rel|; f1 their harmonic
mean; map = sum of precision at each hit rank / min(|rel|, k); msr_map = the same sum / |rel|;
ndcg = DCG / ideal DCG with 0/1 gains; graded_ndcg the same with the truth values as gains;
mrr = 1 / rank of the first hit; hit_rate = 1 if any hit. Discount 1 / log2(rank + 1).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.sparse as sp


def _dcg(gains: list[float]) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1))


def reference_topk_metrics(
    recs: np.ndarray, users: np.ndarray, truth: sp.csr_matrix, k: int
) -> pd.DataFrame:
    """Per-user metrics at k, one row per user in ``users`` order (index = user index).

    Args:
        recs: (B, K) item indices best first, -1 padding.
        users: (B,) user of each list.
        truth: (U, I) sparse gains; entries > 0 are relevant.
        k: cut-off.
    """
    coo = truth.tocoo()
    truth_frame = pd.DataFrame({"user": coo.row, "item": coo.col, "gain": coo.data})
    truth_frame = truth_frame[truth_frame["gain"] > 0]
    gains_by_user = {
        user: dict(zip(group["item"], group["gain"], strict=True))
        for user, group in truth_frame.groupby("user")
    }
    list_frame = pd.DataFrame(
        {
            "user": np.repeat(users, recs.shape[1]),
            "item": recs.ravel(),
            "rank": np.tile(np.arange(1, recs.shape[1] + 1), len(users)),
        }
    )
    list_frame = list_frame[(list_frame["item"] >= 0) & (list_frame["rank"] <= k)]
    lists = list_frame.sort_values(["user", "rank"]).groupby("user")["item"].apply(list)

    rows = []
    for user in users:
        relevant = gains_by_user.get(user, {})
        items = lists.get(user, [])
        hits = [1.0 if item in relevant else 0.0 for item in items]
        n_hits = sum(hits)
        n_rel = len(relevant)
        precision = n_hits / k
        recall = n_hits / n_rel if n_rel else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        precision_sum = sum(sum(hits[:rank]) / rank for rank, hit in enumerate(hits, 1) if hit)
        ideal_binary = [1.0] * min(n_rel, k)
        ideal_graded = sorted(relevant.values(), reverse=True)[:k]
        graded = [float(relevant.get(item, 0.0)) for item in items]
        first_hit = next((rank for rank, hit in enumerate(hits, 1) if hit), None)
        rows.append(
            {
                "user": user,
                f"precision@{k}": precision,
                f"recall@{k}": recall,
                f"f1@{k}": f1,
                f"map@{k}": precision_sum / min(n_rel, k) if n_rel else 0.0,
                f"msr_map@{k}": precision_sum / n_rel if n_rel else 0.0,
                f"ndcg@{k}": _dcg(hits) / _dcg(ideal_binary) if n_rel else 0.0,
                f"graded_ndcg@{k}": _dcg(graded) / _dcg(ideal_graded) if n_rel else 0.0,
                f"mrr@{k}": 1.0 / first_hit if first_hit else 0.0,
                f"hit_rate@{k}": 1.0 if n_hits else 0.0,
            }
        )
    return pd.DataFrame(rows).set_index("user")
