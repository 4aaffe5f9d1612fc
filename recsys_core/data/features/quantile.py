"""Dense numbers as quantile ranks in [0, 1] fitted on training rows, with x^2 / sqrt x and a
missing indicator, so every dense column a ranker sees is bounded whatever the raw scale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recsys_core.data.features.values import numeric
from recsys_core.errors import DataError
from recsys_core.types import FloatArray, IntArray

_SUFFIX = {"square": "_sq", "sqrt": "_sqrt"}


@dataclass(frozen=True)
class QuantileCodec:
    """Number -> columns [x, (x^2), (sqrt x), missing] with x its training quantile rank.

    x interpolates linearly between the stored boundaries (``boundaries[k]`` has rank
    k / (Q - 1)); runs of equal boundaries get the mean of the two one-sided interpolations, as
    scikit-learn's QuantileTransformer does. Values outside the training range clip to 0 or 1; a
    missing value gives 0 in every value column and 1 in the indicator.

    Attributes:
        name: the field name, prefix of the column names.
        boundaries: (Q,) training quantiles at ``linspace(0, 1, Q)``.
        expansions: which of "square", "sqrt" follow x.
    """

    name: str
    boundaries: tuple[float, ...]
    expansions: tuple[str, ...]

    @classmethod
    def fit(
        cls,
        name: str,
        values: pd.Series,
        weights: IntArray,
        n_quantiles: int,
        expansions: tuple[str, ...],
    ) -> QuantileCodec:
        """Quantiles of the training rows' values (row e counted ``weights[e]`` times).

        Raises:
            DataError: if no training row has a numeric value.
        """
        per_row = np.repeat(numeric(values), weights)
        per_row = per_row[~np.isnan(per_row)]
        if not len(per_row):
            raise DataError(
                f"dense feature {name!r} has no numeric value on any training row; drop it "
                "from the feature spec or fill the column"
            )
        boundaries = np.quantile(per_row, np.linspace(0.0, 1.0, n_quantiles))
        return cls(name, tuple(float(b) for b in boundaries), tuple(expansions))

    @property
    def names(self) -> tuple[str, ...]:
        """Column names: ``name``, ``name_sq``, ``name_sqrt`` (as configured), ``name_missing``."""
        return (
            self.name,
            *(self.name + _SUFFIX[e] for e in self.expansions),
            self.name + "_missing",
        )

    def rank(self, values: FloatArray) -> FloatArray:
        """(E,) quantile ranks in [0, 1]; NaN stays NaN."""
        bounds = np.asarray(self.boundaries)
        ranks = np.linspace(0.0, 1.0, len(bounds))
        up = np.interp(values, bounds, ranks)
        down = -np.interp(-values, -bounds[::-1], -ranks[::-1])
        return 0.5 * (up + down)

    def encode(self, values: pd.Series) -> FloatArray:
        """(E, len(names)) float32 columns of ``values`` (E,)."""
        raw = numeric(values)
        missing = np.isnan(raw)
        x = np.where(missing, 0.0, self.rank(np.where(missing, 0.0, raw)))
        expanded = {"square": x * x, "sqrt": np.sqrt(x)}
        columns = [x, *(expanded[e] for e in self.expansions), missing.astype(np.float64)]
        return np.stack(columns, axis=1).astype(np.float32)

    def state(self) -> dict[str, Any]:
        return {"boundaries": list(self.boundaries)}

    @classmethod
    def from_state(
        cls, name: str, state: dict[str, Any], expansions: tuple[str, ...]
    ) -> QuantileCodec:
        return cls(name, tuple(float(b) for b in state["boundaries"]), tuple(expansions))
