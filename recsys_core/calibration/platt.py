"""Platt scaling: a logistic regression on the ranker's logit.

Platt, "Probabilistic Outputs for Support Vector Machines and Comparisons to Regularized
Likelihood Methods" (1999): p = sigmoid(a * s + b), with a and b fitted by maximum likelihood on
held-out rows. Fitted with scikit-learn's unpenalised ``LogisticRegression`` on the one feature s;
saved as the two numbers (a, b), and applied with numpy. Two parameters, so it needs few rows and
cannot overfit, but it can only bend the scores along a sigmoid. Shape legend: N rows.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from recsys_core.calibration.base import Calibrator, check_labels, check_scores
from recsys_core.types import FloatArray

#: L-BFGS iterations allowed for the 2-parameter fit.
MAX_ITER = 1000


class PlattCalibrator(Calibrator):
    """p = sigmoid(slope * logit + intercept), fitted on validation rows."""

    method = "platt"
    label = "Platt scaling"
    source = "Platt, Probabilistic Outputs for Support Vector Machines, 1999"

    def __init__(self) -> None:
        self.slope_: float | None = None
        self.intercept_: float | None = None

    def fit(self, scores: FloatArray, labels: FloatArray) -> Self:
        x = check_scores(scores)
        y = check_labels(labels, len(x))
        model = LogisticRegression(C=np.inf, max_iter=MAX_ITER).fit(x[:, None], y)
        self.slope_ = float(model.coef_[0, 0])
        self.intercept_ = float(model.intercept_[0])
        return self

    def transform(self, scores: FloatArray) -> FloatArray:
        self._check_fitted()
        return expit(self.slope_ * check_scores(scores) + self.intercept_)

    def arrays(self) -> dict[str, np.ndarray]:
        if self.slope_ is None:
            return {}
        return {"coef": np.array([self.slope_, self.intercept_], dtype=np.float64)}

    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        coef = np.asarray(arrays["coef"], dtype=np.float64)
        if coef.shape != (2,) or not np.isfinite(coef).all():
            raise ValueError(f"coef must hold 2 finite numbers (slope, intercept), got {coef}")
        self.slope_, self.intercept_ = float(coef[0]), float(coef[1])
