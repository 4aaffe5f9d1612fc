"""``rerank``: re-rank a saved run's test users with chosen weights and report before and after."""

from __future__ import annotations

import argparse
from typing import Any

from recsys_core.cli.output import emit, format_table, note

#: Metric families reported, by their CLI names (``ild`` is intra-list diversity on genres,
#: ``exposure_gini`` the Gini of exposure) -> the evaluation's names.
REPORTED = {
    "ndcg": "ndcg",
    "precision": "precision",
    "recall": "recall",
    "coverage": "coverage",
    "ild": "diversity",
    "tail_share": "tail_share",
    "genre_kl": "genre_kl",
    "mean_item_age": "mean_item_age",
    "exposure_gini": "gini",
}


def rerank(args: argparse.Namespace) -> None:
    """Re-rank every evaluated test user of a run; print metrics before/after and what changed,
    and with ``--save`` store the weights as a run of kind ``rerank`` whose parent is the run."""
    from recsys_core.experiment import topk_frame
    from recsys_core.rerank import RerankPipeline
    from recsys_core.rerank.saved import save_rerank_run
    from recsys_core.rerank.session import RerankSession
    from recsys_core.types import TopK

    pipeline = RerankPipeline.from_text(",".join(args.set))
    session = RerankSession.open(args.run, depth=args.candidates)
    outcome = session.rerank(pipeline, args.k)
    if args.save_recommendations:
        top = TopK(item_idx=outcome.after, scores=outcome.after_scores)
        frame = topk_frame(top, session.candidates.user_idx, session.dataset)
        frame.to_csv(args.save_recommendations, index=False)
        note(f"wrote {len(frame):,} rows to {args.save_recommendations}")
    before = _reported(outcome.metrics_before.means(), args.k)
    after = _reported(outcome.metrics_after.means(), args.k)
    changes = outcome.changes.means()
    payload: dict[str, Any] = {
        "run_id": args.run,
        "weights": pipeline.weights(),
        "k": args.k,
        "candidates": args.candidates,
        "before": before,
        "after": after,
        "changes": {
            "rbo": changes["rbo"],
            "mean_displacement": changes["mean_displacement"],
            "entered": changes["entered"],
        },
    }
    rows = [{"metric": name, "before": before[name], "after": after[name]} for name in before]
    text = (
        f"{args.run} re-ranked with {pipeline.to_text() or 'every weight 0'} "
        f"(top-{args.candidates} candidates of {len(session.candidates.user_idx)} test users)\n"
        f"{format_table(rows, ['metric', 'before', 'after'])}\n"
        f"RBO {changes['rbo']:.3f}, {changes['entered']:.2f} items entered per list, "
        f"mean displacement {changes['mean_displacement']:.2f} ranks"
    )
    if args.save:
        record = save_rerank_run(args.run, pipeline, k=args.k, depth=args.candidates)
        payload["saved_run_id"] = record.run_id
        text += f"\nsaved as run {record.run_id} (kind rerank, parent {args.run})"
    emit(args, payload, text)


def _reported(means: dict[str, float], k: int) -> dict[str, float]:
    return {
        f"{name}@{k}": means.get(f"{source}@{k}", float("nan")) for name, source in REPORTED.items()
    }


HANDLERS = {("rerank", None): rerank}
