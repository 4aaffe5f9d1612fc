"""The model protocol every architecture follows, and the registry of architectures.

A model is ``<Name>Config`` (a frozen dataclass whose fields all have defaults and ``metadata`` with
``help`` and optional ``min``/``max``/``choices``) plus ``<Name>`` (a ``Recommender`` subclass
decorated
with ``@register``). The dashboard, the CLI and the evaluation use only the methods defined here.
Saving writes ``config.json`` and ``weights.safetensors``; nothing is ever pickled.
"""

from __future__ import annotations

import dataclasses
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Self, TypeVar

import numpy as np
import scipy.sparse as sp
from safetensors.numpy import load_file, save_file

from recsys_core.config import param
from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import ConfigError, DataError, NotFittedError
from recsys_core.types import Embeddings, FloatArray, IntArray, TopK

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
#: Users scored per chunk when a full (U, I) score matrix would be too large.
SCORE_CHUNK_USERS = 1024


@dataclass(frozen=True)
class ModelConfig:
    """Base of every model config: the seed is common to all."""

    seed: int = param(42, "Random seed for initialisation, sampling and data order.", min=0)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Self:
        """Build and validate a config; unknown keys or bad values raise ``ConfigError``."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise ConfigError(
                f"{cls.__name__} has no option {', '.join(map(repr, unknown))}; "
                f"valid options are: {', '.join(sorted(fields))}"
            )
        coerced = {name: _coerce(fields[name], value) for name, value in values.items()}
        config = cls(**coerced)
        config.validate()
        return config

    def validate(self) -> None:
        """Check every field against its ``min``/``max``/``choices`` metadata."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            meta = f.metadata
            if "choices" in meta and value not in meta["choices"]:
                raise ConfigError(
                    f"{type(self).__name__}.{f.name}={value!r} is not one of "
                    f"{list(meta['choices'])}"
                )
            if "min" in meta and value < meta["min"]:
                raise ConfigError(
                    f"{type(self).__name__}.{f.name}={value!r} is below its minimum {meta['min']}"
                )
            if "max" in meta and value > meta["max"]:
                raise ConfigError(
                    f"{type(self).__name__}.{f.name}={value!r} is above its maximum {meta['max']}"
                )


def _coerce(f: dataclasses.Field[Any], value: Any) -> Any:
    """Turn a CLI/form string into the field's type (the type of its default)."""
    target = type(f.default)
    if isinstance(value, target) and not (target is int and isinstance(value, bool)):
        return value
    try:
        if target is bool:
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered in {"1", "true", "yes", "on"}:
                    return True
                if lowered in {"0", "false", "no", "off"}:
                    return False
                raise ValueError(value)
            return bool(value)
        if target is int:
            as_float = float(value)
            if not as_float.is_integer():
                raise ValueError(value)
            return int(as_float)
        if target is float:
            return float(value)
        if target is str:
            return str(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"option {f.name}={value!r} is not a valid {target.__name__}; "
            f"{f.metadata.get('help', '')}"
        ) from None
    return value


@dataclass(frozen=True)
class EpochReport:
    """What a training loop tells its callbacks after each epoch."""

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


ConfigT = TypeVar("ConfigT", bound=ModelConfig)


