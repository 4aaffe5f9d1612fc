"""Samples of the latency benchmark and their summary: percentiles against a target."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Measurement:
    """Samples of one measurement (milliseconds) and its target."""

    name: str
    target_ms: float | None
    samples_ms: list[float] = field(default_factory=list)
    #: Per sample, when the server's script run had finished (pages only).
    done_ms: list[float] = field(default_factory=list)

    def add(self, sample: float, done: float) -> None:
        """Record one sample and when the server reported its script run finished."""
        self.samples_ms.append(sample)
        self.done_ms.append(done)

    def summary(self) -> dict[str, Any]:
        """p50/p95/max/mean, whether the p95 meets the target, and the rounded samples."""
        samples = sorted(self.samples_ms)
        p50, p95 = percentile(samples, 50), percentile(samples, 95)
        done = sorted(self.done_ms)
        return {
            "name": self.name,
            "n": len(samples),
            "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1),
            "max_ms": round(samples[-1], 1) if samples else float("nan"),
            "mean_ms": round(statistics.fmean(samples), 1) if samples else float("nan"),
            "target_ms": self.target_ms,
            "met": None if self.target_ms is None else bool(samples) and p95 <= self.target_ms,
            "script_done_p50_ms": round(percentile(done, 50), 1) if done else None,
            "samples_ms": [round(s, 1) for s in self.samples_ms],
            "script_done_ms": [round(s, 1) for s in self.done_ms],
        }


def percentile(sorted_samples: list[float], q: float) -> float:
    """The q-th percentile with linear interpolation (numpy's default); NaN when empty."""
    if not sorted_samples:
        return float("nan")
    position = (len(sorted_samples) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(sorted_samples) - 1)
    return sorted_samples[low] + (sorted_samples[high] - sorted_samples[low]) * (position - low)
