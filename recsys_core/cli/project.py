"""``runs project``: the 2-D UMAP map of a run's item or user embeddings, stored with the run."""

from __future__ import annotations

import argparse

from recsys_core.cli.output import emit, note
from recsys_core.cli.parser import Handlers


def runs_project(args: argparse.Namespace) -> None:
    """Fit (or read back) the UMAP projection of a run's ``--side`` vectors under the default
    settings, the map the Embeddings page opens on, and print where it is stored."""
    from recsys_core.analysis.projection import ProjectionParams, projection_path, run_projection
    from recsys_core.registry import get_run

    record = get_run(args.run_id)
    params = ProjectionParams()
    target = projection_path(record.artifact_dir, args.side, params)
    cached = target.is_file()
    if not cached:
        note(f"fitting UMAP on the {args.side} vectors of {args.run_id} (the first fit compiles)")
    frame = run_projection(args.run_id, args.side, params)
    how = "read back" if cached else "stored"
    payload = {
        "run_id": args.run_id,
        "side": args.side,
        "points": len(frame),
        "path": str(target),
        "cached": cached,
    }
    emit(
        args,
        payload,
        f"{how} the {args.side} map of {args.run_id} ({len(frame):,} points): {target}",
    )


HANDLERS: Handlers = {("runs", "project"): runs_project}
