"""Run labels: what a run is (architecture, changed settings), protocol, metric and age."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from recsys_core.models.retrieval.bpr import BPRConfig
from recsys_core.registry.labels import age_text, changed_settings, run_label, run_labels
from recsys_core.registry.runs import RunRecord

NOW = datetime(2026, 12, 1, 12, 0, 0)


def record(
    run_id: str,
    model: str = "bpr",
    *,
    minutes_ago: float = 5,
    kind: str = "train",
    ndcg: float = 0.4083,
    **settings: Any,
) -> RunRecord:
    config = BPRConfig(**settings).to_dict() if model == "bpr" else dict(settings)
    return RunRecord(
        run_id=run_id,
        dataset="ml-100k",
        split_name="msr-100k",
        model=model,
        config={"model": config, "protocol": {"name": "msr-100k"}},
        seed=42,
        status="complete",
        metrics={"ndcg@10": ndcg},
        train_seconds=1.0,
        created_at=NOW - timedelta(minutes=minutes_ago),
        finished_at=None,
        artifact_dir=Path("/nowhere"),
        kind=kind,
    )


def test_a_label_says_architecture_changed_settings_protocol_metric_and_age() -> None:
    label = run_label(record("bpr-1", n_epochs=30, dim=32), now=NOW)
    assert label == "BPR-MF · 30 epochs · d=32 · msr-100k · nDCG@10 0.4083 · 5 min ago"


def test_two_bpr_runs_with_different_epochs_have_distinct_labels() -> None:
    labels = run_labels([record("bpr-a", n_epochs=30), record("bpr-b", n_epochs=80)], now=NOW)
    assert labels["bpr-a"] != labels["bpr-b"]
    assert "30 epochs" in labels["bpr-a"] and "80 epochs" in labels["bpr-b"]


def test_runs_that_would_share_a_label_are_told_apart_by_their_id() -> None:
    twins = [record("bpr-aaaaaa1111", n_epochs=30), record("bpr-bbbbbb2222", n_epochs=30)]
    labels = run_labels(twins, now=NOW)
    assert len(set(labels.values())) == 2
    assert labels["bpr-aaaaaa1111"].endswith("· aaaaaa")
    assert labels["bpr-bbbbbb2222"].endswith("· bbbbbb")


def test_defaults_are_not_named_and_many_changes_are_summed_up() -> None:
    assert changed_settings("bpr", BPRConfig().to_dict()) == []
    many = BPRConfig(n_epochs=3, dim=8, lr=0.01, l2=0.5, batch_size=64).to_dict()
    words = changed_settings("bpr", many)
    assert words[-1] == "+2 more" and len(words) == 4
    assert changed_settings("bpr", {**BPRConfig().to_dict(), "device": "cuda"}) == []


def test_derived_runs_name_what_they_did_to_their_parent() -> None:
    rerank = record(
        "reranked-1",
        "reranked",
        kind="rerank",
        base_model="bpr",
        weights="mmr=0.5,fairness=0.3",
    )
    assert run_label(rerank, now=NOW).startswith("BPR-MF re-ranked: mmr=0.5,fairness=0.3 · ")
    calibrated = record(
        "calibrated-1", "calibrated", kind="calibrated", base_model="logistic", method="platt"
    )
    assert "calibrated: platt" in run_label(calibrated, now=NOW)


def test_an_unknown_architecture_keeps_its_name() -> None:
    assert run_label(record("x-1", "retired-model"), now=NOW).startswith("retired-model · ")


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0.2, "just now"), (5, "5 min ago"), (125, "2 h ago"), (3 * 1440, "3 d ago")],
)
def test_ages_read_as_a_person_says_them(minutes: float, text: str) -> None:
    assert age_text(NOW - timedelta(minutes=minutes), NOW) == text


def test_an_old_run_shows_its_date() -> None:
    assert age_text(datetime(2026, 1, 2, 3, 4), NOW) == "2026-01-02"
