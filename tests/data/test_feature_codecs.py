"""Each encoding kind against hand computations: vocabularies with OOV and min_count, multi-hot
bags, stable hashed ids, quantile ranks (against numpy's quantiles) and dense expansions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.data.features.hashing import HashedTextCodec, hash_token
from recsys_core.data.features.quantile import QuantileCodec
from recsys_core.data.features.ragged import Ragged
from recsys_core.data.features.vocab_codecs import CategoricalCodec, MultiHotCodec
from recsys_core.errors import DataError


def _bags(ragged: Ragged) -> list[list[int]]:
    bounds = zip(ragged.indptr[:-1], ragged.indptr[1:], strict=True)
    return [ragged.values[a:b].tolist() for a, b in bounds]


def test_categorical_ids_with_oov_for_missing_unseen_and_untrained_values() -> None:
    values = pd.Series(["b", "a", "b", None, "c", ""])
    codec = CategoricalCodec.fit(values, np.array([1, 1, 1, 1, 0, 1]), min_count=1)
    # "c" belongs to a row without training interactions (weight 0): not in the vocabulary.
    assert codec.vocab == ("a", "b") and codec.cardinality == 3
    encoded = codec.encode(pd.Series(["a", "b", "c", None, "zzz", ""]))
    np.testing.assert_array_equal(encoded.values, [1, 2, 0, 0, 0, 0])
    np.testing.assert_array_equal(encoded.indptr, np.arange(7))


def test_categorical_min_count_counts_training_rows() -> None:
    values = pd.Series(["x", "y", "z", "z"])
    codec = CategoricalCodec.fit(values, np.array([3, 1, 1, 1]), min_count=2)
    assert codec.vocab == ("x", "z")  # x: 3 rows, z: 2 rows, y: 1 row -> OOV
    np.testing.assert_array_equal(codec.encode(values).values, [1, 0, 2, 2])
    assert CategoricalCodec.from_state(codec.state()).vocab == codec.vocab


def test_categorical_of_numbers_uses_their_text() -> None:
    values = pd.Series(pd.array([1999, pd.NA, 2001], dtype="Int64"))
    codec = CategoricalCodec.fit(values, np.ones(3, dtype=np.int64), min_count=1)
    assert codec.vocab == ("1999", "2001")
    np.testing.assert_array_equal(codec.encode(values).values, [1, 0, 2])


def test_multi_hot_bags_and_offsets() -> None:
    train = pd.Series(["Action|Comedy", "", None, "Drama| Action", "Horror"])
    codec = MultiHotCodec.fit(train, np.array([1, 1, 1, 1, 0]), min_count=1, sep="|")
    assert codec.vocab == ("Action", "Comedy", "Drama") and codec.cardinality == 4
    encoded = codec.encode(
        pd.Series(["Action|Comedy", "", None, "Drama| Action", "Horror|Western", "Comedy|Comedy"])
    )
    # Empty and missing lists give [0]; unknown tokens collapse to one 0; repeats are dropped.
    assert _bags(encoded) == [[1, 2], [0], [0], [3, 1], [0], [2]]
    np.testing.assert_array_equal(encoded.indptr, [0, 2, 3, 4, 6, 7, 8])
    assert _bags(codec.encode(pd.Series(["Action|Western|Sci-Fi"]))) == [[1, 0]]


def test_multi_hot_min_count_and_separator() -> None:
    train = pd.Series(["a;b", "a", "b;c"])
    codec = MultiHotCodec.fit(train, np.array([2, 1, 0]), min_count=3, sep=";")
    assert codec.vocab == ("a",)  # a: 2 + 1 rows; b: 2; c: none
    assert _bags(codec.encode(train)) == [[1, 0], [1], [0]]


def test_hashed_text_ids_are_stable_literals() -> None:
    assert hash_token("toy", 4096) == 1903  # zlib.crc32(b"toy") = 1728423790
    assert hash_token("misérables", 4096) == 3216
    codec = HashedTextCodec(4096)
    encoded = codec.encode(pd.Series(["Toy Story (1995)", "TOY", "", None, "Misérables, Les"]))
    assert _bags(encoded) == [[1903, 1081, 1887], [1903], [0], [0], [3216, 1075]]
    assert codec.cardinality == 4097


def test_hashed_text_keeps_repeats_and_collisions() -> None:
    # With 16 buckets "toy" and "1995" collide (both 15); "story" is 9.
    encoded = HashedTextCodec(16).encode(pd.Series(["toy story 1995 toy"]))
    assert _bags(encoded) == [[15, 9, 15, 15]]


def test_quantile_ranks_match_numpy_quantiles() -> None:
    rng = np.random.default_rng(3)
    train = rng.lognormal(size=500)
    codec = QuantileCodec.fit("x", pd.Series(train), np.ones(500, np.int64), 11, ())
    levels = np.linspace(0, 1, 11)
    np.testing.assert_allclose(codec.boundaries, np.quantile(train, levels))
    probe = rng.lognormal(size=50)
    expected = np.interp(probe, np.quantile(train, levels), levels)
    np.testing.assert_allclose(codec.encode(pd.Series(probe))[:, 0], expected, rtol=1e-6)


def test_quantile_ties_clipping_missing_and_expansions() -> None:
    train = pd.Series([18, 31, 31, 40, 55, None])
    codec = QuantileCodec.fit("age", train, np.array([1, 1, 1, 1, 1, 7]), 5, ("square", "sqrt"))
    assert codec.boundaries == (18.0, 31.0, 31.0, 40.0, 55.0)
    assert codec.names == ("age", "age_sq", "age_sqrt", "age_missing")
    out = codec.encode(pd.Series([31, 35.5, 10, 100, None, "n/a"]))
    x = np.array([0.375, 0.625, 0.0, 1.0, 0.0, 0.0])  # 31: mean of the tied ranks 0.25 and 0.5
    expected = np.stack([x, x**2, np.sqrt(x), [0, 0, 0, 0, 1, 1]], axis=1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_quantiles_weight_rows_by_training_count() -> None:
    codec = QuantileCodec.fit("c", pd.Series([18.0, 31.0]), np.array([1, 3]), 3, ())
    np.testing.assert_allclose(codec.boundaries, np.quantile([18, 31, 31, 31], [0, 0.5, 1]))


def test_dense_without_training_values_is_refused() -> None:
    with pytest.raises(DataError, match="no numeric value"):
        QuantileCodec.fit("age", pd.Series([None, 30.0]), np.array([1, 0]), 4, ())