class Recommender(ABC):
    """Base class of every architecture: fit, score, recommend, embeddings, save, load.

    Subclasses set ``name``, ``stage``, ``requires``, ``config_class`` and implement ``fit``,
    ``_score_users``, ``_state`` and ``_restore``; ``recommend`` is implemented once here.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    stage: ClassVar[Literal["retrieval", "ranking"]] = "retrieval"
    requires: ClassVar[frozenset[str]] = frozenset({"ids"})
    config_class: ClassVar[type[ModelConfig]] = ModelConfig

    def __init__(self, config: ModelConfig | None = None, **overrides: Any) -> None:
        base = config.to_dict() if config is not None else {}
        self.config = self.config_class.from_dict({**base, **overrides})
        self.seen_: sp.csr_matrix | None = None

    # --- learning -------------------------------------------------------------------------
    @abstractmethod
    def fit(
        self,
        train: TrainSplit,
        *,
        valid: TrainSplit | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> Self:
        """Learn from ``train`` (and optionally early-stop or tune on ``valid``); returns self."""

    @abstractmethod
    def _score_users(self, user_idx: IntArray) -> FloatArray:
        """(B,) users -> (B, I) scores over the whole catalogue. Learned state is present."""

    def score_pairs(self, user_idx: IntArray, item_idx: IntArray) -> FloatArray:
        """(N,) pairs -> (N,) scores. Default: via ``_score_users`` per chunk of distinct users."""
        out = np.empty(len(user_idx), dtype=np.float32)
        users, inverse = np.unique(user_idx, return_inverse=True)
        for start in range(0, len(users), SCORE_CHUNK_USERS):
            chunk = users[start : start + SCORE_CHUNK_USERS]
            rows = self._score_users(chunk)
            mask = (inverse >= start) & (inverse < start + len(chunk))
            out[mask] = rows[inverse[mask] - start, item_idx[mask]]
        return out

    def score(self, user_idx: IntArray, item_idx: IntArray | None = None) -> FloatArray:
        """Scores: pairs (N,) when ``item_idx`` is given, else the (B, I) matrix of ``user_idx``."""
        self._check_fitted()
        users = self._check_users(user_idx)
        if item_idx is None:
            chunks = [
                self._score_users(users[s : s + SCORE_CHUNK_USERS])
                for s in range(0, len(users), SCORE_CHUNK_USERS)
            ]
            return np.concatenate(chunks) if chunks else np.zeros((0, self.n_items_))
        items = np.asarray(item_idx, dtype=np.int64)
        if items.shape != users.shape:
            raise DataError(
                "score(user_idx, item_idx) needs arrays of equal length (one pair each)"
            )
        if len(items) and (items.min() < 0 or items.max() >= self.n_items_):
            raise DataError(
                f"item_idx must lie in [0, {self.n_items_}); map raw ids with the vocab"
            )
        return self.score_pairs(users, items)

    def recommend(
        self,
        user_idx: IntArray,
        k: int = 10,
        *,
        exclude_seen: bool = True,
        candidates: IntArray | None = None,
    ) -> TopK:
        """Top-k items per user, batch-first (B, K); seen training items excluded by default.

        Args:
            user_idx: (B,) user indices.
            k: list length.
            exclude_seen: drop items the user interacted with in the training data.
            candidates: optional (C,) item indices to rank instead of the whole catalogue.
        """
        self._check_fitted()
        users = self._check_users(user_idx)
        if k < 1:
            raise ConfigError(f"k must be at least 1, got {k}")
        item_out = np.full((len(users), k), -1, dtype=np.int64)
        score_out = np.full((len(users), k), -np.inf, dtype=np.float32)
        for start in range(0, len(users), SCORE_CHUNK_USERS):
            chunk = users[start : start + SCORE_CHUNK_USERS]
            scores = np.asarray(self._score_users(chunk), dtype=np.float32).copy()
            if exclude_seen and self.seen_ is not None:
                seen = self.seen_[chunk]
                rows = np.repeat(np.arange(len(chunk)), np.diff(seen.indptr))
                scores[rows, seen.indices] = -np.inf
            if candidates is not None:
                allowed = np.full(scores.shape[1], False)
                allowed[np.asarray(candidates, dtype=np.int64)] = True
                scores[:, ~allowed] = -np.inf
            top_items, top_scores = _top_k_rows(scores, k)
            item_out[start : start + len(chunk)] = top_items
            score_out[start : start + len(chunk)] = top_scores
        return TopK(item_idx=item_out, scores=score_out)

    def embeddings(self) -> Embeddings:
        """User/item vectors when the model has them; ``Embeddings(None, None)`` otherwise."""
        return Embeddings(user=None, item=None)

    # --- persistence -------------------------------------------------------------------------
    @abstractmethod
    def _state(self) -> dict[str, np.ndarray]:
        """Learned arrays to save (names -> numeric arrays), excluding ``seen_``."""

    @abstractmethod
    def _restore(self, state: dict[str, np.ndarray]) -> None:
        """Set learned attributes from arrays written by ``_state``."""

    def save(self, directory: Path) -> None:
        """Write ``config.json`` and ``weights.safetensors`` into ``directory``."""
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {key: np.ascontiguousarray(value) for key, value in self._state().items()}
        if self.seen_ is not None:
            state["seen.indptr"] = self.seen_.indptr.astype(np.int64)
            state["seen.indices"] = self.seen_.indices.astype(np.int64)
        save_file(state, str(directory / WEIGHTS_FILE))
        payload = {
            "model": self.name,
            "config": self.config.to_dict(),
            "n_users": int(self.n_users_),
            "n_items": int(self.n_items_),
        }
        (directory / CONFIG_FILE).write_text(json.dumps(payload, indent=2, sort_keys=True))

    @classmethod
    def load(cls, directory: Path) -> Self:
        """Rebuild a saved model; refuses anything that is not our JSON + safetensors pair."""
        directory = Path(directory)
        config_path, weights_path = directory / CONFIG_FILE, directory / WEIGHTS_FILE
        if not config_path.is_file() or not weights_path.is_file():
            raise DataError(
                f"{directory} is not a saved model: it needs {CONFIG_FILE} and {WEIGHTS_FILE}"
            )
        try:
            payload = json.loads(config_path.read_text())
            state = load_file(str(weights_path))
        except (json.JSONDecodeError, UnicodeDecodeError, OSError, Exception) as exc:  # noqa: BLE001
            raise DataError(
                f"{directory} holds a corrupt model artifact ({type(exc).__name__}: {exc}); "
                "retrain the run or restore its files"
            ) from None
        model_cls = get_model_class(payload.get("model", "")) if cls is Recommender else cls
        if payload.get("model") != model_cls.name:
            raise DataError(
                f"{directory} holds a {payload.get('model')!r} model, not {model_cls.name!r}"
            )
        model = model_cls(model_cls.config_class.from_dict(payload["config"]))
        model.n_users_ = int(payload["n_users"])
        model.n_items_ = int(payload["n_items"])
        if "seen.indptr" in state:
            indptr, indices = state.pop("seen.indptr"), state.pop("seen.indices")
            model.seen_ = sp.csr_matrix(
                (np.ones(len(indices), dtype=np.float32), indices, indptr),
                shape=(model.n_users_, model.n_items_),
            )
        try:
            model._restore(state)
        except (KeyError, ValueError, IndexError) as exc:
            raise DataError(
                f"{directory} holds an incomplete or mismatched {model.name} artifact "
                f"({type(exc).__name__}: {exc}); retrain the run"
            ) from None
        return model

    # --- helpers for subclasses ---------------------------------------------------------------
    def _start_fit(self, train: TrainSplit) -> None:
        """Record the index space and the seen matrix; every ``fit`` calls this first."""
        if len(train) == 0:
            raise DataError("cannot fit on an empty training split; check the split and filters")
        self.n_users_ = int(train.n_users)
        self.n_items_ = int(train.n_items)
        self.seen_ = train.csr("binary")

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_items_"):
            raise NotFittedError(f"{self.name} is not fitted: call fit() or load() first")

    def _check_users(self, user_idx: IntArray) -> IntArray:
        users = np.atleast_1d(np.asarray(user_idx, dtype=np.int64))
        if users.ndim != 1:
            raise DataError("user_idx must be a 1-D array of user indices")
        if len(users) and (users.min() < 0 or users.max() >= self.n_users_):
            raise DataError(
                f"user_idx must lie in [0, {self.n_users_}); map raw user ids with the "
                "dataset's users"
            )
        return users


def _top_k_rows(scores: FloatArray, k: int) -> tuple[IntArray, FloatArray]:
    """Row-wise top-k of a (B, I) matrix, best first; ties to the lower item index; -inf -> -1."""
    n_rows, n_cols = scores.shape
    k_eff = min(k, n_cols)
    part = np.argpartition(-scores, k_eff - 1, axis=1)[:, :k_eff]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    items = np.take_along_axis(part, order, axis=1)
    top = np.take_along_axis(part_scores, order, axis=1)
    items = np.where(np.isneginf(top), -1, items)
    if k_eff < k:
        items = np.pad(items, ((0, 0), (0, k - k_eff)), constant_values=-1)
        top = np.pad(top, ((0, 0), (0, k - k_eff)), constant_values=-np.inf)
    return items.astype(np.int64), top.astype(np.float32)


_REGISTRY: dict[str, type[Recommender]] = {}

ModelT = TypeVar("ModelT", bound=type[Recommender])


def register(cls: ModelT) -> ModelT:
    """Class decorator: add an architecture to the registry of architectures under ``cls.name``."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ConfigError(f"two architectures are registered as {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def get_model_class(name: str) -> type[Recommender]:
    """The architecture registered as ``name``; the error lists the valid names."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown model {name!r}; choose one of: {', '.join(sorted(_REGISTRY))}"
        ) from None


def list_models(stage: str | None = None) -> list[str]:
    """Registered architecture names (optionally of one stage), sorted."""
    return sorted(n for n, c in _REGISTRY.items() if stage is None or c.stage == stage)
