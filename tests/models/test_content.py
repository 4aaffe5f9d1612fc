"""ContentBased: item terms from messy metadata, TF-IDF by hand, profile weighting and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import DataError
from recsys_core.models.retrieval.content import (
    ContentBased,
    build_item_documents,
    profile_weights,
)

ITEMS = pd.DataFrame(
    {
        "item_id": ["a", "b", "c", "d"],
        "title": pd.array(["Alien (1979)", "Aliens (1986)", "Heat", pd.NA], dtype="string"),
        "genres": pd.array(["Sci-Fi|Horror", "Sci-Fi|Action", "Crime", ""], dtype="string"),
        "tags": pd.array([pd.NA, "space", "", pd.NA], dtype="string"),
    }
)


def split(rows: list[tuple[int, int, float]], items: pd.DataFrame | None = ITEMS) -> TrainSplit:
    frame = pd.DataFrame(rows, columns=["user_idx", "item_idx", "rating"])
    return TrainSplit.from_frame(frame, 3, 4, items)


def test_documents_prefix_fields_and_skip_missing_text() -> None:
    documents = build_item_documents(ITEMS, 4, use_genres=True, use_title=True, use_tags=True)
    assert documents[0] == ["genre:sci-fi", "genre:horror", "title:alien"]
    assert documents[1] == ["genre:sci-fi", "genre:action", "title:aliens", "tag:space"]
    assert documents[2] == ["genre:crime", "title:heat"]
    assert documents[3] == []


def test_documents_work_without_optional_columns() -> None:
    documents = build_item_documents(
        ITEMS[["item_id", "title"]], 4, use_genres=True, use_title=True, use_tags=True
    )
    assert documents[1] == ["title:aliens"]


@pytest.mark.parametrize(
    "items",
    [None, ITEMS.iloc[:2], ITEMS.assign(title=pd.NA, genres="", tags=pd.NA)],
    ids=["no-items", "wrong-length", "no-text"],
)
def test_missing_item_text_raises_data_error(items: pd.DataFrame | None) -> None:
    with pytest.raises(DataError, match="titles, genres or tags"):
        ContentBased().fit(split([(0, 0, 5.0)], items=items))


def test_scores_are_cosines_of_hand_computed_tfidf() -> None:
    # user 0 likes item 0 only, binary weights, raw tf: profile = tfidf(item 0)
    model = ContentBased(
        weighting="binary", sublinear_tf=False, use_title=False, use_tags=False
    ).fit(split([(0, 0, 5.0), (1, 2, 3.0)]))
    # terms over 4 documents; idf = ln((1 + n) / (1 + df)) + 1 (scikit-learn's smooth idf)
    idf = {t: np.log(5 / (1 + df)) + 1 for t, df in {"sci-fi": 2, "horror": 1, "action": 1}.items()}
    item0 = np.array([idf["sci-fi"], idf["horror"], 0.0])
    item1 = np.array([idf["sci-fi"], 0.0, idf["action"]])
    cosine = item0 @ item1 / (np.linalg.norm(item0) * np.linalg.norm(item1))
    scores = model.score(np.array([0]))[0]
    np.testing.assert_allclose(scores, [1.0, cosine, 0.0, 0.0], rtol=1e-5, atol=1e-7)


def test_profile_weights_binary_rating_and_centred() -> None:
    train = split([(0, 0, 5.0), (0, 1, 3.0), (1, 2, np.nan), (1, 1, 2.0)])
    np.testing.assert_array_equal(profile_weights(train, "binary").toarray()[0], [1, 1, 0, 0])
    rating = profile_weights(train, "rating").toarray()
    np.testing.assert_array_equal(rating[0], [5, 3, 0, 0])
    np.testing.assert_array_equal(rating[1], [0, 2, 2, 0])  # missing rating -> user mean
    centred = profile_weights(train, "centred").toarray()
    np.testing.assert_array_equal(centred[0], [1, -1, 0, 0])
    np.testing.assert_array_equal(centred[1], [0, 0, 0, 0])


def test_centred_weighting_pushes_away_from_disliked_items() -> None:
    model = ContentBased(weighting="centred", use_title=False, use_tags=False).fit(
        split([(0, 0, 5.0), (0, 2, 1.0)])
    )
    scores = model.score(np.array([0]))[0]
    assert scores[0] > 0 > scores[2]


def test_cold_items_are_ranked_by_content() -> None:
    # nobody has interacted with item 1, yet it shares a genre with the user's item
    model = ContentBased().fit(split([(0, 0, 5.0), (1, 2, 4.0)]))
    top = model.recommend(np.array([0]), k=1)
    assert top.item_idx[0, 0] == 1


def test_embeddings_reproduce_the_scores() -> None:
    model = ContentBased().fit(split([(0, 0, 5.0), (1, 2, 4.0), (2, 1, 3.0)]))
    vectors = model.embeddings()
    assert vectors.user is not None and vectors.item is not None
    users = np.arange(3)
    np.testing.assert_allclose(vectors.user @ vectors.item.T, model.score(users), rtol=1e-5)
