"""The protocol every registered architecture must honour, checked on the checkerboard dataset.

Parametrised over ``list_models()``, so a newly registered model is tested without editing this
file: what a model declares (``personalised``, ``predicts_ratings``, ``stage``) decides which checks
apply, never its name.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from recsys_core.errors import ConfigError, DataError, NotFittedError
from recsys_core.models import Recommender, get_model_class, list_models
from recsys_core.models.base import WEIGHTS_FILE
from recsys_core.models.torch_base import TorchRecommender

if TYPE_CHECKING:
    from tests.contract.conftest import Checkerboard

MODELS = list_models()
Fitted = Callable[[str], tuple[Recommender, object]]
Options = Callable[[str], dict[str, Any]]


def all_users(board: Checkerboard) -> np.ndarray:
    return np.arange(board.train.n_users)


def seen_sets(board: Checkerboard) -> list[set[int]]:
    seen = board.train.csr()
    return [set(seen[user].indices.tolist()) for user in range(seen.shape[0])]


@pytest.mark.parametrize("name", MODELS)
def test_class_attributes_and_config_are_complete(name: str) -> None:
    cls = get_model_class(name)
    assert cls.name == name
    assert cls.label and cls.stage in ("retrieval", "ranking") and "ids" in cls.requires
    config = cls.config_class()
    config.validate()
    for field in dataclasses.fields(config):
        assert field.metadata.get("help"), f"{name}.{field.name} has no help text"
    assert cls.config_class.from_dict(config.to_dict()) == config


@pytest.mark.parametrize("name", MODELS)
def test_fit_returns_self(name: str, fitted: Fitted) -> None:
    model, returned = fitted(name)
    assert returned is model


@pytest.mark.parametrize("name", MODELS)
def test_held_out_item_comes_back_first(
    name: str,
    fitted: Fitted,
    board: Checkerboard,
) -> None:
    cls = get_model_class(name)
    if not cls.personalised:
        pytest.skip(f"{name} gives every user the same order")
    if cls.predicts_ratings:
        # Trained on in-group ratings only, nothing tells it that the other group's unrated items
        # are worse; its own tests check rating recovery instead.
        pytest.skip(f"{name} predicts ratings and never sees the other group's items rated")
    model, _ = fitted(name)
    top = model.recommend(all_users(board), k=1)
    np.testing.assert_array_equal(top.item_idx[:, 0], board.held_out)


@pytest.mark.parametrize("name", MODELS)
def test_batch_equals_single_user_calls(name: str, fitted: Fitted, board: Checkerboard) -> None:
    model, _ = fitted(name)
    batch = model.recommend(all_users(board), k=4)
    assert batch.item_idx.shape == (board.train.n_users, 4)
    for user in all_users(board):
        single = model.recommend(np.array([user]), k=4)
        np.testing.assert_array_equal(single.item_idx[0], batch.item_idx[user])
        np.testing.assert_allclose(single.scores[0], batch.scores[user], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_seen_items_are_excluded_unless_asked(
    name: str, fitted: Fitted, board: Checkerboard
) -> None:
    model, _ = fitted(name)
    n_items = board.train.n_items
    excluded = model.recommend(all_users(board), k=n_items)
    included = model.recommend(all_users(board), k=n_items, exclude_seen=False)
    for user, seen in enumerate(seen_sets(board)):
        assert not seen & set(excluded.item_idx[user].tolist())
        assert seen <= set(included.item_idx[user].tolist())


@pytest.mark.parametrize("name", MODELS)
def test_candidates_restrict_the_list(name: str, fitted: Fitted, board: Checkerboard) -> None:
    model, _ = fitted(name)
    candidates = np.array([0, 3, board.train.n_items - 1])
    top = model.recommend(all_users(board), k=5, candidates=candidates)
    listed = top.item_idx[top.item_idx >= 0]
    assert len(listed) and np.isin(listed, candidates).all()
    assert (top.item_idx[:, 3:] == -1).all()


@pytest.mark.parametrize("name", MODELS)
def test_save_load_gives_identical_scores(
    name: str, fitted: Fitted, board: Checkerboard, tmp_path: Path
) -> None:
    model, _ = fitted(name)
    model.save(tmp_path)
    loaded = Recommender.load(tmp_path)
    assert type(loaded) is type(model)
    assert loaded.config == model.config
    users = all_users(board)
    np.testing.assert_array_equal(loaded.score(users), model.score(users))
    before, after = model.recommend(users, k=3), loaded.recommend(users, k=3)
    np.testing.assert_array_equal(after.item_idx, before.item_idx)


class _WritesOnUnpickle:
    """A payload that would create ``path`` if anything unpickled it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.path, "unpickled"))


@pytest.mark.parametrize("name", MODELS)
def test_corrupt_weights_raise_data_error_and_are_never_unpickled(
    name: str, fitted: Fitted, tmp_path: Path
) -> None:
    model, _ = fitted(name)
    model.save(tmp_path)
    weights = tmp_path / WEIGHTS_FILE
    weights.write_bytes(b"\x00garbage that is not safetensors")
    with pytest.raises(DataError):
        get_model_class(name).load(tmp_path)
    sentinel = tmp_path / "unpickled.txt"
    weights.write_bytes(pickle.dumps(_WritesOnUnpickle(sentinel)))
    with pytest.raises(DataError):
        Recommender.load(tmp_path)
    assert not sentinel.exists()


