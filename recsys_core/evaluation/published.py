"""Published benchmark numbers to show beside our runs when the protocol and dataset match.

Each row names its source. The numbers were copied from the sources below and are only comparable
with runs under the same protocol on the same dataset: Microsoft Recommenders' ML-100K table for
``msr-100k``, RecBole's ML-1M benchmark logs for ``recbole-general``, ``recbole-seq`` and
``recbole-ctr``. Metric names are ours: Microsoft's MAP divides by the number of relevant items
(our ``msr_map``), RecBole's hit@k is our ``hit_rate@k``, and RecBole's CTR metrics are the test
AUC and log loss of the labelled rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

_MSR_SOURCE = (
    "Microsoft Recommenders 1.x ML-100K benchmark "
    "(examples/06_benchmarks/movielens.ipynb, "
    "https://github.com/recommenders-team/recommenders/blob/main/examples/06_benchmarks/"
    "movielens.ipynb)"
)
_RECBOLE_BLOB = "https://github.com/RUCAIBox/RecBole/blob"


def _recbole_source(commit: str, path: str) -> str:
    """Label of a RecBole benchmark log: the file and its exact GitHub address."""
    return f"RecBole ML-1M benchmark ({path}, {_RECBOLE_BLOB}/{commit}/{path})"


@dataclass(frozen=True)
class PublishedRow:
    """One model's published result under one protocol.

    Attributes:
        protocol: our protocol preset name the numbers were obtained under.
        dataset: our dataset name they apply to.
        model: the model as the source names it.
        metrics: our metric name -> published value.
        source: where the numbers come from (document and address).
    """

    protocol: str
    dataset: str
    model: str
    metrics: Mapping[str, float]
    source: str


def _msr(model: str, msr_map: float, ndcg: float, precision: float, recall: float) -> PublishedRow:
    return PublishedRow(
        protocol="msr-100k",
        dataset="ml-100k",
        model=model,
        metrics={
            "msr_map@10": msr_map,
            "ndcg@10": ndcg,
            "precision@10": precision,
            "recall@10": recall,
        },
        source=_MSR_SOURCE,
    )


def _recbole_topk(
    protocol: str,
    model: str,
    values: tuple[float, float, float, float, float],
    commit: str,
    path: str,
) -> PublishedRow:
    """A RecBole top-k row; ``values`` in RecBole's log order: recall, mrr, ndcg, hit, precision."""
    recall, mrr, ndcg, hit, precision = values
    return PublishedRow(
        protocol=protocol,
        dataset="ml-1m",
        model=model,
        metrics={
            "recall@10": recall,
            "mrr@10": mrr,
            "ndcg@10": ndcg,
            "hit_rate@10": hit,
            "precision@10": precision,
        },
        source=_recbole_source(commit, path),
    )


def _recbole_ctr(model: str, auc: float, logloss: float, commit: str, path: str) -> PublishedRow:
    return PublishedRow(
        protocol="recbole-ctr",
        dataset="ml-1m",
        model=model,
        metrics={"auc": auc, "logloss": logloss},
        source=_recbole_source(commit, path),
    )


_GENERAL = "benchmark/hyper/general/{}-ml-1m_general.md"
_SEQUENTIAL = "benchmark/hyper/sequential/{}-ml-1m_seq.md"
_CONTEXT = "benchmark/hyper/context/{}-ml-1m.md"

