"""Import a user's own interactions (and optional items / users tables) from CSV or Parquet.

Files: CSV (UTF-8, header row required, delimiter detected from the header among ``,`` ``;`` tab
``|``) or Parquet (chosen by the ``.parquet``/``.pq`` suffix or the ``PAR1`` magic bytes). Column
names match case-insensitively, ignoring ``_`` and spaces:

* interactions: user (``user``, ``user_id``, ``userId``), item (``item``, ``item_id``, ``itemId``,
  ``movieId``), optional ``rating`` and ``timestamp`` (Unix seconds, or ISO-8601 date-times; a
  date-time without a zone is read as UTC);
* items: item id + optional ``title``, ``genres``, ``year``, ``provider``, ``tags``;
* users: user id + optional ``age``, ``gender``, ``occupation``, ``zip``.

Other columns are ignored and listed in the dataset's ``meta["ignored_columns"]``.

Rules (each violation is a ``DataError`` naming the file, the 1-based data row with its line, the
column, the problem and the fix; the database is never touched before everything has passed, and
the write itself is one transaction):

* ids are non-empty text or non-negative integers (surrounding spaces are trimmed). Negative
  integers are refused, and so are numbers with a decimal point or exponent (``1.5``, ``12.0``,
  ``1e3``): they are almost always an id column that a spreadsheet turned into floats;
* a rating, when the column exists, is on every row, a finite number with ``|r| <= 1e6``;
* a timestamp, when the column exists, is on every row; integers must be within ``±1e11`` seconds
  (larger values look like milliseconds);
* exact duplicates of (user, item, timestamp) are refused with their row numbers;
* item / user ids are unique in their files, and when such a file is given every id in the
  interactions must be in it (catalogue rows without interactions are kept); without the file,
  minimal rows (id only) are created;
* a field longer than 1,000,000 characters is refused.

Line numbers assume one line per row (a quoted field spanning lines shifts them).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from recsys_core.data.frames import ITEM_COLUMNS, USER_COLUMNS, DatasetFrames
from recsys_core.data.ingest import check_dataset_name
from recsys_core.data.store import DatasetInfo, list_datasets, write_dataset
from recsys_core.errors import DataError

#: Delimiters a CSV header is checked for, in order of preference on ties.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
#: Longest field accepted, in characters.
MAX_FIELD_CHARS = 1_000_000
#: Largest absolute rating accepted.
MAX_ABS_RATING = 1e6
#: Largest absolute integer timestamp accepted, in seconds (about the year 5138).
MAX_ABS_TIMESTAMP = 10**11

_PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
_PARQUET_MAGIC = b"PAR1"
#: Accepted column names per role, after lower-casing and removing "_" and spaces.
_USER_ALIASES = ("user", "userid")
_ITEM_ALIASES = ("item", "itemid", "movieid")
_ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "interactions": {
        "user_id": _USER_ALIASES,
        "item_id": _ITEM_ALIASES,
        "rating": ("rating",),
        "timestamp": ("timestamp",),
    },
    "items": {
        "item_id": _ITEM_ALIASES,
        "title": ("title",),
        "genres": ("genres",),
        "year": ("year",),
        "provider": ("provider",),
        "tags": ("tags",),
    },
    "users": {
        "user_id": _USER_ALIASES,
        "age": ("age",),
        "gender": ("gender",),
        "occupation": ("occupation",),
        "zip": ("zip",),
    },
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "interactions": ("user_id", "item_id"),
    "items": ("item_id",),
    "users": ("user_id",),
}
_DISPLAY = {
    "user_id": "user, user_id or userId",
    "item_id": "item, item_id, itemId or movieId",
}
_FLOAT_LIKE = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)")
_NEGATIVE_INT = re.compile(r"-\d+")
_INTEGER = r"[+-]?\d+"
_MISSING_WORDS = frozenset({"", "nan", "na", "n/a", "null", "none"})
_SHOWN_ROWS = 5
#: Stands in for a missing timestamp when looking for duplicate rows.
_NO_TIMESTAMP = -(2**62)


@dataclass(frozen=True)
class _Source:
    """One input file as read: CSV fields as text, Parquet columns with their own types."""

    file: Path
    frame: pd.DataFrame
    arrow: pa.Table | None
    delimiter: str | None

    @property
    def is_csv(self) -> bool:
        return self.arrow is None

    def where(self, positions: np.ndarray) -> str:
        """'row 3 (line 4)' / 'rows 3, 8 (lines 4, 9)' for 0-based data positions."""
        shown = np.asarray(positions)[:_SHOWN_ROWS]
        more = f" (+{len(positions) - len(shown)} more)" if len(positions) > len(shown) else ""
        rows = ", ".join(str(p + 1) for p in shown)
        label = "row" if len(shown) == 1 else "rows"
        if not self.is_csv:
            return f"{label} {rows}{more}"
        lines = ", ".join(str(p + 2) for p in shown)
        return f"{label} {rows} ({'line' if len(shown) == 1 else 'lines'} {lines}){more}"

    def fail(
        self, mask: np.ndarray, columns: str | tuple[str, ...], problem: str, fix: str
    ) -> DataError:
        """A DataError naming this file, the rows where ``mask`` holds, and the column(s)."""
        positions = np.flatnonzero(mask)
        names = (columns,) if isinstance(columns, str) else columns
        label = "column" if len(names) == 1 else "columns"
        where = f"{self.where(positions)}, {label} {', '.join(map(repr, names))}"
        return DataError(f"{self.file}: {where}: {problem}; {fix}")


def import_tabular(
    interactions: Path,
    *,
    name: str,
    items: Path | None = None,
    users: Path | None = None,
    path: Path | None = None,
    replace: bool = False,
) -> DatasetInfo:
    """Validate a user's files and store them as dataset ``name`` in one transaction.

    Args:
        interactions: CSV or Parquet with user and item columns (+ optional rating, timestamp).
        name: the dataset's name in the store.
        items: optional items file (item id + title, genres, year, provider, tags).
        users: optional users file (user id + age, gender, occupation, zip).
        path: database file; default ``store.default_db_path()``.
        replace: overwrite an existing dataset of that name.

    Returns:
        The stored dataset's ``DatasetInfo``.

    Raises:
        DataError: any rule in the module docstring; the database is then unchanged.
    """
    check_dataset_name(name)
    if not replace and any(info.name == name for info in list_datasets(path)):
        raise DataError(
            f"dataset {name!r} already exists; pass replace=True (--replace) to overwrite it, "
            "or choose another name"
        )
    sources = {"interactions": _read_source(Path(interactions), "interactions")}
    if items is not None:
        sources["items"] = _read_source(Path(items), "items")
    if users is not None:
        sources["users"] = _read_source(Path(users), "users")
    ignored: dict[str, list[str]] = {}
    columns: dict[str, dict[str, str]] = {}
    for kind, source in sources.items():
        columns[kind], extra = _resolve_columns(source, kind)
        if extra:
            ignored[kind] = extra

    log = _parse_interactions(sources["interactions"], columns["interactions"])
    item_frame = (
        _parse_side(sources["items"], columns["items"], "item_id", ITEM_COLUMNS)
        if "items" in sources
        else _minimal_side(log["item_id"], "item_id", ITEM_COLUMNS)
    )
    user_frame = (
        _parse_side(sources["users"], columns["users"], "user_id", USER_COLUMNS)
        if "users" in sources
        else _minimal_side(log["user_id"], "user_id", USER_COLUMNS)
    )
    for kind, frame, key in (("items", item_frame, "item_id"), ("users", user_frame, "user_id")):
        if kind in sources:
            _check_references(
                sources["interactions"],
                columns["interactions"][key],
                log[key],
                frame[key],
                sources[kind],
                key,
            )
    source = sources["interactions"]
    meta: dict[str, object] = {
        "format": "csv" if source.is_csv else "parquet",
        "files": {kind: str(s.file) for kind, s in sources.items()},
        "ignored_columns": ignored,
    }
    if source.delimiter is not None:
        meta["delimiter"] = source.delimiter
    frames = DatasetFrames(
        name=name,
        source=str(source.file),
        interactions=log,
        items=item_frame,
        users=user_frame,
        meta=meta,
    )
    return write_dataset(frames, path=path, replace=replace)


# --- reading files ------------------------------------------------------------------------------
def _read_source(file: Path, kind: str) -> _Source:
    if not file.is_file():
        raise DataError(f"{kind} file {file} does not exist; check the path")
    with file.open("rb") as handle:
        magic = handle.read(len(_PARQUET_MAGIC))
    if file.suffix.lower() in _PARQUET_SUFFIXES or magic == _PARQUET_MAGIC:
        source = _read_parquet(file)
    else:
        source = _read_csv(file)
    if len(source.frame) == 0:
        what = "a header but no data rows" if source.is_csv else "no rows"
        raise DataError(f"{file} has {what}; add at least one {kind} row")
    _check_field_sizes(source)
    return source


def _read_parquet(file: Path) -> _Source:
    try:
        table = pq.read_table(file)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"{file} cannot be read as Parquet ({exc}); it is corrupt or in another format: "
            "export it again as Parquet, or save it as CSV with a .csv name"
        ) from exc
    frame = pd.DataFrame(
        {name: _arrow_to_pandas(table.column(name)) for name in table.column_names}
    )
    return _Source(file=file, frame=frame, arrow=table, delimiter=None)


def _arrow_to_pandas(column: pa.ChunkedArray) -> pd.Series:
    """Integer columns keep nulls as NA instead of turning into floats."""
    return column.to_pandas(
        types_mapper=lambda kind: pd.Int64Dtype() if pa.types.is_integer(kind) else None
    )


def _read_csv(file: Path) -> _Source:
    raw = file.read_bytes()
    if not raw:
        raise DataError(
            f"{file} is empty (0 bytes); it needs a header row such as user_id,item_id,rating "
            "followed by one row per interaction"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{file}: byte {exc.start} (line {line}) is 0x{raw[exc.start]:02X}, which is not valid "
            "UTF-8; the file is probably Latin-1/Windows-1252: re-save it as UTF-8 (in a "
            "spreadsheet: 'CSV UTF-8')"
        ) from exc
    header = text.split("\n", 1)[0].rstrip("\r")
    del text
    if not header.strip():
        raise DataError(f"{file}: line 1 is empty; the first line must be the header row")
    delimiter = max(DELIMITERS, key=header.count)
    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            sep=delimiter,
            encoding="utf-8-sig",
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise DataError(
            f"{file}: {_describe_parser_error(str(exc))}; every row needs as many fields as the "
            f"header, and fields containing {delimiter!r} must be quoted"
        ) from exc
    if frame.shape[1] == 1:
        raise DataError(_single_column_message(file, header))
    header_fields = [f.strip().strip('"') for f in header.split(delimiter)]
    if all(re.fullmatch(r"[\d.+-]+", f) for f in header_fields):
        raise DataError(
            f"{file}: line 1 ({header!r}) looks like data, not a header; add a header row such as "
            "user_id,item_id,rating,timestamp"
        )
    repeated = sorted({f for f in header_fields if header_fields.count(f) > 1})
    if repeated:
        raise DataError(
            f"{file}: the header repeats column(s) {repeated}; give each column one name"
        )
    frame.columns = [str(c) for c in frame.columns]
    blank = (frame == "").all(axis=1).to_numpy()
    keep = len(frame) - int(np.argmin(blank[::-1])) if not blank.all() else 0
    source = _Source(file=file, frame=frame.iloc[:keep], arrow=None, delimiter=delimiter)
    if blank[:keep].any():
        raise source.fail(
            blank[:keep], tuple(frame.columns), "the line is blank", "remove empty lines"
        )
    return source


def _describe_parser_error(message: str) -> str:
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if found is None:
        return f"the CSV cannot be parsed ({message})"
    expected, line, saw = found.groups()
    return f"line {line} has {saw} fields but the header has {expected}"


def _single_column_message(file: Path, header: str) -> str:
    others = [c for c in header if not c.isalnum() and c not in "_-\"'"]
    if others:
        likely = max(set(others), key=others.count)
        return (
            f"{file}: the header {header!r} is read as a single column; the file seems to use "
            f"{likely!r} as delimiter, but RecScope reads ',', ';', tab or '|': re-save it with "
            "one of those"
        )
    return (
        f"{file}: the header {header!r} is a single column; interactions need at least a user and "
        "an item column separated by ',', ';', tab or '|'"
    )


def _check_field_sizes(source: _Source) -> None:
    for column in source.frame.columns:
        values = source.frame[column]
        if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
            continue
        lengths = values.astype(str).str.len().fillna(0).to_numpy()
        too_long = lengths > MAX_FIELD_CHARS
        if too_long.any():
            raise source.fail(
                too_long,
                str(column),
                f"a field has {int(lengths.max()):,} characters (the limit is {MAX_FIELD_CHARS:,})",
                "this is usually a broken quote that swallowed the rest of the file: check the "
                "quoting, or shorten the field",
            )


def _resolve_columns(source: _Source, kind: str) -> tuple[dict[str, str], list[str]]:
    """Map each role to the file's column; returns (role -> column, ignored columns)."""
    found: dict[str, str] = {}
    ignored: list[str] = []
    for column in map(str, source.frame.columns):
        key = column.strip().lower().replace("_", "").replace(" ", "")
        roles = [role for role, aliases in _ROLES[kind].items() if key in aliases]
        if not roles:
            ignored.append(column)
            continue
        role = roles[0]
        if role in found:
            raise DataError(
                f"{source.file}: columns {found[role]!r} and {column!r} both look like the "
                f"{role} column; keep one of them"
            )
        found[role] = column
    for role in _REQUIRED[kind]:
        if role not in found:
            columns = [str(c) for c in source.frame.columns]
            raise DataError(
                f"{source.file}: no {role.split('_')[0]} column among {columns}; name it "
                f"{_DISPLAY[role]}"
            )
    return found, ignored


