"""String columns of the synthetic frames: formatted ids and pandas' Arrow-backed ``str`` dtype."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa


def format_ids(prefix: str, n: int) -> pa.Array:
    """``prefix`` + 1-based zero-padded numbers of at least 5 digits, e.g. ``u00001``."""
    width = max(5, len(str(n)))
    numbers = np.arange(1, n + 1).astype(str)
    return pa.array(np.strings.add(prefix, np.strings.zfill(numbers, width)))


def strings(values: pa.Array | npt.NDArray[Any]) -> pd.api.extensions.ExtensionArray:
    """Pandas' default ``str`` dtype (Arrow-backed) from an Arrow or NumPy array of strings."""
    return pd.array(values if isinstance(values, pa.Array) else pa.array(values), dtype="str")
