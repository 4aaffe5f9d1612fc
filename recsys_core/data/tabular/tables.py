"""Build the interactions, items and users tables of ``DatasetFrames`` from validated columns,
refusing duplicate rows and interactions that name an id the side table lacks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.data.tabular.source import Source
from recsys_core.data.tabular.values import (
    parse_ids,
    parse_ratings,
    parse_timestamps,
    parse_whole,
    stripped_text,
)

#: Stands in for a missing timestamp when looking for duplicate rows.
_NO_TIMESTAMP = -(2**62)


def parse_interactions(source: Source, columns: dict[str, str]) -> pd.DataFrame:
    """The interactions table (``INTERACTION_COLUMNS``) of an interactions file.

    Args:
        source: the file as read.
        columns: role -> the file's column (``resolve_columns``).

    Raises:
        DataError: a value is invalid, or (user, item, timestamp) repeats.
    """
    user_id = parse_ids(source, columns["user_id"], "user")
    item_id = parse_ids(source, columns["item_id"], "item")
    n_rows = len(user_id)
    rating = (
        parse_ratings(source, columns["rating"])
        if "rating" in columns
        else pd.Series(np.full(n_rows, np.nan), dtype=np.float64)
    )
    timestamp = (
        parse_timestamps(source, columns["timestamp"])
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


def parse_side(
    source: Source, columns: dict[str, str], key: str, layout: tuple[str, ...]
) -> pd.DataFrame:
    """The items or users table of a side file, one row per unique id.

    Args:
        source: the file as read.
        columns: role -> the file's column.
        key: ``item_id`` or ``user_id``.
        layout: ``ITEM_COLUMNS`` or ``USER_COLUMNS``; roles the file lacks are left empty.
    """
    entity = key.split("_")[0]
    ids = parse_ids(source, columns[key], entity)
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
            frame[column] = parse_whole(source, columns[column])
        else:
            text = stripped_text(source, columns[column])
            empty = text == ""
            frame[column] = text if column in ("genres", "tags") else text.where(~empty)
    return _typed_side(frame, layout)


def minimal_side(ids: pd.Series, key: str, layout: tuple[str, ...]) -> pd.DataFrame:
    """An items or users table with only the ids the interactions mention (no side file)."""
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


def check_references(
    log_source: Source,
    log_column: str,
    log_ids: pd.Series,
    known: pd.Series,
    side_source: Source,
    key: str,
) -> None:
    """Refuse interactions whose ``key`` is not among the side file's ids ``known``."""
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
