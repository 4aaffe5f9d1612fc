"""Bayesian binning into quantiles (BBQ): an ensemble of histogram binnings, with posteriors.

Naeini, Cooper & Hauskrecht, "Obtaining Well Calibrated Probabilities Using Bayesian Binning"
(AAAI 2015). Each model M cuts the sorted validation scores into B equal-frequency bins, for
every B from N^(1/3) / 10 to 10 N^(1/3) (at most N / 5). Bin b with N_b rows, m_b positives and
n_b negatives gets a Beta(alpha_b, beta_b) prior centred on its midpoint probability p_b (the
middle of its score interval after the sigmoid), alpha_b = N' p_b / B, beta_b = N' (1 - p_b) / B,
N' = 2, so its posterior is Beta(m_b + alpha_b, n_b + beta_b). A model's weight is its Bayesian
(BDeu) score, the marginal likelihood under a uniform prior over models:

    P(D | M) = prod_b G(N'/B) / G(N_b + N'/B) * G(m_b + alpha_b) / G(alpha_b)
                      * G(n_b + beta_b) / G(beta_b)            (G: the gamma function)

A calibrated probability is the weighted mixture of the models' posterior means at the score
(full model averaging; models with a normalised weight under ``MIN_WEIGHT`` are dropped), and its
posterior interval is the mixture's quantiles (``interval``). Bins are cut on the logit scale,
which orders rows as the probabilities do. Shape legend: N rows, K models, B bins of a model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Self

import numpy as np
from scipy.special import betainc, expit, gammaln

from recsys_core.calibration.base import Calibrator, check_labels, check_scores
from recsys_core.errors import ConfigError
from recsys_core.types import FloatArray, IntArray

#: Equivalent sample size N' of the BDeu prior (the paper's 2).
PRIOR_STRENGTH = 2.0
#: Bin counts of the models range from N^(1/3) / C to C N^(1/3), C = this (the paper's 10).
BIN_RANGE_FACTOR = 10.0
#: Models whose normalised weight falls below this are dropped and the rest renormalised.
MIN_WEIGHT = 1e-9
#: Prior midpoints are kept in [PRIOR_CLIP, 1 - PRIOR_CLIP] so that every prior is proper.
PRIOR_CLIP = 1e-3
#: Bisection steps of a posterior quantile (precision 2^-40).
QUANTILE_STEPS = 40
#: Rows whose quantiles are solved at once; bounds the (rows, K) blocks.
QUANTILE_CHUNK = 4096


@dataclass(frozen=True)
class Binning:
    """One histogram model: cut points and the Beta posterior of each bin.

    Attributes:
        edges: (B - 1,) ascending cut points on the logit scale; a score s falls in bin
            ``searchsorted(edges, s, side="right")``.
        alpha: (B,) posterior alpha of each bin (positives + prior alpha).
        beta: (B,) posterior beta of each bin (negatives + prior beta).
        log_score: log P(D | M), the model's BDeu score.
    """

    edges: FloatArray
    alpha: FloatArray
    beta: FloatArray
    log_score: float


def bin_counts(n_rows: int) -> range:
    """The numbers of bins the ensemble tries for ``n_rows`` validation rows."""
    root = n_rows ** (1.0 / 3.0)
    low = max(1, math.floor(root / BIN_RANGE_FACTOR))
    high = max(low, min(math.ceil(n_rows / 5), math.ceil(BIN_RANGE_FACTOR * root)))
    return range(low, high + 1)


def equal_frequency_edges(sorted_scores: FloatArray, n_bins: int) -> FloatArray:
    """(<= n_bins - 1,) cut points that split sorted scores into n_bins bins of near-equal size.

    Each cut lies halfway between the last score of a bin and the first of the next; tied scores
    never straddle a cut (a cut on a tie sends the tied rows up), so duplicate cuts collapse.
    """
    n_rows = len(sorted_scores)
    cuts = np.round(np.arange(1, n_bins) * n_rows / n_bins).astype(np.int64)
    cuts = cuts[(cuts > 0) & (cuts < n_rows)]
    edges = (sorted_scores[cuts - 1] + sorted_scores[cuts]) / 2.0
    return np.unique(edges)


def fit_binning(sorted_scores: FloatArray, sorted_labels: FloatArray, edges: FloatArray) -> Binning:
    """The Beta posteriors and BDeu score of the binning of sorted rows by ``edges``."""
    n_bins = len(edges) + 1
    bins = np.searchsorted(edges, sorted_scores, side="right")
    rows = np.bincount(bins, minlength=n_bins).astype(np.float64)
    positives = np.bincount(bins, weights=sorted_labels, minlength=n_bins)
    negatives = rows - positives
    bounds = np.concatenate([[0.0], expit(edges), [1.0]])
    midpoint = np.clip((bounds[:-1] + bounds[1:]) / 2.0, PRIOR_CLIP, 1.0 - PRIOR_CLIP)
    strength = PRIOR_STRENGTH / n_bins
    prior_alpha, prior_beta = strength * midpoint, strength * (1.0 - midpoint)
    log_score = (
        gammaln(strength)
        - gammaln(rows + strength)
        + gammaln(positives + prior_alpha)
        - gammaln(prior_alpha)
        + gammaln(negatives + prior_beta)
        - gammaln(prior_beta)
    ).sum()
    return Binning(edges, positives + prior_alpha, negatives + prior_beta, float(log_score))


class BayesianBinningCalibrator(Calibrator):
    """BBQ: equal-frequency binnings of every size in range, averaged by their BDeu scores."""

    method = "bayes"
    label = "Bayesian binning into quantiles (BBQ)"
    source = "Naeini, Cooper & Hauskrecht, Obtaining Well Calibrated Probabilities, AAAI 2015"

    def __init__(self) -> None:
        self.models_: list[Binning] = []
        self.weights_: FloatArray = np.zeros(0)

    def fit(self, scores: FloatArray, labels: FloatArray) -> Self:
        x = check_scores(scores)
        y = check_labels(labels, len(x))
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
        models: list[Binning] = []
        for n_bins in bin_counts(len(x)):
            edges = equal_frequency_edges(x, n_bins)
            if models and np.array_equal(edges, models[-1].edges):
                continue  # ties collapsed this size into the previous one: count it once
            models.append(fit_binning(x, y, edges))
        log_scores = np.array([model.log_score for model in models])
        weights = np.exp(log_scores - log_scores.max())
        weights /= weights.sum()
        keep = weights >= MIN_WEIGHT
        self.models_ = [model for model, kept in zip(models, keep, strict=True) if kept]
        self.weights_ = weights[keep] / weights[keep].sum()
        return self

    def transform(self, scores: FloatArray) -> FloatArray:
        """(N,) probabilities: the weighted mixture of the models' posterior bin means."""
        self._check_fitted()
        x = check_scores(scores)
        out = np.zeros(len(x))
        for weight, model in zip(self.weights_, self.models_, strict=True):
            bins = np.searchsorted(model.edges, x, side="right")
            out += weight * (model.alpha / (model.alpha + model.beta))[bins]
        return out

    def interval(self, scores: FloatArray, level: float = 0.9) -> tuple[FloatArray, FloatArray]:
        """(N,) lower and upper posterior quantiles of the calibrated probability.

        The posterior of a row is the mixture, by model weight, of its bins' Beta posteriors;
        the bounds are that mixture's (1 - level) / 2 and (1 + level) / 2 quantiles, solved by
        bisection on its CDF.
        """
        if not 0.0 < level < 1.0:
            raise ConfigError(f"interval level must lie in (0, 1), got {level}")
        self._check_fitted()
        x = check_scores(scores)
        tails = ((1.0 - level) / 2.0, (1.0 + level) / 2.0)
        low, high = np.empty(len(x)), np.empty(len(x))
        for start in range(0, len(x), QUANTILE_CHUNK):
            alpha, beta = self._posteriors(x[start : start + QUANTILE_CHUNK])
            low[start : start + len(alpha)] = self._quantile(alpha, beta, tails[0])
            high[start : start + len(alpha)] = self._quantile(alpha, beta, tails[1])
        return low, high

    def _posteriors(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(N, K) Beta parameters of each row's bin under each model."""
        bins = [np.searchsorted(model.edges, x, side="right") for model in self.models_]
        alpha = np.column_stack([m.alpha[b] for m, b in zip(self.models_, bins, strict=True)])
        beta = np.column_stack([m.beta[b] for m, b in zip(self.models_, bins, strict=True)])
        return alpha, beta

    def _quantile(self, alpha: FloatArray, beta: FloatArray, tail: float) -> FloatArray:
        """(N,) the ``tail`` quantile of each row's Beta mixture (bisection on [0, 1])."""
        low, high = np.zeros(len(alpha)), np.ones(len(alpha))
        for _ in range(QUANTILE_STEPS):
            mid = (low + high) / 2.0
            below = betainc(alpha, beta, mid[:, None]) @ self.weights_ < tail
            low, high = np.where(below, mid, low), np.where(below, high, mid)
        return (low + high) / 2.0

    def arrays(self) -> dict[str, np.ndarray]:
        if not self.models_:
            return {}
        return {
            "weights": self.weights_,
            "edges": np.concatenate([m.edges for m in self.models_]),
            "edge_offsets": _offsets([len(m.edges) for m in self.models_]),
            "alpha": np.concatenate([m.alpha for m in self.models_]),
            "beta": np.concatenate([m.beta for m in self.models_]),
            "log_scores": np.array([m.log_score for m in self.models_]),
        }

    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        weights = np.asarray(arrays["weights"], dtype=np.float64)
        edges = np.asarray(arrays["edges"], dtype=np.float64)
        offsets = np.asarray(arrays["edge_offsets"], dtype=np.int64)
        alpha = np.asarray(arrays["alpha"], dtype=np.float64)
        beta = np.asarray(arrays["beta"], dtype=np.float64)
        log_scores = np.asarray(arrays["log_scores"], dtype=np.float64)
        n_models = len(weights)
        sizes = np.diff(offsets)
        if (
            n_models == 0
            or offsets.shape != (n_models + 1,)
            or offsets[0] != 0
            or offsets[-1] != len(edges)
            or (sizes < 0).any()
            or alpha.shape != beta.shape
            or len(alpha) != len(edges) + n_models
            or log_scores.shape != (n_models,)
        ):
            raise ValueError("BBQ arrays disagree on the number of models and bins")
        if not (weights > 0).all() or not math.isclose(weights.sum(), 1.0, rel_tol=1e-9):
            raise ValueError("BBQ model weights must be positive and sum to 1")
        if not ((alpha > 0).all() and (beta > 0).all() and np.isfinite(edges).all()):
            raise ValueError("BBQ Beta parameters must be positive and the cut points finite")
        bin_offsets = offsets + np.arange(n_models + 1)
        models = []
        for k in range(n_models):
            cut = edges[offsets[k] : offsets[k + 1]]
            if (np.diff(cut) <= 0).any():
                raise ValueError(f"cut points of BBQ model {k} are not ascending")
            bins = slice(bin_offsets[k], bin_offsets[k + 1])
            models.append(Binning(cut, alpha[bins], beta[bins], float(log_scores[k])))
        self.models_, self.weights_ = models, weights


def _offsets(sizes: list[int]) -> IntArray:
    """(K + 1,) start of each model's slice in a concatenated array, then the total."""
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
