"""The one definition of headline metrics, by stage and k."""

from __future__ import annotations

import pytest

from recsys_core.errors import ConfigError
from recsys_core.evaluation.headline import TABLE_K, headline_metrics, table_metrics


def test_retrieval_headline_is_top_n_at_the_protocols_k() -> None:
    specs = headline_metrics(5, "retrieval")
    assert [s.name for s in specs] == ["ndcg@5", "precision@5", "recall@5", "map@5"]
    assert [s.label for s in specs] == ["nDCG@5", "Precision@5", "Recall@5", "MAP@5"]
    assert all(s.higher_is_better and s.format == "%.4f" for s in specs)


def test_ranking_headline_leads_with_the_pointwise_metrics() -> None:
    specs = {s.name: s for s in headline_metrics(10, "ranking")}
    assert list(specs) == [
        "auc",
        "gauc",
        "logloss",
        "ndcg@10",
        "precision@10",
        "recall@10",
        "map@10",
    ]
    assert specs["logloss"].label == "LogLoss" and not specs["logloss"].higher_is_better
    assert specs["gauc"].higher_is_better


def test_render_formats_values_and_marks_missing_ones() -> None:
    spec = headline_metrics(TABLE_K)[0]
    assert spec.render(0.123456) == "0.1235"
    assert spec.render(None) == "–" and spec.render(float("nan")) == "–"


def test_tables_of_mixed_stages_get_the_ranking_columns() -> None:
    assert table_metrics([]) == []
    assert table_metrics(["retrieval"]) == headline_metrics(TABLE_K, "retrieval")
    mixed = table_metrics(["retrieval", "ranking"])
    assert mixed[:4] == headline_metrics(TABLE_K, "retrieval")
    assert [s.name for s in mixed[4:]] == ["auc", "gauc", "logloss"]
    assert [s.name for s in headline_metrics(TABLE_K, "ranking")][:3] == ["auc", "gauc", "logloss"]


def test_unknown_stage_or_k_is_rejected() -> None:
    with pytest.raises(ConfigError, match="stage"):
        headline_metrics(10, "reranking")
    with pytest.raises(ConfigError, match="stage"):
        table_metrics(["retrieval", "other"])
    with pytest.raises(ConfigError, match="k must"):
        headline_metrics(0)
