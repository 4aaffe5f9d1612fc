"""A run's top-N candidates for every evaluated test user, computed once and kept with the run.

Moving a re-ranking weight must only re-rank, so the candidates (the run's top-N lists, seen
training items excluded, with their scores) are computed once per run and saved in the run's
folder as ``candidates.safetensors`` (arrays only, written to a temporary file and renamed, so a
reader never sees half a file). A file that does not hold the expected arrays is refused with a
message naming the run and the file; it is a cache, so deleting it makes the next call recompute
it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from recsys_core.artifacts import cache_damage, read_safetensors, temporary_path
from recsys_core.errors import ConfigError, DamagedArtifactError
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
    (a link, unreadable, or items outside the model's catalogue) raises
    ``DamagedArtifactError`` naming the run and the file.
    """
    file = Path(run_dir) / CANDIDATES_FILE
    users = np.asarray(user_idx, dtype=np.int64)
    if file.exists() or file.is_symlink():
        try:
            cached = read_candidates(file, n_items=getattr(model, "n_items_", None))
        except DamagedArtifactError as error:
            raise cache_damage(Path(run_dir), error) from None
        if cached.item_idx.shape[1] == depth and np.array_equal(cached.user_idx, users):
            return cached
    candidates = compute_candidates(model, users, depth)
    write_candidates(file, candidates)
    return candidates


def write_candidates(file: Path, candidates: Candidates) -> None:
    """Save candidates as safetensors atomically (temporary file, then rename)."""
    staging = temporary_path(file)  # names its writer, so a killed write is cleaned up
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


def read_candidates(file: Path, *, n_items: int | None = None) -> Candidates:
    """Read saved candidates; ``DamagedArtifactError`` naming the file when it is a link, not
    safetensors, holds other arrays, or (given ``n_items``) items outside [-1, n_items)."""
    fix = "delete it and the candidates are recomputed from the run's model"
    arrays = read_safetensors(file, fix, what="candidates file")
    if set(arrays) != set(_KEYS):
        raise DamagedArtifactError(file, f"holds {sorted(arrays)}, not {list(_KEYS)}", fix)
    items = arrays["item_idx"]
    if items.dtype.kind not in "iu" or arrays["user_idx"].dtype.kind not in "iu":
        raise DamagedArtifactError(file, "holds indices that are not integers", fix)
    if n_items is not None and items.size and (items.min() < -1 or items.max() >= n_items):
        problem = f"holds items outside [-1, {n_items}), the model's catalogue"
        raise DamagedArtifactError(file, problem, fix)
    try:
        return Candidates(arrays["user_idx"], items, arrays["scores"])
    except ConfigError as exc:
        raise DamagedArtifactError(file, f"holds mismatched arrays ({exc})", fix) from None
