"""The torch loop: device, seeding, batches, loss averaging, callbacks, early stop, cancel."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import ConfigError
from recsys_core.models.base import EpochReport
from recsys_core.models.retrieval.popularity import Popularity
from recsys_core.training import (
    CancelSignal,
    EarlyStopping,
    TrainingCancelled,
    resolve_device,
    seed_everything,
    shuffled_batches,
    train_epochs,
    valid_ndcg_at_k,
)

N_ROWS, BATCH = 10, 4


class Recorder:
    """A tiny regression problem whose loss function records every batch it sees."""

    def __init__(self, seed: int = 0) -> None:
        self.generator = seed_everything(seed)
        self.x = torch.randn(N_ROWS, 3, generator=self.generator)
        self.y = self.x @ torch.tensor([1.0, -2.0, 0.5])
        self.net = nn.Linear(3, 1)
        self.optimizer = torch.optim.SGD(self.net.parameters(), lr=0.1)
        self.batch_losses: list[tuple[float, int]] = []

    def make_batches(self) -> Iterator[tuple[torch.Tensor, ...]]:
        return shuffled_batches((self.x, self.y), BATCH, self.generator)

    def compute_loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loss = ((self.net(x).squeeze(-1) - y) ** 2).mean()
        self.batch_losses.append((float(loss.detach()), len(x)))
        return loss

    def train(self, n_epochs: int, **kwargs: object) -> list[EpochReport]:
        return train_epochs(
            self.net, self.optimizer, self.make_batches, self.compute_loss, n_epochs, **kwargs
        )


def test_resolve_device_honours_names_and_refuses_missing_cuda(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(ConfigError, match="no CUDA"):
        resolve_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda") == torch.device("cuda")
    with pytest.raises(ConfigError, match="not one of"):
        resolve_device("tpu")


def test_seed_everything_makes_data_order_and_initialisation_reproducible() -> None:
    first = torch.randperm(50, generator=seed_everything(7))
    init_first = nn.Linear(4, 2).weight.detach().clone()
    second = torch.randperm(50, generator=seed_everything(7))
    init_second = nn.Linear(4, 2).weight.detach().clone()
    assert torch.equal(first, second) and torch.equal(init_first, init_second)
    assert not torch.equal(first, torch.randperm(50, generator=seed_everything(8)))


def test_shuffled_batches_cover_every_row_once_and_stay_aligned() -> None:
    values = torch.arange(N_ROWS)
    batches = list(shuffled_batches((values, values * 10), BATCH, seed_everything(0)))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    seen = torch.cat([b[0] for b in batches])
    assert sorted(seen.tolist()) == list(range(N_ROWS))
    assert not torch.equal(seen, values)  # shuffled (this seed does move rows)
    for first, second in batches:
        assert torch.equal(second, first * 10)


def test_one_report_per_epoch_with_the_row_weighted_mean_loss() -> None:
    problem = Recorder()
    received: list[EpochReport] = []
    reports = problem.train(3, callbacks=[received.append])
    assert received == reports
    assert [r.epoch for r in reports] == [1, 2, 3] and {r.n_epochs for r in reports} == {3}
    batches_per_epoch = 3
    for epoch, report in enumerate(reports):
        chunk = problem.batch_losses[epoch * batches_per_epoch : (epoch + 1) * batches_per_epoch]
        expected = sum(loss * n for loss, n in chunk) / N_ROWS
        assert report.loss == pytest.approx(expected, rel=1e-6)
    assert reports[-1].loss < reports[0].loss


def test_a_callback_returning_true_stops_after_that_epoch() -> None:
    reports = Recorder().train(10, callbacks=[lambda report: report.epoch == 3])
    assert len(reports) == 3


def test_evaluate_metrics_land_in_the_reports() -> None:
    calls = iter(range(100))
    reports = Recorder().train(2, evaluate=lambda: {"score": float(next(calls))})
    assert [r.metrics for r in reports] == [{"score": 0.0}, {"score": 1.0}]


@pytest.mark.parametrize(
    ("mode", "values", "best_epoch", "n_run"),
    [
        ("min", [5.0, 3.0, 4.0, 3.5, 1.0], 2, 4),
        ("max", [1.0, 2.0, 4.0, 3.0, 3.9, 9.0], 3, 5),
    ],
)
def test_early_stopping_waits_patience_epochs_and_restores_the_best_weights(
    mode: str, values: list[float], best_epoch: int, n_run: int
) -> None:
    problem = Recorder()
    snapshots: list[torch.Tensor] = []

    def evaluate() -> dict[str, float]:
        snapshots.append(problem.net.weight.detach().clone())
        return {"metric": values[len(snapshots) - 1]}

    reports = problem.train(
        len(values), evaluate=evaluate, early_stopping=EarlyStopping("metric", mode, patience=2)
    )
    assert len(reports) == n_run
    assert torch.equal(problem.net.weight, snapshots[best_epoch - 1])
    assert not torch.equal(problem.net.weight, snapshots[-1])


def test_early_stopping_needs_its_metric() -> None:
    with pytest.raises(ConfigError, match="evaluate"):
        Recorder().train(2, early_stopping=EarlyStopping("metric", "min", 1))
    with pytest.raises(ConfigError, match="'metric'"):
        Recorder().train(
            2, evaluate=lambda: {"other": 1.0}, early_stopping=EarlyStopping("metric", "min", 1)
        )


def cancel_during_second_batch(problem: Recorder, event: threading.Event) -> None:
    """Make ``problem`` set ``event`` while it computes its second batch's loss."""
    record = problem.compute_loss

    def compute_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if len(problem.batch_losses) == 1:
            event.set()
        return record(x, y)

    problem.compute_loss = compute_loss  # type: ignore[method-assign]


