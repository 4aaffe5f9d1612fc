"""Greedy list building shared by the list-phase re-rankers (MMR, calibration, balance, fairness).

Each list builder fills positions 1..k one at a time for all B users at once: at every step it
scores the candidates still left (an objective, optionally a constraint mask) and takes one column
per row. ``GreedyList`` keeps that bookkeeping in one place so that every builder obeys the same
contract: a candidate with non-finite relevance (dropped or padding) never enters the list while a
finite one is left, and the returned permutation lists the chosen columns first and every other
column in incoming order.

Incoming order is the order of preference. Candidates arrive best first (by relevance, or as an
earlier list builder left them), so a builder without an objective of its own (a constraint such
as fairness) takes the earliest candidate that keeps its constraint, and objective ties go to the
earlier column. That is what lets builders compose: fairness after MMR moves MMR's list only where
the fairness constraint demands it, instead of re-sorting by relevance.

Builders may read side information of padding columns through item 0 (``item_idx`` -1 clipped):
a padding column is only taken once no finite candidate is left, so what it reads never matters.
Shape legend: B users, N candidates, K list length.
"""

from __future__ import annotations

import numpy as np

from recsys_core.types import BoolArray, FloatArray, IntArray

#: Objective values this close to a row's best count as a tie (broken by incoming order).
TIE_TOLERANCE = 1e-12


class GreedyList:
    """The state of B lists built greedily over (B, N) candidate columns, best first.

    Args:
        relevance: (B, N) relevance; non-finite marks candidates that may not be chosen.
        valid: (B, N) True where a real candidate stands (padding is never chosen either).
        k: list length; capped at N.
    """

    def __init__(self, relevance: FloatArray, valid: BoolArray, k: int) -> None:
        self.k = min(int(k), relevance.shape[1])
        self.rows = np.arange(relevance.shape[0])
        self.left = np.isfinite(relevance) & valid
        self.unpicked = np.ones(relevance.shape, dtype=bool)
        self.picked = np.empty((relevance.shape[0], self.k), dtype=np.int64)
        self.size = 0

    def take(
        self, objective: FloatArray | None = None, allowed: BoolArray | None = None
    ) -> IntArray:
        """Choose and record one column per row; returns the (B,) chosen columns.

        The choice is the candidate left with the highest ``objective`` (default: the earliest)
        among those ``allowed``; where no allowed candidate is left, the earliest candidate
        left; where no finite candidate is left at all, the first unpicked column (it ends the
        list as padding).

        Args:
            objective: (B, N) value of adding each candidate, or None for incoming order.
            allowed: (B, N) True where adding a candidate keeps the builder's constraint.
        """
        eligible = self.left if allowed is None else self.left & allowed
        cols, found = _first_best(objective, eligible)
        earliest = np.where(
            self.left.any(axis=1), np.argmax(self.left, axis=1), np.argmax(self.unpicked, axis=1)
        )
        cols = np.where(found, cols, earliest)
        self.picked[:, self.size] = cols
        self.unpicked[self.rows, cols] = False
        self.left[self.rows, cols] = False
        self.size += 1
        return cols

    def order(self) -> IntArray:
        """(B, N) permutation: the chosen columns, then the others in incoming order."""
        rest = np.argsort(~self.unpicked, axis=1, kind="stable")
        n_rest = self.unpicked.shape[1] - self.size
        return np.concatenate([self.picked[:, : self.size], rest[:, :n_rest]], axis=1)


def _first_best(objective: FloatArray | None, eligible: BoolArray) -> tuple[IntArray, BoolArray]:
    """Per row, the earliest eligible column of highest objective, and whether one exists."""
    found = eligible.any(axis=1)
    if objective is None:
        return np.argmax(eligible, axis=1), found
    value = np.where(eligible, objective, -np.inf)
    best = value.max(axis=1, keepdims=True)
    found &= np.isfinite(best[:, 0])
    tied = value >= best - TIE_TOLERANCE * np.maximum(1.0, np.abs(best))
    return np.argmax(eligible & tied, axis=1), found


def keep_order(relevance: FloatArray, valid: BoolArray, k: int) -> IntArray:
    """(B, N) permutation that keeps incoming order but moves non-finite candidates out of the k.

    What a list builder returns when its side information is missing, so that it changes nothing.
    """
    greedy = GreedyList(relevance, valid, k)
    for _ in range(greedy.k):
        greedy.take()
    return greedy.order()
