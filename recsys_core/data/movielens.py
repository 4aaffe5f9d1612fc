"""GroupLens MovieLens releases (ml-100k, ml-1m, ml-latest-small) as ``DatasetFrames``.

A source is the official zip, a local copy of it, or the unzipped folder (with or without the
release's top-level folder). With no source, ``$RECSCOPE_DATASETS_DIR/<name>`` is used when present;
otherwise the official zip is downloaded to ``<repo>/data/downloads/`` and checked against the
SHA-256 pinned below (the values TensorFlow Datasets pins in ``url_checksums/movielens.txt``).

What is kept: ratings as float and timestamps as Unix seconds; titles as published (with their
"(1995)" year); genres ``|``-joined ("" when none: ml-100k's "unknown" flag and latest-small's
"(no genres listed)" are not genres); the release year from the title, else from ml-100k's release
date; user age/gender/occupation/zip where the release has them (ml-1m's age codes are stored as the
lower bound of their band, 1 standing for "under 18"; its occupation codes become the README's
names); latest-small's tag applications, aggregated per movie into ``tags`` (distinct tags, most
applied first, ``|`` inside a tag written as ``/``). Movies that no one rated stay in the catalogue
as items; ``meta["n_unrated_items"]`` counts them. ml-100k and ml-1m files are latin-1 encoded.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from recsys_core.data.download import download_file
from recsys_core.data.frames import ITEM_COLUMNS, USER_COLUMNS, DatasetFrames
from recsys_core.data.store import DatasetInfo, check_writable, write_dataset
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
#: ml-100k's 19 genre flags, in file order (u.genre).
ML100K_GENRES: tuple[str, ...] = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
#: ml-1m occupation codes 0..20 as its README names them.
ML1M_OCCUPATIONS: tuple[str, ...] = (
    "other",
    "academic/educator",
    "artist",
    "clerical/admin",
    "college/grad student",
    "customer service",
    "doctor/health care",
    "executive/managerial",
    "farmer",
    "homemaker",
    "K-12 student",
    "lawyer",
    "programmer",
    "retired",
    "sales/marketing",
    "scientist",
    "self-employed",
    "technician/engineer",
    "tradesman/craftsman",
    "unemployed",
    "writer",
)
#: ml-1m age codes and the band each stands for (the code is the band's lower bound).
ML1M_AGE_BANDS: dict[int, str] = {
    1: "under 18",
    18: "18-24",
    25: "25-34",
    35: "35-44",
    45: "45-49",
    50: "50-55",
    56: "56+",
}
_FILES: dict[str, tuple[str, ...]] = {
    "ml-100k": ("u.data", "u.item", "u.user"),
    "ml-1m": ("ratings.dat", "movies.dat", "users.dat"),
    "ml-latest-small": ("ratings.csv", "movies.csv", "tags.csv"),
}
_OPTIONAL_FILES = frozenset({"tags.csv"})
_LICENSE = (
    "MovieLens data (c) GroupLens Research, University of Minnesota; research use under the "
    "GroupLens license in the release README; do not redistribute"
)
_YEAR_IN_TITLE = r"\((\d{4})(?:[-\u2013]\d{4})?\)\s*$"

Progress = Callable[[int, int], None]


def default_downloads_dir() -> Path:
    """``<repo>/data/downloads``, where official zips are cached."""
    return Path(__file__).resolve().parents[2] / "data" / "downloads"


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
    if name not in MOVIELENS_NAMES:
        raise DataError(
            f"unknown MovieLens release {name!r}; choose one of {list(MOVIELENS_NAMES)}"
        )
    if source is None:
        datasets_dir = os.environ.get(DATASETS_ENV)
        local = Path(datasets_dir) / name if datasets_dir else None
        source = local if local is not None and local.is_dir() else MOVIELENS_URLS[name]
    if isinstance(source, str) and source.startswith(("http://", "https://", "file://")):
        zip_path = download_file(
            source,
            (cache_dir or default_downloads_dir()) / f"{name}.zip",
            sha256=sha256 or MOVIELENS_SHA256[name],
            progress=progress,
        )
        files = _read_zip(zip_path, name)
    else:
        files = _read_local(Path(source), name)
    parse = {"ml-100k": _parse_ml100k, "ml-1m": _parse_ml1m, "ml-latest-small": _parse_latest}
    interactions, items, users = parse[name](files)
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


def _read_local(path: Path, name: str) -> dict[str, bytes]:
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise DataError(f"{path} is not a zip file; pass the official {name}.zip or its folder")
        return _read_zip(path, name)
    if not path.is_dir():
        raise DataError(
            f"MovieLens source {path} does not exist; pass the {name} zip, its unzipped folder, "
            "or a URL"
        )
    found: dict[str, bytes] = {}
    for file in _FILES[name]:
        for candidate in (path / file, path / name / file):
            if candidate.is_file():
                found[file] = candidate.read_bytes()
                break
    return _require_files(found, name, str(path))


def _read_zip(path: Path, name: str) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = {m for m in archive.namelist() if not m.endswith("/")}
            for file in _FILES[name]:
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
    missing = [f for f in _FILES[name] if f not in found and f not in _OPTIONAL_FILES]
    if missing:
        raise DataError(
            f"{where} lacks {', '.join(missing)} of {name} (looked at its top level and in "
            f"{name}/); pass the complete official {name}.zip or its unzipped folder"
        )
    return found


def _read_table(
    data: bytes, names: list[str], *, sep: str, encoding: str = "latin-1", header: bool = False
) -> pd.DataFrame:
    """Every field as text (no NA guessing), so ids and zips keep their exact spelling."""
    frame = pd.read_csv(
        io.BytesIO(data),
        sep=sep,
        header=0 if header else None,
        names=names,
        dtype=str,
        encoding=encoding,
        keep_default_na=False,
        na_filter=False,
        quoting=csv.QUOTE_MINIMAL if header else csv.QUOTE_NONE,
    )
    return frame.astype(str)


def _read_double_colon(data: bytes, names: list[str]) -> pd.DataFrame:
    """ml-1m's ``::``-separated files, parsed by the fast C reader via a one-byte separator."""
    return _read_table(data.replace(b"::", b"\x1f"), names, sep="\x1f")


