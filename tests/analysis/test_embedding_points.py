"""Point tables of embedding maps: catalogue facts and training counts, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.analysis.embedding_points import (
    NO_GENRE,
    colour_fields,
    describe_items,
    first_genres,
    highlight_points,
    point_table,
    similar_item_table,
    training_counts,
    user_item_tables,
)
from recsys_core.data.dataset import Dataset, TrainSplit
from recsys_core.errors import DataError
from recsys_core.models import Recommender, get_model_class
from recsys_core.retrieval import FaissIndex


@pytest.fixture()
def dataset() -> Dataset:
    items = pd.DataFrame(
        {
            "item_id": pd.array(["i1", "i2", "i3", "i4"], dtype="str"),
            "title": pd.array(["Alpha", "Beta", "", "Delta"], dtype="str"),
            "genres": pd.array(["Drama|Comedy", "", "Action", None], dtype="str"),
            "year": pd.array([1995, None, 2001, 1980], dtype="Int64"),
            "provider": pd.array([None, None, None, None], dtype="str"),
            "release_ts": pd.array([None] * 4, dtype="Int64"),
            "tags": pd.array([""] * 4, dtype="str"),
        }
    )
    users = pd.DataFrame(
        {
            "user_id": pd.array(["u1", "u2", "u3"], dtype="str"),
            "age": pd.array([20, 30, None], dtype="Int64"),
            "gender": pd.array(["F", "M", "F"], dtype="str"),
            "occupation": pd.array(["a", "b", "c"], dtype="str"),
            "zip": pd.array(["1", "2", "3"], dtype="str"),
        }
    )
    interactions = pd.DataFrame({"row_id": [], "user_idx": [], "item_idx": []})
    return Dataset("toy", interactions, users, items, None, "fp")


def toy_train() -> TrainSplit:
    # user 0: items 0, 1 (item 1 twice: counted once); user 1: item 0; user 2: items 0, 3.
    return TrainSplit(
        user_idx=np.array([0, 0, 0, 1, 2, 2]),
        item_idx=np.array([0, 1, 1, 0, 0, 3]),
        rating=None,
        timestamp=None,
        n_users=3,
        n_items=4,
    )


@pytest.fixture()
def model() -> Recommender:
    return get_model_class("popularity")().fit(toy_train())


def test_training_counts_are_distinct_training_interactions(model: Recommender) -> None:
    np.testing.assert_array_equal(training_counts(model, "item"), [3, 1, 0, 1])
    np.testing.assert_array_equal(training_counts(model, "user"), [2, 1, 2])


def test_item_points_join_titles_genres_and_popularity(
    dataset: Dataset, model: Recommender
) -> None:
    projection = pd.DataFrame({"idx": [2, 0, 3], "x": [0.5, 1.0, 2.0], "y": [3.0, 4.0, 5.0]})
    points = point_table(dataset, model, "item", projection)
    assert points["idx"].tolist() == [2, 0, 3]
    assert points["id"].tolist() == ["i3", "i1", "i4"]
    assert points["label"].tolist() == ["i3", "Alpha", "Delta"]  # empty title -> the id
    assert points["genre"].tolist() == ["Action", "Drama", NO_GENRE]
    assert points["year"].tolist() == [2001, 1995, 1980]
    assert points["popularity"].tolist() == [0, 3, 1]
    np.testing.assert_allclose(points["log_popularity"], np.log10([1.0, 4.0, 2.0]))
    np.testing.assert_allclose(points["x"], [0.5, 1.0, 2.0])
    np.testing.assert_allclose(points["y"], [3.0, 4.0, 5.0])


def test_user_points_carry_demographics_and_activity(dataset: Dataset, model: Recommender) -> None:
    projection = pd.DataFrame({"idx": [0, 1, 2], "x": [0.0] * 3, "y": [0.0] * 3})
    points = point_table(dataset, model, "user", projection)
    assert points["label"].tolist() == ["u1", "u2", "u3"]
    assert points["activity"].tolist() == [2, 1, 2]
    assert points["gender"].tolist() == ["F", "M", "F"]
    assert points["age"].isna().tolist() == [False, False, True]


def test_colour_fields_offer_only_what_the_data_has(dataset: Dataset, model: Recommender) -> None:
    projection = pd.DataFrame({"idx": [0, 1, 2, 3], "x": [0.0] * 4, "y": [0.0] * 4})
    items = point_table(dataset, model, "item", projection)
    assert list(colour_fields(items, "item")) == ["genre", "log_popularity", "year"]  # no provider
    users = point_table(dataset, model, "user", projection.iloc[:3])
    assert list(colour_fields(users, "user")) == ["log_activity", "age", "gender", "occupation"]


def test_a_changed_dataset_is_reported(dataset: Dataset, model: Recommender) -> None:
    smaller = Dataset("toy", dataset.interactions, dataset.users, dataset.items.iloc[:3], None, "x")
    projection = pd.DataFrame({"idx": [0], "x": [0.0], "y": [0.0]})
    with pytest.raises(DataError, match="changed since the run"):
        point_table(smaller, model, "item", projection)


def test_first_genres_handle_empty_and_missing() -> None:
    genres = pd.Series(["Sci-Fi|War", "", None], dtype="str")
    assert first_genres(genres).tolist() == ["Sci-Fi", NO_GENRE, NO_GENRE]


def test_describe_items_ranks_and_drops_padding(dataset: Dataset) -> None:
    table = describe_items(dataset, np.array([3, 0, -1]), np.array([0.9, 0.5, -np.inf]))
    assert table["rank"].tolist() == [1, 2]
    assert table["item_idx"].tolist() == [3, 0]
    assert table["item_id"].tolist() == ["i4", "i1"]
    assert table["title"].tolist() == ["Delta", "Alpha"]
    assert table["genres"].tolist() == ["", "Drama|Comedy"]
    np.testing.assert_allclose(table["score"], [0.9, 0.5])


def test_highlight_points_keep_rank_order_and_skip_what_is_not_on_the_map(
    dataset: Dataset, model: Recommender
) -> None:
    projection = pd.DataFrame({"idx": [0, 1, 3], "x": [1.0, 2.0, 3.0], "y": [4.0, 5.0, 6.0]})
    points = point_table(dataset, model, "item", projection)
    marked = highlight_points(points, {"selected": np.array([1]), "nearest": np.array([3, 2, 0])})
    assert marked["role"].tolist() == ["selected", "nearest", "nearest"]
    assert marked["idx"].tolist() == [1, 3, 0]  # item 2 is not on the map
    assert marked["rank"].tolist() == [1, 1, 3]
    assert marked["label"].tolist() == ["Beta", "Delta", "Alpha"]
    np.testing.assert_allclose(marked["x"], [2.0, 3.0, 1.0])
    assert highlight_points(points, {}).empty


def test_similar_item_table_lists_the_nearest_other_items(dataset: Dataset) -> None:
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]], dtype=np.float32)
    table = similar_item_table(FaissIndex(vectors, metric="cosine"), dataset, 0, 2)
    assert table["item_idx"].tolist() == [1, 2]
    assert table["title"].tolist() == ["Beta", ""]
    np.testing.assert_allclose(table["score"], [0.9 / np.hypot(0.9, 0.1), 0.0], atol=1e-6)


def test_user_item_tables_contrast_embedding_neighbours_with_recommendations(
    dataset: Dataset,
) -> None:
    bpr = get_model_class("bpr")(n_epochs=2, dim=4, seed=1).fit(toy_train())
    item_emb, user_emb = bpr.embeddings().item, bpr.embeddings().user
    nearest, recommended = user_item_tables(bpr, FaissIndex(item_emb), dataset, 0, 2)
    expected = np.argsort(-(item_emb @ user_emb[0]), kind="stable")[:2]
    assert nearest["item_idx"].tolist() == expected.tolist()  # seen items may appear here
    np.testing.assert_allclose(nearest["score"], (item_emb @ user_emb[0])[expected], rtol=1e-5)
    top = bpr.recommend(np.array([0]), 2)
    assert recommended["item_idx"].tolist() == top.item_idx[0].tolist()
    assert set(recommended["item_idx"]) == {2, 3}  # user 0 saw items 0 and 1 in training
