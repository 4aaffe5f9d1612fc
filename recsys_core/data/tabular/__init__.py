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
  ``1e3``): they are almost always an id column that a spreadsheet turned into floats. Text ids
  holding a control character (Unicode category Cc: a NUL byte, an escape, a tab inside the id)
  are refused;
* a rating, when the column exists, is on every row, a finite number with ``|r| <= 1e6``;
* a timestamp, when the column exists, is on every row; integers must be within ``±1e11`` seconds
  (larger values look like milliseconds);
* exact duplicates of (user, item, timestamp) are refused with their row numbers;
* item / user ids are unique in their files, and when such a file is given every id in the
  interactions must be in it (catalogue rows without interactions are kept); without the file,
  minimal rows (id only) are created;
* a field longer than 1,000,000 characters is refused.

Line numbers assume one line per row (a quoted field spanning lines shifts them).

``reading`` turns a file into a ``source.Source``, ``columns`` maps its column names to roles,
``values`` parses and checks each column, ``tables`` builds the frames and checks references, and
``importer.import_tabular`` runs them in that order before one ``store.write_dataset``.
"""

from __future__ import annotations

from recsys_core.data.tabular.importer import import_tabular
from recsys_core.data.tabular.reading import DELIMITERS, MAX_FIELD_CHARS
from recsys_core.data.tabular.values import MAX_ABS_RATING, MAX_ABS_TIMESTAMP

__all__ = [
    "DELIMITERS",
    "MAX_ABS_RATING",
    "MAX_ABS_TIMESTAMP",
    "MAX_FIELD_CHARS",
    "import_tabular",
]
