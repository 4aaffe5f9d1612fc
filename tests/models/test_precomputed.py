"""Precomputed: external vectors and scores aligned to the dataset, and bad files refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import ConfigError, DataError
from recsys_core.models.retrieval.precomputed import Precomputed

USER_IDS = ["u1", "u2", "u3"]
ITEM_IDS = ["10", "20", "30", "40"]


def train_split() -> TrainSplit:
    frame = pd.DataFrame({"user_idx": [0, 1, 2], "item_idx": [0, 1, 2]})
    users = pd.DataFrame({"user_id": pd.array(USER_IDS, dtype="string")})
    items = pd.DataFrame({"item_id": pd.array(ITEM_IDS, dtype="string")})
    return TrainSplit.from_frame(frame, 3, 4, items, users)


def vectors(n: int, dim: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)


def test_npy_embeddings_score_by_dot_product(tmp_path: Path) -> None:
    user, item = vectors(3), vectors(4, seed=1)
    np.save(tmp_path / "user_embeddings.npy", user)
    np.save(tmp_path / "item_embeddings.npy", item)
    model = Precomputed(source=str(tmp_path)).fit(train_split())
    np.testing.assert_allclose(model.score(np.arange(3)), user @ item.T, rtol=1e-6)
    np.testing.assert_array_equal(model.embeddings().item, item)


def test_parquet_embeddings_are_matched_by_raw_id(tmp_path: Path) -> None:
    user, item = vectors(3), vectors(4, seed=1)
    # users shuffled with one unknown id; item "30" missing; vectors as one list column
    user_frame = pd.DataFrame(
        np.vstack([user[2], [9.0] * 3, user[0], user[1]]), columns=["a", "b", "c"]
    )
    user_frame.insert(0, "user_id", ["u3", "ghost", "u1", "u2"])
    user_frame.to_parquet(tmp_path / "user_embeddings.parquet")
    pd.DataFrame(
        {"item_id": [40, 10, 20], "vec": [list(item[3]), list(item[0]), list(item[1])]}
    ).to_parquet(tmp_path / "item_embeddings.parquet")
    model = Precomputed(source=str(tmp_path)).fit(train_split())
    scores = model.score(np.arange(3))
    expected = user @ item.T
    expected[:, 2] = -np.inf
    np.testing.assert_allclose(scores, expected, rtol=1e-6)
    assert 2 not in model.recommend(np.arange(3), k=4, exclude_seen=False).item_idx


def test_users_without_vectors_get_nothing_recommended(tmp_path: Path) -> None:
    pd.DataFrame({"user_id": ["u1"], "d0": [1.0]}).to_parquet(tmp_path / "user_embeddings.parquet")
    np.save(tmp_path / "item_embeddings.npy", np.ones((4, 1)))
    model = Precomputed(source=str(tmp_path)).fit(train_split())
    assert np.isneginf(model.score(np.array([1, 2]))).all()
    assert (model.recommend(np.array([1]), k=2).item_idx == -1).all()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_scores_file_gives_its_scores_and_minus_inf_elsewhere(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame(
        {"user_id": ["u2", "u1", "u1", "nobody"], "item_id": ["30", "10", "40", "10"]}
        | {"score": [0.0, 2.5, -1.0, 7.0]}
    )
    path = tmp_path / f"scores{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    model = Precomputed(source=str(path), kind="scores").fit(train_split())
    expected = np.full((3, 4), -np.inf)
    expected[1, 2], expected[0, 0], expected[0, 3] = 0.0, 2.5, -1.0
    np.testing.assert_array_equal(model.score(np.arange(3)), expected)
    pairs = model.score(np.array([0, 1, 2]), np.array([3, 2, 0]))
    np.testing.assert_array_equal(pairs, [-1.0, 0.0, -np.inf])
    assert model.embeddings().user is None


def test_scores_kind_survives_save_and_load(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    pd.DataFrame({"user_id": ["u1", "u3"], "item_id": ["20", "20"], "score": [0.0, 1.0]}).to_csv(
        path, index=False
    )
    model = Precomputed(source=str(path), kind="scores").fit(train_split())
    model.save(tmp_path / "run")
    path.unlink()
    loaded = Precomputed.load(tmp_path / "run")
    np.testing.assert_array_equal(loaded.score(np.arange(3)), model.score(np.arange(3)))


class _WritesOnUnpickle:
    """An object that would create ``path`` if anything unpickled it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.write_text, (self.path, "unpickled"))


def test_object_npy_is_refused_and_never_unpickled(tmp_path: Path) -> None:
    sentinel = tmp_path / "unpickled.txt"
    payload = np.empty(3, dtype=object)
    payload[:] = [_WritesOnUnpickle(sentinel), None, "x"]
    np.save(tmp_path / "user_embeddings.npy", payload, allow_pickle=True)
    np.save(tmp_path / "item_embeddings.npy", vectors(4))
    with pytest.raises(DataError, match="object arrays are refused"):
        Precomputed(source=str(tmp_path)).fit(train_split())
    assert not sentinel.exists()


@pytest.mark.parametrize(
    ("user", "item", "message"),
    [
        (vectors(2), vectors(4), "has 2 rows but the dataset has 3 users"),
        (vectors(3), vectors(4, dim=2), "3 dimensions but item vectors 2"),
        (np.full((3, 3), np.nan), vectors(4), "NaN or infinite"),
        (vectors(3)[:, 0], vectors(4), "needs a 2-D float array"),
    ],
    ids=["rows", "dims", "nan", "1-d"],
)
def test_bad_npy_embeddings_say_what_to_fix(
    tmp_path: Path, user: np.ndarray, item: np.ndarray, message: str
) -> None:
    np.save(tmp_path / "user_embeddings.npy", user)
    np.save(tmp_path / "item_embeddings.npy", item)
    with pytest.raises(DataError, match=message):
        Precomputed(source=str(tmp_path)).fit(train_split())


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"user_id": ["u1", "u1"], "item_id": ["10", "10"], "score": [1, 2]}), "once"),
        (pd.DataFrame({"user_id": ["u1"], "item_id": ["10"], "score": [np.nan]}), "finite score"),
        (pd.DataFrame({"user_id": ["x"], "item_id": ["10"], "score": [1.0]}), "no \\(user_id"),
        (pd.DataFrame({"user": ["u1"], "item_id": ["10"], "score": [1.0]}), "lacks column"),
    ],
    ids=["duplicate", "nan", "no-match", "columns"],
)
def test_bad_scores_files_say_what_to_fix(
    tmp_path: Path, frame: pd.DataFrame, message: str
) -> None:
    path = tmp_path / "scores.parquet"
    frame.to_parquet(path)
    with pytest.raises(DataError, match=message):
        Precomputed(source=str(path), kind="scores").fit(train_split())


def test_missing_or_unset_source_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs source"):
        Precomputed().fit(train_split())
    with pytest.raises(DataError, match="does not exist"):
        Precomputed(source=str(tmp_path / "nope")).fit(train_split())
    with pytest.raises(DataError, match="no user_embeddings.npy or user_embeddings.parquet"):
        Precomputed(source=str(tmp_path)).fit(train_split())
