"""Saved calibrators: JSON + safetensors only, an exact round trip, and corrupt files refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file
from scipy.special import expit

from recsys_core.calibration.base import ARRAYS_FILE, HEADER_FILE, METHODS, Calibrator
from recsys_core.calibration.methods import load_calibrator, make_calibrator
from recsys_core.errors import DataError, NotFittedError


def _fitted(method: str) -> Calibrator:
    rng = np.random.default_rng(0)
    scores = rng.normal(0.0, 1.5, size=3000)
    labels = (rng.uniform(size=3000) < expit(2 * scores - 1)).astype(float)
    return make_calibrator(method).fit(scores, labels)


@pytest.mark.parametrize("method", METHODS)
def test_round_trip_gives_identical_probabilities(tmp_path: Path, method: str) -> None:
    calibrator = _fitted(method)
    calibrator.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([HEADER_FILE, ARRAYS_FILE])
    header = json.loads((tmp_path / HEADER_FILE).read_text())
    assert header["method"] == method and header["arrays"] == sorted(calibrator.arrays())
    loaded = load_calibrator(tmp_path)
    assert type(loaded) is type(calibrator)
    probe = np.linspace(-8, 8, 301)
    np.testing.assert_array_equal(loaded.transform(probe), calibrator.transform(probe))
    if method == "bayes":
        np.testing.assert_array_equal(loaded.interval(probe)[0], calibrator.interval(probe)[0])


def test_an_unfitted_calibrator_is_not_saved(tmp_path: Path) -> None:
    with pytest.raises(NotFittedError, match="call fit"):
        make_calibrator("platt").save(tmp_path)


@pytest.mark.parametrize("method", METHODS)
def test_corrupt_or_truncated_arrays_are_refused(tmp_path: Path, method: str) -> None:
    _fitted(method).save(tmp_path)
    data = (tmp_path / ARRAYS_FILE).read_bytes()
    (tmp_path / ARRAYS_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="corrupt calibrator.*calibrate the run again"):
        load_calibrator(tmp_path)


def test_a_bad_header_is_refused_by_name(tmp_path: Path) -> None:
    _fitted("isotonic").save(tmp_path)
    header_path = tmp_path / HEADER_FILE
    header = json.loads(header_path.read_text())
    header_path.write_text("{not json")
    with pytest.raises(DataError, match="corrupt calibrator"):
        load_calibrator(tmp_path)
    header_path.write_text(json.dumps({**header, "version": 99}))
    with pytest.raises(DataError, match="version 1"):
        load_calibrator(tmp_path)
    header_path.write_text(json.dumps({**header, "method": "pickle"}))
    with pytest.raises(DataError, match="unknown method 'pickle'"):
        load_calibrator(tmp_path)
    header_path.unlink()
    with pytest.raises(DataError, match="not a saved calibrator"):
        load_calibrator(tmp_path)


@pytest.mark.parametrize(
    ("method", "tamper"),
    [
        ("platt", lambda a: {"coef": np.array([1.0, np.nan])}),
        ("isotonic", lambda a: {**a, "x_thresholds": a["x_thresholds"][::-1].copy()}),
        ("isotonic", lambda a: {"x_thresholds": a["x_thresholds"]}),
        ("bayes", lambda a: {**a, "weights": a["weights"] * 2}),
        ("bayes", lambda a: {**a, "alpha": a["alpha"][:-1].copy()}),
    ],
)
def test_arrays_that_do_not_fit_the_method_are_refused(
    tmp_path: Path, method: str, tamper: object
) -> None:
    _fitted(method).save(tmp_path)
    arrays = load_file(str(tmp_path / ARRAYS_FILE))
    save_file(tamper(arrays), str(tmp_path / ARRAYS_FILE))  # type: ignore[operator]
    with pytest.raises(DataError, match=f"incomplete or mismatched {method} calibrator"):
        load_calibrator(tmp_path)
