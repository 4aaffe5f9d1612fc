"""Ranked group fairness: every prefix of a list holds a minimum number of protected items.

Zehlike et al., "FA*IR: A Fair Top-k Ranking Algorithm", CIKM 2017. The protected group is
``RerankContext.long_tail`` (long-tail items, or a provider group on the synthetic catalogue).
Shape legend: B users, N candidates, K list length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from recsys_core.config import param
from recsys_core.rerank.base import (
    Candidates,
    RerankContext,
    Reranker,
    RerankerConfig,
    register_reranker,
)
from recsys_core.rerank.greedy import GreedyList
from recsys_core.types import FloatArray, IntArray


def fair_minimums(k: int, p: float, alpha: float) -> IntArray:
    """FA*IR's table m(t), t = 1..k: the protected items a fair prefix of length t must hold.

    m(t) is the alpha-quantile of Binomial(t, p), the smallest m with BinomCDF(m; t, p) >= alpha
    (``scipy.stats.binom.ppf``): fewer protected items than that would be unlikely (probability
    below alpha) if each position were protected with probability p. The paper's adjustment of
    alpha for testing k prefixes at once is omitted, which makes the table stricter, not looser.

    Returns:
        (k,) non-decreasing minimum counts; all 0 when p is 0, and t when p is 1.
    """
    return binom.ppf(alpha, np.arange(1, k + 1), p).astype(np.int64)


@dataclass(frozen=True)
class FairnessConfig(RerankerConfig):
    """Options of FA*IR."""

    weight: float = param(
        0.0,
        "FA*IR's target share p of protected (long-tail) items: every prefix of length t holds "
        "at least the alpha-quantile of Binomial(t, p) of them; 0 is off, 1 makes every item "
        "protected while any is left.",
        min=0.0,
        max=1.0,
    )
    alpha: float = param(
        0.1,
        "FA*IR's significance: a prefix fails when its protected count is below what "
        "Binomial(t, weight) reaches with probability alpha; higher alpha asks for more.",
        min=0.001,
        max=0.5,
    )


@register_reranker
class Fairness(Reranker):
    """FA*IR's ranked group fairness (Zehlike et al., CIKM 2017).

    Position t (1-based) takes the best protected candidate left when the prefix would otherwise
    hold fewer than ``fair_minimums`` m(t) protected items, else the best candidate left; when no
    protected candidate is left it takes the best one (the list stays full, and that prefix falls
    short of m(t)). "Best" is the earliest in the incoming list: the most relevant, or as an
    earlier list builder placed it, so each group keeps its incoming order as in FA*IR.
    """

    name = "fairness"
    label = "Provider fairness (FA*IR)"
    phase = "list"
    source = "Zehlike et al., FA*IR: A Fair Top-k Ranking Algorithm, CIKM 2017"
    config_class = FairnessConfig
    config: FairnessConfig

    def order(
        self, relevance: FloatArray, candidates: Candidates, context: RerankContext, k: int
    ) -> IntArray:
        """(B, N) permutation whose first k columns meet m(t) in every prefix where possible."""
        protected = np.asarray(context.long_tail, dtype=bool)[
            np.where(candidates.valid, candidates.item_idx, 0)
        ]
        greedy = GreedyList(relevance, candidates.valid, k)
        minimums = fair_minimums(greedy.k, self.config.weight, self.config.alpha)
        count = np.zeros(protected.shape[0], dtype=np.int64)
        for t in range(greedy.k):
            short = count < minimums[t]
            cols = greedy.take(allowed=protected | ~short[:, None])
            count += protected[greedy.rows, cols]
        return greedy.order()
