"""What the commands print: one strict JSON object or a text table on stdout, notes on stderr."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from recsys_core import strict_json


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    """Print ``payload`` as one strict JSON object (NaN and infinities as null, numpy scalars
    unwrapped, paths and date-times as text) when ``--json`` was given, else ``text``."""
    print(strict_json.dumps(payload) if getattr(args, "json", False) else text)


def download_progress(label: str) -> Callable[[int, int], None]:
    """A stderr progress printer for downloads (bytes done, bytes total)."""
    last = [-1]

    def report(done: int, total: int) -> None:
        percent = int(100 * done / total) if total else -1
        if percent != last[0] and (percent % 10 == 0 or percent < 0):
            last[0] = percent
            shown = f"{percent}%" if percent >= 0 else f"{done / 1e6:.1f} MB"
            print(f"{label}: {shown}", file=sys.stderr)

    return report


def format_table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """``rows`` as left-aligned text columns (floats to 4 places), or ``(none)``."""
    if not rows:
        return "(none)"
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


def note(message: str) -> None:
    """One line of progress or confirmation on stderr (stdout stays for results)."""
    print(message, file=sys.stderr)
