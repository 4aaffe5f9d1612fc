"""Parse and validate one column's values: ids, ratings, timestamps and optional whole numbers.

CSV fields arrive as text and are parsed here; Parquet columns keep their own types, which are
checked first. Every refusal is a ``DataError`` naming the file, the rows and the fix.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa

from recsys_core.data.tabular.source import Source
from recsys_core.errors import DataError

#: Largest absolute rating accepted.
MAX_ABS_RATING = 1e6
#: Largest absolute integer timestamp accepted, in seconds (about the year 5138).
MAX_ABS_TIMESTAMP = 10**11

_FLOAT_LIKE = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)")
_NEGATIVE_INT = re.compile(r"-\d+")
_INTEGER = r"[+-]?\d+"
_MISSING_WORDS = frozenset({"", "nan", "na", "n/a", "null", "none"})
#: Unicode category Cc (C0 controls, DEL, C1 controls), refused anywhere in an id.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: Id shapes refused, checked in this order: (pattern, problem given the first such id, fix).
_REFUSED_IDS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        _NEGATIVE_INT,
        "{!r} is a negative id",
        "ids must be non-negative integers or text; fix the export",
    ),
    (
        _FLOAT_LIKE,
        "{!r} looks like a decimal number, not an id",
        "ids must be integers or text; a spreadsheet probably turned the id column into "
        "floats (12 -> 12.0): format it as whole numbers or text and export again",
    ),
)
_TIMESTAMP_FIX = (
    "use Unix seconds (e.g. 964982703) or ISO-8601 date-times (e.g. 2024-05-01T12:30:00Z) in "
    "every row, or drop the timestamp column"
)


def stripped_text(source: Source, column: str) -> pd.Series:
    """The column as stripped text, indexed 0..n-1."""
    values = source.frame[column]
    return values.astype(str).str.strip().reset_index(drop=True)


def _arrow_type(source: Source, column: str) -> pa.DataType | None:
    return None if source.arrow is None else source.arrow.schema.field(column).type


def parse_ids(source: Source, column: str, entity: str) -> pd.Series:
    """Ids as stripped str: non-empty, free of control characters (a NUL byte, a tab inside),
    not negative integers, not decimal numbers.

    Args:
        source: the file as read.
        column: the file's id column.
        entity: ``user`` or ``item``, for error messages.
    """
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
    control = ids.str.contains(_CONTROL.pattern, regex=True).to_numpy(dtype=bool)
    if control.any():
        first = ids[control].iloc[0]
        code = ord(_CONTROL.search(first).group())  # type: ignore[union-attr]
        raise source.fail(
            control,
            column,
            f"the {entity} id {first!r} holds the control character U+{code:04X}",
            "ids must be printable text: remove the control characters from these ids and "
            "export again",
        )
    for pattern, problem, fix in _REFUSED_IDS:
        refused = ids.str.fullmatch(pattern.pattern).to_numpy(dtype=bool)
        if refused.any():
            raise source.fail(refused, column, problem.format(ids[refused].iloc[0]), fix)
    return ids.astype("str")


def parse_ratings(source: Source, column: str) -> pd.Series:
    """Ratings as float64: present on every row, finite, ``|r| <= MAX_ABS_RATING``."""
    kind = _arrow_type(source, column)
    if kind is not None and not (
        pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
    ):
        raise DataError(
            f"{source.file}: column {column!r} has Parquet type {kind}; ratings must be stored as "
            "numbers (float or integer), not text: convert the column and export again"
        )
    if source.is_csv:
        text = stripped_text(source, column)
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


def parse_timestamps(source: Source, column: str) -> pd.Series:
    """Unix seconds as Int64 from integers, ISO-8601 text (UTC without a zone) or Parquet
    timestamps; present on every row, integers within ``±MAX_ABS_TIMESTAMP``."""
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


def _seconds(stamps: pd.Series) -> pd.Series:
    seconds = (stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    return seconds.astype("Int64").reset_index(drop=True)


def parse_whole(source: Source, column: str) -> pd.Series:
    """Optional whole numbers (year, age) as Int64: empty means NA."""
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
