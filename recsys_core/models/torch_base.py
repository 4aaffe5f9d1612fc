"""What every torch model shares: ``TorchConfig`` options and the ``TorchRecommender`` fit.

A torch architecture subclasses ``TorchRecommender`` and implements three hooks:

- ``build_net()``: a fresh ``<Name>Net`` from the config and the fitted sizes (``n_users_``,
  ``n_items_`` and whatever ``prepare`` set); called by ``fit`` and again by ``load``.
- ``batches(train, generator)``: a function returning one epoch's batches (tuples of tensors on
  ``self.device_``), drawing any randomness from ``generator`` only.
- ``loss(*batch)``: the scalar loss of one batch under the configured ``loss`` choice.

``fit`` then runs the one loop of ``recsys_core.training`` (device, seed, threads, optimizer,
gradient clipping, early stopping, progress callbacks, cancel). The early-stop signal follows the
model's stage: validation nDCG@10 for retrieval, validation AUC for ranking; a model predicting
ratings monitors validation RMSE instead (``epoch_metrics``/``monitor`` are overridable).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, Self

import numpy as np
import torch
from torch import nn

from recsys_core.config import param
from recsys_core.data.dataset import TrainSplit
from recsys_core.models.base import ModelConfig, Recommender
from recsys_core.training import (
    DEVICE_CHOICES,
    OPTIMIZERS,
    Callback,
    EarlyStopping,
    make_optimizer,
    resolve_device,
    seed_everything,
    torch_threads,
    train_epochs,
    valid_ndcg_at_k,
)

#: Every loss a torch model may offer; each config narrows ``loss`` to the ones it implements.
LOSSES = ("bpr", "mse", "bce", "pairwise", "listwise", "sampled_softmax")
#: One epoch's batches, drawn fresh each epoch.
BatchFactory = Callable[[], Iterable[Sequence[torch.Tensor]]]


@dataclass(frozen=True)
class TorchConfig(ModelConfig):
    """Options every torch model has. Subclasses redefine defaults and narrow ``loss`` choices."""

    n_epochs: int = param(20, "Passes over the training data.", min=1, max=10_000)
    lr: float = param(1e-3, "Learning rate.", min=1e-6, max=10.0)
    batch_size: int = param(1024, "Rows per optimizer step.", min=1, max=1_000_000)
    optimizer: str = param("adam", "Optimizer.", choices=tuple(OPTIMIZERS))
    grad_clip: float = param(
        0.0, "Clip the gradient norm to this before each step (0: no clipping).", min=0.0
    )
    patience: int = param(
        0,
        "With a validation split: stop after this many epochs without a better validation "
        "score (nDCG@10 for retrieval, AUC for ranking) and keep the best epoch (0 trains all "
        "epochs).",
        min=0,
    )
    threads: int = param(
        0, "CPU threads torch may use while training (0: the process setting).", min=0, max=256
    )
    device: str = param(
        "auto", "Where to train: auto picks CUDA when present.", choices=DEVICE_CHOICES
    )
    loss: str = param("bce", "Training loss.", choices=LOSSES)


class TorchRecommender(Recommender):
    """A model whose learned state is one ``nn.Module`` (``net_``) trained by the shared loop."""

    config: TorchConfig
    config_class: ClassVar[type[ModelConfig]] = TorchConfig
    net_: nn.Module
    device_: torch.device

    # --- hooks ------------------------------------------------------------------------------
    def prepare(self, train: TrainSplit, valid: TrainSplit | None) -> None:  # noqa: B027
        """Check the data and set fitted values ``build_net`` needs (default: nothing)."""

    @abstractmethod
    def build_net(self) -> nn.Module:
        """A freshly initialised net from the config and fitted sizes (on the CPU)."""

    @abstractmethod
    def batches(self, train: TrainSplit, generator: torch.Generator) -> BatchFactory:
        """A function that returns one epoch's batches of tensors on ``self.device_``."""

    @abstractmethod
    def loss(self, *batch: torch.Tensor) -> torch.Tensor:
        """Scalar loss of one batch."""

    def monitor(self) -> tuple[str, Literal["min", "max"]]:
        """The validation metric early stopping watches, and whether higher is better."""
        if self.stage == "ranking":
            return "valid_auc", "max"
        return "valid_ndcg@10", "max"

    def epoch_metrics(self, valid: TrainSplit | None) -> Callable[[], dict[str, float]] | None:
        """What to measure after each epoch (None: nothing). Default: the stage's signal."""
        if valid is None:
            return None
        if self.stage == "ranking":
            return self.validation_scorer(valid)  # type: ignore[attr-defined] # RankingModel's
        return lambda: {"valid_ndcg@10": valid_ndcg_at_k(self, valid, k=10)}

    def after_fit(self) -> None:  # noqa: B027
        """Compute fitted summaries once the loop has ended (default: nothing)."""

    def fitted_arrays(self) -> dict[str, np.ndarray]:
        """Fitted arrays saved beside the net's weights (default: none)."""
        return {}

    def restore_fitted(self, state: dict[str, np.ndarray]) -> None:  # noqa: B027
        """Pop and set the arrays ``fitted_arrays`` wrote, before ``build_net`` runs on load."""

    # --- the one fit --------------------------------------------------------------------------
    def fit(
        self,
        train: TrainSplit,
        *,
        valid: TrainSplit | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> Self:
        cfg = self.config
        self._start_fit(train)
        self.prepare(train, valid)
        self.device_ = resolve_device(cfg.device)
        with torch_threads(cfg.threads):
            generator = seed_everything(cfg.seed, self.device_)
            self.net_ = self.build_net().to(self.device_)
            optimizer = make_optimizer(cfg.optimizer, self.net_.parameters(), cfg.lr)
            make_batches = self.batches(train, generator)
            evaluate = self.epoch_metrics(valid)
            early_stopping = None
            if valid is not None and cfg.patience > 0:
                metric, mode = self.monitor()
                early_stopping = EarlyStopping(metric, mode, cfg.patience)
            self.history_ = train_epochs(
                self.net_,
                optimizer,
                make_batches,
                self.loss,
                cfg.n_epochs,
                callbacks=callbacks,
                evaluate=evaluate,
                early_stopping=early_stopping,
                grad_clip=cfg.grad_clip,
            )
            self.after_fit()
        return self

    # --- persistence --------------------------------------------------------------------------
    def _state(self) -> dict[str, np.ndarray]:
        state = {k: v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}
        return {**state, **self.fitted_arrays()}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.device_ = resolve_device(self.config.device)
        self.restore_fitted(state)
        net = self.build_net()
        _check_net_state(net, state)
        net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
        self.net_ = net.to(self.device_).eval()

    def to_tensor(self, values: np.ndarray, dtype: torch.dtype = torch.int64) -> torch.Tensor:
        """A numpy array as a tensor on the model's device."""
        return torch.tensor(np.asarray(values), dtype=dtype, device=self.device_)


def _check_net_state(net: nn.Module, state: dict[str, np.ndarray]) -> None:
    """ValueError naming the first array of ``state`` that ``net`` lacks, misses or would get in
    another shape (``load_state_dict`` only says so in a multi-line message)."""
    expected = {name: tuple(tensor.shape) for name, tensor in net.state_dict().items()}
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ValueError(f"the net's arrays differ: missing {missing}, unexpected {unexpected}")
    for name, shape in expected.items():
        found = tuple(state[name].shape)
        if found != shape:
            raise ValueError(f"{name} has shape {found} where {shape} was expected")
