"""One input file as read, and the errors that point into it by row, line and column."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from recsys_core.errors import DataError

#: Most row numbers an error message lists before "(+N more)".
_SHOWN_ROWS = 5


@dataclass(frozen=True)
class Source:
    """One input file as read: CSV fields as text, Parquet columns with their own types.

    Attributes:
        file: the file's path, as given.
        frame: its data rows (CSV: every field as str; Parquet: converted from ``arrow``).
        arrow: the Parquet table (its schema gives each column's type), or None for CSV.
        delimiter: the CSV delimiter detected from the header, or None for Parquet.
    """

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
