"""The calibration methods by name: build one to fit, or read a saved one back.

``load_calibrator`` accepts only the JSON header + safetensors pair ``Calibrator.save`` writes,
checks the header's format, version and method, and refuses anything incomplete or corrupt with a
``DataError`` that says how to recover.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.numpy import load_file

from recsys_core.artifacts import regular_file
from recsys_core.calibration.base import (
    ARRAYS_FILE,
    FORMAT,
    HEADER_FILE,
    METHODS,
    VERSION,
    Calibrator,
)
from recsys_core.calibration.bayesian import BayesianBinningCalibrator
from recsys_core.calibration.isotonic import IsotonicCalibrator
from recsys_core.calibration.platt import PlattCalibrator
from recsys_core.errors import ConfigError, DamagedArtifactError

#: Calibrator classes by method name, in ``METHODS`` order.
CALIBRATORS: dict[str, type[Calibrator]] = {
    cls.method: cls for cls in (PlattCalibrator, IsotonicCalibrator, BayesianBinningCalibrator)
}


def make_calibrator(method: str) -> Calibrator:
    """An unfitted calibrator of ``method`` (``platt`` | ``isotonic`` | ``bayes``)."""
    try:
        return CALIBRATORS[method]()
    except KeyError:
        raise ConfigError(
            f"unknown calibration method {method!r}; choose one of {', '.join(METHODS)}"
        ) from None


def load_calibrator(directory: Path) -> Calibrator:
    """The calibrator saved in ``directory``.

    Raises:
        DamagedArtifactError: a file is missing, a link, corrupt, of another format or version,
            names an unknown method, or holds arrays that do not fit the method.
    """
    directory = Path(directory)
    header_path, arrays_path = directory / HEADER_FILE, directory / ARRAYS_FILE
    fix = "calibrate the run again"
    if not all(path.exists() or path.is_symlink() for path in (header_path, arrays_path)):
        problem = f"is not a saved calibrator (it needs {HEADER_FILE} and {ARRAYS_FILE})"
        raise DamagedArtifactError(directory, problem, fix)
    for path in (header_path, arrays_path):
        regular_file(path, fix)
    try:
        header = json.loads(header_path.read_bytes())
        arrays = load_file(str(arrays_path))
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same corrupt artifact
        problem = f"holds a corrupt calibrator ({type(exc).__name__}: {exc})"
        raise DamagedArtifactError(directory, problem, fix) from None
    if not isinstance(header, dict) or (header.get("format"), header.get("version")) != (
        FORMAT,
        VERSION,
    ):
        problem = f"is not a {FORMAT} file of version {VERSION}"
        raise DamagedArtifactError(header_path, problem, f"{fix} with this version of RecScope")
    method = header.get("method")
    if method not in CALIBRATORS:
        raise DamagedArtifactError(header_path, f"names an unknown method {method!r}", fix)
    calibrator = CALIBRATORS[method]()
    try:
        calibrator.restore(arrays)
    except (KeyError, ValueError, IndexError, TypeError) as exc:
        problem = (
            f"holds an incomplete or mismatched {method} calibrator ({type(exc).__name__}: {exc})"
        )
        raise DamagedArtifactError(arrays_path, problem, fix) from None
    return calibrator
