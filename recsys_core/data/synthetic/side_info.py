"""Side information drawn from the planted factors, so that it carries the same signal as ids.

Items get genres, tags, a title, a provider and a release year; users an age, a gender, an
occupation and a zip code. Labels come from logits ``strength * <factor_row, c_label>``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from recsys_core.data.frames import ITEM_COLUMNS, USER_COLUMNS
from recsys_core.data.synthetic.columns import format_ids, strings
from recsys_core.data.synthetic.config import BLOCK_CELLS, SyntheticConfig, stream
from recsys_core.data.synthetic.names import (
    GENRE_NAMES,
    OCCUPATION_NAMES,
    TAG_NAMES,
    TITLE_ADJECTIVES,
    TITLE_NOUNS,
)
from recsys_core.data.synthetic.truth import PlantedTruth
from recsys_core.types import BoolArray, FloatArray, IntArray


def rank_labels(
    factors: npt.NDArray[np.float32],
    n_labels: int,
    top: int,
    strength: float,
    rng: np.random.Generator,
    log_prior: FloatArray | None = None,
) -> IntArray:
    """(N, top) distinct labels per row, drawn by Gumbel-top-k, best first.

    Label logits are ``strength * <factor_row, c_label> (+ log_prior)`` with random centroids
    ``c_label`` on the factors' scale, so that rows with similar factors get similar labels.
    """
    centroids = rng.standard_normal((n_labels, factors.shape[1])).astype(np.float32)
    centroids *= np.float32(factors.shape[1] ** -0.25)
    out = np.empty((len(factors), top), dtype=np.int64)
    step = max(1, BLOCK_CELLS // n_labels)
    for lo in range(0, len(factors), step):
        logits = strength * (factors[lo : lo + step] @ centroids.T).astype(np.float64)
        if log_prior is not None:
            logits += log_prior
        logits += rng.gumbel(size=logits.shape)
        if top == 1:
            out[lo : lo + step, 0] = logits.argmax(axis=1)
        else:
            out[lo : lo + step] = np.argsort(-logits, axis=1)[:, :top]
    return out


def membership(ranked: IntArray, n_picked: IntArray, n_labels: int) -> BoolArray:
    """(N, L) True for the first ``n_picked`` labels of each row of ``ranked`` (N, top)."""
    members = np.zeros((len(ranked), n_labels), dtype=bool)
    rows = np.arange(len(ranked))
    for slot in range(ranked.shape[1]):
        members[rows, ranked[:, slot]] |= slot < n_picked
    return members


def join_labels(members: BoolArray, names: tuple[str, ...]) -> npt.NDArray[np.object_]:
    """(N,) ``|``-joined names of each row's labels in label order ("" when none)."""
    joined = np.full(len(members), "", dtype=object)
    for label in range(members.shape[1]):
        has = members[:, label]
        sep = np.where(joined[has] == "", "", "|")
        joined[has] = joined[has] + sep + names[label]
    return joined


def item_frame(config: SyntheticConfig, truth: PlantedTruth, item_ids: pa.Array) -> pd.DataFrame:
    """The items frame (columns ``ITEM_COLUMNS``): genres, tags, title, provider, year."""
    rng = stream(config, "items")
    n_items, factors = config.n_items, truth.item_factors
    n_genres = np.minimum(rng.choice([1, 2, 3], n_items, p=[0.45, 0.35, 0.2]), config.n_genres)
    ranked = rank_labels(factors, config.n_genres, int(n_genres.max()), 2.0, rng)
    genres = membership(ranked, n_genres, config.n_genres)
    n_tags = rng.choice([0, 1, 2, 3], n_items, p=[0.2, 0.35, 0.3, 0.15])
    tags = membership(rank_labels(factors, len(TAG_NAMES), 3, 1.5, rng), n_tags, len(TAG_NAMES))
    adjective = rank_labels(factors, len(TITLE_ADJECTIVES), 1, 1.5, rng)[:, 0]
    noun = rank_labels(factors, len(TITLE_NOUNS), 1, 1.5, rng)[:, 0]
    article = np.where(rng.random(n_items) < 0.3, "The ", "")
    title = np.strings.add(
        np.strings.add(article, np.asarray(TITLE_ADJECTIVES)[adjective]),
        np.strings.add(" ", np.asarray(TITLE_NOUNS)[noun]),
    )
    provider_prior = -np.log(np.arange(1, config.n_providers + 1, dtype=np.float64))
    provider = rank_labels(factors, config.n_providers, 1, 0.5, rng, provider_prior)[:, 0]
    release = truth.item_release_ts
    year = release.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    return pd.DataFrame(
        {
            "item_id": strings(item_ids),
            "title": strings(title),
            "genres": strings(join_labels(genres, GENRE_NAMES)),
            "year": pd.array(year, dtype="Int64"),
            "provider": strings(format_ids("p", config.n_providers).take(pa.array(provider))),
            "release_ts": pd.array(release, dtype="Int64"),
            "tags": strings(join_labels(tags, TAG_NAMES)),
        },
        columns=list(ITEM_COLUMNS),
    )


def user_frame(config: SyntheticConfig, truth: PlantedTruth, user_ids: pa.Array) -> pd.DataFrame:
    """The users frame (columns ``USER_COLUMNS``): age, gender, occupation, zip code."""
    rng = stream(config, "users")
    factors, n_users = truth.user_factors, config.n_users
    first_factor = factors[:, 0].astype(np.float64) * config.n_factors**0.25  # unit variance
    noise = rng.standard_normal(n_users)
    age = np.clip(np.rint(33 + 12 * (0.6 * first_factor + 0.8 * noise)), 13, 80).astype(np.int64)
    female = rank_labels(factors, 2, 1, 1.0, rng)[:, 0] == 1
    occupation = rank_labels(factors, len(OCCUPATION_NAMES), 1, 1.0, rng)[:, 0]
    zip_code = np.strings.zfill(rng.integers(0, 100_000, n_users).astype(str), 5)
    return pd.DataFrame(
        {
            "user_id": strings(user_ids),
            "age": pd.array(age, dtype="Int64"),
            "gender": strings(np.where(female, "F", "M")),
            "occupation": strings(np.asarray(OCCUPATION_NAMES)[occupation]),
            "zip": strings(zip_code),
        },
        columns=list(USER_COLUMNS),
    )
