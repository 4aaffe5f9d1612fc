"""Where a MovieLens release's files come from: a local zip or folder, or the verified download.

A source is the official zip, a local copy of it, or the unzipped folder (with or without the
release's top-level folder). With no source, ``$RECSCOPE_DATASETS_DIR/<name>`` is used when present;
otherwise the official zip is downloaded (``data.download``) and checked against the SHA-256 pinned
below (the values TensorFlow Datasets pins in ``url_checksums/movielens.txt``).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from recsys_core.data.download import Progress, download_file
from recsys_core.errors import DataError

MOVIELENS_NAMES: tuple[str, ...] = ("ml-100k", "ml-1m", "ml-latest-small")
#: Official download address of each release.
MOVIELENS_URLS: dict[str, str] = {
    name: f"https://files.grouplens.org/datasets/movielens/{name}.zip" for name in MOVIELENS_NAMES
}
#: SHA-256 of the official zips (sizes 4,924,029 / 5,917,549 / 978,202 bytes).
MOVIELENS_SHA256: dict[str, str] = {
    "ml-100k": "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
    "ml-1m": "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
    "ml-latest-small": "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
}
#: Environment variable naming a folder that holds unzipped releases (``<dir>/ml-100k/u.data``).
DATASETS_ENV = "RECSCOPE_DATASETS_DIR"
#: The files read from each release, by their names in the release.
RELEASE_FILES: dict[str, tuple[str, ...]] = {
    "ml-100k": ("u.data", "u.item", "u.user"),
    "ml-1m": ("ratings.dat", "movies.dat", "users.dat"),
    "ml-latest-small": ("ratings.csv", "movies.csv", "tags.csv"),
}
_OPTIONAL_FILES = frozenset({"tags.csv"})
_URL_SCHEMES = ("http://", "https://", "file://")


def default_downloads_dir() -> Path:
    """``<repo>/data/downloads``, where official zips are cached."""
    return Path(__file__).resolve().parents[3] / "data" / "downloads"


def check_release_name(name: str) -> None:
    """Raise ``DataError`` unless ``name`` is one of ``MOVIELENS_NAMES``."""
    if name not in MOVIELENS_NAMES:
        raise DataError(
            f"unknown MovieLens release {name!r}; choose one of {list(MOVIELENS_NAMES)}"
        )


def resolve_source(name: str, source: str | Path | None) -> str | Path:
    """``source`` as given; None: ``$RECSCOPE_DATASETS_DIR/<name>`` if a folder, else the URL."""
    if source is not None:
        return source
    datasets_dir = os.environ.get(DATASETS_ENV)
    local = Path(datasets_dir) / name if datasets_dir else None
    return local if local is not None and local.is_dir() else MOVIELENS_URLS[name]


def is_url(source: str | Path) -> bool:
    """Whether ``source`` is an address to download (``https://``, ``http://``, ``file://``)."""
    return isinstance(source, str) and source.startswith(_URL_SCHEMES)


def download_release(
    name: str,
    url: str,
    *,
    cache_dir: Path,
    sha256: str | None = None,
    progress: Progress | None = None,
) -> dict[str, bytes]:
    """Download release ``name``'s zip into ``cache_dir`` (SHA-256 checked) and read its files.

    Args:
        name: one of ``MOVIELENS_NAMES``.
        url: the zip's address.
        cache_dir: where the zip is kept as ``<name>.zip`` (a verified copy is not fetched again).
        sha256: expected SHA-256 of the zip; default the pinned official value.
        progress: called as ``progress(bytes_done, bytes_total)`` while downloading.

    Returns:
        The release's files by name (see ``RELEASE_FILES``).

    Raises:
        DataError: the download failed, the hash differs, or the zip lacks a required file.
    """
    zip_path = download_file(
        url,
        cache_dir / f"{name}.zip",
        sha256=sha256 or MOVIELENS_SHA256[name],
        progress=progress,
    )
    return read_zip(zip_path, name)


def read_local(path: Path, name: str) -> dict[str, bytes]:
    """Release ``name``'s files from a local zip or unzipped folder (top level or ``name/``)."""
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise DataError(f"{path} is not a zip file; pass the official {name}.zip or its folder")
        return read_zip(path, name)
    if not path.is_dir():
        raise DataError(
            f"MovieLens source {path} does not exist; pass the {name} zip, its unzipped folder, "
            "or a URL"
        )
    found: dict[str, bytes] = {}
    for file in RELEASE_FILES[name]:
        for candidate in (path / file, path / name / file):
            if candidate.is_file():
                found[file] = candidate.read_bytes()
                break
    return _require_files(found, name, str(path))


def read_zip(path: Path, name: str) -> dict[str, bytes]:
    """Release ``name``'s files from a zip, at its top level or under ``name/``."""
    found: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = {m for m in archive.namelist() if not m.endswith("/")}
            for file in RELEASE_FILES[name]:
                for candidate in (file, f"{name}/{file}"):
                    if candidate in members:
                        found[file] = archive.read(candidate)
                        break
    except zipfile.BadZipFile as exc:
        raise DataError(
            f"{path} is not a readable zip ({exc}); delete it and download again"
        ) from exc
    return _require_files(found, name, str(path))


def _require_files(found: dict[str, bytes], name: str, where: str) -> dict[str, bytes]:
    missing = [f for f in RELEASE_FILES[name] if f not in found and f not in _OPTIONAL_FILES]
    if missing:
        raise DataError(
            f"{where} lacks {', '.join(missing)} of {name} (looked at its top level and in "
            f"{name}/); pass the complete official {name}.zip or its unzipped folder"
        )
    return found
