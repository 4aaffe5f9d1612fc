"""UMAP projections: real layouts keep neighbours, subsampling is deterministic, the on-disk cache
is written atomically with the run and reused without refitting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_core.analysis import projection
from recsys_core.analysis.projection import (
    ProjectionParams,
    embedding_sides,
    load_or_project,
    project_embeddings,
    projection_path,
    run_projection,
    sample_rows,
    side_vectors,
)
from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import ConfigError, DamagedArtifactError, DataError
from recsys_core.experiment import train_run
from recsys_core.registry.runs import load_run_model

N_CLUSTERS, PER_CLUSTER, DIM = 3, 30, 8


def clustered_vectors() -> tuple[np.ndarray, np.ndarray]:
    """Three tight clusters along orthogonal directions (cosine-separable): vectors and labels."""
    rng = np.random.default_rng(0)
    centres = np.eye(DIM, dtype=np.float32)[:N_CLUSTERS] * 5.0
    labels = np.repeat(np.arange(N_CLUSTERS), PER_CLUSTER)
    vectors = centres[labels] + rng.normal(0.0, 0.3, (len(labels), DIM)).astype(np.float32)
    return vectors, labels


@pytest.fixture(scope="session")
def umap_layout() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One real UMAP fit per test session (the first compiles with numba) and a repeat of it."""
    vectors, labels = clustered_vectors()
    first = project_embeddings(vectors, n_neighbors=10, min_dist=0.1, seed=7)
    again = project_embeddings(vectors, n_neighbors=10, min_dist=0.1, seed=7)
    return first, again, labels


