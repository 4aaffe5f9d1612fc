"""The ``Calibrator`` protocol: a map from a ranker's logits to probabilities, saved without pickle.

A calibrator is fitted on VALIDATION rows only (``fit(scores, labels)``; the test rows are what it
is judged on) and maps scores to probabilities (``transform``). Scores are logits, the contract of
every ranking model (``models.ranking_base``). A fitted calibrator is a JSON header
(``calibrator.json``: format, version, method) plus its fitted numbers as arrays
(``calibrator.safetensors``); scikit-learn estimators are reduced to their fitted parameters or
thresholds and rebuilt with numpy, so nothing is ever unpickled. ``methods.load_calibrator``
reads one back. Shape legend: N rows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from safetensors.numpy import save_file

from recsys_core import strict_json
from recsys_core.errors import DataError, NotFittedError
from recsys_core.types import FloatArray

#: Calibration methods, as the CLI and the runs table name them.
METHODS: tuple[str, ...] = ("platt", "isotonic", "bayes")
#: Files of a saved calibrator.
HEADER_FILE = "calibrator.json"
ARRAYS_FILE = "calibrator.safetensors"
#: ``format`` and ``version`` of ``HEADER_FILE``; a file with other values is refused.
FORMAT = "recscope-calibrator"
VERSION = 1


def check_scores(scores: FloatArray, what: str = "scores") -> FloatArray:
    """(N,) finite float64 scores; DataError naming ``what`` otherwise."""
    values = np.asarray(scores, dtype=np.float64)
    if values.ndim != 1 or len(values) == 0:
        raise DataError(f"{what} must be a non-empty 1-D array, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise DataError(f"{what} hold NaN or infinite values; check the model's scores")
    return values


def check_labels(labels: FloatArray, n_rows: int) -> FloatArray:
    """(N,) float64 0/1 labels of ``n_rows`` rows with both classes present."""
    values = np.asarray(labels, dtype=np.float64).ravel()
    if len(values) != n_rows:
        raise DataError(f"got {len(values)} labels for {n_rows} scores; pass one label per row")
    if not np.isin(values, (0.0, 1.0)).all():
        raise DataError("calibration labels must be 0 or 1; binarise graded feedback first")
    if values.min() == values.max():
        raise DataError(
            "calibration needs positive and negative validation rows, got one class only; use a "
            "protocol whose validation split has both (e.g. recbole-ctr)"
        )
    return values


class Calibrator(ABC):
    """Scores (logits) -> probabilities, fitted on validation rows.

    Subclasses set ``method`` (one of ``METHODS``), ``label`` and ``source`` and implement
    ``fit``, ``transform``, ``arrays`` (the fitted numbers to save) and ``restore``.
    """

    method: ClassVar[str]
    label: ClassVar[str]
    source: ClassVar[str]

    @abstractmethod
    def fit(self, scores: FloatArray, labels: FloatArray) -> Self:
        """Fit on (N,) validation logits and their (N,) 0/1 labels; returns self."""

    @abstractmethod
    def transform(self, scores: FloatArray) -> FloatArray:
        """(N,) logits -> (N,) probabilities in [0, 1]."""

    @abstractmethod
    def arrays(self) -> dict[str, np.ndarray]:
        """The fitted numbers, as named numeric arrays (what ``save`` writes)."""

    @abstractmethod
    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        """Set the fitted state from ``arrays``; ValueError or KeyError when they do not fit."""

    def is_fitted(self) -> bool:
        """Whether ``fit`` or ``restore`` has run."""
        return bool(self.arrays())

    def save(self, directory: Path) -> None:
        """Write ``calibrator.json`` and ``calibrator.safetensors`` into ``directory``."""
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {name: np.ascontiguousarray(value) for name, value in self.arrays().items()}
        save_file(arrays, str(directory / ARRAYS_FILE))
        header: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "method": self.method,
            "arrays": sorted(arrays),
        }
        (directory / HEADER_FILE).write_text(strict_json.dumps(header, indent=2, sort_keys=True))

    def _check_fitted(self) -> None:
        if not self.is_fitted():
            raise NotFittedError(f"the {self.method} calibrator is not fitted: call fit() first")