# --- parsing columns ----------------------------------------------------------------------------
def _text(source: _Source, column: str) -> pd.Series:
    values = source.frame[column]
    return values.astype(str).str.strip().reset_index(drop=True)


def _arrow_type(source: _Source, column: str) -> pa.DataType | None:
    return None if source.arrow is None else source.arrow.schema.field(column).type


def _parse_ids(source: _Source, column: str, entity: str) -> pd.Series:
    kind = _arrow_type(source, column)
    values = source.frame[column].reset_index(drop=True)
    if kind is not None and not (
        pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)
    ):
        raise DataError(
            f"{source.file}: column {column!r} has Parquet type {kind}; {entity} ids must be "
            "integers or text (a float column usually means the ids were corrupted: 12 -> 12.0)"
        )
    missing = values.isna().to_numpy()
    if missing.any():
        raise source.fail(missing, column, f"the {entity} id is missing", "give every row an id")
    ids = values.astype(str).str.strip()
    empty = (ids == "").to_numpy()
    if empty.any():
        raise source.fail(empty, column, f"the {entity} id is empty", "give every row an id")
    negative = ids.str.fullmatch(_NEGATIVE_INT.pattern).to_numpy(dtype=bool)
    if negative.any():
        first = ids[negative].iloc[0]
        raise source.fail(
            negative,
            column,
            f"{first!r} is a negative id",
            "ids must be non-negative integers or text; fix the export",
        )
    floats = ids.str.fullmatch(_FLOAT_LIKE.pattern).to_numpy(dtype=bool)
    if floats.any():
        first = ids[floats].iloc[0]
        raise source.fail(
            floats,
            column,
            f"{first!r} looks like a decimal number, not an id",
            "ids must be integers or text; a spreadsheet probably turned the id column into "
            "floats (12 -> 12.0): format it as whole numbers or text and export again",
        )
    return ids.astype("str")


