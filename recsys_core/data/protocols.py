"""Named evaluation protocols: filters, split, what counts as relevant, and the list length.

A protocol is part of every result: two numbers are comparable only under the same protocol.
The presets reproduce published benchmarks (Microsoft Recommenders' ML-100K table, RecBole's
ML-1M tables) so that the Compare page can show those rows beside our runs, plus one that suits
the built-in synthetic catalogue (``suggested_protocol`` picks the preset a dataset suits).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from recsys_core.data.splits import Parts, SplitSpec, split_rows
from recsys_core.errors import ConfigError, DataError


@dataclass(frozen=True)
class Protocol:
    """Everything besides the model that decides a metric's value.

    Attributes:
        name: preset name, or ``custom:<split label>``.
        description: one line shown beside every table of results.
        split: how rows are divided.
        min_rating: keep only rows rated at least this before splitting (None keeps all).
        drop_ratings: rating values removed before splitting (RecBole's CTR setting drops 3).
        core: iterative k-core filter on users and items before splitting (0 = none).
        relevant_min_rating: a test row is relevant when rated at least this (None: every row).
        k: list length of the headline metrics.
    """

    name: str
    description: str
    split: SplitSpec
    min_rating: float | None = None
    drop_ratings: tuple[float, ...] = ()
    core: int = 0
    relevant_min_rating: float | None = None
    k: int = 10

    @property
    def split_name(self) -> str:
        """The name under which this protocol's split is stored for a dataset."""
        if self.name.startswith("custom"):
            return f"custom:{self.split.label}"
        return self.name

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "split": self.split.to_dict(),
            "min_rating": self.min_rating,
            "drop_ratings": list(self.drop_ratings),
            "core": self.core,
            "relevant_min_rating": self.relevant_min_rating,
            "k": self.k,
        }

    @property
    def relevance_label(self) -> str:
        if self.relevant_min_rating is None:
            return "every held-out interaction is relevant"
        return f"held-out interactions rated ≥ {self.relevant_min_rating:g} are relevant"


PROTOCOLS: dict[str, Protocol] = {
    "msr-100k": Protocol(
        name="msr-100k",
        description=(
            "Microsoft Recommenders ML-100K benchmark: item-stratified 75/25 (seed 42), every test "
            "rating relevant, seen items removed, full ranking, k=10"
        ),
        split=SplitSpec(kind="item", test=0.25, valid=0.0, seed=42),
    ),
    "recbole-general": Protocol(
        name="recbole-general",
        description=(
            "RecBole general recommendation: ratings ≥ 3, 10-core, per-user random 80/10/10, "
            "full ranking, k=10"
        ),
        split=SplitSpec(kind="user", test=0.1, valid=0.1, seed=2020),
        min_rating=3.0,
        core=10,
    ),
    "recbole-seq": Protocol(
        name="recbole-seq",
        description=(
            "RecBole sequential recommendation: ratings ≥ 3, 10-core, chronological "
            "leave-one-out (last item test, the one before validation), full ranking, k=10"
        ),
        split=SplitSpec(kind="leave-last-out", test=0.1, valid=0.1, seed=2020),
        min_rating=3.0,
        core=10,
    ),
    "recbole-ctr": Protocol(
        name="recbole-ctr",
        description=(
            "RecBole context-aware (CTR): rating 3 dropped, label = rating ≥ 4, global random "
            "80/10/10, k=10"
        ),
        split=SplitSpec(kind="random", test=0.1, valid=0.1, seed=2020),
        drop_ratings=(3.0,),
        relevant_min_rating=4.0,
    ),
    "synthetic-user": Protocol(
        name="synthetic-user",
        description=(
            "RecScope synthetic catalogue: per-user random 70/10/20 (seed 42), every held-out "
            "interaction relevant, seen items removed, full ranking, k=10"
        ),
        split=SplitSpec(kind="user", test=0.2, valid=0.1, seed=42),
    ),
}


#: The preset each known dataset suits (the published tables were measured on these datasets).
_SUITED_PRESETS: dict[str, str] = {
    "ml-100k": "msr-100k",
    "ml-1m": "recbole-general",
    "ml-latest-small": "recbole-general",
}
#: Where a generated catalogue's ``source`` starts (``generator:seed=42``).
GENERATED_SOURCE_PREFIX = "generator:"


def suggested_protocol(name: str, source: str = "") -> str:
    """The preset to propose for a dataset: the benchmark it was published on, the synthetic
    preset for a generated catalogue, else RecBole's general setting."""
    if name in _SUITED_PRESETS:
        return _SUITED_PRESETS[name]
    if source.startswith(GENERATED_SOURCE_PREFIX):
        return "synthetic-user"
    return "recbole-general"


