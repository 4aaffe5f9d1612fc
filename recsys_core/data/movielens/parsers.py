"""Parse each MovieLens release's files into (interactions, items, users) frames.

ml-100k: tab-separated ``u.data``, ``|``-separated ``u.item`` (19 genre flags; "unknown" is not a
genre) and ``u.user``. ml-1m: ``::``-separated ``ratings.dat``, ``movies.dat`` and ``users.dat``
(age codes kept as the lower bound of their band, 1 standing for "under 18"; occupation codes
become the README's names). ml-latest-small: ``ratings.csv``, ``movies.csv`` ("(no genres listed)"
is not a genre) and the optional ``tags.csv``, aggregated per movie into ``tags`` (distinct tags,
most applied first, ``|`` inside a tag written as ``/``). ml-100k and ml-1m files are latin-1
encoded, latest-small's UTF-8. Every field is read as text so ids and zips keep their spelling.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import numpy as np
import pandas as pd

from recsys_core.data.movielens.build import build_interactions, build_items, build_users
from recsys_core.errors import DataError

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
_RATING_FIELDS = ["user_id", "item_id", "rating", "timestamp"]

#: (interactions, items, users), each in its canonical columns.
ParsedRelease = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]


def parse_ml100k(files: dict[str, bytes]) -> ParsedRelease:
    """ml-100k from ``u.data``, ``u.item`` and ``u.user``."""
    ratings = _read_table(files["u.data"], _RATING_FIELDS, sep="\t")
    item_fields = ["item_id", "title", "release_date", "video_date", "url", *ML100K_GENRES]
    movies = _read_table(files["u.item"], item_fields, sep="|")
    released = pd.to_datetime(movies["release_date"], format="%d-%b-%Y", errors="coerce", utc=True)
    movies["release_ts"] = _to_unix_seconds(released)
    flags = movies[list(ML100K_GENRES[1:])].to_numpy() == "1"
    names = np.array(ML100K_GENRES[1:], dtype=object)
    genres = pd.Series(["|".join(names[row]) for row in flags], index=movies.index, dtype="str")
    items = build_items(movies, genres, year_fallback=pd.Series(released.dt.year, dtype="Int64"))
    people = _read_table(
        files["u.user"], ["user_id", "age", "gender", "occupation", "zip"], sep="|"
    )
    users = build_users(
        people["user_id"], people["age"], people["gender"], people["occupation"], people["zip"]
    )
    return build_interactions(ratings), items, users


def parse_ml1m(files: dict[str, bytes]) -> ParsedRelease:
    """ml-1m from ``ratings.dat``, ``movies.dat`` and ``users.dat``."""
    ratings = _read_double_colon(files["ratings.dat"], _RATING_FIELDS)
    movies = _read_double_colon(files["movies.dat"], ["item_id", "title", "genres"])
    items = build_items(movies, movies["genres"].astype("str"))
    people = _read_double_colon(
        files["users.dat"], ["user_id", "gender", "age", "occupation", "zip"]
    )
    codes = pd.to_numeric(people["occupation"])
    if not codes.between(0, len(ML1M_OCCUPATIONS) - 1).all():
        raise DataError(
            "ml-1m users.dat has occupation codes outside 0..20; the file is not the official one"
        )
    occupation = pd.Series(np.asarray(ML1M_OCCUPATIONS, dtype=object)[codes.to_numpy()])
    users = build_users(
        people["user_id"], people["age"], people["gender"], occupation, people["zip"]
    )
    return build_interactions(ratings), items, users


def parse_latest(files: dict[str, bytes]) -> ParsedRelease:
    """ml-latest-small from ``ratings.csv``, ``movies.csv`` and, if present, ``tags.csv``."""
    ratings = _read_csv(files["ratings.csv"], _RATING_FIELDS)
    movies = _read_csv(files["movies.csv"], ["item_id", "title", "genres"])
    genres = movies["genres"].replace("(no genres listed)", "").astype("str")
    if "tags.csv" in files:
        tag_rows = _read_csv(files["tags.csv"], ["user_id", "item_id", "tag", "timestamp"])
        movies["tags"] = movies["item_id"].map(_aggregate_tags(tag_rows)).fillna("")
    items = build_items(movies, genres)
    users = build_users(pd.Series(pd.unique(ratings["user_id"]), dtype="str"))
    return build_interactions(ratings), items, users


#: Each release's parser, by name.
PARSERS: dict[str, Callable[[dict[str, bytes]], ParsedRelease]] = {
    "ml-100k": parse_ml100k,
    "ml-1m": parse_ml1m,
    "ml-latest-small": parse_latest,
}


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


def _read_csv(data: bytes, names: list[str]) -> pd.DataFrame:
    """A latest-small UTF-8 CSV with a header row, its columns renamed to ``names``."""
    return _read_table(data, names, sep=",", encoding="utf-8", header=True)


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