def test_cancel_event_stops_between_batches_and_raises() -> None:
    problem, cancel = Recorder(), threading.Event()
    cancel_during_second_batch(problem, cancel)
    reports: list[EpochReport] = []
    with pytest.raises(TrainingCancelled, match="cancelled during epoch 1"):
        problem.train(5, callbacks=[reports.append], cancel=cancel)
    assert len(problem.batch_losses) == 2 and reports == []


def test_cancel_signal_among_callbacks_is_checked_between_batches() -> None:
    problem, event = Recorder(), threading.Event()
    cancel_during_second_batch(problem, event)
    with pytest.raises(TrainingCancelled, match="cancelled during epoch 1"):
        problem.train(5, callbacks=[CancelSignal(event)])
    assert len(problem.batch_losses) == 2


def test_cancel_signal_alone_raises_only_once_set() -> None:
    signal = CancelSignal(threading.Event())
    report = EpochReport(epoch=1, n_epochs=2, loss=0.5)
    assert signal(report) is None
    signal.event.set()
    with pytest.raises(TrainingCancelled, match="train again"):
        signal(report)


def test_valid_ndcg_matches_a_hand_computed_ranking() -> None:
    # Popularity ranks items 0 > 1 > 2 > 3 (counts 4, 3, 2, 1) for every user.
    items = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3]
    users = [0, 1, 2, 3, 1, 2, 3, 2, 3, 3]
    train = TrainSplit.from_frame(pd.DataFrame({"user_idx": users, "item_idx": items}), 5, 5)
    model = Popularity().fit(train)
    # user 0 saw item 0: list [1, 2, 3, 4]; held out {2} -> rank 2 -> 1/log2(3).
    # user 4 saw nothing: list [0, 1, 2, 3]; held out {3, 4} -> rank 4 -> 1/log2(5),
    # over an ideal DCG of 1 + 1/log2(3).
    valid = TrainSplit.from_frame(
        pd.DataFrame({"user_idx": [0, 4, 4], "item_idx": [2, 3, 4]}), 5, 5
    )
    expected = np.mean([1 / np.log2(3), (1 / np.log2(5)) / (1 + 1 / np.log2(3))])
    assert valid_ndcg_at_k(model, valid, k=4) == pytest.approx(expected)
