"""Content-based recommender over item text: TF-IDF item vectors and user profiles.

Pazzani & Billsus, "Content-Based Recommendation Systems" (The Adaptive Web, 2007); Lops, de
Gemmis & Semeraro, "Content-based Recommender Systems: State of the Art and Trends" (2011). Each
item is a TF-IDF vector over its genres, title words and tags; a user's profile is the weighted
mean of the vectors of the items they interacted with, and an item's score is the cosine between
the profile and the item. It needs no co-occurrence, so it can rank items nobody has interacted
with yet (the cold-start case collaborative models cannot handle).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize

from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import DataError
from recsys_core.models.base import Callback, ModelConfig, RetrievalModel, param, register
from recsys_core.models.retrieval.itemknn import csr_from_state, csr_to_state
from recsys_core.models.saved_state import expect_array
from recsys_core.types import Embeddings, FloatArray, IntArray

#: Words of a title: runs of letters/digits, two characters or more.
TITLE_WORD = re.compile(r"[^\W_]{2,}")
#: A trailing release year in a title, "Heat (1995)".
TITLE_YEAR = re.compile(r"\(\d{4}\)\s*$")


@dataclass(frozen=True)
class ContentBasedConfig(ModelConfig):
    """Options of the content-based model."""

    use_genres: bool = param(True, "Use each item's genres as terms.")
    use_title: bool = param(True, "Use the words of each item's title as terms.")
    use_tags: bool = param(True, "Use each item's tags as terms.")
    min_df: int = param(
        1, "Ignore terms found in fewer items than this (drops one-off title words).", min=1
    )
    sublinear_tf: bool = param(True, "Use 1 + log(tf) instead of the raw term count.")
    weighting: str = param(
        "rating",
        "How a user's items are weighted in the profile: equally (binary), by rating, or by the "
        "rating minus the user's mean (centred: disliked items push the profile away). Without "
        "ratings every choice is binary.",
        choices=("binary", "rating", "centred"),
    )


@register
class ContentBased(RetrievalModel):
    """Cosine between a user's TF-IDF profile and each item's TF-IDF vector."""

    name = "content"
    label = "Content-based (TF-IDF)"
    requires = frozenset({"ids", "item_text"})
    config_class = ContentBasedConfig
    config: ContentBasedConfig

    def fit(
        self,
        train: TrainSplit,
        *,
        valid: TrainSplit | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> Self:
        self._start_fit(train)
        documents = build_item_documents(
            train.items,
            train.n_items,
            use_genres=self.config.use_genres,
            use_title=self.config.use_title,
            use_tags=self.config.use_tags,
        )
        vectorizer = TfidfVectorizer(
            analyzer=_tokens_as_given,
            min_df=self.config.min_df,
            sublinear_tf=self.config.sublinear_tf,
        )
        try:
            item_terms = vectorizer.fit_transform(documents)
        except ValueError:
            raise DataError(
                f"no item term occurs in at least min_df={self.config.min_df} items; lower min_df "
                "or enable more text fields"
            ) from None
        self.item_terms_ = sp.csr_matrix(item_terms, dtype=np.float32)
        weights = profile_weights(train, self.config.weighting)
        self.user_profiles_ = sp.csr_matrix(normalize(weights @ self.item_terms_), dtype=np.float32)
        return self

    def _score_users(self, user_idx: IntArray) -> FloatArray:
        scores = self.user_profiles_[user_idx] @ self.item_terms_.T
        return np.asarray(scores.toarray(), dtype=np.float32)

    def embeddings(self) -> Embeddings:
        """Dense (U, V) profiles and (I, V) item vectors over the V terms (score = dot product)."""
        self._check_fitted()
        return Embeddings(user=self.user_profiles_.toarray(), item=self.item_terms_.toarray())

    def _state(self) -> dict[str, np.ndarray]:
        return {
            **csr_to_state("item_terms", self.item_terms_),
            **csr_to_state("user_profiles", self.user_profiles_),
            "n_terms": np.array([self.item_terms_.shape[1]], dtype=np.int64),
        }

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        n_terms = int(expect_array(state, "n_terms", (1,), "i")[0])
        self.item_terms_ = csr_from_state("item_terms", state, (self.n_items_, n_terms))
        self.user_profiles_ = csr_from_state("user_profiles", state, (self.n_users_, n_terms))


def build_item_documents(
    items: pd.DataFrame | None,
    n_items: int,
    *,
    use_genres: bool,
    use_title: bool,
    use_tags: bool,
) -> list[list[str]]:
    """One list of terms per item, in item_idx order: ``genre:``, ``title:`` and ``tag:`` terms.

    Prefixes keep the fields apart (the genre "Comedy" is not the title word "comedy"). Missing
    columns and NA values count as empty text; a title's trailing "(1995)" is dropped.

    Raises:
        DataError: when there is no items frame or no item has any text in the chosen fields.
    """
    if items is None or len(items) != n_items:
        raise DataError(
            "the content-based model needs an items table (one row per item, with titles, genres "
            "or tags); this dataset has none: use a dataset with item metadata or another model"
        )
    genres = _text_column(items, "genres") if use_genres else None
    titles = _text_column(items, "title") if use_title else None
    tags = _text_column(items, "tags") if use_tags else None
    documents: list[list[str]] = []
    for row in range(n_items):
        terms: list[str] = []
        if genres is not None:
            terms += [f"genre:{g.strip().lower()}" for g in genres[row].split("|") if g.strip()]
        if titles is not None:
            words = TITLE_WORD.findall(TITLE_YEAR.sub("", titles[row]).lower())
            terms += [f"title:{w}" for w in words if w not in ENGLISH_STOP_WORDS]
        if tags is not None:
            terms += [f"tag:{t.strip().lower()}" for t in tags[row].split("|") if t.strip()]
        documents.append(terms)
    if not any(documents):
        raise DataError(
            "the content-based model needs item titles, genres or tags, but every item's text is "
            "empty in the enabled fields: import item metadata or enable more fields"
        )
    return documents


def profile_weights(train: TrainSplit, weighting: str) -> sp.csr_matrix:
    """(U, I) weights of each user's items in their profile (duplicates summed).

    Args:
        train: the training rows.
        weighting: ``binary`` (1 each), ``rating`` or ``centred`` (rating minus the user's mean
            rating); without ratings always binary. A missing rating counts as the user's
            mean rating (the global mean for a user with none).
    """
    if train.rating is None or weighting == "binary":
        return train.csr("binary")
    values = train.rating.astype(np.float64)
    known = ~np.isnan(values)
    users = train.user_idx
    sums = np.bincount(users[known], weights=values[known], minlength=train.n_users)
    counts = np.bincount(users[known], minlength=train.n_users)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), values[known].mean())
    values = np.where(known, values, means[users])
    if weighting == "centred":
        values = values - means[users]
    weights = sp.csr_matrix(
        (values, (train.user_idx, train.item_idx)), shape=(train.n_users, train.n_items)
    )
    weights.sum_duplicates()
    return weights


def _text_column(items: pd.DataFrame, column: str) -> list[str]:
    """The column as plain strings, "" for missing values or a missing column."""
    if column not in items:
        return [""] * len(items)
    return [str(value) for value in items[column].fillna("").to_numpy()]


def _tokens_as_given(document: list[str]) -> list[str]:
    """TfidfVectorizer analyzer for documents that are already lists of terms."""
    return document
