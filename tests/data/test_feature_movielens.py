"""The default feature spec on real ML-100K: fit on a temporal training window, encode all 100k
rows, and check shapes, cardinalities, bounds and that the test window leaks nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recsys_core.data import store
from recsys_core.data.features import FeatureEncoder, FeatureSpec
from recsys_core.data.movielens import load_movielens
from recsys_core.data.splits import SplitSpec, materialise_split, split_rows


@pytest.mark.needs_movielens
def test_default_spec_encodes_all_of_ml100k(ml100k_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "recsys.duckdb"
    store.write_dataset(load_movielens("ml-100k", ml100k_dir), path=db)
    dataset = store.load_dataset("ml-100k", path=db)
    spec_split = SplitSpec(kind="temporal", test=0.2)
    split = materialise_split(
        dataset, "t", spec_split.to_dict(), split_rows(dataset.interactions, spec_split)
    )
    train, test = split.train, split.test
    spec = FeatureSpec.default_for(
        dataset.users, dataset.items, include_ids=True, with_ratings=True
    )
    assert spec.names == (
        "user_idx",
        "item_idx",
        "age",
        "gender",
        "occupation",
        "genres",
        "year",
        "title",
        "user_count",
        "item_count",
        "user_recent_items",
        "user_mean_rating",
        "item_mean_rating",
    )  # ML-100K has no provider and no tags
    encoder = FeatureEncoder.fit(spec, train)
    users = dataset.interactions["user_idx"].to_numpy(np.int64)
    items = dataset.interactions["item_idx"].to_numpy(np.int64)
    batch = encoder.transform(users, items)

    assert len(batch) == 100_000 and batch.dense.shape == (100_000, 6 * 4)
    assert batch.dense.dtype == np.float32 and np.isfinite(batch.dense).all()
    assert batch.dense.min() >= 0.0 and batch.dense.max() <= 1.0
    assert encoder.cardinalities == {
        "user_idx": len(np.unique(train.user_idx)) + 1,
        "item_idx": len(np.unique(train.item_idx)) + 1,
        "gender": 3,
        "occupation": 22,
        "genres": 19,
        "title": 4097,
        "user_recent_items": 1683,
    }
    for name, field in batch.sparse.items():
        assert len(field) == 100_000 and (field.lengths() >= 1).all(), name
        assert field.ids.min() >= 0 and field.ids.max() < field.cardinality, name
    column = {name: k for k, name in enumerate(batch.dense_names)}
    assert batch.dense[:, column["age_missing"]].sum() == 0
    no_year = dataset.items["year"].isna().to_numpy()[items]
    np.testing.assert_array_equal(batch.dense[:, column["year_missing"]], no_year)

    # Nothing from the test window: its new items are OOV with zero popularity, and every recent
    # item is an item of the user's training rows.
    new_items = np.setdiff1d(test.item_idx, train.item_idx)
    assert len(new_items)
    rows = np.isin(items, new_items)
    assert (batch.take(np.flatnonzero(rows)).sparse["item_idx"].ids == 0).all()
    assert (batch.dense[rows, column["item_count"]] == 0).all()
    recent = encoder.transform(np.arange(943), np.zeros(943, np.int64)).sparse["user_recent_items"]
    trained = set(zip(train.user_idx.tolist(), (train.item_idx + 1).tolist(), strict=True))
    owners = np.repeat(np.arange(943), recent.lengths())
    pairs = set(zip(owners.tolist(), recent.ids.tolist(), strict=True))
    assert pairs - {(user, 0) for user in range(943)} <= trained

    encoder.save(tmp_path / "features")
    again = FeatureEncoder.load(tmp_path / "features").transform(users, items)
    np.testing.assert_array_equal(again.dense, batch.dense)
    for name, field in batch.sparse.items():
        np.testing.assert_array_equal(again.sparse[name].ids, field.ids)
        np.testing.assert_array_equal(again.sparse[name].offsets, field.offsets)
