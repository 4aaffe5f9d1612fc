"""Config dataclasses: ``param()`` declares help and bounds, ``Config`` coerces and checks.

Model configs, re-ranker configs and the Train page's generated forms all read this metadata, so
it lives in a module that imports nothing heavy. A field's type is the type of its default (bool,
int, float, str, or a tuple of one of those, such as layer sizes ``(512, 128, 64)``). Values from
JSON, the CLI (``--set layers=512,128,64``) and the forms arrive as strings or lists and are
coerced in ``__post_init__``, which also validates, so a bad value is refused at construction
(``BPRConfig(dim=-5)`` raises) and every config stays frozen and hashable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from recsys_core.errors import ConfigError

#: Metadata keys ``param()`` accepts: bounds apply to each element of a tuple field.
PARAM_METADATA = frozenset({"min", "max", "choices", "min_len", "max_len", "element"})
_SCALARS = (bool, int, float, str)


def param(default: Any, help: str, **bounds: Any) -> Any:  # noqa: A002 - mirrors argparse's name
    """A config field with its help text and optional ``min``/``max``/``choices`` metadata.

    A tuple default makes a tuple field; ``min_len``/``max_len`` bound its length and
    ``min``/``max``/``choices`` apply to every element. An empty tuple default names its element
    type with ``element=str`` (otherwise the type of its first element; int when empty).
    """
    unknown = set(bounds) - PARAM_METADATA
    if unknown:
        raise TypeError(f"param() got unknown metadata {sorted(unknown)}")
    return field(default=default, metadata={"help": help, **bounds})


def element_type(f: dataclasses.Field[Any]) -> type:
    """The scalar type of a field: its default's type, or a tuple default's element type."""
    default = f.default
    if "element" in f.metadata:
        return f.metadata["element"]
    if isinstance(default, tuple):
        return type(default[0]) if default else int
    return type(default)


@dataclass(frozen=True)
class Config:
    """Base of every options dataclass: coercion and validation at construction, JSON round trip.

    A subclass that defines its own ``__post_init__`` calls ``super().__post_init__()`` first.
    """

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = coerce_value(type(self).__name__, f, getattr(self, f.name))
            object.__setattr__(self, f.name, value)
        self.validate()

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values (tuples become lists in JSON and come back as tuples)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Self:
        """Build and validate a config; unknown keys or bad values raise ``ConfigError``."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ConfigError(
                f"{cls.__name__} has no option {', '.join(map(repr, unknown))}; "
                f"valid options are: {', '.join(sorted(names))}"
            )
        return cls(**values)

    def validate(self) -> None:
        """Check every field against its ``min``/``max``/``choices``/length metadata."""
        owner = type(self).__name__
        for f in dataclasses.fields(self):
            value, meta = getattr(self, f.name), f.metadata
            if isinstance(f.default, tuple):
                _check_length(owner, f, value)
                for element in value:
                    _check_bounds(owner, f.name, element, meta)
            else:
                _check_bounds(owner, f.name, value, meta)


def coerce_value(owner: str, f: dataclasses.Field[Any], value: Any) -> Any:
    """Turn a JSON/CLI/form value into the field's type; ``ConfigError`` names the field."""
    target = element_type(f)
    if target not in _SCALARS:
        return value
    if isinstance(f.default, tuple):
        if isinstance(value, str):
            parts = [p.strip() for p in value.strip().strip("()[]").split(",")]
            value = [p for p in parts if p]
        if not isinstance(value, list | tuple):
            raise ConfigError(
                f"{owner}.{f.name}={value!r} is not a list; give comma-separated values "
                f"such as {','.join(map(str, f.default)) or '64,32'}"
            )
        return tuple(_coerce_scalar(owner, f, target, v) for v in value)
    return _coerce_scalar(owner, f, target, value)


def _coerce_scalar(owner: str, f: dataclasses.Field[Any], target: type, value: Any) -> Any:
    if type(value) is target:
        return value
    try:
        if target is bool:
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered in {"1", "true", "yes", "on"}:
                    return True
                if lowered in {"0", "false", "no", "off"}:
                    return False
            elif isinstance(value, int | float) and value in (0, 1):
                return bool(value)
            raise ValueError(value)
        if target is int:
            if isinstance(value, bool):
                raise ValueError(value)
            as_float = float(value)
            if not as_float.is_integer():
                raise ValueError(value)
            return int(as_float)
        if target is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if isinstance(value, str):
            return value
        raise ValueError(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(
            f"{owner}.{f.name}={value!r} is not a valid {target.__name__}; "
            f"{f.metadata.get('help', '')}".rstrip("; ")
        ) from None


def _check_bounds(owner: str, name: str, value: Any, meta: Mapping[str, Any]) -> None:
    if "choices" in meta and value not in meta["choices"]:
        raise ConfigError(f"{owner}.{name}={value!r} is not one of {list(meta['choices'])}")
    if isinstance(value, float) and value != value:
        raise ConfigError(f"{owner}.{name} is NaN; give a number")
    if "min" in meta and value < meta["min"]:
        raise ConfigError(f"{owner}.{name}={value!r} is below its minimum {meta['min']}")
    if "max" in meta and value > meta["max"]:
        raise ConfigError(f"{owner}.{name}={value!r} is above its maximum {meta['max']}")


def _check_length(owner: str, f: dataclasses.Field[Any], value: tuple[Any, ...]) -> None:
    low, high = f.metadata.get("min_len", 0), f.metadata.get("max_len")
    if len(value) < low:
        raise ConfigError(f"{owner}.{f.name} needs at least {low} value(s), got {len(value)}")
    if high is not None and len(value) > high:
        raise ConfigError(f"{owner}.{f.name} takes at most {high} value(s), got {len(value)}")
