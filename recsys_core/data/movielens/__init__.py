"""GroupLens MovieLens releases (ml-100k, ml-1m, ml-latest-small) as ``DatasetFrames``.

``sources`` finds a release's files (local zip or folder, ``$RECSCOPE_DATASETS_DIR/<name>``, or the
SHA-256-checked official download), ``parsers`` reads each release's format and ``build`` makes the
canonical frames. Movies that no one rated stay in the catalogue as items;
``meta["n_unrated_items"]`` counts them.
"""

from __future__ import annotations

from pathlib import Path

from recsys_core.data.download import Progress
from recsys_core.data.frames import DatasetFrames
from recsys_core.data.movielens.parsers import (
    ML1M_AGE_BANDS,
    ML1M_OCCUPATIONS,
    ML100K_GENRES,
    PARSERS,
)
from recsys_core.data.movielens.sources import (
    DATASETS_ENV,
    MOVIELENS_NAMES,
    MOVIELENS_SHA256,
    MOVIELENS_URLS,
    check_release_name,
    default_downloads_dir,
    download_release,
    is_url,
    read_local,
    resolve_source,
)
from recsys_core.data.store import DatasetInfo, check_writable, write_dataset

__all__ = [
    "DATASETS_ENV",
    "ML1M_AGE_BANDS",
    "ML1M_OCCUPATIONS",
    "ML100K_GENRES",
    "MOVIELENS_NAMES",
    "MOVIELENS_SHA256",
    "MOVIELENS_URLS",
    "default_downloads_dir",
    "import_movielens",
    "load_movielens",
]

_LICENSE = (
    "MovieLens data (c) GroupLens Research, University of Minnesota; research use under the "
    "GroupLens license in the release README; do not redistribute"
)


def load_movielens(
    name: str,
    source: str | Path | None = None,
    *,
    progress: Progress | None = None,
    cache_dir: Path | None = None,
    sha256: str | None = None,
) -> DatasetFrames:
    """Read a MovieLens release into ``DatasetFrames``.

    Args:
        name: one of ``MOVIELENS_NAMES``.
        source: a local zip, an unzipped folder, or a URL (``https://``, ``http://``, ``file://``);
            None uses ``$RECSCOPE_DATASETS_DIR/<name>`` if it exists, else the official URL.
        progress: called as ``progress(bytes_done, bytes_total)`` while downloading.
        cache_dir: where downloads are kept; default ``<repo>/data/downloads``.
        sha256: expected SHA-256 of a downloaded zip; default the pinned official value.

    Returns:
        The release as frames named ``name``.

    Raises:
        DataError: unknown name, unreadable source, missing files, failed download or hash mismatch.
    """
    check_release_name(name)
    source = resolve_source(name, source)
    if is_url(source):
        files = download_release(
            name,
            str(source),
            cache_dir=cache_dir or default_downloads_dir(),
            sha256=sha256,
            progress=progress,
        )
    else:
        files = read_local(Path(source), name)
    interactions, items, users = PARSERS[name](files)
    rated = items["item_id"].isin(interactions["item_id"].unique())
    meta: dict[str, object] = {
        "movielens": name,
        "url": MOVIELENS_URLS[name],
        "license": _LICENSE,
        "rating_scale": [0.5, 5.0] if name == "ml-latest-small" else [1.0, 5.0],
        "n_unrated_items": int((~rated).sum()),
    }
    if name == "ml-1m":
        meta["age_bands"] = {str(code): band for code, band in ML1M_AGE_BANDS.items()}
    return DatasetFrames(
        name=name,
        source=str(source),
        interactions=interactions,
        items=items,
        users=users,
        meta=meta,
    )


def import_movielens(
    name: str,
    *,
    source: str | Path | None = None,
    replace: bool = False,
    progress: Progress | None = None,
    path: Path | None = None,
) -> DatasetInfo:
    """Load a MovieLens release and store it as dataset ``name`` in one transaction.

    The library call behind the app's and the CLI's "load MovieLens", shaped like
    ``tabular.import_tabular``: a stored name is refused before anything is downloaded.

    Args:
        name: one of ``MOVIELENS_NAMES``.
        source: as for ``load_movielens`` (None: ``$RECSCOPE_DATASETS_DIR/<name>`` or the URL).
        replace: overwrite a stored dataset of that name (its splits are deleted; runs stay).
        progress: called as ``progress(bytes_done, bytes_total)`` while downloading.
        path: database file; default ``store.default_db_path()``.

    Returns:
        The stored dataset's ``DatasetInfo``.

    Raises:
        DataError: as for ``load_movielens``, or the name is stored and ``replace`` is false; the
            database is then unchanged.
    """
    check_writable(name, replace=replace, path=path)
    frames = load_movielens(name, source, progress=progress)
    return write_dataset(frames, path=path, replace=replace)