class FakeUmap:
    """Stands in for the UMAP fit: the first two coordinates, and a count of fits."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, data: np.ndarray, params: ProjectionParams) -> np.ndarray:
        self.calls += 1
        return np.asarray(data[:, :2], dtype=np.float32)


@pytest.fixture()
def fake_umap(monkeypatch: pytest.MonkeyPatch) -> FakeUmap:
    fake = FakeUmap()
    monkeypatch.setattr(projection, "_fit_umap", fake)
    return fake


@pytest.mark.slow
def test_umap_keeps_clusters_apart_and_is_reproducible(
    umap_layout: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    first, again, labels = umap_layout
    assert first.shape == (N_CLUSTERS * PER_CLUSTER, 2)
    assert first.dtype == np.float32 and np.isfinite(first).all()
    distances = np.linalg.norm(first[:, None, :] - first[None, :, :], axis=2)
    np.fill_diagonal(distances, np.inf)
    nearest = distances.argmin(axis=1)
    assert (labels[nearest] == labels).mean() == 1.0  # every point's 2-D neighbour is a clustermate
    np.testing.assert_array_equal(first, again)


def test_sample_rows_keeps_every_row_of_small_sets() -> None:
    np.testing.assert_array_equal(sample_rows(1682, 10_000, seed=1), np.arange(1682))


def test_sample_rows_is_deterministic_sorted_and_distinct() -> None:
    rows = sample_rows(1000, 100, seed=3)
    assert len(rows) == 100 and len(np.unique(rows)) == 100
    assert np.all(np.diff(rows) > 0) and rows.min() >= 0 and rows.max() < 1000
    np.testing.assert_array_equal(rows, sample_rows(1000, 100, seed=3))
    assert not np.array_equal(rows, sample_rows(1000, 100, seed=4))


def test_large_sets_fit_only_the_sample_and_leave_the_rest_nan(fake_umap: FakeUmap) -> None:
    vectors = np.random.default_rng(1).standard_normal((50, 4)).astype(np.float32)
    coords = project_embeddings(vectors, max_points=20, seed=5)
    sampled = sample_rows(50, 20, seed=5)
    assert coords.shape == (50, 2)
    np.testing.assert_array_equal(coords[sampled], vectors[sampled, :2])
    others = np.setdiff1d(np.arange(50), sampled)
    assert np.isnan(coords[others]).all()


def test_too_few_points_or_bad_values_raise_clear_errors() -> None:
    with pytest.raises(DataError, match="at least 5 points"):
        project_embeddings(np.ones((4, 3), dtype=np.float32))
    with pytest.raises(DataError, match="NaN"):
        project_embeddings(np.full((6, 3), np.nan, dtype=np.float32))
    with pytest.raises(ConfigError, match="n_neighbors"):
        ProjectionParams(n_neighbors=1)
    with pytest.raises(ConfigError, match="min_dist"):
        ProjectionParams(min_dist=1.5)


def test_params_key_names_the_parameters() -> None:
    assert ProjectionParams().key() == ProjectionParams().key()
    keys = {
        ProjectionParams().key(),
        ProjectionParams(n_neighbors=30).key(),
        ProjectionParams(min_dist=0.5).key(),
        ProjectionParams(seed=1).key(),
        ProjectionParams(max_points=500).key(),
    }
    assert len(keys) == 5


def test_projection_is_cached_on_disk_and_reused_without_refitting(
    tmp_path: Path, fake_umap: FakeUmap
) -> None:
    vectors = np.random.default_rng(2).standard_normal((30, 6)).astype(np.float32)
    params = ProjectionParams(n_neighbors=5)
    first = load_or_project(tmp_path, "item", vectors, params)
    target = projection_path(tmp_path, "item", params)
    assert target == tmp_path / "projections" / f"item-{params.key()}.parquet"
    assert target.is_file() and fake_umap.calls == 1
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left
    assert first["idx"].tolist() == list(range(30))
    np.testing.assert_array_equal(first[["x", "y"]].to_numpy(), vectors[:, :2])
    written = target.stat().st_mtime_ns

    again = load_or_project(tmp_path, "item", vectors, params)
    assert fake_umap.calls == 1 and target.stat().st_mtime_ns == written
    pd.testing.assert_frame_equal(again, first)

    load_or_project(tmp_path, "user", vectors, params)
    load_or_project(tmp_path, "item", vectors, ProjectionParams(n_neighbors=6))
    assert fake_umap.calls == 3 and len(list(target.parent.glob("*.parquet"))) == 3


def test_a_corrupt_cache_file_is_refused_by_run_and_name_until_deleted(
    tmp_path: Path, fake_umap: FakeUmap
) -> None:
    run_dir = tmp_path / "bpr-0123"
    vectors = np.random.default_rng(2).standard_normal((10, 3)).astype(np.float32)
    target = projection_path(run_dir, "item", ProjectionParams())
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not parquet")
    relative = target.relative_to(run_dir).as_posix()
    with pytest.raises(
        DamagedArtifactError,
        match=rf"run bpr-0123 is damaged: {relative} is not a Parquet file.*; delete {relative} "
        r"\(a cache: it is computed again when next needed\)",
    ):
        load_or_project(run_dir, "item", vectors, ProjectionParams())
    pd.DataFrame({"idx": [0, 99], "x": [0.0, 1.0], "y": [0.0, 1.0]}).to_parquet(target)
    with pytest.raises(DamagedArtifactError, match=r"point indices outside \[0, 10\)"):
        load_or_project(run_dir, "item", vectors, ProjectionParams())
    assert fake_umap.calls == 0
    target.unlink()
    frame = load_or_project(run_dir, "item", vectors, ProjectionParams())
    assert fake_umap.calls == 1 and len(frame) == 10
    assert pd.read_parquet(target)["idx"].tolist() == list(range(10))


def test_subsampled_projections_store_only_the_sampled_rows(
    tmp_path: Path, fake_umap: FakeUmap
) -> None:
    vectors = np.random.default_rng(2).standard_normal((40, 3)).astype(np.float32)
    params = ProjectionParams(max_points=15, seed=9)
    frame = load_or_project(tmp_path, "user", vectors, params)
    np.testing.assert_array_equal(frame["idx"], sample_rows(40, 15, seed=9))
    assert np.isfinite(frame[["x", "y"]].to_numpy()).all()


@pytest.fixture(scope="module")
def runs_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A tiny synthetic dataset with a BPR run and a popularity run."""
    path = tmp_path_factory.mktemp("projection") / "runs.duckdb"
    frames = generate_synthetic(n_users=300, n_items=200, n_interactions=6_000, seed=3)
    store.write_dataset(frames, path=path)
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    bpr = train_run("synthetic", "bpr", protocol, overrides={"n_epochs": 3}, path=path)
    pop = train_run("synthetic", "popularity", protocol, path=path)
    return path, bpr.record.run_id, pop.record.run_id


def test_run_projection_writes_beside_the_run(
    runs_db: tuple[Path, str, str], fake_umap: FakeUmap
) -> None:
    path, bpr_run, _ = runs_db
    frame = run_projection(bpr_run, "item", ProjectionParams(seed=11), path=path)
    assert frame["idx"].tolist() == list(range(200))  # one point per item
    artifact_dir = store.resolve_path(path).parent / "runs" / bpr_run
    assert projection_path(artifact_dir, "item", ProjectionParams(seed=11)).is_file()
    users = run_projection(bpr_run, "user", ProjectionParams(seed=11), path=path)
    assert len(users) == 300 and fake_umap.calls == 2


def test_models_without_embeddings_say_so(runs_db: tuple[Path, str, str]) -> None:
    path, _, pop_run = runs_db
    with pytest.raises(DataError, match="no item embeddings.*bpr"):
        run_projection(pop_run, "item", path=path)


def test_embedding_sides_follow_the_model(runs_db: tuple[Path, str, str]) -> None:
    path, bpr_run, pop_run = runs_db
    bpr, pop = load_run_model(bpr_run, path=path), load_run_model(pop_run, path=path)
    assert embedding_sides(bpr) == ("item", "user")
    assert embedding_sides(pop) == ()
    assert side_vectors(bpr, "user").shape == (300, bpr.config.dim)
    with pytest.raises(DataError, match="no user embeddings"):
        side_vectors(pop, "user")
    with pytest.raises(ConfigError, match="side"):
        side_vectors(bpr, "movie")  # type: ignore[arg-type]
