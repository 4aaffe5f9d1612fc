"""EASE: the closed form against per-column least squares, the λ search and the validation carve."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import DataError
from recsys_core.models.base import EpochReport
from recsys_core.models.retrieval import ease
from recsys_core.models.retrieval.ease import (
    EASE,
    carve_validation,
    gram_matrix,
    solve_ease,
    validation_ndcg,
)


def random_binary(n_users: int = 60, n_items: int = 20, seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    return sp.csr_matrix((rng.random((n_users, n_items)) < 0.3).astype(np.float32))


def split_of(matrix: sp.csr_matrix) -> TrainSplit:
    coo = matrix.tocoo()
    return TrainSplit.from_frame(
        pd.DataFrame({"user_idx": coo.row, "item_idx": coo.col}), *matrix.shape
    )


def test_closed_form_equals_constrained_least_squares_per_column() -> None:
    matrix = random_binary()
    gram, l2 = gram_matrix(matrix), 7.5
    weights = solve_ease(gram, l2)
    n_items = gram.shape[0]
    for item in range(n_items):
        # min ||X_j - X_{-j} b||² + λ||b||² over the other items (diag(B) = 0)
        others = np.delete(np.arange(n_items), item)
        lhs = gram[np.ix_(others, others)] + l2 * np.eye(n_items - 1)
        expected = np.linalg.solve(lhs, gram[others, item])
        np.testing.assert_allclose(weights[others, item], expected, rtol=1e-4, atol=1e-6)
        assert weights[item, item] == 0.0


def test_fixed_l2_scores_are_user_rows_times_weights() -> None:
    matrix = random_binary(seed=1)
    model = EASE(l2=20.0).fit(split_of(matrix))
    assert model.chosen_l2_ == 20.0
    expected = matrix.toarray() @ solve_ease(gram_matrix(matrix), 20.0)
    np.testing.assert_allclose(model.score(np.arange(matrix.shape[0])), expected, rtol=1e-5)


def test_carve_holds_out_a_rounded_share_of_each_user_and_keeps_one() -> None:
    matrix = random_binary(seed=2)
    fit_part, held = carve_validation(matrix, 0.25, seed=3)
    np.testing.assert_array_equal((fit_part + held).toarray(), matrix.toarray())
    assert fit_part.multiply(held).nnz == 0
    counts = np.diff(matrix.indptr)
    expected = np.minimum(np.round(0.25 * counts), np.maximum(counts - 1, 0))
    np.testing.assert_array_equal(np.diff(held.indptr), expected)
    again = carve_validation(matrix, 0.25, seed=3)[1]
    np.testing.assert_array_equal(again.toarray(), held.toarray())
    assert (carve_validation(matrix, 0.25, seed=4)[1] != held).nnz > 0


def test_validation_ndcg_matches_a_hand_computed_case() -> None:
    # one user, 4 items; weights make the item order 3, 2, 1 (item 0 is seen)
    fit_part = sp.csr_matrix(np.array([[1, 0, 0, 0]], dtype=np.float32))
    held = sp.csr_matrix(np.array([[0, 1, 1, 0]], dtype=np.float32))
    weights = np.array([[0, 1, 2, 3]] + [[0, 0, 0, 0]] * 3, dtype=np.float32)
    value = validation_ndcg(fit_part, held, weights, np.array([0]), k=2)
    # the list is [3, 2]: one hit at rank 2; the ideal list has hits at ranks 1 and 2
    expected = (1 / np.log2(3)) / (1 + 1 / np.log2(3))
    assert value == pytest.approx(expected)


def test_automatic_l2_reports_every_grid_value_and_keeps_the_best() -> None:
    reports: list[EpochReport] = []
    model = EASE(l2_min=1.0, l2_max=1000.0, l2_steps=4).fit(
        split_of(random_binary(seed=5)), callbacks=[reports.append]
    )
    grid = np.geomspace(1.0, 1000.0, 4)
    assert [r.epoch for r in reports] == [1, 2, 3, 4]
    assert all(r.n_epochs == 4 for r in reports)
    np.testing.assert_allclose([r.metrics["l2"] for r in reports], grid)
    values = [r.metrics["valid_ndcg@10"] for r in reports]
    assert model.chosen_l2_ == pytest.approx(grid[int(np.argmax(values))])


def test_a_callback_can_stop_the_search() -> None:
    reports: list[EpochReport] = []

    def stop_after_two(report: EpochReport) -> bool:
        reports.append(report)
        return report.epoch == 2

    model = EASE(l2_steps=6).fit(split_of(random_binary(seed=6)), callbacks=[stop_after_two])
    assert len(reports) == 2
    assert model.chosen_l2_ in {r.metrics["l2"] for r in reports}


def test_a_given_valid_split_is_used_for_the_search() -> None:
    matrix = random_binary(seed=7)
    fit_part, held = carve_validation(matrix, 0.3, seed=0)
    reports: list[EpochReport] = []
    model = EASE(l2_steps=3).fit(
        split_of(fit_part), valid=split_of(held), callbacks=[reports.append]
    )
    users = np.flatnonzero(np.diff(held.indptr))
    best = max(reports, key=lambda r: r.metrics["valid_ndcg@10"])
    weights = solve_ease(gram_matrix(fit_part), best.metrics["l2"])
    assert best.metrics["valid_ndcg@10"] == pytest.approx(
        validation_ndcg(fit_part, held, weights, users, 10)
    )
    np.testing.assert_allclose(model.weights_, weights)


def test_chosen_l2_survives_save_and_load(tmp_path: Path) -> None:
    model = EASE(l2_steps=3).fit(split_of(random_binary(seed=8)))
    model.save(tmp_path)
    assert EASE.load(tmp_path).chosen_l2_ == model.chosen_l2_


def test_search_without_carvable_rows_says_how_to_fix() -> None:
    single = sp.csr_matrix(np.eye(5, dtype=np.float32))
    with pytest.raises(DataError, match="set l2 > 0"):
        EASE().fit(split_of(single))


def test_catalogues_too_large_for_dense_matrices_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ease, "MAX_ITEMS", 10)
    with pytest.raises(DataError, match="use itemknn"):
        EASE(l2=1.0).fit(split_of(random_binary(n_items=11)))