#: Every published row. RecBole rows are the test results of the best hyper-parameters that each
#: log's tuning run reports ("best result ... test_result"; for the CTR logs, which have no such
#: line, the test result of the "Best parameters" listed).
PUBLISHED: tuple[PublishedRow, ...] = (
    _msr("BiVAE", 0.146126, 0.475077, 0.411771, 0.219145),
    _msr("BPR", 0.132478, 0.441997, 0.388229, 0.212522),
    _msr("LightGCN", 0.088526, 0.419846, 0.379626, 0.144336),
    _msr("NCF", 0.107720, 0.396118, 0.347296, 0.180775),
    _msr("SAR", 0.110591, 0.382461, 0.330753, 0.176385),
    _msr("FastAI", 0.025503, 0.147866, 0.130329, 0.053824),
    _msr("ALS", 0.004732, 0.044239, 0.048462, 0.017796),
    _msr("SVD", 0.012873, 0.095930, 0.091198, 0.032783),
    _recbole_topk(
        "recbole-general",
        "Pop",
        (0.0699, 0.189, 0.1006, 0.4572, 0.0866),
        "1183bfc7a654da7752706672b54af53c25216816",
        _GENERAL.format("Pop"),
    ),
    _recbole_topk(
        "recbole-general",
        "ItemKNN",
        (0.1723, 0.4254, 0.2389, 0.7139, 0.1752),
        "b616af6b6d4a8eaf6221477cc3d482048cc4f53e",
        _GENERAL.format("ItemKNN"),
    ),
    _recbole_topk(
        "recbole-general",
        "BPR",
        (0.1725, 0.4221, 0.2407, 0.7131, 0.1802),
        "623ecc715ce6f83dc013a3f85e7cd17f5aa217da",
        _GENERAL.format("BPR"),
    ),
    _recbole_topk(
        "recbole-general",
        "EASE",
        (0.2139, 0.4808, 0.2865, 0.7837, 0.2082),
        "9adac54af0f6410c842d6e2b45d3719a2fd37535",
        _GENERAL.format("EASE"),
    ),
    _recbole_topk(
        "recbole-general",
        "NeuMF",
        (0.1611, 0.4081, 0.2287, 0.6945, 0.1725),
        "623ecc715ce6f83dc013a3f85e7cd17f5aa217da",
        _GENERAL.format("NeuMF"),
    ),
    _recbole_topk(
        "recbole-general",
        "LightGCN",
        (0.1823, 0.4312, 0.2476, 0.7316, 0.1835),
        "6820b0cfd68a302c14637d9c7623d5af9afcdc04",
        _GENERAL.format("LightGCN"),
    ),
    _recbole_topk(
        "recbole-seq",
        "GRU4Rec",
        (0.2776, 0.1171, 0.1545, 0.2776, 0.0278),
        "7bb552868bb9037a1430c121004f77371508a9e0",
        _SEQUENTIAL.format("GRU4Rec"),
    ),
    _recbole_topk(
        "recbole-seq",
        "SASRec",
        (0.2468, 0.0929, 0.1286, 0.2468, 0.0247),
        "f2a5a03401c2bf86f015c61624613e49b910f96d",
        _SEQUENTIAL.format("SASRec"),
    ),
    _recbole_topk(
        "recbole-seq",
        "BERT4Rec",
        (0.0791, 0.0259, 0.0381, 0.0791, 0.0079),
        "b616af6b6d4a8eaf6221477cc3d482048cc4f53e",
        _SEQUENTIAL.format("BERT4Rec"),
    ),
    _recbole_ctr(
        "LR", 0.8699, 0.3488, "0da0ee1f44029fe98869966204a3fef075792d50", _CONTEXT.format("LR")
    ),
    _recbole_ctr(
        "FM", 0.8935, 0.3262, "7df0b5c8646f90a3008521ef371b9b6c644e2449", _CONTEXT.format("FM")
    ),
    _recbole_ctr(
        "DeepFM",
        0.8997,
        0.315,
        "7df0b5c8646f90a3008521ef371b9b6c644e2449",
        _CONTEXT.format("DeepFM"),
    ),
    _recbole_ctr(
        "WideDeep",
        0.8987,
        0.3155,
        "b616af6b6d4a8eaf6221477cc3d482048cc4f53e",
        _CONTEXT.format("WideDeep"),
    ),
)


def published_rows(protocol: str, dataset: str) -> list[PublishedRow]:
    """The published rows obtained under ``protocol`` on ``dataset`` (none for other pairs)."""
    return [row for row in PUBLISHED if row.protocol == protocol and row.dataset == dataset]


def reference_rows(protocol: str, dataset: str) -> pd.DataFrame:
    """Published rows as a table: model, source, then one column per metric they report.

    Empty (with columns model and source) unless both the protocol and the dataset match a
    published benchmark: numbers from another protocol or dataset are not comparable with ours.
    """
    rows = published_rows(protocol, dataset)
    metrics = list(dict.fromkeys(name for row in rows for name in row.metrics))
    return pd.DataFrame(
        [{"model": row.model, "source": row.source, **row.metrics} for row in rows],
        columns=["model", "source", *metrics],
    )
