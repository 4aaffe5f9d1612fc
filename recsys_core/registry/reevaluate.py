"""Re-evaluate a saved run under sampled negatives, once, and keep the result with the run.

The run registry side of comparisons: ``recsys_core.evaluation`` computes metrics from models and
frames it is given and never loads a run, so loading the model and split of a saved run and caching
the per-user frame beside its artifacts happens here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recsys_core.artifacts import cache_damage, read_parquet, write_parquet_atomic
from recsys_core.data.protocols import protocol_from_dict
from recsys_core.errors import DamagedArtifactError
from recsys_core.evaluation.compare import available_metrics, parse_metric
from recsys_core.evaluation.protocol import evaluate_sampled_run
from recsys_core.experiment import prepare_split
from recsys_core.registry import runs
from recsys_core.registry.runs import RunRecord


def sampled_frame_path(record: RunRecord, n_negatives: int) -> Path:
    """Where a run's sampled per-user metrics with ``n_negatives`` negatives are cached."""
    return record.artifact_dir / f"sampled-{int(n_negatives)}.parquet"


def sampled_per_user(run_id: str, n_negatives: int, *, path: Path | None = None) -> pd.DataFrame:
    """Per-user sampled metrics of a saved run, evaluated once and cached with the run.

    The run's model and split are loaded, each relevant test item is ranked against
    ``n_negatives`` negatives drawn with the split's seed (so every run on the split faces the same
    negatives) at every k of the run's full evaluation, and the frame is written atomically to
    ``<artifact_dir>/sampled-<n>.parquet``.

    Raises:
        DamagedArtifactError: the cached frame is a link or unreadable (delete it to recompute).
    """
    record = runs.get_run(run_id, path=path)
    cached = sampled_frame_path(record, n_negatives)
    if cached.exists() or cached.is_symlink():
        try:
            return read_parquet(cached, "delete it", columns=("user_idx",))
        except DamagedArtifactError as error:
            raise cache_damage(record.artifact_dir, error) from None
    protocol = protocol_from_dict(record.protocol)
    full = runs.load_per_user_metrics(run_id, path=path)
    ks = sorted({parse_metric(name)[1] for name in available_metrics(full)})
    model = runs.load_run_model(run_id, path=path)
    _, split = prepare_split(record.dataset, protocol, path=path)
    evaluation = evaluate_sampled_run(model, split, protocol, n_negatives, ks, protocol.split.seed)
    frame = evaluation.to_frame()
    write_parquet_atomic(frame, cached)
    return frame
