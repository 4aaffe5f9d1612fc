"""Linear contextual bandits over a shared ridge posterior: LinUCB and linear Thompson sampling.

Sources: Li, Chu, Langford & Schapire, "A Contextual-Bandit Approach to Personalized News Article
Recommendation", WWW 2010 (LinUCB: score ``theta^T x + alpha * sqrt(x^T A^-1 x)``); Agrawal &
Goyal, "Thompson Sampling for Contextual Bandits with Linear Payoffs", ICML 2013 (score
``theta~^T x`` with ``theta~ ~ N(theta_hat, v^2 A^-1)`` drawn once per decision).

Both keep ``A = lambda * I + sum x x^T`` and ``b = sum r x`` over the rewarded rows seen, so
``theta_hat = A^-1 b`` is the ridge estimate and ``A^-1`` its posterior covariance (up to the noise
scale). Rows are (N, D) feature matrices from ``bandits.features``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import scipy.linalg

from recsys_core.config import Config, param
from recsys_core.errors import ConfigError, NotFittedError
from recsys_core.types import FloatArray, IntArray

#: Feature rows folded into ``A`` at once (bounds memory on any log).
_ROWS_PER_UPDATE = 65_536
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


class RidgePosterior:
    """``A = lambda * I + sum x x^T``, ``b = sum r x``; ``theta = A^-1 b`` via a Cholesky factor.

    Attributes:
        precision: (D, D) ``A``.
        target: (D,) ``b``.
        n_rows: how many rewarded rows were folded in.
    """

    def __init__(self, dim: int, ridge: float) -> None:
        if dim < 1 or ridge <= 0:
            raise ConfigError(f"a ridge posterior needs dim >= 1 and ridge > 0, got {dim}, {ridge}")
        self.precision = ridge * np.eye(dim)
        self.target = np.zeros(dim)
        self.n_rows = 0
        self._factor: FloatArray | None = None
        self._theta: FloatArray | None = None

    @property
    def dim(self) -> int:
        return len(self.target)

    def update(self, features: FloatArray, rewards: FloatArray) -> Self:
        """Fold (N, D) rows and their (N,) rewards into ``A`` and ``b``; returns self."""
        features = np.asarray(features, dtype=np.float64)
        rewards = np.asarray(rewards, dtype=np.float64)
        if features.ndim != 2 or features.shape[1] != self.dim or len(rewards) != len(features):
            raise ConfigError(
                f"expected (N, {self.dim}) features and (N,) rewards, got {features.shape} and "
                f"{rewards.shape}"
            )
        for lo in range(0, len(features), _ROWS_PER_UPDATE):
            block = features[lo : lo + _ROWS_PER_UPDATE]
            self.precision += block.T @ block
            self.target += block.T @ rewards[lo : lo + _ROWS_PER_UPDATE]
        self.n_rows += len(features)
        self._factor = self._theta = None
        return self

    @property
    def factor(self) -> FloatArray:
        """(D, D) lower Cholesky factor L of ``A`` (``A = L L^T``)."""
        if self._factor is None:
            self._factor = np.linalg.cholesky(self.precision)
        return self._factor

    @property
    def theta(self) -> FloatArray:
        """(D,) the ridge estimate ``A^-1 b``."""
        if self._theta is None:
            self._theta = scipy.linalg.cho_solve((self.factor, True), self.target)
        return self._theta

    def widths(self, features: FloatArray) -> FloatArray:
        """(N,) ``sqrt(x^T A^-1 x)`` of each row: ``|| L^-1 x ||``."""
        solved = scipy.linalg.solve_triangular(self.factor, features.T, lower=True)
        return np.sqrt(np.einsum("dn,dn->n", solved, solved))

    def perturbations(self, normals: FloatArray) -> FloatArray:
        """(K, D) standard normals z -> (K, D) ``L^-T z``, distributed as ``N(0, A^-1)``."""
        return scipy.linalg.solve_triangular(self.factor.T, normals.T, lower=False).T


def keyed_normals(seed: int, keys: IntArray, dim: int) -> FloatArray:
    """(K,) integer keys -> (K, D) standard normals that depend only on (seed, key, column).

    A counter-based generator (SplitMix64 of the counter, then Box-Muller), so that a user gets
    the same posterior sample whatever batch they are scored in, without a loop over users.
    """
    keys = np.asarray(keys, dtype=np.int64).astype(np.uint64)
    base = _splitmix64(_splitmix64(np.uint64(seed)) ^ keys) * np.uint64(2 * dim)
    counters = base[:, None] + np.arange(2 * dim, dtype=np.uint64)[None, :]
    bits = _splitmix64(counters) >> np.uint64(11)
    uniform = (bits.astype(np.float64) + 0.5) * 2.0**-53  # in (0, 1)
    first, second = uniform[:, :dim], uniform[:, dim:]
    return np.sqrt(-2.0 * np.log(first)) * np.cos(2.0 * np.pi * second)


def _splitmix64(x: np.ndarray | np.uint64) -> np.ndarray:
    """Steele, Lea & Flood's SplitMix64 finaliser, element-wise on uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = np.asarray(x, dtype=np.uint64) + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@dataclass(frozen=True)
