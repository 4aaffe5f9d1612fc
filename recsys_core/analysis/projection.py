"""2-D UMAP projections of a run's user or item embeddings, cached on disk with the run.

UMAP (McInnes, Healy & Melville, 2018) lays out the vectors so that neighbours in embedding space
stay neighbours on the page. Distances are cosine: the direction of a vector carries taste, while
its length mostly carries popularity in dot-product models. The first fit in a process compiles
with numba (16–26 s) and later fits of a few thousand points take seconds, so a projection is
written once to ``<run artifact dir>/projections/<side>-<params key>.parquet`` (atomically: a
temporary file, then ``os.replace``) and read back ever after; a run's vectors never change, so
the run id and the parameters identify it fully, and deleting the run deletes its projections. A
cache file that is a link or unreadable raises ``DamagedArtifactError`` naming the run and the
file (deleting the file makes the next call fit it again).

Sets larger than ``max_points`` are subsampled deterministically: ``sample_rows`` draws
``max_points`` distinct rows with ``numpy.random.default_rng(seed)`` and keeps them in index order,
so the same run and parameters always show the same points. Catalogues up to ``MAX_POINTS``
(ML-100K's 1,682 items, ML-1M's 6,040 users) are projected whole: one point per row.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from recsys_core.artifacts import cache_damage, read_parquet, write_parquet_atomic
from recsys_core.config import param
from recsys_core.errors import ConfigError, DamagedArtifactError, DataError
from recsys_core.models.base import Recommender
from recsys_core.registry.runs import get_run, load_run_model
from recsys_core.types import FloatArray, IntArray

Side = Literal["item", "user"]
#: The two sides of a model whose vectors can be projected.
SIDES: tuple[Side, ...] = ("item", "user")
#: Most points fitted by default; larger sets are subsampled (see the module docstring).
MAX_POINTS = 10_000
#: UMAP needs a handful of points to build its neighbour graph and spectral layout.
MIN_POINTS = 5
#: Folder inside a run's artifact directory that holds its projections.
PROJECTIONS_DIR = "projections"
#: Distance UMAP uses between embedding vectors.
UMAP_METRIC = "cosine"
_COLUMNS = ("idx", "x", "y")


@dataclass(frozen=True)
class ProjectionParams:
    """The UMAP settings that identify a projection (and name its cache file)."""

    n_neighbors: int = param(
        15,
        "Neighbours per point: small shows local detail, large the global shape.",
        min=2,
        max=200,
    )
    min_dist: float = param(
        0.1,
        "How tightly neighbours pack (0 = dense clumps, 0.99 = even spread).",
        min=0.0,
        max=0.99,
    )
    seed: int = param(42, "Random seed of the layout and of the subsample.", min=0)
    max_points: int = param(
        MAX_POINTS,
        "Most points fitted; larger sets are subsampled deterministically.",
        min=MIN_POINTS,
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value, meta = getattr(self, f.name), f.metadata
            if ("min" in meta and value < meta["min"]) or ("max" in meta and value > meta["max"]):
                raise ConfigError(
                    f"ProjectionParams.{f.name}={value!r} is outside "
                    f"[{meta.get('min')}, {meta.get('max', '∞')}]; {meta['help']}"
                )

    def key(self) -> str:
        """A short hash of the parameters and the UMAP metric, used in the cache file name."""
        payload = json.dumps({**dataclasses.asdict(self), "metric": UMAP_METRIC}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]


def sample_rows(n_rows: int, max_points: int, seed: int) -> IntArray:
    """The rows a projection fits: all of them, or ``max_points`` drawn with ``seed``, sorted."""
    if n_rows <= max_points:
        return np.arange(n_rows, dtype=np.int64)
    chosen = np.random.default_rng(seed).choice(n_rows, size=max_points, replace=False)
    return np.sort(chosen).astype(np.int64)


def project_embeddings(
    vectors: FloatArray,
    *,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    seed: int = 42,
    max_points: int = MAX_POINTS,
) -> FloatArray:
    """Lay out (N, D) vectors in two dimensions with UMAP (cosine distance).

    Args:
        vectors: (N, D) user or item vectors.
        n_neighbors: UMAP's neighbourhood size; capped at N - 1 for small sets.
        min_dist: UMAP's minimum distance between laid-out points.
        seed: makes the layout and the subsample reproducible (UMAP then runs single-threaded).
        max_points: when N exceeds it, only ``sample_rows(N, max_points, seed)`` are fitted.

    Returns:
        (N, 2) float32 coordinates; NaN in the rows left out of the sample.
    """
    params = ProjectionParams(n_neighbors, min_dist, seed, max_points)
    data = np.asarray(vectors, dtype=np.float32)
    if data.ndim != 2 or data.shape[0] < MIN_POINTS:
        raise DataError(
            f"UMAP needs a (points, dim) matrix of at least {MIN_POINTS} points, got shape "
            f"{data.shape}; train on a larger dataset"
        )
    if not np.isfinite(data).all():
        raise DataError("the vectors contain NaN or infinite values; retrain the model")
    rows = sample_rows(len(data), params.max_points, params.seed)
    out = np.full((len(data), 2), np.nan, dtype=np.float32)
    out[rows] = _fit_umap(data[rows], params)
    return out


def _fit_umap(data: FloatArray, params: ProjectionParams) -> FloatArray:
    """(M, D) -> (M, 2) UMAP layout. umap is imported here: importing it takes seconds, and a
    projection read from disk never needs it."""
    import umap

    reducer = umap.UMAP(
        n_neighbors=min(params.n_neighbors, len(data) - 1),
        min_dist=params.min_dist,
        metric=UMAP_METRIC,
        random_state=params.seed,
        n_jobs=1,  # what a fixed random_state implies; saying so silences umap's warning
    )
    return np.asarray(reducer.fit_transform(data), dtype=np.float32)


def embedding_sides(model: Recommender) -> tuple[Side, ...]:
    """The sides (``item``, ``user``) for which a fitted model has vectors; empty for models such
    as popularity, item k-NN or EASE that score without learning embeddings."""
    embeddings = model.embeddings()
    present = {"item": embeddings.item is not None, "user": embeddings.user is not None}
    return tuple(side for side in SIDES if present[side])


def side_vectors(model: Recommender, side: Side) -> FloatArray:
    """(N, D) item or user vectors of a fitted model; DataError when it has none."""
    if side not in SIDES:
        raise ConfigError(f"side must be one of {list(SIDES)}, got {side!r}")
    embeddings = model.embeddings()
    vectors = embeddings.item if side == "item" else embeddings.user
    if vectors is None:
        raise DataError(
            f"{model.label} ({model.name}) has no {side} embeddings to project; train a model "
            "that learns vectors, such as BPR-MF (bpr) or biased MF (mf)"
        )
    return vectors


def projection_path(artifact_dir: Path, side: Side, params: ProjectionParams) -> Path:
    """Where the projection of a run's ``side`` vectors under ``params`` is cached."""
    return Path(artifact_dir) / PROJECTIONS_DIR / f"{side}-{params.key()}.parquet"


