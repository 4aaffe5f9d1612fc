"""Multi-hot genre vectors straight from the catalogue table (no fitting, no vocabulary)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.types import FloatArray


def genre_table(items: pd.DataFrame) -> tuple[FloatArray, tuple[str, ...]] | None:
    """(I, G) multi-hot genre matrix in item_idx order and the G genre names (sorted), or None
    when no item has a genre."""
    if "genres" not in items:
        return None
    genres = items["genres"].fillna("").astype(str)
    dummies = genres.str.get_dummies(sep="|")
    # pandas 3's string dtype turns an empty value into a genre named "": drop it.
    dummies = dummies.drop(columns=[""], errors="ignore")
    if dummies.shape[1] == 0:
        return None
    return dummies.to_numpy(dtype=np.float32), tuple(str(name) for name in dummies.columns)


def genre_matrix(items: pd.DataFrame) -> FloatArray | None:
    """(I, G) multi-hot genre matrix in item_idx order, or None when no item has a genre.

    Used as the item vectors of intra-list diversity and as a colour key in the app.
    """
    table = genre_table(items)
    return None if table is None else table[0]
