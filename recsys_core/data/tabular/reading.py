"""Read a CSV or Parquet file into a ``Source``, refusing files that cannot be parsed safely."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from recsys_core.data.tabular.source import Source
from recsys_core.errors import DataError

#: Delimiters a CSV header is checked for, in order of preference on ties.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
#: Longest field accepted, in characters.
MAX_FIELD_CHARS = 1_000_000

_PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
_PARQUET_MAGIC = b"PAR1"


def read_source(file: Path, kind: str) -> Source:
    """Read ``file`` as Parquet (by suffix or magic bytes) or else as CSV.

    Args:
        file: the file to read.
        kind: its role (``interactions``, ``items``, ``users``), for error messages.

    Raises:
        DataError: the file is missing, unreadable, empty or has an oversized field.
    """
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


def _read_parquet(file: Path) -> Source:
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
    return Source(file=file, frame=frame, arrow=table, delimiter=None)


def _arrow_to_pandas(column: pa.ChunkedArray) -> pd.Series:
    """Integer columns keep nulls as NA instead of turning into floats."""
    return column.to_pandas(
        types_mapper=lambda kind: pd.Int64Dtype() if pa.types.is_integer(kind) else None
    )


def _read_csv(file: Path) -> Source:
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
    source = Source(file=file, frame=frame.iloc[:keep], arrow=None, delimiter=delimiter)
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


def _check_field_sizes(source: Source) -> None:
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
