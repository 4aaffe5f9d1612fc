"""Isotonic regression: the best monotone step map from logits to probabilities.

Zadrozny & Elkan, "Transforming Classifier Scores into Accurate Multiclass Probability
Estimates" (KDD 2002): the pool-adjacent-violators fit of the labels on the scores, as a
non-decreasing piecewise-linear curve through ``X_thresholds_`` -> ``y_thresholds_``. Fitted with
scikit-learn's ``IsotonicRegression`` (``out_of_bounds="clip"``: scores beyond the validation
range get the end values); saved as those two threshold arrays and applied with ``np.interp``,
which clips at the ends the same way. It can fit any monotone miscalibration, but is flat
between thresholds (ties in the scores it returns) and needs more rows than Platt scaling.
Shape legend: N rows, T thresholds.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from sklearn.isotonic import IsotonicRegression

from recsys_core.calibration.base import Calibrator, check_labels, check_scores
from recsys_core.types import FloatArray


class IsotonicCalibrator(Calibrator):
    """A non-decreasing step map fitted on validation rows (pool adjacent violators)."""

    method = "isotonic"
    label = "Isotonic regression"
    source = "Zadrozny & Elkan, Transforming Classifier Scores into Accurate Probabilities, 2002"

    def __init__(self) -> None:
        self.x_thresholds_: FloatArray | None = None
        self.y_thresholds_: FloatArray | None = None

    def fit(self, scores: FloatArray, labels: FloatArray) -> Self:
        x = check_scores(scores)
        y = check_labels(labels, len(x))
        model = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
        model.fit(x, y)
        self.x_thresholds_ = np.asarray(model.X_thresholds_, dtype=np.float64)
        self.y_thresholds_ = np.asarray(model.y_thresholds_, dtype=np.float64)
        return self

    def transform(self, scores: FloatArray) -> FloatArray:
        self._check_fitted()
        return np.interp(check_scores(scores), self.x_thresholds_, self.y_thresholds_)

    def arrays(self) -> dict[str, np.ndarray]:
        if self.x_thresholds_ is None:
            return {}
        return {"x_thresholds": self.x_thresholds_, "y_thresholds": self.y_thresholds_}

    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        x = np.asarray(arrays["x_thresholds"], dtype=np.float64)
        y = np.asarray(arrays["y_thresholds"], dtype=np.float64)
        if x.ndim != 1 or x.shape != y.shape or len(x) == 0:
            raise ValueError(f"thresholds must be 1-D arrays of one length: {x.shape}, {y.shape}")
        if not (np.isfinite(x).all() and np.isfinite(y).all()) or (np.diff(x) < 0).any():
            raise ValueError("x thresholds must be finite and ascending, y thresholds finite")
        if (np.diff(y) < 0).any() or y.min() < 0 or y.max() > 1:
            raise ValueError("y thresholds must be non-decreasing probabilities in [0, 1]")
        self.x_thresholds_, self.y_thresholds_ = x, y
