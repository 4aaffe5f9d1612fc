"""Multi-hot genre vectors straight from the catalogue table (no fitting, no vocabulary)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.types import FloatArray


def genre_matrix(items: pd.DataFrame) -> FloatArray | None:
    """(I, G) multi-hot genre matrix in item_idx order, or None when no item has a genre.

    Used as the item vectors of intra-list diversity and as a colour key in the app.
    """
    if "genres" not in items:
        return None
    genres = items["genres"].fillna("").astype(str)
    dummies = genres.str.get_dummies(sep="|")
    # pandas 3's string dtype turns an empty value into a genre named "": drop it.
    dummies = dummies.drop(columns=[""], errors="ignore")
    if dummies.shape[1] == 0:
        return None
    return dummies.to_numpy(dtype=np.float32)
