"""How far one re-ranker trades accuracy for a beyond-accuracy metric, weight by weight.

``tradeoff_curve`` sweeps one re-ranker's weight on a run's candidates (``RerankSession``) and
reads nDCG@k and the chosen metric after each re-ranking, so a chart can draw the price of the
metric in nDCG. Weight 0 switches the re-ranker off: that row is the run's own lists.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from recsys_core.errors import ConfigError
from recsys_core.rerank.base import get_reranker_class, list_rerankers
from recsys_core.rerank.pipeline import RerankPipeline
from recsys_core.rerank.session import RerankSession

#: Beyond-accuracy metrics a trade-off can be drawn against -> their display label.
TRADEOFF_METRICS = {
    "diversity": "intra-list diversity (ILD)",
    "tail_share": "long-tail share",
    "genre_kl": "genre KL to the user's history (lower is closer)",
    "mean_item_age": "mean item age in years",
}
#: The weights swept by default, from off (0) to full strength (1).
DEFAULT_WEIGHTS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
COLUMNS = ("run", "reranker", "weight", "ndcg", "metric", "value")


def sweepable_rerankers() -> list[str]:
    """Re-rankers a weight alone drives (those needing options, e.g. a block list, left out)."""
    return [name for name in list_rerankers() if not get_reranker_class(name).needs_options]


def tradeoff_curve(
    session: RerankSession,
    reranker: str,
    metric: str,
    k: int = 10,
    weights: Sequence[float] = DEFAULT_WEIGHTS,
) -> pd.DataFrame:
    """nDCG@k and ``metric``@k of a run's lists re-ranked by ``reranker`` at each weight.

    Args:
        session: the run's candidates, context and truth.
        reranker: a registered re-ranker name (see ``sweepable_rerankers``).
        metric: one of ``TRADEOFF_METRICS``.
        k: list length, at most the candidates per user.
        weights: the weights to sweep, each in [0, 1].

    Returns:
        One row per weight, columns ``COLUMNS`` (``ndcg`` is nDCG@k, ``value`` the metric@k).

    Raises:
        ConfigError: unknown re-ranker or metric (the message lists the valid ones), or a k or
            weight out of range.
    """
    valid = sweepable_rerankers()
    if reranker not in valid:
        raise ConfigError(
            f"no trade-off for re-ranker {reranker!r}; choose one of: {', '.join(valid)}"
        )
    if metric not in TRADEOFF_METRICS:
        raise ConfigError(
            f"no trade-off against metric {metric!r}; choose one of: {', '.join(TRADEOFF_METRICS)}"
        )
    rows = []
    for weight in weights:
        means = session.rerank(RerankPipeline.from_settings({reranker: weight}), k).metrics_after
        values = means.means()
        rows.append(
            {
                "run": session.run_id,
                "reranker": reranker,
                "weight": float(weight),
                "ndcg": float(values[f"ndcg@{k}"]),
                "metric": metric,
                "value": float(values[f"{metric}@{k}"]),
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))
