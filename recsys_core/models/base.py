"""The model protocol every architecture follows, and the registry of architectures.

A model is ``<Name>Config`` (a frozen ``ModelConfig`` dataclass whose fields all have defaults and
``metadata`` with ``help`` and optional bounds) plus ``<Name>``, a subclass of one of the two
stages decorated with ``@register``: ``RetrievalModel`` scores users against the whole catalogue,
``RankingModel`` (``models.ranking_base``) scores feature rows and per-user candidate sets. The
dashboard, the CLI and the evaluation use only the methods defined here. Saving writes
``config.json`` and ``weights.safetensors`` (plus any JSON/text a model's ``save_extra`` adds);
nothing is ever pickled.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Self, TypeVar

import numpy as np
import scipy.sparse as sp
from safetensors.numpy import save_file

from recsys_core import strict_json
from recsys_core.artifacts import read_json, read_safetensors
from recsys_core.config import Config, param
from recsys_core.data.dataset import TrainSplit
from recsys_core.errors import ConfigError, DamagedArtifactError, DataError, NotFittedError
from recsys_core.models.saved_state import csr_from_arrays
from recsys_core.retrieval.exact_topk import top_k_rows
from recsys_core.training import Callback, EpochReport, notify
from recsys_core.types import Embeddings, FloatArray, IntArray, TopK

__all__ = [
    "Callback",
    "EpochReport",
    "ModelConfig",
    "Recommender",
    "RetrievalModel",
    "get_model_class",
    "list_models",
    "notify",
    "param",
    "register",
]

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
#: How to recover a damaged model folder outside the run registry (inside it, the run's fix).
SAVE_AGAIN = "save the model again (or restore the folder from a copy)"
#: Users scored per chunk when a full (U, I) score matrix would be too large.
SCORE_CHUNK_USERS = 1024


@dataclass(frozen=True)
class ModelConfig(Config):
    """Base of every model config: the seed is common to all."""

    seed: int = param(42, "Random seed for initialisation, sampling and data order.", min=0)


class Recommender(ABC):
    """Base class of every architecture: fit, score, recommend, embeddings, save, load.

    Subclasses set ``name``, ``stage``, ``requires``, ``config_class`` and implement ``fit``,
    ``_score_users``, ``_state`` and ``_restore``; ``recommend`` is implemented once here.
    ``predicts_ratings`` marks models whose scores are ratings (evaluated by RMSE/MAE too);
    ``personalised = False`` marks models that give every user the same order.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    stage: ClassVar[Literal["retrieval", "ranking"]] = "retrieval"
    requires: ClassVar[frozenset[str]] = frozenset({"ids"})
    predicts_ratings: ClassVar[bool] = False
    personalised: ClassVar[bool] = True
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

    def score_candidates(self, user_idx: IntArray, candidates: IntArray) -> FloatArray:
        """(B,) users and (B, C) candidate items per user -> (B, C) scores; -1 pads -> -inf.

        Only the candidates are scored (through ``score_pairs``), never the whole catalogue, so a
        ranking model behind a retrieval stage costs B * C rows.
        """
        self._check_fitted()
        users = self._check_users(user_idx)
        items = np.asarray(candidates, dtype=np.int64)
        if items.ndim != 2 or items.shape[0] != len(users):
            raise DataError("candidates must be a (B, C) array with one row per user")
        if items.size and items.max() >= self.n_items_:
            raise DataError(f"candidate items must lie below {self.n_items_}")
        valid = items >= 0
        out = np.full(items.shape, -np.inf, dtype=np.float32)
        rows = np.broadcast_to(users[:, None], items.shape)
        out[valid] = self.score_pairs(rows[valid], items[valid])
        return out

    def rank_candidates(
        self, user_idx: IntArray, candidates: IntArray, k: int, *, exclude_seen: bool = True
    ) -> TopK:
        """Top-k of each user's own (B, C) candidate set, best first (a two-stage cascade's end)."""
        scores = self.score_candidates(user_idx, candidates)
        items = np.asarray(candidates, dtype=np.int64)
        if exclude_seen and self.seen_ is not None and items.size:
            users = np.broadcast_to(self._check_users(user_idx)[:, None], items.shape)
            seen = np.zeros(items.shape, dtype=bool)
            valid = items >= 0
            seen[valid] = np.asarray(self.seen_[users[valid], items[valid]]).ravel() > 0
            scores[seen] = -np.inf
        columns, top = top_k_rows(scores, k)
        picked = np.take_along_axis(items, np.maximum(columns, 0), axis=1)
        return TopK(item_idx=np.where(columns >= 0, picked, -1), scores=top)

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
            top_items, top_scores = top_k_rows(scores, k)
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
        self.save_extra(directory)
        payload = {
            "model": self.name,
            "config": self.config.to_dict(),
            "n_users": int(self.n_users_),
            "n_items": int(self.n_items_),
        }
        (directory / CONFIG_FILE).write_text(strict_json.dumps(payload, indent=2, sort_keys=True))

    @classmethod
    def load(cls, directory: Path) -> Self:
        """Rebuild a saved model; refuses anything that is not our JSON + safetensors pair.

        The arrays are checked against the config (shapes, dtypes, index ranges) and one user is
        scored, so damaged weights fail here, naming the file, rather than in a later call.

        Raises:
            DamagedArtifactError: a file is missing, a link, unreadable, or its contents do not
                fit the saved config.
            DataError: the directory holds another architecture than ``cls``.
        """
        directory = Path(directory)
        config_path, weights_path = directory / CONFIG_FILE, directory / WEIGHTS_FILE
        payload = read_json(config_path, SAVE_AGAIN)
        state = read_safetensors(weights_path, SAVE_AGAIN)
        model = cls._from_payload(payload, config_path)
        try:
            seen = state.pop("seen.indptr"), state.pop("seen.indices")  # every fit records them
            model.seen_ = csr_from_arrays("seen", *seen, None, (model.n_users_, model.n_items_))
            model.load_extra(directory)
            model._restore(state)
            model._check_restored()
        except DamagedArtifactError:
            raise
        except (KeyError, ValueError, IndexError, TypeError) as exc:  # DataError is a ValueError
            reason = f"lacks the array {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
            problem = f"does not fit its {CONFIG_FILE} ({reason})"
            raise DamagedArtifactError(weights_path, problem, SAVE_AGAIN) from None
        return model

    @classmethod
    def _from_payload(cls, payload: dict[str, Any], config_path: Path) -> Self:
        """An unfitted model with the config and index space ``config.json`` records."""
        name = payload.get("model")
        if cls is not Recommender and name != cls.name:
            raise DataError(f"{config_path.parent} holds a {name!r} model, not {cls.name!r}")
        try:
            model_cls = get_model_class(str(name)) if cls is Recommender else cls
            model = model_cls(model_cls.config_class.from_dict(payload["config"]))
            model.n_users_ = int(payload["n_users"])
            model.n_items_ = int(payload["n_items"])
        except (KeyError, TypeError, ValueError) as exc:  # ConfigError is a ValueError
            reason = f"lacks {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
            problem = f"is not a saved model's config ({reason})"
            raise DamagedArtifactError(config_path, problem, SAVE_AGAIN) from None
        if model.n_users_ < 1 or model.n_items_ < 1:
            problem = f"records {model.n_users_} users and {model.n_items_} items"
            raise DamagedArtifactError(config_path, problem, SAVE_AGAIN)
        return model  # type: ignore[return-value]

    def _check_restored(self) -> None:
        """Score user 0 and look at the embeddings: arrays that passed their own checks but do
        not fit together raise ValueError here."""
        scores = np.shape(self.score(np.zeros(1, dtype=np.int64)))
        if scores != (1, self.n_items_):
            raise ValueError(f"a user's scores have shape {scores}, not (1, {self.n_items_})")
        vectors = self.embeddings()
        for side, matrix, rows in (
            ("user", vectors.user, self.n_users_),
            ("item", vectors.item, self.n_items_),
        ):
            if matrix is not None and (np.ndim(matrix) != 2 or len(matrix) != rows):
                raise ValueError(
                    f"the {side} vectors have shape {np.shape(matrix)}, not ({rows}, D)"
                )

    def save_extra(self, directory: Path) -> None:  # noqa: B027 - optional hook
        """Write non-array state (vocabularies, a text model dump) as JSON or text files."""

    def load_extra(self, directory: Path) -> None:  # noqa: B027 - optional hook
        """Read what ``save_extra`` wrote; raise ``DataError`` naming a missing or corrupt file."""

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


class RetrievalModel(Recommender):
    """First stage: scores each user against the whole catalogue (``score``, ``recommend``)."""

    stage: ClassVar[Literal["retrieval", "ranking"]] = "retrieval"


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
