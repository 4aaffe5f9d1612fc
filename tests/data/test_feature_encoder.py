"""FeatureEncoder on a toy split: fit on training rows only (no leakage from the test window),
gathers per row, interaction context, save/load, ``take`` and EmbeddingBag consumption."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from recsys_core.data.dataset import TrainSplit
from recsys_core.data.features import (
    FeatureBatch,
    FeatureEncoder,
    FeatureField,
    FeatureSpec,
    SparseField,
)
from recsys_core.data.features.hashing import hash_token
from recsys_core.errors import DataError

USERS = pd.DataFrame(
    {
        "age": pd.array([20, pd.NA, 40], dtype="Int64"),
        "occupation": ["artist", "artist", "doctor"],
    }
)
ITEMS = pd.DataFrame(
    {
        "genres": ["Action|Comedy", "", "Drama", "Horror"],
        "provider": ["A", "B", "A", "Z"],
        "title": ["Toy Story", "Heat", None, "Scream"],
    }
)
# Training window: users 0 and 1 on items 0..2. Test window: user 2 and item 3 appear only there.
TRAIN_ROWS = {"user_idx": [0, 0, 1, 1], "item_idx": [0, 1, 0, 2], "timestamp": [10, 30, 20, 5]}
TEST_ROWS = {"user_idx": [2, 2, 0], "item_idx": [3, 0, 3], "timestamp": [40, 41, 42]}
SPEC = FeatureSpec(
    (
        FeatureField("occupation", "user", "occupation", "categorical"),
        FeatureField("age", "user", "age", "dense", n_quantiles=2, expansions=("square",)),
        FeatureField("genres", "item", "genres", "multi_hot"),
        FeatureField("provider", "item", "provider", "categorical"),
        FeatureField("title", "item", "title", "hashed_text", n_buckets=64),
        FeatureField("item_count", "item", "count", "history", n_quantiles=2, expansions=()),
        FeatureField("recent", "user", "recent_items", "history", max_len=1),
        FeatureField("item_idx", "item", "item_idx", "categorical"),
    )
)


def _split(rows: dict[str, list[int]]) -> TrainSplit:
    frame = pd.DataFrame({**rows, "rating": np.nan})
    return TrainSplit.from_frame(frame, 3, 4, items=ITEMS, users=USERS)


def _bags(field: SparseField) -> list[list[int]]:
    ends = [*field.offsets[1:].tolist(), len(field.ids)]
    return [field.ids[a:b].tolist() for a, b in zip(field.offsets, ends, strict=True)]


@pytest.fixture(scope="module")
def encoder() -> FeatureEncoder:
    return FeatureEncoder.fit(SPEC, _split(TRAIN_ROWS))


def test_transform_gathers_hand_computed_rows(encoder: FeatureEncoder) -> None:
    batch = encoder.transform(np.array([0, 1, 2]), np.array([0, 2, 1]))
    assert len(batch) == 3 and list(batch.sparse) == [
        "occupation",
        "genres",
        "provider",
        "title",
        "recent",
        "item_idx",
    ]
    assert encoder.cardinalities == {
        "occupation": 2,  # artist + OOV ("doctor" is only on a test-window user)
        "genres": 4,  # Action, Comedy, Drama + OOV
        "provider": 3,  # A, B + OOV
        "title": 65,
        "recent": 5,
        "item_idx": 4,  # items 0, 1, 2 seen in training + OOV
    }
    assert (
        batch.dense_names
        == encoder.dense_names
        == (
            "age",
            "age_sq",
            "age_missing",
            "item_count",
            "item_count_missing",
        )
    )
    # Age boundaries come from training rows only: user 0 (20) twice -> [20, 20]; user 2 is 40.
    # Item counts over training rows: items 0, 0, 1, 2 have counts 2, 2, 1, 1 -> boundaries [1, 2].
    np.testing.assert_allclose(
        batch.dense,
        [[0.5, 0.25, 0, 1, 0], [0, 0, 1, 0, 0], [1, 1, 0, 0, 0]],
    )
    assert _bags(batch.sparse["occupation"]) == [[1], [1], [0]]
    assert _bags(batch.sparse["genres"]) == [[1, 2], [3], [0]]
    assert _bags(batch.sparse["title"]) == [
        [hash_token("toy", 64), hash_token("story", 64)],
        [0],
        [hash_token("heat", 64)],
    ]
    assert _bags(batch.sparse["recent"]) == [[2], [1], [0]]  # latest training item + 1
    np.testing.assert_array_equal(batch.sparse["genres"].offsets, [0, 2, 3])
    np.testing.assert_array_equal(batch.sparse["item_idx"].offsets, [0, 1, 2])


def test_values_only_in_the_test_window_map_to_oov(encoder: FeatureEncoder) -> None:
    test = _split(TEST_ROWS)
    batch = encoder.transform(test.user_idx, test.item_idx)
    assert _bags(batch.sparse["occupation"]) == [[0], [0], [1]]  # "doctor" only in test
    assert _bags(batch.sparse["provider"]) == [[0], [1], [0]]  # "Z" only in test
    assert _bags(batch.sparse["genres"]) == [[0], [1, 2], [0]]  # "Horror" only in test
    assert _bags(batch.sparse["item_idx"]) == [[0], [1], [0]]  # item 3 only in test
    assert _bags(batch.sparse["recent"]) == [[0], [0], [2]]  # test rows add no history
    np.testing.assert_array_equal(batch.dense[:, 3], [0, 1, 0])  # item 3: no training rows
    # Fitting on the test window as well would have learnt those values: the split matters.
    both = {key: TRAIN_ROWS[key] + TEST_ROWS[key] for key in TRAIN_ROWS}
    leaky = FeatureEncoder.fit(SPEC, _split(both))
    assert leaky.cardinalities["provider"] == 4 and leaky.cardinalities["occupation"] == 3


def test_interaction_fields_read_context() -> None:
    spec = FeatureSpec((FeatureField("when", "interaction", "timestamp", "dense", n_quantiles=3),))
    encoder = FeatureEncoder.fit(spec, _split(TRAIN_ROWS))  # boundaries: 5, 15, 30
    batch = encoder.transform(np.array([0, 1]), np.array([0, 0]), context={"timestamp": [15, 99]})
    np.testing.assert_allclose(batch.dense[:, 0], [0.5, 1.0])
    with pytest.raises(DataError, match="context"):
        encoder.transform(np.array([0]), np.array([0]))
    with pytest.raises(DataError, match="no per-row array"):
        FeatureEncoder.fit(
            FeatureSpec((FeatureField("s", "interaction", "nothing", "categorical"),)),
            _split(TRAIN_ROWS),
        )


def test_bad_inputs_are_explained(encoder: FeatureEncoder) -> None:
    with pytest.raises(DataError, match=r"0\.\.2"):
        encoder.transform(np.array([3]), np.array([0]))
    with pytest.raises(DataError, match="rows"):
        encoder.transform(np.array([0, 1]), np.array([0]))
    missing_column = FeatureSpec((FeatureField("zip", "user", "zip", "categorical"),))
    with pytest.raises(DataError, match="no column 'zip'"):
        FeatureEncoder.fit(missing_column, _split(TRAIN_ROWS))
    bare = TrainSplit.from_frame(pd.DataFrame(TRAIN_ROWS), 3, 4)
    with pytest.raises(DataError, match="no users table"):
        FeatureEncoder.fit(missing_column, bare)


def test_save_load_round_trip_gives_identical_batches(
    encoder: FeatureEncoder, tmp_path: Path
) -> None:
    encoder.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["features.json", "features.safetensors"]
    loaded = FeatureEncoder.load(tmp_path)
    assert loaded.spec == encoder.spec and loaded.cardinalities == encoder.cardinalities
    users, items = np.array([2, 0, 1, 0]), np.array([3, 1, 2, 0])
    _assert_same(loaded.transform(users, items), encoder.transform(users, items))


def test_load_refuses_missing_and_corrupt_files(encoder: FeatureEncoder, tmp_path: Path) -> None:
    encoder.save(tmp_path)
    tensors, meta = tmp_path / "features.safetensors", tmp_path / "features.json"
    good_tensors, good_meta = tensors.read_bytes(), meta.read_text()
    tensors.write_bytes(b"not a safetensors file")
    with pytest.raises(DataError, match="features.safetensors is corrupt"):
        FeatureEncoder.load(tmp_path)
    tensors.write_bytes(good_tensors)
    meta.write_text("{truncated")
    with pytest.raises(DataError, match="features.json is corrupt"):
        FeatureEncoder.load(tmp_path)
    payload = json.loads(good_meta)
    del payload["codecs"]["genres"]
    meta.write_text(json.dumps(payload))
    with pytest.raises(DataError, match="features.json is malformed"):
        FeatureEncoder.load(tmp_path)
    payload = json.loads(good_meta)
    payload["n_items"] = 5
    meta.write_text(json.dumps(payload))
    with pytest.raises(DataError, match="features.safetensors does not match"):
        FeatureEncoder.load(tmp_path)
    meta.unlink()
    with pytest.raises(DataError, match="features.json is missing"):
        FeatureEncoder.load(tmp_path)


def test_take_selects_rows_in_order(encoder: FeatureEncoder) -> None:
    users, items = np.array([0, 1, 2, 1]), np.array([0, 2, 1, 0])
    batch = encoder.transform(users, items)
    rows = np.array([3, 0, 0, 2])
    _assert_same(batch.take(rows), encoder.transform(users[rows], items[rows]))
    assert len(batch.take(np.array([], dtype=np.int64))) == 0


def test_embedding_bag_pools_the_hand_computed_mean(encoder: FeatureEncoder) -> None:
    batch = encoder.transform(np.array([0, 1, 2]), np.array([0, 2, 3])).to_torch("cpu")
    genres = batch.sparse["genres"]  # bags [1, 2], [3], [0]
    assert batch.dense.dtype == torch.float32 and genres.ids.dtype == torch.int64
    bag = torch.nn.EmbeddingBag(genres.cardinality, 2, mode="mean")
    with torch.no_grad():
        bag.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 6.0], [5.0, -1.0]]))
    pooled = bag(genres.ids, genres.offsets)
    torch.testing.assert_close(pooled, torch.tensor([[2.0, 4.0], [5.0, -1.0], [0.0, 0.0]]))


def _assert_same(got: FeatureBatch, want: FeatureBatch) -> None:
    assert got.dense_names == want.dense_names and list(got.sparse) == list(want.sparse)
    np.testing.assert_array_equal(got.dense, want.dense)
    for name, field in want.sparse.items():
        np.testing.assert_array_equal(got.sparse[name].ids, field.ids)
        np.testing.assert_array_equal(got.sparse[name].offsets, field.offsets)
        assert got.sparse[name].cardinality == field.cardinality


def test_batch_refuses_mismatched_parts() -> None:
    bags = SparseField(ids=np.array([1, 0]), offsets=np.array([0, 1]), cardinality=2)
    with pytest.raises(DataError, match="names"):
        FeatureBatch(dense=np.zeros((2, 3), np.float32), dense_names=("a",), sparse={})
    with pytest.raises(DataError, match="rows"):
        FeatureBatch(dense=np.zeros((3, 0), np.float32), dense_names=(), sparse={"f": bags})
