"""Every registered architecture refuses, at load time and by name, weights whose arrays do not fit
its saved config: each array of a saved model is in turn cut short by one entry (or row) or left
out, and ``load`` must raise ``DamagedArtifactError`` naming the weights file instead of failing
later inside numpy or torch, or, worse, scoring with the wrong arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from recsys_core.errors import DamagedArtifactError
from recsys_core.models import Recommender, list_models
from recsys_core.models.base import CONFIG_FILE, WEIGHTS_FILE

Fitted = Callable[[str], tuple[Recommender, object]]


def _saved_arrays(name: str, fitted: Fitted, folder: Path) -> dict[str, np.ndarray]:
    model, _ = fitted(name)
    model.save(folder)
    return load_file(str(folder / WEIGHTS_FILE))


def _cut_short(array: np.ndarray) -> np.ndarray:
    """One entry fewer along the first axis (a scalar-like (1,) array becomes empty)."""
    return np.ascontiguousarray(array[:-1])


@pytest.mark.parametrize("name", list_models())
def test_each_array_cut_short_is_refused_by_name(name: str, fitted: Fitted, tmp_path: Path) -> None:
    arrays = _saved_arrays(name, fitted, tmp_path)
    assert arrays, f"{name} saved no arrays"
    for key, array in arrays.items():
        if array.shape[0] == 0:
            continue
        save_file({**arrays, key: _cut_short(array)}, str(tmp_path / WEIGHTS_FILE))
        with pytest.raises(DamagedArtifactError) as error:
            Recommender.load(tmp_path)
        message = str(error.value)
        assert WEIGHTS_FILE in message and CONFIG_FILE in message, (key, message)


@pytest.mark.parametrize("name", list_models())
def test_a_missing_array_is_refused_by_name(name: str, fitted: Fitted, tmp_path: Path) -> None:
    arrays = _saved_arrays(name, fitted, tmp_path)
    for key in arrays:
        save_file({k: v for k, v in arrays.items() if k != key}, str(tmp_path / WEIGHTS_FILE))
        with pytest.raises(DamagedArtifactError, match=WEIGHTS_FILE) as error:
            Recommender.load(tmp_path)
        assert key in str(error.value), (key, str(error.value))
