"""``param()``: how every config dataclass field declares its help text and bounds.

Model configs, the synthetic generator's config and the Train page's generated forms all read
this metadata, so it lives in a module that imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any


def param(default: Any, help: str, **bounds: Any) -> Any:  # noqa: A002 - mirrors argparse's name
    """A config field with its help text and optional ``min``/``max``/``choices`` metadata."""
    unknown = set(bounds) - {"min", "max", "choices"}
    if unknown:
        raise TypeError(f"param() got unknown metadata {sorted(unknown)}")
    return field(default=default, metadata={"help": help, **bounds})
