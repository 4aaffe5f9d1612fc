"""Negative downsampling: train on every positive and a share of the negatives, then correct.

He et al., "Practical Lessons from Predicting Clicks on Ads at Facebook" (ADKDD 2014), section
6.2: keeping each negative row with probability w multiplies the odds a model learns by 1/w, so
its probability p maps back to the full mix as q = p / (p + (1 - p) / w), i.e. logit(q) =
logit(p) + log(w). Here w is the ranker's ``negative_rate`` (0.25 keeps one negative in four, a
1:4 downsampling); w = 1 changes nothing. Shape legend: N rows.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from recsys_core.errors import ConfigError
from recsys_core.types import FloatArray


def check_rate(rate: float) -> float:
    """``rate`` as a float in (0, 1]; ConfigError otherwise."""
    rate = float(rate)
    if not 0.0 < rate <= 1.0:
        raise ConfigError(
            f"negative rate must lie in (0, 1] (the share of negatives kept), got {rate}"
        )
    return rate


def downsample_rows(
    rows: tuple[torch.Tensor, ...],
    labels: torch.Tensor,
    rate: float,
    generator: torch.Generator,
) -> tuple[torch.Tensor, ...]:
    """One epoch's rows: every positive, and each negative kept with probability ``rate``.

    At rate 1 the rows come back as they are and nothing is drawn from ``generator``, so a fit
    without downsampling is bit-identical to one that never heard of it.

    Args:
        rows: (N, ...) tensors of the rows (users, items, labels, ...), on the generator's device.
        labels: (N,) 0/1 targets of the rows.
        rate: share of negatives kept, in (0, 1].
        generator: the fit's seeded generator (one uniform draw per row when rate < 1).

    Returns:
        The (M, ...) kept rows of every tensor, in their original order.
    """
    if check_rate(rate) == 1.0:
        return rows
    draw = torch.rand(labels.shape, generator=generator, device=labels.device)
    kept = torch.nonzero((labels > 0) | (draw < rate)).squeeze(1)
    return tuple(tensor[kept] for tensor in rows)


def correct_probabilities(probs: FloatArray, rate: float) -> FloatArray:
    """(N,) probabilities of the full mix: q = p / (p + (1 - p) / rate) of a model that kept a
    ``rate`` share of its negative training rows."""
    p = np.asarray(probs, dtype=np.float64)
    return p / (p + (1.0 - p) / check_rate(rate))


def correct_logits(logits: FloatArray, rate: float) -> FloatArray:
    """(N,) logits of the full mix: logit + log(rate), the same correction in logit space."""
    return np.asarray(logits, dtype=np.float64) + math.log(check_rate(rate))
