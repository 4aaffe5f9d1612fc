"""A calibrated ranker: a fitted ranking model, its downsampling correction, then a calibrator.

What a ``calibrated`` run saves and is evaluated as. Calibration is monotone, so the lists are
the ranker's own: ``recommend`` ranks by the ranker's logits (which also break the ties a step
calibrator makes) and maps only the scores. ``score`` returns the logits of the calibrated
probabilities, so the ranking-model contract holds (scores are logits; the pointwise evaluation
takes their sigmoid, which is the calibrated probability).

Not an architecture of the model registry: it is built from a saved run, never trained from data,
and it is no ``Recommender`` (it has nothing to fit). The run registry reads only what it has:
``name``, ``config`` (with ``seed``) and ``stage`` in ``start_run``, ``save`` in ``finish_run``;
the evaluation needs the ``Scorer`` protocol (``score``, ``recommend``, ``stage``, ``requires``).
It is saved as the ranker's own artifact (so ``registry.load_run_model`` of a calibrated run gives
the uncalibrated ranker, with the same lists) plus ``calibration/``: the calibrator's JSON +
safetensors and ``report.json`` (the before/after table and reliability curves).
``CalibratedModel.load`` reads both. Shape legend: N pairs, B users, I items, K list length.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from scipy.special import logit

from recsys_core import strict_json
from recsys_core.artifacts import read_json
from recsys_core.calibration.base import METHODS, Calibrator
from recsys_core.calibration.downsampling import correct_logits
from recsys_core.calibration.methods import load_calibrator
from recsys_core.errors import DataError
from recsys_core.models.base import ModelConfig, Recommender, param
from recsys_core.models.ranking_base import RankingModel
from recsys_core.types import FloatArray, IntArray, TopK

#: Folder beside the ranker's files that holds the calibrator and its report.
CALIBRATION_DIR = "calibration"
REPORT_FILE = "report.json"
#: Calibrated probabilities are kept in [EPS, 1 - EPS] so that their logits stay finite.
PROBABILITY_EPS = 1e-6


@dataclass(frozen=True)
class CalibratedConfig(ModelConfig):
    """What a calibrated run records as its model config (the ranker's is its parent's)."""

    method: str = param("platt", "Calibration fitted on the validation rows.", choices=METHODS)
    base_model: str = param("", "Architecture of the calibrated ranking model.")
    negative_rate: float = param(
        1.0,
        "Share of negative rows the ranker trained on; its probabilities are corrected for it "
        "(q = p / (p + (1 - p) / w)) before the calibrator.",
        min=0.001,
        max=1.0,
    )


class CalibratedModel:
    """A fitted ranking model whose probabilities go through a fitted calibrator.

    Args:
        base: the run's fitted ranking model (scores are logits).
        calibrator: fitted on the base's downsampling-corrected validation logits.
        report: the calibration report saved with it (``calibration.runs``), or None.
    """

    name: ClassVar[str] = "calibrated"
    label: ClassVar[str] = "Calibrated ranker"
    stage: ClassVar[str] = "ranking"
    predicts_ratings: ClassVar[bool] = False

    def __init__(
        self,
        base: RankingModel,
        calibrator: Calibrator,
        *,
        report: dict[str, Any] | None = None,
    ) -> None:
        self.base = base
        self.calibrator = calibrator
        self.report = report
        self.config = CalibratedConfig(
            method=calibrator.method,
            base_model=base.name,
            negative_rate=base.downsampling_rate(),
            seed=base.config.seed,
        )

    @property
    def requires(self) -> frozenset[str]:
        return self.base.requires

    def calibrate(self, logits: FloatArray) -> FloatArray:
        """(N,) base logits -> (N,) calibrated probabilities in [EPS, 1 - EPS] (any shape kept)."""
        if np.size(logits) == 0:
            return np.zeros(np.shape(logits))
        corrected = correct_logits(np.ravel(logits), self.config.negative_rate)
        probs = self.calibrator.transform(corrected)
        return np.clip(probs, PROBABILITY_EPS, 1.0 - PROBABILITY_EPS).reshape(np.shape(logits))

    def predict_proba(self, user_idx: IntArray, item_idx: IntArray) -> FloatArray:
        """(N,) calibrated probabilities of the pairs."""
        return self.calibrate(self.base.score(user_idx, item_idx))

    def score(self, user_idx: IntArray, item_idx: IntArray | None = None) -> FloatArray:
        """Logits of the calibrated probabilities: (N,) pairs, or (B, I) without ``item_idx``."""
        return logit(self.calibrate(self.base.score(user_idx, item_idx)))

    def recommend(
        self,
        user_idx: IntArray,
        k: int = 10,
        *,
        exclude_seen: bool = True,
        candidates: IntArray | None = None,
    ) -> TopK:
        """(B, K) the base model's lists, scored with calibrated logits (-inf pads kept)."""
        top = self.base.recommend(user_idx, k, exclude_seen=exclude_seen, candidates=candidates)
        scores = np.array(top.scores, dtype=np.float32)
        finite = np.isfinite(scores)
        scores[finite] = logit(self.calibrate(scores[finite]))
        return TopK(item_idx=top.item_idx, scores=scores)

    def save(self, directory: Path) -> None:
        """The base model's files in ``directory``, the calibrator and report in its
        ``calibration/`` folder."""
        directory = Path(directory)
        self.base.save(directory)
        self.calibrator.save(directory / CALIBRATION_DIR)
        if self.report is not None:
            report = strict_json.dumps(self.report, indent=2, sort_keys=True)
            (directory / CALIBRATION_DIR / REPORT_FILE).write_text(report)

    @classmethod
    def load(cls, directory: Path) -> Self:
        """Rebuild a saved calibrated model (base model + calibrator + report).

        Raises:
            DataError: the base model or the calibrator is missing or corrupt, the base is not a
                ranking model, or the report is unreadable.
        """
        directory = Path(directory)
        base = Recommender.load(directory)
        if not isinstance(base, RankingModel):
            raise DataError(
                f"{directory} holds a {base.name} model, not a ranking model; only ranking runs "
                "are calibrated"
            )
        calibrator = load_calibrator(directory / CALIBRATION_DIR)
        report_path = directory / CALIBRATION_DIR / REPORT_FILE
        report = None
        if report_path.exists() or report_path.is_symlink():
            report = read_json(report_path, "calibrate the run again")
        return cls(base, calibrator, report=report)
