"""The comparison report repeats the comparison: its tables, captions, lineage and charts."""

from __future__ import annotations

import html as html_text
import re
from datetime import UTC, datetime
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
    assert sections[0].tables[0].frame["Lineage"].tolist() == ["trained", "rerank of pop-1"]
    assert sections[1].tables[0].caption == comparison.full_caption
    shown = comparison.shown_table.rename(columns=compare.header)
    pd.testing.assert_frame_equal(sections[1].tables[0].frame, shown)
    assert sections[2].tables[0].caption == comparison.paired_caption
    assert [len(s.charts) for s in sections] == [0, 1, 0, 0]


def test_report_holds_every_chart_and_the_sampled_section() -> None:
    comparison = _comparison(sampled=True)
    charts = ComparisonCharts(
        metrics=_chart("bars"),
        paired=_chart("diffs"),
        segments=[_chart("activity"), _chart("gender")],
        flips=_chart("flips"),
    )
    html = comparison_report(comparison, charts, made_at=datetime(2026, 2, 3, 4, 5))
    assert "<h2>Full ranking vs sampled negatives</h2>" in html
    assert "2 runs on split s; baseline pop-1; made 2026-02-03T04:05:00+00:00." in html
    assert html.count("vegaEmbed('#chart-") == 5
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


def _labelled() -> compare.Comparison:
    """Two runs far apart on 200 users (a tiny p-value), named by label, with segments."""
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1)).to_dict()
    created = datetime(2026, 1, 1, 12, 30)  # naive: the registry's UTC
    records = [_record(run_id, protocol, created_at=created) for run_id in ("pop-1", "bpr-2")]
    rng = np.random.default_rng(0)
    base = rng.random(200)
    frames = {
        "pop-1": pd.DataFrame({"user_idx": range(200), "ndcg@10": base}),
        "bpr-2": pd.DataFrame(
            {"user_idx": range(200), "ndcg@10": base + 0.2 + 0.05 * rng.random(200)}
        ),
    }
    users = pd.DataFrame(
        {"occupation": [f"job {i % 21}" for i in range(200)]},
        index=pd.RangeIndex(200, name="user_idx"),
    )
    comparison = compare.build_comparison(
        records,
        frames,
        ["ndcg@10"],
        "pop-1",
        dataset="tiny",
        user_counts=np.arange(200) + 1,
        users_frame=users,
    )
    labels = {"pop-1": "Most popular · custom · 2 d ago", "bpr-2": "BPR-MF · 30 epochs · custom"}
    return compare.labelled(
        comparison, labels, settings={"pop-1": "defaults", "bpr-2": "30 epochs"}
    )


def test_report_reads_like_the_page_p_values_headers_labels_times_and_settings() -> None:
    comparison = _labelled()
    assert comparison.paired is not None
    p_value = float(comparison.paired["p_value"].iloc[0])
    assert p_value < 1e-10
    html = comparison_report(
        comparison, ComparisonCharts(), made_at=datetime(2026, 2, 3, 4, 5, tzinfo=UTC)
    )
    assert f'<td class="num">{p_value:.3g}</td>' in html and "0.0000</td>" not in html
    assert "<th>Baseline mean</th>" in html and "<th>mean_baseline</th>" not in html
    assert "<th>nDCG@10</th>" not in html and ">nDCG@10<" in html  # metric names as labels
    assert "<th>Segment kind</th>" in html and "segment_kind" not in html
    assert "BPR-MF · 30 epochs · custom" in html and "against the baseline" in html.lower()
    assert "<h2>Against the baseline Most popular · custom · 2 d ago</h2>" in html
    assert "made 2026-02-03T04:05:00+00:00" in html
    assert "2026-01-01T12:30:00+00:00" in html  # run creation times in UTC
    assert '<td class="short">30 epochs</td>' in html and "<th>Settings</th>" in html


def test_report_sums_up_segments_and_skips_empty_charts() -> None:
    comparison = _labelled()
    empty = alt.Chart(pd.DataFrame({"x": []})).mark_point().encode(x="x:Q")
    charts = ComparisonCharts(metrics=empty, segments=[_chart("occupation"), empty])
    sections = comparison_sections(comparison, charts)
    segments = next(s for s in sections if s.heading == "By user segment")
    (table,) = segments.tables
    summary = table.frame
    assert len(summary) == 2 * 2  # activity and occupation, for each run: not 21 rows each
    assert list(summary.columns) == [
        "Segment kind",
        "Run",
        "Segments",
        "Highest segment",
        "Highest",
        "Lowest segment",
        "Lowest",
    ]
    occupation = summary[summary["Segment kind"] == "occupation"].set_index("Run")
    assert occupation["Segments"].tolist() == [21, 21]
    assert comparison.segments is not None
    rows = comparison.segments[comparison.segments["segment_kind"] == "occupation"]
    best = rows.loc[rows.groupby("run", sort=False)["ndcg@10"].idxmax()].set_index("run")
    assert occupation["Highest segment"].to_dict() == best["segment"].to_dict()
    assert [len(s.charts) for s in sections] == [0, 0, 0, 1]  # empty charts left out
