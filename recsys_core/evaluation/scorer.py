"""What evaluation needs from a model: the ``Scorer`` protocol.

Evaluation depends on this small structural type rather than on ``recsys_core.models``, so the
metric code imports no architecture, and anything that scores and recommends (a fitted model, a
cascade, a re-ranked model) can be evaluated. Shape legend: B users, N pairs, I items, K list
length.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from recsys_core.types import FloatArray, IntArray, TopK


@runtime_checkable
class Scorer(Protocol):
    """A fitted scorer: ``Recommender`` subclasses satisfy it without declaring it.

    Attributes:
        stage: ``"retrieval"`` (scores the catalogue) or ``"ranking"`` (scores labelled rows,
            evaluated pointwise as well as top-N).
        requires: what the model needs from a dataset (``{"ids"}``, ``{"ratings"}``, ...).
        predicts_ratings: the scores are ratings (also evaluated by RMSE and MAE).
    """

    stage: str
    requires: frozenset[str]
    predicts_ratings: bool

    def score(self, user_idx: IntArray, item_idx: IntArray | None = None) -> FloatArray:
        """(N,) scores of (user, item) pairs, or (B, I) over the catalogue when ``item_idx`` is
        None."""
        ...

    def recommend(
        self,
        user_idx: IntArray,
        k: int = 10,
        *,
        exclude_seen: bool = True,
        candidates: IntArray | None = None,
    ) -> TopK:
        """(B, K) top-k items per user, seen training items excluded by default."""
        ...