def _parse_ratings(source: _Source, column: str) -> pd.Series:
    kind = _arrow_type(source, column)
    if kind is not None and not (
        pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
    ):
        raise DataError(
            f"{source.file}: column {column!r} has Parquet type {kind}; ratings must be stored as "
            "numbers (float or integer), not text: convert the column and export again"
        )
    if source.is_csv:
        text = _text(source, column)
        missing = text.str.lower().isin(_MISSING_WORDS).to_numpy()
        numbers = pd.to_numeric(text.where(~missing), errors="coerce")
        unparsed = (numbers.isna().to_numpy()) & ~missing
        if unparsed.any():
            first = text[unparsed].iloc[0]
            fix = "write ratings as numbers such as 4 or 3.5"
            if re.fullmatch(r"[+-]?\d+,\d+", first):
                fix = "use '.' as the decimal separator (3.5, not 3,5)"
            raise source.fail(unparsed, column, f"{first!r} is not a number", fix)
    else:
        numbers = pd.to_numeric(source.frame[column].reset_index(drop=True)).astype("Float64")
        missing = numbers.isna().to_numpy()
    if missing.any():
        raise source.fail(
            missing,
            column,
            "the rating is missing (empty or NaN)",
            "fill in every rating, or drop the rating column for implicit feedback",
        )
    values = numbers.to_numpy(dtype=np.float64)
    insane = ~np.isfinite(values) | (np.abs(values) > MAX_ABS_RATING)
    if insane.any():
        raise source.fail(
            insane,
            column,
            f"{values[insane][0]:g} is out of range",
            f"ratings must be finite numbers between {-MAX_ABS_RATING:g} and {MAX_ABS_RATING:g}",
        )
    return pd.Series(values, dtype=np.float64)