def _interactions(ratings: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ratings["user_id"],
            "item_id": ratings["item_id"],
            "rating": ratings["rating"].astype(np.float64),
            "timestamp": ratings["timestamp"].astype(np.int64).astype("Int64"),
            "session_id": pd.array([pd.NA] * len(ratings), dtype="Int64"),
        }
    )


def _items(
    movies: pd.DataFrame, genres: pd.Series, year_fallback: pd.Series | None = None
) -> pd.DataFrame:
    year = pd.to_numeric(movies["title"].str.extract(_YEAR_IN_TITLE)[0]).astype("Int64")
    if year_fallback is not None:
        year = year.fillna(year_fallback)
    frame = pd.DataFrame(
        {
            "item_id": movies["item_id"],
            "title": movies["title"].str.strip(),
            "genres": genres,
            "year": year,
            "provider": pd.Series(pd.NA, index=movies.index, dtype="str"),
            "release_ts": movies["release_ts"] if "release_ts" in movies else pd.NA,
            "tags": movies["tags"] if "tags" in movies else "",
        }
    )
    frame["release_ts"] = frame["release_ts"].astype("Int64")
    return frame[list(ITEM_COLUMNS)]


def _users(
    user_id: pd.Series,
    age: pd.Series | None = None,
    gender: pd.Series | None = None,
    occupation: pd.Series | None = None,
    zip_code: pd.Series | None = None,
) -> pd.DataFrame:
    def text(values: pd.Series | None) -> pd.Series:
        if values is None:
            return pd.Series(pd.NA, index=user_id.index, dtype="str")
        return values.astype("str")

    frame = pd.DataFrame(
        {
            "user_id": user_id,
            "age": (
                pd.Series(pd.NA, index=user_id.index, dtype="Int64")
                if age is None
                else pd.to_numeric(age).astype("Int64")
            ),
            "gender": text(gender),
            "occupation": text(occupation),
            "zip": text(zip_code),
        }
    )
    return frame[list(USER_COLUMNS)]


