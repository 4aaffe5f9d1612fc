"""What to feed a ranking model, declared as data: fields (``FeatureField``) and a spec of them.

A spec is plain, hashable and JSON round-trippable, so a run can save it and a cache can key on
it; ``FeatureEncoder.fit`` turns it into vocabularies, quantiles and per-user/per-item tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import pandas as pd

from recsys_core.errors import ConfigError

Source = Literal["user", "item", "interaction"]
Kind = Literal["categorical", "multi_hot", "hashed_text", "dense", "history"]
SOURCES: tuple[str, ...] = ("user", "item", "interaction")
KINDS: tuple[str, ...] = ("categorical", "multi_hot", "hashed_text", "dense", "history")
#: Kinds that give ids (embedding lookups); the others give dense columns.
SPARSE_KINDS: frozenset[str] = frozenset({"categorical", "multi_hot", "hashed_text"})
#: History columns: two dense per-user/per-item statistics and one id list (users only).
HISTORY_COLUMNS: tuple[str, ...] = ("count", "mean_rating", "recent_items")
#: Optional extra columns of a dense field besides its normalised value x.
EXPANSIONS: tuple[str, ...] = ("square", "sqrt")
_NAME_PATTERN = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class FeatureField:
    """One feature: where its values come from and how they are encoded.

    Attributes:
        name: unique within a spec; names the embedding table and the dense columns.
        source: "user" / "item" (a column of the side table, or ``user_idx``/``item_idx`` for the
            id itself) or "interaction" (a per-row array of ``TrainSplit`` such as timestamp, given
            as ``context`` to ``FeatureEncoder.transform``).
        column: the column read; for kind "history" one of ``HISTORY_COLUMNS``.
        kind: "categorical" (one id), "multi_hot" (``sep``-delimited list), "hashed_text" (word
            tokens hashed into ``n_buckets``), "dense" (quantile-normalised number) or "history"
            (statistics of the training interactions).
        min_count: categorical/multi_hot values seen on fewer training rows map to OOV id 0.
        sep: the list delimiter of multi_hot values.
        n_buckets: hash buckets of hashed_text (ids 1..n_buckets; 0 means no token).
        n_quantiles: quantile boundaries stored for dense fields and dense history.
        expansions: extra columns of the normalised value x: "square" (x^2), "sqrt" (sqrt x).
        max_len: how many of the user's latest training items "recent_items" keeps.
    """

    name: str
    source: Source
    column: str
    kind: Kind
    min_count: int = 1
    sep: str = "|"
    n_buckets: int = 4096
    n_quantiles: int = 32
    expansions: tuple[str, ...] = EXPANSIONS
    max_len: int = 20

    def __post_init__(self) -> None:
        object.__setattr__(self, "expansions", tuple(self.expansions))
        if not _NAME_PATTERN.fullmatch(self.name):
            raise ConfigError(f"feature name {self.name!r} must be letters, digits or _")
        if self.source not in SOURCES:
            raise ConfigError(
                f"feature {self.name}: source {self.source!r} is not one of {SOURCES}"
            )
        if self.kind not in KINDS:
            raise ConfigError(f"feature {self.name}: kind {self.kind!r} is not one of {KINDS}")
        if self.kind == "history":
            self._check_history()
        bad = [e for e in self.expansions if e not in EXPANSIONS]
        if bad or len(set(self.expansions)) != len(self.expansions):
            raise ConfigError(
                f"feature {self.name}: expansions {self.expansions} must be distinct values of "
                f"{EXPANSIONS}"
            )
        for key, low in (("min_count", 1), ("n_buckets", 1), ("n_quantiles", 2), ("max_len", 1)):
            if getattr(self, key) < low:
                raise ConfigError(f"feature {self.name}: {key} must be >= {low}")
        if not self.sep:
            raise ConfigError(f"feature {self.name}: sep must be a non-empty delimiter")

    def _check_history(self) -> None:
        if self.source == "interaction":
            raise ConfigError(f"feature {self.name}: history features need source user or item")
        if self.column not in HISTORY_COLUMNS:
            raise ConfigError(
                f"feature {self.name}: history column {self.column!r} is not one of "
                f"{HISTORY_COLUMNS}"
            )
        if self.column == "recent_items" and self.source != "user":
            raise ConfigError(f"feature {self.name}: recent_items is a user feature (source user)")

    @property
    def is_sparse(self) -> bool:
        """True when the field gives ids (an embedding lookup), False when dense columns."""
        return self.kind in SPARSE_KINDS or (
            self.kind == "history" and self.column == "recent_items"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every attribute (tuples as lists)."""
        payload = asdict(self)
        payload["expansions"] = list(self.expansions)
        return payload

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> FeatureField:
        """Inverse of ``to_dict``; unknown keys raise ``ConfigError`` naming the valid ones."""
        valid = [f.name for f in fields(cls)]
        unknown = sorted(set(payload) - set(valid))
        if unknown:
            raise ConfigError(f"unknown feature field key(s) {unknown}; valid keys: {valid}")
        values = dict(payload)
        if "expansions" in values:
            values["expansions"] = tuple(values["expansions"])
        try:
            return cls(**values)
        except TypeError as exc:
            raise ConfigError(f"feature field {payload!r} is incomplete: {exc}") from None


