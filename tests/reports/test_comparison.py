"""The comparison report repeats the comparison: its tables, captions, lineage and charts."""

from __future__ import annotations

import html as html_text
import re
from datetime import datetime
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.evaluation import compare
from recsys_core.evaluation.pointwise import evaluate_pointwise
from recsys_core.registry.runs import RunRecord
from recsys_core.reports import ComparisonCharts, comparison_report
from recsys_core.reports.comparison import comparison_sections


def _record(run_id: str, protocol: dict, **fields: object) -> RunRecord:
    values = {
        "run_id": run_id,
        "dataset": "tiny",
        "split_name": "s",
        "model": "popularity",
        "config": {"protocol": protocol},
        "seed": 0,
        "status": "complete",
        "metrics": {},
        "train_seconds": 1.0,
        "created_at": datetime(2026, 1, 1),
        "finished_at": None,
        "artifact_dir": Path("/nonexistent"),
    }
    return RunRecord(**{**values, **fields})


def _comparison(*, sampled: bool) -> compare.Comparison:
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1)).to_dict()
    records = [
        _record("pop-1", protocol),
        _record("pop-2", protocol, kind="rerank", parent_run_id="pop-1"),
    ]
    rng = np.random.default_rng(0)
    frames = {
        r.run_id: pd.DataFrame({"user_idx": range(10), "ndcg@10": rng.random(10)}) for r in records
    }
    return compare.build_comparison(
        records,
        frames,
        ["ndcg@10"],
        "pop-1",
        dataset="tiny",
        user_counts=np.arange(10) + 1,
        users_frame=None,
        sampled_per_user=frames if sampled else None,
        n_negatives=50 if sampled else None,
    )


def _chart(title: str) -> alt.Chart:
    return alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q").properties(title=title)


def test_sections_follow_the_page_and_carry_its_captions() -> None:
    comparison = _comparison(sampled=False)
    sections = comparison_sections(comparison, ComparisonCharts(metrics=_chart("bars")))
    assert [s.heading for s in sections] == [
        "Runs",
        "Metrics with 95% confidence intervals",
        "Against the baseline pop-1",
        "By user segment",
    ]
    assert sections[0].tables[0].frame["lineage"].tolist() == ["trained", "rerank of pop-1"]
    assert sections[1].tables[0].caption == comparison.full_caption
    pd.testing.assert_frame_equal(sections[1].tables[0].frame, comparison.shown_table)
    assert sections[2].tables[0].caption == comparison.paired_caption
    assert [len(s.charts) for s in sections] == [0, 1, 0, 0]


def test_report_holds_every_chart_and_the_sampled_section() -> None:
    comparison = _comparison(sampled=True)
    charts = ComparisonCharts(*(_chart(name) for name in ("bars", "diffs", "segments", "flips")))
    html = comparison_report(comparison, charts, made_at=datetime(2026, 2, 3, 4, 5))
    assert "<h2>Full ranking vs sampled negatives</h2>" in html
    assert "Runs pop-1, pop-2 on split s; baseline pop-1; made 2026-02-03 04:05." in html
    assert html.count("vegaEmbed('#chart-") == 4
    assert "rerank of pop-1" in html
    assert comparison.sampled is not None
    assert html_text.escape(comparison.sampled.flip_caption) in html
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?https?:", html)


def test_the_metrics_section_carries_the_pointwise_label_of_ranking_runs() -> None:
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1)).to_dict()
    users = np.repeat(np.arange(10), 5)
    labels = (np.arange(50) % 5 == 0).astype(float)
    evaluation = evaluate_pointwise(users, labels, np.random.default_rng(1).random(50))
    records = [
        _record("rank-1", protocol, stage="ranking", metrics=evaluation.headline()),
        _record("pop-1", protocol),
    ]
    frame = pd.DataFrame({"user_idx": range(10), "ndcg@10": np.linspace(0, 1, 10)})
    comparison = compare.build_comparison(
        records,
        {r.run_id: frame for r in records},
        ["ndcg@10", "auc", "logloss"],
        "rank-1",
        dataset="tiny",
        user_counts=np.arange(10) + 1,
        users_frame=None,
        pointwise={"rank-1": compare.PointwiseRun(evaluation.to_frame(), evaluation.label())},
    )
    sections = comparison_sections(comparison, ComparisonCharts())
    caption = sections[1].tables[0].caption
    assert caption == comparison.metrics_caption
    assert evaluation.label() in caption and "lower is better" in caption
    html = comparison_report(comparison, ComparisonCharts(), made_at=datetime(2026, 2, 3))
    assert html_text.escape(evaluation.label()) in html
