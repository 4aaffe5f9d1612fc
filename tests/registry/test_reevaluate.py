"""Sampled re-evaluation of a saved run: the numbers of ``evaluate_model``, computed once and kept
with the run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.evaluation.protocol import evaluate_model
from recsys_core.experiment import prepare_split, train_run
from recsys_core.registry import get_run, load_run_model, reevaluate


def test_sampled_per_user_matches_evaluate_model_and_is_cached(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    store.write_dataset(
        generate_synthetic(name="tiny", n_users=120, n_items=80, n_interactions=2000, seed=2),
        path=path,
    )
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=4))
    run_id = train_run("tiny", "popularity", protocol, ks=(5, 10), path=path).record.run_id
    frame = reevaluate.sampled_per_user(run_id, 30, path=path)
    _, split = prepare_split("tiny", protocol, path=path)
    expected = evaluate_model(
        load_run_model(run_id, path=path),
        split,
        protocol,
        ks=(5, 10),
        sampled_negatives=30,
        seed=protocol.split.seed,
    ).sampled.to_frame()
    pd.testing.assert_frame_equal(frame, expected)
    cached = reevaluate.sampled_frame_path(get_run(run_id, path=path), 30)
    assert cached == get_run(run_id, path=path).artifact_dir / "sampled-30.parquet"
    stamp = cached.stat().st_mtime_ns
    pd.testing.assert_frame_equal(reevaluate.sampled_per_user(run_id, 30, path=path), expected)
    assert cached.stat().st_mtime_ns == stamp
    assert not [p for p in cached.parent.iterdir() if p.name.startswith(".")]