def load_or_project(
    artifact_dir: Path, side: Side, vectors: FloatArray, params: ProjectionParams
) -> pd.DataFrame:
    """The cached projection of ``vectors`` if present and readable, else a new fit, cached.

    Returns:
        Frame with one row per projected point: idx (int64, the user/item index), x, y (float32).
    """
    target = projection_path(artifact_dir, side, params)
    if target.exists() or target.is_symlink():
        try:
            return _read_projection(target, len(vectors))
        except DamagedArtifactError as error:
            raise cache_damage(Path(artifact_dir), error) from None
    coords = project_embeddings(
        vectors,
        n_neighbors=params.n_neighbors,
        min_dist=params.min_dist,
        seed=params.seed,
        max_points=params.max_points,
    )
    rows = np.flatnonzero(~np.isnan(coords[:, 0])).astype(np.int64)
    frame = pd.DataFrame({"idx": rows, "x": coords[rows, 0], "y": coords[rows, 1]})
    write_parquet_atomic(frame, target)
    return frame


def run_projection(
    run_id: str,
    side: Side,
    params: ProjectionParams | None = None,
    *,
    model: Recommender | None = None,
    path: Path | None = None,
) -> pd.DataFrame:
    """The 2-D projection of a run's ``side`` embeddings (idx, x, y), fitted once per parameters.

    Args:
        run_id: a complete run.
        side: ``"item"`` or ``"user"``.
        params: UMAP settings; the defaults when None.
        model: the run's already loaded model, to avoid reading it again.
        path: the database (default: the configured one).

    Raises:
        DataError: the run's model has no embeddings on that side.
    """
    record = get_run(run_id, path=path)
    fitted = model if model is not None else load_run_model(run_id, path=path)
    vectors = side_vectors(fitted, side)
    return load_or_project(record.artifact_dir, side, vectors, params or ProjectionParams())


def _read_projection(target: Path, n_rows: int) -> pd.DataFrame:
    """A cached projection of ``n_rows`` vectors; ``DamagedArtifactError`` when it is a link,
    unreadable, or not (idx, x, y) rows with indices in [0, n_rows)."""
    fix = "delete it and the projection is fitted again"
    frame = read_parquet(target, fix)
    if list(frame.columns) != list(_COLUMNS):
        raise DamagedArtifactError(
            target, f"holds columns {list(frame.columns)}, not {list(_COLUMNS)}", fix
        )
    idx = frame["idx"]
    if not pd.api.types.is_integer_dtype(idx) or (
        len(frame) and (idx.min() < 0 or idx.max() >= n_rows)
    ):
        raise DamagedArtifactError(target, f"holds point indices outside [0, {n_rows})", fix)
    if not all(pd.api.types.is_float_dtype(frame[axis]) for axis in ("x", "y")):
        raise DamagedArtifactError(target, "holds coordinates that are not numbers", fix)
    return frame
