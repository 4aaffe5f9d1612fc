"""A run's top-N candidates for every evaluated test user, computed once and kept with the run.

Moving a re-ranking weight must only re-rank, so the candidates (the run's top-N lists, seen
training items excluded, with their scores) are computed once per run and saved in the run's
folder as ``candidates.safetensors`` (arrays only, written to a temporary file and renamed, so a
reader never sees half a file). A file that does not hold the expected arrays is refused with a
message naming it; it is a cache, so deleting it makes the next call recompute it.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from recsys_core.errors import ConfigError, DataError
from recsys_core.evaluation.scorer import Scorer
from recsys_core.rerank.base import Candidates
from recsys_core.types import IntArray

CANDIDATES_FILE = "candidates.safetensors"
#: Default candidate depth (N) per user.
DEFAULT_DEPTH = 100
#: Users scored per batch when computing candidates.
BATCH_USERS = 2048
_KEYS = ("user_idx", "item_idx", "scores")


def compute_candidates(model: Scorer, user_idx: IntArray, depth: int = DEFAULT_DEPTH) -> Candidates:
    """The model's top-``depth`` items (seen items excluded) with scores for each user.

    Args:
        model: a fitted model.
        user_idx: (B,) users.
        depth: N candidates per user.
    """
    if depth < 1:
        raise ConfigError(f"the candidate depth must be at least 1, got {depth}")
    users = np.asarray(user_idx, dtype=np.int64)
    items = np.full((len(users), depth), -1, dtype=np.int64)
    scores = np.full((len(users), depth), -np.inf, dtype=np.float32)
    for start in range(0, len(users), BATCH_USERS):
        top = model.recommend(users[start : start + BATCH_USERS], depth)
        items[start : start + len(top.item_idx)] = top.item_idx
        scores[start : start + len(top.item_idx)] = top.scores
    return Candidates(users, items, scores)


def cached_candidates(
    run_dir: Path, model: Scorer, user_idx: IntArray, depth: int = DEFAULT_DEPTH
) -> Candidates:
    """The run's candidates from its folder, computed and saved there on first use.

    A cached file of another depth or other users is recomputed (and replaced); a damaged one
    raises ``DataError`` naming the file.
    """
    file = Path(run_dir) / CANDIDATES_FILE
    users = np.asarray(user_idx, dtype=np.int64)
    if file.is_file():
        cached = read_candidates(file)
        if cached.item_idx.shape[1] == depth and np.array_equal(cached.user_idx, users):
            return cached
    candidates = compute_candidates(model, users, depth)
    write_candidates(file, candidates)
    return candidates


def write_candidates(file: Path, candidates: Candidates) -> None:
    """Save candidates as safetensors atomically (temporary file, then rename)."""
    staging = file.with_name(f".{file.name}.{uuid.uuid4().hex}.tmp")
    arrays = {
        "user_idx": np.ascontiguousarray(candidates.user_idx, dtype=np.int64),
        "item_idx": np.ascontiguousarray(candidates.item_idx, dtype=np.int64),
        "scores": np.ascontiguousarray(candidates.scores, dtype=np.float32),
    }
    try:
        save_file(arrays, str(staging))
        os.replace(staging, file)
    finally:
        staging.unlink(missing_ok=True)


def read_candidates(file: Path) -> Candidates:
    """Read saved candidates; ``DataError`` naming the file when it is damaged."""
    fix = "delete it and the candidates are recomputed from the run's model"
    try:
        arrays = load_file(str(file))
    except (SafetensorError, OSError, ValueError) as exc:
        raise DataError(f"{file} is not a readable candidates file ({exc}); {fix}") from None
    if set(arrays) != set(_KEYS):
        raise DataError(f"{file} holds {sorted(arrays)}, not {list(_KEYS)}; {fix}")
    try:
        return Candidates(arrays["user_idx"], arrays["item_idx"], arrays["scores"])
    except ConfigError as exc:
        raise DataError(f"{file} holds mismatched arrays ({exc}); {fix}") from None
