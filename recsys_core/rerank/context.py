"""Gather a ``RerankContext`` once per run from its dataset, training split and model.

Everything user-side (genre mix, ratings, popularity, the long tail, item ages) comes from the
training window of the run's split, the same inputs the evaluation's beyond-accuracy metrics use
(``evaluation.beyond.beyond_inputs``), so a re-ranker optimises exactly what is then measured.
"""

from __future__ import annotations

import numpy as np

from recsys_core.data.dataset import Dataset
from recsys_core.data.features import genre_table
from recsys_core.data.splits import SplitData
from recsys_core.evaluation.beyond import BeyondInputs, beyond_inputs
from recsys_core.rerank.base import RerankContext


def build_context(
    dataset: Dataset, split: SplitData, item_vectors: np.ndarray | None
) -> tuple[RerankContext, BeyondInputs]:
    """The re-ranking context of a run and the beyond-accuracy inputs it was built from.

    Args:
        dataset: the run's dataset.
        split: the run's split (only its training part is read).
        item_vectors: (I, D) the run's item embeddings, or None (MMR then uses genres).
    """
    train = split.train
    table = genre_table(dataset.items)
    item_genres, genre_names = (None, ()) if table is None else table
    beyond = beyond_inputs(train, dataset.items, item_genres)
    context = RerankContext(
        n_items=dataset.n_items,
        item_genres=item_genres,
        genre_names=genre_names,
        item_age=beyond.item_age,
        item_vectors=None if item_vectors is None else np.asarray(item_vectors, np.float32),
        item_popularity=train.item_counts().astype(np.float64),
        long_tail=beyond.long_tail,
        user_genres=beyond.user_genres,
        train_ratings=train.csr("rating") if train.rating is not None else None,
        item_ids=dataset.items["item_id"].astype(str).to_numpy(),
        # The training window's impression rows (None without impressions): the clickbait
        # filter learns from their clicks and planted relevance.
        extras={"train_impressions": train.impressions},
    )
    return context, beyond
