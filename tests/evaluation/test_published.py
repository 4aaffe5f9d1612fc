"""Published reference rows: only for the matching protocol and dataset, each with its source."""

from __future__ import annotations

import re

import pytest

from recsys_core.data.movielens import MOVIELENS_NAMES
from recsys_core.data.protocols import PROTOCOLS
from recsys_core.evaluation import published
from recsys_core.evaluation.topk import LIST_METRICS

#: Metric names our evaluation produces at k=10, plus the pointwise CTR ones.
OUR_METRICS = {f"{name}@10" for name in [*LIST_METRICS, "ndcg"]} | {"auc", "logloss"}
RECBOLE_FILE = re.compile(
    r"https://github\.com/RUCAIBox/RecBole/blob/[0-9a-f]{40}/benchmark/hyper/\w+/[\w-]+\.md"
)


def test_msr100k_rows_on_ml100k_carry_the_microsoft_table() -> None:
    rows = published.reference_rows("msr-100k", "ml-100k")
    assert rows["model"].tolist() == [
        "BiVAE", "BPR", "LightGCN", "NCF", "SAR", "FastAI", "ALS", "SVD"
    ]  # fmt: skip
    bpr = rows.set_index("model").loc["BPR"]
    assert bpr[["msr_map@10", "ndcg@10", "precision@10", "recall@10"]].tolist() == [
        0.132478, 0.441997, 0.388229, 0.212522
    ]  # fmt: skip
    assert rows["source"].str.contains("06_benchmarks/movielens.ipynb").all()


@pytest.mark.parametrize(
    ("protocol", "dataset"),
    [
        ("msr-100k", "ml-1m"),
        ("msr-100k", "synthetic"),
        ("recbole-general", "ml-100k"),
        ("custom:user", "ml-1m"),
    ],
)
def test_no_rows_unless_protocol_and_dataset_both_match(protocol: str, dataset: str) -> None:
    rows = published.reference_rows(protocol, dataset)
    assert rows.empty
    assert rows.columns.tolist() == ["model", "source"]


def test_recbole_rows_name_their_exact_log_file() -> None:
    general = published.reference_rows("recbole-general", "ml-1m").set_index("model")
    assert {"Pop", "ItemKNN", "BPR", "EASE"} <= set(general.index)
    assert general.loc["EASE", "ndcg@10"] == 0.2865
    assert general.loc["Pop", "ndcg@10"] < general.loc["ItemKNN", "ndcg@10"]
    for protocol in ("recbole-general", "recbole-seq", "recbole-ctr"):
        rows = published.reference_rows(protocol, "ml-1m")
        assert len(rows) >= 3
        for model, source in zip(rows["model"], rows["source"], strict=True):
            assert RECBOLE_FILE.search(source), source
            assert f"/{model}-ml-1m" in source


def test_every_row_uses_a_known_protocol_dataset_and_metric_names() -> None:
    for row in published.PUBLISHED:
        assert row.protocol in PROTOCOLS
        assert row.dataset in MOVIELENS_NAMES
        assert set(row.metrics) <= OUR_METRICS, row.model
        assert all(0.0 < value < 1.0 for value in row.metrics.values())
