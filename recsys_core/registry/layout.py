"""What a run's folder holds, and the checks that find it damaged.

``<runs dir>/<run_id>/`` holds ``model/`` (``config.json``, ``weights.safetensors`` and what the
model's ``save_extra`` adds), ``per_user.parquet``, ``run.json`` and, for some runs,
``per_user_sampled.parquet`` and ``per_user_pointwise.parquet``: the registry's own files. Anything
else in the folder is a cache other modules keep beside the run (candidates, projections, sampled
re-evaluations): deleting it is enough to recover from its damage, while damage to the registry's
own files needs the run deleted and trained again.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recsys_core.artifacts import (
    cache_damage,
    check_file_whole,
    refuse_links,
    regular_file,
    run_files,
)
from recsys_core.errors import DamagedArtifactError

MODEL_DIR = "model"
PER_USER_FILE = "per_user.parquet"
SAMPLED_PER_USER_FILE = "per_user_sampled.parquet"
POINTWISE_PER_USER_FILE = "per_user_pointwise.parquet"
#: Columns of ``POINTWISE_PER_USER_FILE`` (``PointwiseEvaluation.to_frame``).
POINTWISE_COLUMNS = ("user_idx", "n_rows", "n_positive", "auc", "logloss")
RUN_FILE = "run.json"
#: The files every complete run has (its model folder may hold more).
OWN_FILES = (
    f"{MODEL_DIR}/config.json",
    f"{MODEL_DIR}/weights.safetensors",
    PER_USER_FILE,
    RUN_FILE,
)
#: Files the registry writes at the top of a run's folder; anything else there is a cache that
#: other modules keep beside the run (candidates, projections, sampled re-evaluations).
RUN_LEVEL_FILES = (PER_USER_FILE, SAMPLED_PER_USER_FILE, POINTWISE_PER_USER_FILE, RUN_FILE)
#: How to recover, until ``artifacts.run_files`` replaces it with the run's own ``RUN_FIX``.
FIX = "delete the run and train it again"


def check_per_user(file: Path, frame: pd.DataFrame) -> None:
    """Refuse a per-user frame that is not one row per distinct user of numeric metrics."""
    text = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        raise DamagedArtifactError(file, f"has non-numeric columns {text}", FIX)
    users = frame["user_idx"]
    if not pd.api.types.is_integer_dtype(users) or (users < 0).any() or users.duplicated().any():
        problem = "does not hold one row per user (user_idx must be distinct indices >= 0)"
        raise DamagedArtifactError(file, problem, FIX)


def check_run_folder(folder: Path) -> None:
    """Refuse a run folder that is missing or holds a link (a cache's link as a cache's)."""
    if not folder.is_symlink() and not folder.is_dir():
        raise DamagedArtifactError(folder, "is missing", FIX)
    try:
        refuse_links(folder, FIX)
    except DamagedArtifactError as error:
        raise _restated(folder, error) from None


def quick_look(run_id: str, folder: Path) -> DamagedArtifactError | None:
    """What a quick look finds wrong with the files of run ``run_id`` in ``folder``, or None.

    The look is cheap enough for listing runs: no links in the folder, the run's own files
    present, JSON files parseable, safetensors and Parquet files whole (headers, footers and
    sizes agree). Arrays of the wrong shape show only when the run is loaded.
    """
    try:
        with run_files(run_id, folder):
            check_run_folder(folder)
            for name in OWN_FILES:
                regular_file(folder / name, FIX)
            for file in sorted(folder.rglob("*")):
                if file.is_file() and not file.name.startswith("."):
                    _quick_check(folder, file)
    except DamagedArtifactError as error:
        return error
    return None


def _quick_check(folder: Path, file: Path) -> None:
    """``check_file_whole`` on one file of the run in ``folder``."""
    try:
        check_file_whole(file, FIX)
    except DamagedArtifactError as error:
        raise _restated(folder, error) from None


def _restated(folder: Path, error: DamagedArtifactError) -> DamagedArtifactError:
    """``error`` as it stands, or as a cache's damage when it is about a cache file of the run
    in ``folder`` (anything outside the model folder and the registry's own files)."""
    try:
        relative = Path(error.path).relative_to(folder).as_posix()
    except ValueError:
        return error
    own = relative == "." or relative.startswith(f"{MODEL_DIR}/") or relative == MODEL_DIR
    return error if own or relative in RUN_LEVEL_FILES else cache_damage(folder, error)