def _parse_ml100k(files: dict[str, bytes]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    ratings = _read_table(files["u.data"], ["user_id", "item_id", "rating", "timestamp"], sep="\t")
    item_fields = ["item_id", "title", "release_date", "video_date", "url", *ML100K_GENRES]
    movies = _read_table(files["u.item"], item_fields, sep="|")
    released = pd.to_datetime(movies["release_date"], format="%d-%b-%Y", errors="coerce", utc=True)
    movies["release_ts"] = _to_unix_seconds(released)
    flags = movies[list(ML100K_GENRES[1:])].to_numpy() == "1"
    names = np.array(ML100K_GENRES[1:], dtype=object)
    genres = pd.Series(["|".join(names[row]) for row in flags], index=movies.index, dtype="str")
    items = _items(movies, genres, year_fallback=pd.Series(released.dt.year, dtype="Int64"))
    people = _read_table(
        files["u.user"], ["user_id", "age", "gender", "occupation", "zip"], sep="|"
    )
    users = _users(
        people["user_id"], people["age"], people["gender"], people["occupation"], people["zip"]
    )
    return _interactions(ratings), items, users


def _parse_ml1m(files: dict[str, bytes]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    ratings = _read_double_colon(
        files["ratings.dat"], ["user_id", "item_id", "rating", "timestamp"]
    )
    movies = _read_double_colon(files["movies.dat"], ["item_id", "title", "genres"])
    items = _items(movies, movies["genres"].astype("str"))
    people = _read_double_colon(
        files["users.dat"], ["user_id", "gender", "age", "occupation", "zip"]
    )
    codes = pd.to_numeric(people["occupation"])
    if not codes.between(0, len(ML1M_OCCUPATIONS) - 1).all():
        raise DataError(
            "ml-1m users.dat has occupation codes outside 0..20; the file is not the official one"
        )
    occupation = pd.Series(np.asarray(ML1M_OCCUPATIONS, dtype=object)[codes.to_numpy()])
    users = _users(people["user_id"], people["age"], people["gender"], occupation, people["zip"])
    return _interactions(ratings), items, users


def _parse_latest(files: dict[str, bytes]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    ratings = _read_table(
        files["ratings.csv"],
        ["user_id", "item_id", "rating", "timestamp"],
        sep=",",
        encoding="utf-8",
        header=True,
    )
    movies = _read_table(
        files["movies.csv"], ["item_id", "title", "genres"], sep=",", encoding="utf-8", header=True
    )
    genres = movies["genres"].replace("(no genres listed)", "").astype("str")
    if "tags.csv" in files:
        tag_rows = _read_table(
            files["tags.csv"],
            ["user_id", "item_id", "tag", "timestamp"],
            sep=",",
            encoding="utf-8",
            header=True,
        )
        movies["tags"] = movies["item_id"].map(_aggregate_tags(tag_rows)).fillna("")
    items = _items(movies, genres)
    users = _users(pd.Series(pd.unique(ratings["user_id"]), dtype="str"))
    return _interactions(ratings), items, users


def _aggregate_tags(tag_rows: pd.DataFrame) -> pd.Series:
    """Per movie: its distinct tags, most applied first (ties alphabetical), ``|``-joined."""
    tags = tag_rows.assign(tag=tag_rows["tag"].str.strip().str.replace("|", "/", regex=False))
    tags = tags[tags["tag"] != ""]
    counts = tags.groupby(["item_id", "tag"]).size().rename("n").reset_index()
    counts = counts.sort_values(["item_id", "n", "tag"], ascending=[True, False, True])
    return counts.groupby("item_id")["tag"].agg("|".join)


def _to_unix_seconds(stamps: pd.Series) -> pd.Series:
    seconds = (stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    return seconds.astype("Int64")