def _parse_timestamps(source: _Source, column: str) -> pd.Series:
    kind = _arrow_type(source, column)
    if kind is not None and pa.types.is_timestamp(kind):
        stamps = pd.to_datetime(source.frame[column].reset_index(drop=True), utc=True)
        missing = stamps.isna().to_numpy()
        if missing.any():
            raise source.fail(missing, column, "the timestamp is missing", _TIMESTAMP_FIX)
        return _seconds(stamps)
    if kind is not None and not (
        pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)
    ):
        raise DataError(
            f"{source.file}: column {column!r} has Parquet type {kind}; timestamps must be integer "
            "Unix seconds, a timestamp column, or ISO-8601 text"
        )
    values = source.frame[column].reset_index(drop=True)
    text = values.astype(str).str.strip()
    missing = values.isna().to_numpy() | text.str.lower().isin(_MISSING_WORDS).to_numpy()
    if missing.any():
        raise source.fail(missing, column, "the timestamp is missing", _TIMESTAMP_FIX)
    integer = text.str.fullmatch(_INTEGER).to_numpy(dtype=bool)
    if integer.all():
        seconds = pd.to_numeric(text).astype("Int64")
        huge = (seconds.abs() > MAX_ABS_TIMESTAMP).to_numpy(dtype=bool)
        if huge.any():
            raise source.fail(
                huge,
                column,
                f"{text[huge].iloc[0]} is too large for Unix seconds (it looks like milliseconds)",
                "divide by 1000 to get seconds",
            )
        return seconds
    stamps = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    unparsed = stamps.isna().to_numpy()
    if unparsed.any():
        first = text[unparsed].iloc[0]
        raise source.fail(unparsed, column, f"{first!r} is not a timestamp", _TIMESTAMP_FIX)
    return _seconds(stamps)


