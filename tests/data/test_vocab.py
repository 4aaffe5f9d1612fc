"""Id vocabularies: deterministic order, lookups both ways, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.data.vocab import build_vocab
from recsys_core.errors import DataError


def test_integer_looking_ids_sort_numerically() -> None:
    vocab = build_vocab(pd.Series(["10", "2", "1", "2", "-5", "007", "7"]))
    # Equal values ("007", "7") fall back to string order.
    assert vocab.ids.tolist() == ["-5", "1", "2", "007", "7", "10"]
    assert len(vocab) == 6


def test_other_ids_sort_as_strings() -> None:
    vocab = build_vocab(pd.Series(["b", "a10", "a2", "1", "B"]))
    assert vocab.ids.tolist() == sorted(["b", "a10", "a2", "1", "B"])
    assert vocab.ids.tolist() == ["1", "B", "a10", "a2", "b"]


def test_ids_too_long_for_int64_sort_as_strings_without_overflow() -> None:
    vocab = build_vocab(pd.Series(["10000000000000000000", "9"]))
    assert vocab.ids.tolist() == ["10000000000000000000", "9"]


def test_order_does_not_depend_on_row_order() -> None:
    ids = [str(v) for v in np.random.default_rng(0).integers(0, 1000, 300)]
    first = build_vocab(pd.Series(ids)).ids.tolist()
    again = build_vocab(pd.Series(ids[::-1])).ids.tolist()
    assert first == again == sorted(set(ids), key=int)


def test_index_and_id_are_inverse() -> None:
    vocab = build_vocab(pd.Series(["u3", "u1", "u2"]))
    idx = vocab.index(["u2", "u2", "u3", "u1"])
    assert idx.dtype == np.int64
    assert idx.tolist() == [1, 1, 2, 0]
    assert [vocab.id(i) for i in range(len(vocab))] == ["u1", "u2", "u3"]
    assert vocab.index(pd.Series(vocab.ids)).tolist() == [0, 1, 2]


def test_unknown_ids_are_named() -> None:
    vocab = build_vocab(pd.Series(["a", "b"]))
    with pytest.raises(DataError, match=r"2 id\(s\) are not in the vocabulary: 'x', 'y'"):
        vocab.index(["a", "x", "y", "x"])
    with pytest.raises(IndexError, match="outside 0..1"):
        vocab.id(2)


def test_missing_ids_are_refused() -> None:
    with pytest.raises(DataError, match="id at position 1 is missing"):
        build_vocab(pd.Series(["a", None]))
