"""How a run is named to a person: what it is, not its id.

One definition for every picker, table, chart legend and report: the architecture, the settings
that differ from its defaults (``BPR-MF · 30 epochs · d=64``), the protocol, its headline metric
and its age; a derived run names what it did to its parent (``BPR-MF re-ranked: mmr=0.5``). Runs
that would share a label are told apart by their id's suffix. The run id stays the key; the
label is only shown.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from recsys_core.errors import RecScopeError
from recsys_core.evaluation.headline import headline_metrics
from recsys_core.models import get_model_class
from recsys_core.registry.runs import RunRecord

#: How a changed setting reads; the others read ``name=value``.
SETTING_FORMS: dict[str, str] = {
    "n_epochs": "{} epochs",
    "dim": "d={}",
    "neighbours": "{} neighbours",
    "seed": "seed {}",
}
#: Settings never worth a label (where a model runs, not what it is).
IGNORED_SETTINGS = frozenset({"device", "threads"})
#: At most this many changed settings are named; the rest are summed up as "+N more".
MAX_SETTINGS = 3


def architecture_label(model_name: str) -> str:
    """The registered architecture's label (``BPR-MF``), or the name for an unknown one."""
    try:
        return str(get_model_class(model_name).label)
    except RecScopeError:
        return model_name


def changed_settings(model_name: str, config: Mapping[str, Any]) -> list[str]:
    """The settings of ``config`` that differ from the architecture's defaults, in field order,
    each as a person reads it (``30 epochs``, ``d=64``, ``lr=0.01``)."""
    try:
        defaults = get_model_class(model_name).config_class()
    except RecScopeError:
        return []
    words = []
    for field in dataclasses.fields(defaults):
        name = field.name
        if name in IGNORED_SETTINGS or name not in config:
            continue
        value, default = config[name], getattr(defaults, name)
        if _same(value, default):
            continue
        words.append(SETTING_FORMS.get(name, name + "={}").format(_text(value)))
    if len(words) > MAX_SETTINGS:
        words = [*words[:MAX_SETTINGS], f"+{len(words) - MAX_SETTINGS} more"]
    return words


def what_it_is(record: RunRecord) -> str:
    """Architecture and changed settings, or what a derived run did to its parent's model."""
    model_config = dict(record.config.get("model", {}))
    base = str(model_config.get("base_model") or "")
    if record.kind == "rerank" and base:
        weights = str(model_config.get("weights") or "no weights")
        return f"{architecture_label(base)} re-ranked: {weights}"
    if record.kind == "calibrated" and base:
        return f"{architecture_label(base)} calibrated: {model_config.get('method', '?')}"
    return " · ".join(
        [architecture_label(record.model), *changed_settings(record.model, model_config)]
    )


def age_text(created_at: datetime, now: datetime | None = None) -> str:
    """``just now``, ``5 min ago``, ``3 h ago``, ``2 d ago``; a date beyond a month."""
    now, created = (_utc(t) for t in (now or datetime.now(UTC), created_at))
    seconds = max((now - created).total_seconds(), 0.0)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min ago"
    if seconds < 86_400:
        return f"{seconds // 3600:.0f} h ago"
    if seconds < 30 * 86_400:
        return f"{seconds // 86_400:.0f} d ago"
    return f"{created:%Y-%m-%d}"


def _utc(moment: datetime) -> datetime:
    """A naive time (the registry stores UTC) as an aware one."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_label(record: RunRecord, *, now: datetime | None = None, name: str | None = None) -> str:
    """What the run is (after the name a person gave it, if any), its protocol, its first
    headline metric with a value, and its age."""
    what = what_it_is(record)
    parts = [f"{name} ({what})" if name else what, str(record.protocol.get("name", "?"))]
    for spec in headline_metrics(stage=record.stage or "retrieval"):
        value = record.metrics.get(spec.name)
        if value is not None and value == value:
            parts.append(f"{spec.label} {spec.render(value)}")
            break
    parts.append(age_text(record.created_at, now))
    return " · ".join(parts)


def run_labels(
    records: Iterable[RunRecord],
    *,
    now: datetime | None = None,
    names: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Run id -> label for a set of runs shown together (``names``: run id -> the name a person
    gave it, ``registry.names``); labels that would repeat (same settings, trained the same
    minute) end in their run id's suffix, so no two are alike."""
    records = list(records)
    now = now or datetime.now(UTC)
    names = names or {}
    labels = {
        record.run_id: run_label(record, now=now, name=names.get(record.run_id))
        for record in records
    }
    repeated = {label for label, count in Counter(labels.values()).items() if count > 1}
    return {
        run_id: f"{label} · {run_id.rsplit('-', 1)[-1][:6]}" if label in repeated else label
        for run_id, label in labels.items()
    }


def _same(value: Any, default: Any) -> bool:
    if isinstance(default, tuple):
        return tuple(value) == default if isinstance(value, list | tuple) else False
    if isinstance(default, float) and isinstance(value, int | float):
        return float(value) == default
    return bool(value == default)


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