@dataclass(frozen=True)
class FeatureSpec:
    """An ordered, hashable tuple of ``FeatureField`` with unique names.

    The order fixes the order of ``FeatureBatch.dense`` columns and of ``sparse`` fields.
    """

    fields: tuple[FeatureField, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(self.fields))
        names = [field.name for field in self.fields]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ConfigError(f"feature names must be unique; repeated: {repeated}")

    def __iter__(self) -> Iterator[FeatureField]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)

    def to_dict(self) -> dict[str, Any]:
        return {"fields": [field.to_dict() for field in self.fields]}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> FeatureSpec:
        if set(payload) != {"fields"} or not isinstance(payload["fields"], list):
            raise ConfigError("a feature spec is {'fields': [...]}; rebuild it with to_dict()")
        return cls(tuple(FeatureField.from_dict(field) for field in payload["fields"]))

    @classmethod
    def default_for(
        cls,
        users: pd.DataFrame | None,
        items: pd.DataFrame | None,
        *,
        include_ids: bool = False,
        include_history: bool = True,
        with_ratings: bool = False,
    ) -> FeatureSpec:
        """A sensible spec from the side columns a dataset actually fills.

        Picks user age (dense), gender and occupation (categorical); item genres (multi_hot),
        year (dense), provider (categorical), title and tags (hashed_text); each only when the
        column exists and holds a non-empty value.

        Args:
            users: the user side table (U rows) or None.
            items: the item side table (I rows) or None.
            include_ids: add user_idx and item_idx as categorical ids (memorisation).
            include_history: add user and item training counts and the user's recent items.
            with_ratings: add user and item mean training ratings (explicit data only).
        """
        wanted = (
            (users, "user", "age", "dense"),
            (users, "user", "gender", "categorical"),
            (users, "user", "occupation", "categorical"),
            (items, "item", "genres", "multi_hot"),
            (items, "item", "year", "dense"),
            (items, "item", "provider", "categorical"),
            (items, "item", "title", "hashed_text"),
            (items, "item", "tags", "hashed_text"),
        )
        chosen: list[FeatureField] = []
        if include_ids:
            chosen += [
                FeatureField("user_idx", "user", "user_idx", "categorical"),
                FeatureField("item_idx", "item", "item_idx", "categorical"),
            ]
        for frame, source, column, kind in wanted:
            if frame is not None and _has_values(frame, column):
                chosen.append(FeatureField(column, source, column, kind))
        if include_history:
            chosen += [
                FeatureField("user_count", "user", "count", "history"),
                FeatureField("item_count", "item", "count", "history"),
                FeatureField("user_recent_items", "user", "recent_items", "history"),
            ]
        if with_ratings:
            chosen += [
                FeatureField("user_mean_rating", "user", "mean_rating", "history"),
                FeatureField("item_mean_rating", "item", "mean_rating", "history"),
            ]
        return cls(tuple(chosen))


def _has_values(frame: pd.DataFrame, column: str) -> bool:
    """Whether ``frame[column]`` exists and holds at least one non-missing, non-empty value."""
    if column not in frame:
        return False
    present = frame[column].dropna()
    return bool(len(present)) and bool((present.astype(str).str.strip() != "").any())
