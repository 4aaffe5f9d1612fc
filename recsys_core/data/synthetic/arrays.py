"""Vectorised helpers over grouped rows: sorted uniforms, sorted membership, rank within a group."""

from __future__ import annotations

import numpy as np

from recsys_core.types import BoolArray, FloatArray, IntArray


def sorted_uniforms(counts: IntArray, rng: np.random.Generator) -> FloatArray:
    """(sum(counts),) ``counts[g]`` sorted uniforms in [0, 1) per segment g, in O(n).

    Normalised partial sums of ``counts[g] + 1`` exponential spacings are distributed as the order
    statistics of ``counts[g]`` uniforms.
    """
    spacing = rng.standard_exponential(int(counts.sum()) + len(counts))
    ends = np.cumsum(counts + 1)
    starts = ends - counts - 1
    running = np.cumsum(spacing)
    before = running[starts] - spacing[starts]
    total = running[ends - 1] - before
    keep = np.ones(len(spacing), dtype=bool)
    keep[ends - 1] = False
    segment = np.repeat(np.arange(len(counts)), counts)
    return np.minimum((running[keep] - before[segment]) / total[segment], np.nextafter(1.0, 0.0))


def sorted_contains(haystack: IntArray, needles: IntArray) -> BoolArray:
    """Whether each needle is in the sorted, non-empty ``haystack``."""
    pos = np.minimum(np.searchsorted(haystack, needles), len(haystack) - 1)
    return haystack[pos] == needles


def rank_in_group(group: IntArray) -> IntArray:
    """0-based position of each row within its run of equal ``group`` values."""
    idx = np.arange(len(group))
    first = np.ones(len(group), dtype=bool)
    first[1:] = group[1:] != group[:-1]
    return idx - np.maximum.accumulate(np.where(first, idx, 0))