class LinUCBConfig(Config):
    """Options of LinUCB."""

    alpha: float = param(
        1.0,
        "Width of the confidence bonus: score = theta^T x + alpha * sqrt(x^T A^-1 x) (0: greedy).",
        min=0.0,
        max=100.0,
    )
    ridge: float = param(
        1.0, "Ridge penalty lambda: A = lambda * I + sum x x^T (the prior precision).", min=1e-6
    )


@dataclass(frozen=True)
class ThompsonConfig(Config):
    """Options of linear Thompson sampling."""

    scale: float = param(
        1.0,
        "Posterior scale v: each decision samples theta ~ N(theta_hat, v^2 A^-1) (0: greedy).",
        min=0.0,
        max=100.0,
    )
    ridge: float = param(
        1.0, "Ridge penalty lambda: A = lambda * I + sum x x^T (the prior precision).", min=1e-6
    )
    seed: int = param(0, "Seed of the posterior samples (same seed and key, same sample).", min=0)


class LinearPolicy(ABC):
    """A linear contextual bandit: fit the posterior on rewarded rows, then score candidates."""

    name: ClassVar[str]
    config_class: ClassVar[type[Config]]

    def __init__(self, config: Config | None = None, **overrides: Any) -> None:
        base = config.to_dict() if config is not None else {}
        self.config = self.config_class.from_dict({**base, **overrides})
        self.posterior_: RidgePosterior | None = None

    def fit(self, features: FloatArray, rewards: FloatArray) -> Self:
        """A fresh posterior from (N, D) rows and their (N,) rewards (clicks); returns self."""
        ridge = float(self.config.ridge)  # type: ignore[attr-defined]
        self.posterior_ = RidgePosterior(features.shape[1], ridge).update(features, rewards)
        return self

    @property
    def posterior(self) -> RidgePosterior:
        if self.posterior_ is None:
            raise NotFittedError(f"{self.name} has no posterior yet; call fit() first")
        return self.posterior_

    @abstractmethod
    def score(self, features: FloatArray, keys: IntArray) -> FloatArray:
        """(N, D) candidate rows -> (N,) scores; rows sharing a key belong to one decision."""


class LinUCB(LinearPolicy):
    """``theta_hat^T x + alpha * sqrt(x^T A^-1 x)`` (Li et al., WWW 2010; shared-feature form)."""

    name: ClassVar[str] = "linucb"
    config_class: ClassVar[type[Config]] = LinUCBConfig

    def score(self, features: FloatArray, keys: IntArray) -> FloatArray:
        """(N,) upper confidence bounds; ``keys`` are not needed (the score is deterministic)."""
        posterior = self.posterior
        bonus = self.config.alpha * posterior.widths(features)  # type: ignore[attr-defined]
        return features @ posterior.theta + bonus


class LinearThompson(LinearPolicy):
    """``theta~^T x`` with one ``theta~ ~ N(theta_hat, v^2 A^-1)`` per key (Agrawal & Goyal 2013).

    The sample of a key depends only on (seed, key): score a request's slate under its request id,
    or a user's candidates under their user index, and the same key always gets the same sample.
    """

    name: ClassVar[str] = "thompson"
    config_class: ClassVar[type[Config]] = ThompsonConfig

    def score(self, features: FloatArray, keys: IntArray) -> FloatArray:
        """(N,) sampled scores, one posterior sample per distinct key."""
        posterior = self.posterior
        unique, inverse = np.unique(np.asarray(keys, dtype=np.int64), return_inverse=True)
        seed = int(self.config.seed)  # type: ignore[attr-defined]
        scale = float(self.config.scale)  # type: ignore[attr-defined]
        normals = keyed_normals(seed, unique, posterior.dim)
        theta = posterior.theta[None, :] + scale * posterior.perturbations(normals)
        return np.einsum("nd,nd->n", features, theta[inverse])


#: The policies by name (the CLI's and the re-ranker's ``policy`` option).
POLICIES: dict[str, type[LinearPolicy]] = {"linucb": LinUCB, "thompson": LinearThompson}


def make_policy(name: str, **options: Any) -> LinearPolicy:
    """The policy registered as ``name`` with ``options``; unknown names list the valid ones."""
    try:
        cls = POLICIES[name]
    except KeyError:
        raise ConfigError(
            f"unknown bandit policy {name!r}; choose one of: {', '.join(POLICIES)}"
        ) from None
    return cls(**options)