def get_protocol(name: str) -> Protocol:
    """A preset by name; the error lists the presets."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise ConfigError(
            f"unknown protocol {name!r}; choose one of {', '.join(PROTOCOLS)} or pass --split"
        ) from None


def custom_protocol(
    split: SplitSpec, *, relevant_min_rating: float | None = None, k: int = 10
) -> Protocol:
    """A protocol around a user-chosen split with no filters."""
    base = Protocol(
        name="custom",
        description=f"custom split {split.label}, full ranking, k={k}",
        split=split,
        relevant_min_rating=relevant_min_rating,
        k=k,
    )
    return replace(base, name=f"custom:{split.label}")


def filter_rows(frame: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """Apply the protocol's rating filters and k-core before splitting."""
    keep = np.ones(len(frame), dtype=bool)
    needs_ratings = protocol.min_rating is not None or protocol.drop_ratings
    if needs_ratings:
        if frame["rating"].isna().all():
            raise DataError(
                f"protocol {protocol.name!r} filters by rating, and this dataset has no ratings; "
                "choose msr-100k or a custom --split"
            )
        rating = frame["rating"].to_numpy(np.float64, na_value=np.nan)
        if protocol.min_rating is not None:
            keep &= rating >= protocol.min_rating
        if protocol.drop_ratings:
            keep &= ~np.isin(rating, protocol.drop_ratings)
    kept = frame[keep]
    if protocol.core > 0:
        kept = k_core(kept, protocol.core)
    if len(kept) == 0:
        raise DataError(f"protocol {protocol.name!r} leaves no interactions in this dataset")
    return kept


def k_core(frame: pd.DataFrame, core: int) -> pd.DataFrame:
    """Iteratively drop users and items with fewer than ``core`` rows until none is left."""
    while True:
        users = frame["user_idx"].to_numpy(np.int64)
        items = frame["item_idx"].to_numpy(np.int64)
        user_ok = np.bincount(users)[users] >= core
        item_ok = np.bincount(items)[items] >= core
        keep = user_ok & item_ok
        if keep.all():
            return frame
        frame = frame[keep]


def protocol_parts(interactions: pd.DataFrame, protocol: Protocol) -> Parts:
    """Filter then split a dataset's interactions under ``protocol``."""
    return split_rows(filter_rows(interactions, protocol), protocol.split)


def resolve_protocol(preset: str | None, split: SplitSpec | None, *, k: int) -> Protocol:
    """The protocol a run is evaluated under: a named preset or a custom split, with list length k.

    Args:
        preset: a key of ``PROTOCOLS``; ignored when ``split`` is given.
        split: a custom split (no filters, every held-out row relevant).
        k: list length of the run's headline metrics.

    Raises:
        ConfigError: no preset and no split, an unknown preset, or k < 1.
    """
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    if split is not None:
        return custom_protocol(split, k=k)
    if preset is None:
        raise ConfigError("choose a protocol preset or give a custom split")
    return replace(get_protocol(preset), k=k)


#: The keys ``Protocol.to_dict`` writes (and ``protocol_from_dict`` accepts).
PROTOCOL_KEYS: tuple[str, ...] = (
    "name",
    "description",
    "split",
    "min_rating",
    "drop_ratings",
    "core",
    "relevant_min_rating",
    "k",
)
_SPLIT_KEYS = frozenset({"kind", "test", "valid", "seed"})


def protocol_from_dict(values: Mapping[str, Any]) -> Protocol:
    """Rebuild the protocol a run stored (the output of ``Protocol.to_dict()``).

    The stored dict is used as is, never looked up by name: a preset run with another ``k`` keeps
    its ``k``.

    Raises:
        ConfigError: unknown keys, a missing ``name``/``split``, or an invalid split.
    """
    unknown = sorted(set(values) - set(PROTOCOL_KEYS))
    missing = [key for key in ("name", "split") if key not in values]
    if unknown or missing:
        problem = f"unknown key(s) {unknown}" if unknown else f"missing key(s) {missing}"
        raise ConfigError(
            f"stored protocol has {problem}; expected the keys {list(PROTOCOL_KEYS)} written by "
            "Protocol.to_dict(): retrain the run with this version of RecScope"
        )
    split = values["split"]
    if not isinstance(split, Mapping) or not set(split) <= _SPLIT_KEYS:
        raise ConfigError(
            f"stored protocol split {split!r} is not a dict of {sorted(_SPLIT_KEYS)}; retrain the "
            "run with this version of RecScope"
        )
    min_rating = values.get("min_rating")
    relevant = values.get("relevant_min_rating")
    return Protocol(
        name=str(values["name"]),
        description=str(values.get("description", "")),
        split=SplitSpec(**split),
        min_rating=None if min_rating is None else float(min_rating),
        drop_ratings=tuple(float(r) for r in values.get("drop_ratings", ())),
        core=int(values.get("core", 0)),
        relevant_min_rating=None if relevant is None else float(relevant),
        k=int(values.get("k", 10)),
    )