@pytest.mark.parametrize("name", MODELS)
def test_unknown_config_key_names_the_valid_keys(name: str) -> None:
    cls = get_model_class(name)
    with pytest.raises(ConfigError) as error:
        cls(not_an_option=1)
    for field in dataclasses.fields(cls.config_class):
        assert field.name in str(error.value)


@pytest.mark.parametrize("name", MODELS)
def test_fixed_seed_gives_identical_results(
    name: str, options_for: Options, board: Checkerboard
) -> None:
    cls = get_model_class(name)
    options = {**options_for(name), "seed": 7}
    first = cls(**options).fit(board.train)
    second = cls(**options).fit(board.train)
    users = all_users(board)
    np.testing.assert_array_equal(first.score(users), second.score(users))


@pytest.mark.parametrize("name", MODELS)
def test_pair_scores_match_the_full_matrix(name: str, fitted: Fitted, board: Checkerboard) -> None:
    model, _ = fitted(name)
    full = model.score(all_users(board))
    assert full.shape == (board.train.n_users, board.train.n_items)
    rng = np.random.default_rng(0)
    users = rng.integers(0, board.train.n_users, 50)
    items = rng.integers(0, board.train.n_items, 50)
    pairs = model.score(users, items)
    assert pairs.shape == (50,)
    np.testing.assert_allclose(pairs, full[users, items], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_unfitted_model_raises_not_fitted(name: str, options_for: Options, tmp_path: Path) -> None:
    model = get_model_class(name)(**options_for(name))
    with pytest.raises(NotFittedError):
        model.score(np.array([0]))
    with pytest.raises(NotFittedError):
        model.recommend(np.array([0]), k=3)
    with pytest.raises(NotFittedError):
        model.save(tmp_path)


@pytest.mark.parametrize("name", MODELS)
def test_per_user_candidate_sets_are_ranked_by_their_pair_scores(
    name: str, fitted: Fitted, board: Checkerboard
) -> None:
    model, _ = fitted(name)
    users = all_users(board)
    rng = np.random.default_rng(1)
    candidates = np.stack([rng.permutation(board.train.n_items)[:6] for _ in users])
    candidates[:, -1] = -1  # padding
    scores = model.score_candidates(users, candidates)
    assert scores.shape == candidates.shape and np.isneginf(scores[:, -1]).all()
    rows = np.repeat(users, 5)
    expected = model.score(rows, candidates[:, :5].reshape(-1)).reshape(len(users), 5)
    np.testing.assert_allclose(scores[:, :5], expected, rtol=1e-5, atol=1e-6)
    top = model.rank_candidates(users, candidates, k=3, exclude_seen=False)
    order = np.argsort(-scores[:, :5], axis=1, kind="stable")[:, :3]
    picked = np.take_along_axis(candidates[:, :5], order, axis=1)
    np.testing.assert_allclose(
        np.take_along_axis(scores[:, :5], order, axis=1), top.scores, rtol=1e-5, atol=1e-6
    )
    assert np.isin(top.item_idx, picked).mean() > 0.9  # ties may swap equal-scored items


@pytest.mark.parametrize("name", [n for n in MODELS if get_model_class(n).stage == "ranking"])
def test_ranking_models_score_candidates_without_the_whole_catalogue(
    name: str, fitted: Fitted, board: Checkerboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, _ = fitted(name)
    users = all_users(board)[:4]
    candidates = np.tile(np.arange(3), (len(users), 1))
    expected = model.score(np.repeat(users, 3), candidates.reshape(-1)).reshape(4, 3)

    def refuse(_: np.ndarray) -> np.ndarray:
        raise AssertionError("score_candidates scored the whole catalogue")

    monkeypatch.setattr(model, "_score_users", refuse)
    np.testing.assert_allclose(model.score_candidates(users, candidates), expected, rtol=1e-6)
    batch = model.encoder_.transform(np.repeat(users, 3), candidates.reshape(-1))
    np.testing.assert_allclose(model.score_rows(batch), expected.reshape(-1), rtol=1e-5)


@pytest.mark.parametrize("name", MODELS)
def test_a_validation_split_is_used_and_torch_models_report_their_stage_signal(
    name: str, options_for: Options, board: Checkerboard
) -> None:
    cls = get_model_class(name)
    train, valid = board.train_valid()
    options = options_for(name)
    fields = {f.name for f in dataclasses.fields(cls.config_class)}
    if "patience" in fields:
        options.update(n_epochs=3, patience=1)
    model = cls(**options).fit(train, valid=valid)
    assert model.recommend(all_users(board), k=2).item_idx.shape == (train.n_users, 2)
    if isinstance(model, TorchRecommender):
        metric, _ = model.monitor()
        assert all(metric in report.metrics for report in model.history_)
        expected = {"ranking": "valid_auc", "retrieval": "valid_ndcg@10"}[cls.stage]
        assert metric == ("valid_rmse" if cls.predicts_ratings else expected)