_TIMESTAMP_FIX = (
    "use Unix seconds (e.g. 964982703) or ISO-8601 date-times (e.g. 2024-05-01T12:30:00Z) in "
    "every row, or drop the timestamp column"
)


def _seconds(stamps: pd.Series) -> pd.Series:
    seconds = (stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    return seconds.astype("Int64").reset_index(drop=True)


def _parse_whole(source: _Source, column: str) -> pd.Series:
    """Optional whole numbers (year, age): empty means NA."""
    values = source.frame[column].reset_index(drop=True)
    if source.is_csv:
        text = values.astype(str).str.strip()
        missing = text.str.lower().isin(_MISSING_WORDS).to_numpy()
        bad = ~missing & ~text.str.fullmatch(_INTEGER).to_numpy(dtype=bool)
        if bad.any():
            raise source.fail(
                bad, column, f"{text[bad].iloc[0]!r} is not a whole number", "write e.g. 1995"
            )
        return pd.to_numeric(text.where(~missing)).astype("Int64")
    numbers = pd.to_numeric(values, errors="coerce")
    bad = (values.notna() & (numbers.isna() | (numbers % 1 != 0))).to_numpy(dtype=bool)
    if bad.any():
        raise source.fail(bad, column, "the value is not a whole number", "store integers")
    return numbers.astype("Int64")


def _parse_interactions(source: _Source, columns: dict[str, str]) -> pd.DataFrame:
    user_id = _parse_ids(source, columns["user_id"], "user")
    item_id = _parse_ids(source, columns["item_id"], "item")
    n_rows = len(user_id)
    rating = (
        _parse_ratings(source, columns["rating"])
        if "rating" in columns
        else pd.Series(np.full(n_rows, np.nan), dtype=np.float64)
    )
    timestamp = (
        _parse_timestamps(source, columns["timestamp"])
        if "timestamp" in columns
        else pd.Series(pd.NA, index=range(n_rows), dtype="Int64")
    )
    frame = pd.DataFrame(
        {
            "user_id": user_id,
            "item_id": item_id,
            "rating": rating,
            "timestamp": timestamp,
            "session_id": pd.Series(pd.NA, index=range(n_rows), dtype="Int64"),
        }
    )
    key = frame[["user_id", "item_id"]].assign(timestamp=timestamp.fillna(_NO_TIMESTAMP))
    repeated = key.duplicated(keep=False).to_numpy()
    if repeated.any():
        first = int(np.flatnonzero(repeated)[0])
        same = (key == key.iloc[first]).all(axis=1).to_numpy()
        stamp = "" if "timestamp" not in columns else " at the same timestamp"
        raise source.fail(
            same,
            (columns["user_id"], columns["item_id"]),
            f"user {user_id[first]!r} and item {item_id[first]!r} repeat{stamp} "
            f"({int(repeated.sum())} duplicate rows in all)",
            "remove the duplicate rows, or aggregate them into one",
        )
    return frame


def _parse_side(
    source: _Source, columns: dict[str, str], key: str, layout: tuple[str, ...]
) -> pd.DataFrame:
    entity = key.split("_")[0]
    ids = _parse_ids(source, columns[key], entity)
    repeated = ids.duplicated(keep=False).to_numpy()
    if repeated.any():
        first = ids[repeated].iloc[0]
        same = (ids == first).to_numpy()
        raise source.fail(
            same,
            columns[key],
            f"{entity} id {first!r} appears more than once",
            f"keep one row per {entity} (merge the duplicates)",
        )
    frame = pd.DataFrame({key: ids})
    for column in layout[1:]:
        if column not in columns:
            frame[column] = "" if column in ("genres", "tags") else pd.NA
        elif column in ("year", "age"):
            frame[column] = _parse_whole(source, columns[column])
        else:
            text = _text(source, columns[column])
            empty = text == ""
            frame[column] = text if column in ("genres", "tags") else text.where(~empty)
    return _typed_side(frame, layout)


def _minimal_side(ids: pd.Series, key: str, layout: tuple[str, ...]) -> pd.DataFrame:
    unique = pd.Series(pd.unique(ids), dtype="str")
    frame = pd.DataFrame({key: unique})
    for column in layout[1:]:
        frame[column] = "" if column in ("genres", "tags") else pd.NA
    return _typed_side(frame, layout)


def _typed_side(frame: pd.DataFrame, layout: tuple[str, ...]) -> pd.DataFrame:
    whole = {"year", "age", "release_ts"}
    for column in layout:
        frame[column] = frame[column].astype("Int64" if column in whole else "str")
    return frame[list(layout)]


def _check_references(
    log_source: _Source,
    log_column: str,
    log_ids: pd.Series,
    known: pd.Series,
    side_source: _Source,
    key: str,
) -> None:
    absent = ~log_ids.isin(known).to_numpy()
    if absent.any():
        entity = key.split("_")[0]
        first = log_ids[absent].iloc[0]
        n_absent = int(pd.Series(log_ids[absent]).nunique())
        raise log_source.fail(
            absent,
            log_column,
            f"{entity} {first!r} is not in {side_source.file} ({n_absent} such {entity} ids)",
            f"add the missing {entity}s to {side_source.file.name} or remove these rows",
        )
