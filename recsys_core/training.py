"""The one torch training loop: device, seed, batches, epochs, validation, early stopping, cancel.

Every torch model's ``fit`` builds its ``<Name>Net``, an optimizer and a per-batch loss, then
hands them to ``train_epochs``. Only the loop knows about epochs, so progress reports, early
stopping and the app's cancel button behave the same for every architecture.

The app cancels through a callback: ``model.fit(train, callbacks=[progress, CancelSignal(event)])``.
The loop finds the ``CancelSignal`` among the callbacks and checks its event between batches, so
the protocol's ``fit`` signature stays the same for torch and numpy models alike (a numpy model
that calls ``notify`` after each epoch is cancelled at the epoch boundary by the same callback).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch
from torch import nn

from recsys_core.errors import ConfigError, RecScopeError
from recsys_core.evaluation.metrics import (
    ideal_gains,
    log_loss,
    ndcg_at_k,
    relevance_gains,
    roc_auc,
)

if TYPE_CHECKING:
    from recsys_core.data.dataset import TrainSplit
    from recsys_core.models.base import Recommender

#: Device names a model config may ask for.
DEVICE_CHOICES = ("auto", "cpu", "cuda")
#: Optimizers a torch model config may ask for.
OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "adagrad": torch.optim.Adagrad,
    "sgd": torch.optim.SGD,
}


@dataclass(frozen=True)
class EpochReport:
    """What a training loop tells its callbacks after each epoch (or each step of a search)."""

    epoch: int
    n_epochs: int
    loss: float
    metrics: dict[str, float] = field(default_factory=dict)


#: A callback sees each epoch's report and returns True to stop training early.
Callback = Callable[[EpochReport], bool | None]


def notify(callbacks: Sequence[Callback], report: EpochReport) -> bool:
    """Send ``report`` to every callback; True when any asks to stop."""
    stop = False
    for callback in callbacks:
        stop = bool(callback(report)) or stop
    return stop


class TrainingCancelled(RecScopeError):
    """Training was stopped by the cancel button; the half-trained model must not become a run."""


@dataclass(frozen=True)
class CancelSignal:
    """A callback carrying the app's cancel ``Event`` into ``fit``; raises once the event is set.

    ``train_epochs`` also checks the event before every batch, so a long epoch stops promptly.
    """

    event: threading.Event

    def __call__(self, report: EpochReport) -> None:
        if self.event.is_set():
            raise TrainingCancelled(
                f"training was cancelled after epoch {report.epoch}; the model is incomplete, "
                "so train again to get a usable run"
            )


@dataclass(frozen=True)
class EarlyStopping:
    """Stop when a validation metric stops improving for ``patience`` epochs; keep the best weights.

    Attributes:
        metric: key of the metrics dict returned by the loop's ``evaluate`` (``"valid_rmse"``).
        mode: ``"min"`` when lower is better (errors), ``"max"`` when higher is better (nDCG).
        patience: epochs without improvement tolerated before stopping (at least 1).
    """

    metric: str
    mode: Literal["min", "max"]
    patience: int

    def improved(self, value: float, best: float | None) -> bool:
        """Whether ``value`` beats ``best`` (any value beats no value)."""
        if best is None:
            return True
        return value < best if self.mode == "min" else value > best


def resolve_device(name: str = "auto") -> torch.device:
    """The torch device for a config's ``device`` option.

    Args:
        name: ``"auto"`` (CUDA when available, else CPU), ``"cpu"`` or ``"cuda"``.

    Returns:
        The device tensors and modules are created on.
    """
    if name not in DEVICE_CHOICES:
        raise ConfigError(f"device={name!r} is not one of {list(DEVICE_CHOICES)}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "device='cuda' was requested but this torch build sees no CUDA GPU; "
            "use device='auto' or device='cpu'"
        )
    return torch.device(name)


def seed_everything(seed: int, device: torch.device | None = None) -> torch.Generator:
    """Seed torch's global generator (parameter initialisation) and return one for data order.

    Data order and negative sampling draw from the returned generator only, so a fit is reproducible
    for a seed on the CPU regardless of what else used the global generators.

    Args:
        seed: the config's seed.
        device: where the generator lives (it must match the device of the tensors it samples).

    Returns:
        A ``torch.Generator`` on ``device`` seeded with ``seed``.
    """
    torch.manual_seed(seed)
    generator = torch.Generator(device=device or torch.device("cpu"))
    generator.manual_seed(seed)
    return generator


def shuffled_batches(
    tensors: Sequence[torch.Tensor], batch_size: int, generator: torch.Generator
) -> Iterator[tuple[torch.Tensor, ...]]:
    """Yield aligned mini-batches of ``tensors`` in a random order drawn from ``generator``.

    Args:
        tensors: (N, ...) tensors on the generator's device, all with the same first dimension.
        batch_size: B rows per batch; the last batch may be smaller.
        generator: the fit's seeded generator.

    Yields:
        Tuples of (B, ...) tensors, one per input tensor.
    """
    n_rows = tensors[0].shape[0]
    order = torch.randperm(n_rows, generator=generator, device=generator.device)
    for start in range(0, n_rows, batch_size):
        batch = order[start : start + batch_size]
        yield tuple(t[batch] for t in tensors)


def find_cancel_event(callbacks: Sequence[Callback]) -> threading.Event | None:
    """The event of the first ``CancelSignal`` among ``callbacks``, if any."""
    return next((cb.event for cb in callbacks if isinstance(cb, CancelSignal)), None)


def train_epochs(
    net: nn.Module,
    optimizer: torch.optim.Optimizer,
    make_batches: Callable[[], Iterable[Sequence[torch.Tensor]]],
    compute_loss: Callable[..., torch.Tensor],
    n_epochs: int,
    *,
    callbacks: Sequence[Callback] = (),
    cancel: threading.Event | None = None,
    evaluate: Callable[[], dict[str, float]] | None = None,
    early_stopping: EarlyStopping | None = None,
    grad_clip: float = 0.0,
) -> list[EpochReport]:
    """Train ``net`` for up to ``n_epochs`` epochs and report each one to ``callbacks``.

    Each epoch draws fresh batches from ``make_batches()``, takes one optimizer step per batch on
    ``compute_loss(*batch)`` and averages the loss over rows. ``evaluate()`` (run in eval mode,
    without gradients) supplies the epoch's metrics. Training stops early when a callback returns
    True or when ``early_stopping`` runs out of patience; with ``early_stopping`` the net ends with
    the weights of its best epoch.

    Args:
        net: the module whose parameters ``optimizer`` updates.
        optimizer: the optimizer.
        make_batches: returns the epoch's batches, each a sequence of (B, ...) tensors.
        compute_loss: ``compute_loss(*batch)`` -> scalar loss tensor.
        n_epochs: maximum number of epochs.
        callbacks: receive one ``EpochReport`` per epoch; True stops training.
        cancel: an event checked before every batch and after every epoch; when set the loop raises
            ``TrainingCancelled``. Defaults to the event of a ``CancelSignal`` among ``callbacks``.
        evaluate: returns the epoch's metrics (train/validation scores).
        early_stopping: what to monitor; its metric must be among ``evaluate``'s keys.
        grad_clip: clip the global gradient norm to this before each step (0 = no clipping).

    Returns:
        The reports of the epochs that ran, in order.
    """
    if early_stopping is not None and evaluate is None:
        raise ConfigError("early stopping needs an evaluate function that computes its metric")
    cancel = cancel or find_cancel_event(callbacks)
    reports: list[EpochReport] = []
    best_value: float | None = None
    best_state: dict[str, torch.Tensor] | None = None
    epochs_without_gain = 0
    for epoch in range(1, n_epochs + 1):
        net.train()
        loss_sum, n_rows = None, 0
        for batch in make_batches():
            _raise_if_cancelled(cancel, epoch)
            optimizer.zero_grad(set_to_none=True)
            loss = compute_loss(*batch)
            loss.backward()
            if grad_clip > 0:
                nn.utils.clip_grad_norm_(net.parameters(), grad_clip)
            optimizer.step()
            rows = len(batch[0])
            # Accumulate on the device: one host sync per epoch instead of one per batch.
            weighted = loss.detach() * rows
            loss_sum = weighted if loss_sum is None else loss_sum + weighted
            n_rows += rows
        mean_loss = float(loss_sum.item()) / n_rows if loss_sum is not None else math.nan
        metrics: dict[str, float] = {}
        if evaluate is not None:
            net.eval()
            with torch.no_grad():
                metrics = evaluate()
        report = EpochReport(epoch=epoch, n_epochs=n_epochs, loss=mean_loss, metrics=metrics)
        reports.append(report)
        _raise_if_cancelled(cancel, epoch)
        stop = notify(callbacks, report)
        if early_stopping is not None:
            value = _monitored_value(metrics, early_stopping.metric)
            if early_stopping.improved(value, best_value):
                best_value, epochs_without_gain = value, 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                epochs_without_gain += 1
                stop = stop or epochs_without_gain >= early_stopping.patience
        if stop:
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return reports


def _raise_if_cancelled(cancel: threading.Event | None, epoch: int) -> None:
    if cancel is not None and cancel.is_set():
        raise TrainingCancelled(
            f"training was cancelled during epoch {epoch}; the model is incomplete, "
            "so train again to get a usable run"
        )


def _monitored_value(metrics: dict[str, float], name: str) -> float:
    if name not in metrics:
        raise ConfigError(
            f"early stopping monitors {name!r} but the epoch's metrics are {sorted(metrics)}; "
            "pass a validation split or monitor one of those"
        )
    return metrics[name]


def valid_ndcg_at_k(model: Recommender, valid: TrainSplit, k: int = 10) -> float:
    """Mean binary nDCG@k over the users of ``valid``, seen items excluded: an early-stop signal.

    Args:
        model: a model in the middle of ``fit`` (its learned state already set).
        valid: held-out interactions; every row counts as relevant.
        k: list length.

    Returns:
        The mean over users with held-out items, or NaN when ``valid`` has no rows.
    """
    truth = valid.csr("binary")
    users = np.flatnonzero(np.diff(truth.indptr))
    if len(users) == 0:
        return math.nan
    gains = relevance_gains(model.recommend(users, k=k).item_idx, users, truth)
    return float(ndcg_at_k(gains, ideal_gains(users, truth, k), k).mean())


def valid_auc_logloss(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Validation AUC and log loss of a ranking model's logits: its early-stop signal.

    Args:
        scores: (N,) logits of the validation rows.
        labels: (N,) 0/1 targets.

    Returns:
        ``valid_auc`` and ``valid_logloss`` (of the sigmoid of the logits); NaN AUC when the rows
        hold one class only.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    probs = 1.0 / (1.0 + np.exp(-scores))
    both_classes = 0 < labels.sum() < len(labels)
    return {
        "valid_auc": roc_auc(labels, scores) if both_classes else math.nan,
        "valid_logloss": log_loss(labels, probs),
    }


def make_optimizer(name: str, params: Iterable[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    """The optimizer a config names (a key of ``OPTIMIZERS``) over ``params``."""
    if name not in OPTIMIZERS:
        raise ConfigError(f"optimizer={name!r} is not one of {sorted(OPTIMIZERS)}")
    return OPTIMIZERS[name](params, lr=lr)


@contextmanager
def torch_threads(n_threads: int) -> Iterator[None]:
    """Run a block with ``n_threads`` intra-op CPU threads (0 keeps the process setting).

    Two torch processes on a 2-core machine starve each other when both use every core, so a
    config can pin its fit to fewer threads; the previous setting comes back afterwards.
    """
    if n_threads <= 0:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
