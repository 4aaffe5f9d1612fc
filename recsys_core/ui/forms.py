"""Hyperparameter forms generated from a model's config dataclass, so a newly registered
architecture gets its form by registration alone.

``form_fields`` reads ``dataclasses.fields(config_class)`` into ``FieldSpec`` rows (pure, testable
without Streamlit): the widget kind follows the type of the field's default (the same rule
``ModelConfig.from_dict`` coerces by), ``choices`` metadata gives a selectbox, ``min``/``max`` give
the bounds and ``help`` the tooltip. ``config_form`` draws them inside one ``st.form``, each under
a human label with the option's name (its ``--set`` key) in brackets. The widgets accept any
number, so a value out of bounds is not silently clamped by the browser: on submit each field is
checked with the config's own rules and a refused value is explained under its field.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

import streamlit as st

from recsys_core.config import coerce_value
from recsys_core.errors import ConfigError
from recsys_core.models import ModelConfig
from recsys_core.models.torch_base import TorchConfig

WidgetKind = Literal["int", "float", "choice", "bool", "text", "list"]
#: Options of the shared torch loop (epochs, learning rate, optimizer, device, ...): drawn after
#: the architecture's own options, and the seed every config inherits last.
_LOOP_FIELDS = tuple(f.name for f in dataclasses.fields(TorchConfig) if f.name != "seed")
_COMMON_FIELDS = frozenset(f.name for f in dataclasses.fields(ModelConfig))
#: Widgets per row of the form.
_COLUMNS = 3
#: How options shared by many architectures read; others read as their name in words
#: (``valid_fraction`` -> "Valid fraction").
LABELS: dict[str, str] = {
    "dim": "Latent dimension",
    "n_epochs": "Epochs",
    "lr": "Learning rate",
    "batch_size": "Batch size",
    "optimizer": "Optimizer",
    "grad_clip": "Gradient clipping (max norm)",
    "patience": "Early-stopping patience",
    "threads": "CPU threads",
    "device": "Device",
    "loss": "Loss",
    "l2": "L2 regularisation λ",
    "l2_min": "Smallest λ searched",
    "l2_max": "Largest λ searched",
    "l2_steps": "λ values searched",
    "seed": "Random seed",
    "init_std": "Initial weight spread",
    "neighbours": "Neighbours",
    "shrink": "Similarity shrinkage",
    "n_negatives": "Negatives per positive",
    "negative_rate": "Share of negatives kept",
    "min_df": "Minimum document frequency",
    "sublinear_tf": "Sublinear term frequency",
    "n_last": "Last items used",
}


def field_label(name: str) -> str:
    """``Latent dimension (dim)``: what the option is, then its name as ``--set`` takes it."""
    words = LABELS.get(name) or name.replace("_", " ").capitalize()
    return f"{words} ({name})"


@dataclass(frozen=True)
class FieldSpec:
    """How one config field is drawn.

    Attributes:
        name: the field name (also the CLI's ``--set`` key and the widget label).
        kind: ``int``/``float`` number input, ``choice`` selectbox, ``bool`` checkbox, ``text``,
            ``list`` (a tuple field such as layer sizes, typed as comma-separated values).
        default: the field's default value.
        help: the field's help text.
        min_value: lower bound of a number input (the field's type), or None.
        max_value: upper bound of a number input (the field's type), or None.
        choices: the options of a selectbox.
        step: the increment of a number input (1 for ints, about a tenth of the default's
            magnitude for floats).
    """

    name: str
    kind: WidgetKind
    default: Any
    help: str
    min_value: int | float | None = None
    max_value: int | float | None = None
    choices: tuple[Any, ...] = ()
    step: int | float | None = None


def form_fields(config_class: type[ModelConfig]) -> list[FieldSpec]:
    """One ``FieldSpec`` per field of ``config_class``: its own options, the torch loop's, the seed.

    Raises:
        ConfigError: a field whose default is not a bool, int, float or str and has no choices
            (give it ``choices`` metadata, or extend ``form_fields``).
    """
    fields = dataclasses.fields(config_class)
    shared = _COMMON_FIELDS | set(_LOOP_FIELDS)
    ordered = [f for f in fields if f.name not in shared]
    ordered += [f for f in fields if f.name in _LOOP_FIELDS]
    ordered += [f for f in fields if f.name in _COMMON_FIELDS]
    return [_field_spec(config_class, f) for f in ordered]


def _field_spec(config_class: type[ModelConfig], f: dataclasses.Field[Any]) -> FieldSpec:
    meta, default = f.metadata, f.default
    help_text = str(meta.get("help", ""))
    if "choices" in meta:
        return FieldSpec(f.name, "choice", default, help_text, choices=tuple(meta["choices"]))
    if isinstance(default, bool):
        return FieldSpec(f.name, "bool", default, help_text)
    if isinstance(default, int):
        return FieldSpec(
            f.name,
            "int",
            default,
            help_text,
            min_value=_bound(meta.get("min"), int),
            max_value=_bound(meta.get("max"), int),
            step=1,
        )
    if isinstance(default, float):
        return FieldSpec(
            f.name,
            "float",
            default,
            help_text,
            min_value=_bound(meta.get("min"), float),
            max_value=_bound(meta.get("max"), float),
            step=float_step(default),
        )
    if isinstance(default, str):
        return FieldSpec(f.name, "text", default, help_text)
    if isinstance(default, tuple):
        text = ",".join(str(value) for value in default)
        return FieldSpec(f.name, "list", text, f"{help_text} Comma-separated, e.g. {text}.")
    raise ConfigError(
        f"{config_class.__name__}.{f.name} has a default of type {type(default).__name__}, which "
        "the Train page cannot draw; give it choices metadata or make it a bool/int/float/str "
        "or a tuple of those"
    )


def _bound(value: Any, kind: type[int] | type[float]) -> int | float | None:
    return None if value is None else kind(value)


def float_step(default: float) -> float:
    """A number input's increment for a float: a tenth of the default's order of magnitude
    (lr 0.002 -> 0.0001, shrink 10 -> 1), 0.01 for a zero default."""
    if default == 0 or not math.isfinite(default):
        return 0.01
    return 10.0 ** (math.floor(math.log10(abs(default))) - 1)


def draw_field(spec: FieldSpec, *, key: str) -> Any:
    """Draw one field's widget (inside the caller's form) and return its current value."""
    label = field_label(spec.name)
    if spec.kind == "choice":
        return st.selectbox(
            label, spec.choices, index=spec.choices.index(spec.default), help=spec.help, key=key
        )
    if spec.kind == "bool":
        return st.checkbox(label, value=spec.default, help=spec.help, key=key)
    if spec.kind in ("text", "list"):
        return st.text_input(label, value=spec.default, help=spec.help, key=key)
    return st.number_input(
        label,
        value=spec.default,
        step=spec.step,
        format="%d" if spec.kind == "int" else "%g",
        help=_with_bounds(spec),
        key=key,
    )


def field_problem(config_class: type[ModelConfig], name: str, value: Any) -> str | None:
    """Why ``value`` cannot be option ``name`` of ``config_class`` (the config's own coercion and
    bounds), in the form's words; None when it can."""
    f = next(f for f in dataclasses.fields(config_class) if f.name == name)
    try:
        coerced = coerce_value(config_class.__name__, f, value)
        config_class.from_dict({name: coerced})
    except ConfigError as exc:
        return str(exc).replace(f"{config_class.__name__}.", "", 1)
    return None


def _with_bounds(spec: FieldSpec) -> str:
    bounds = []
    if spec.min_value is not None:
        bounds.append(f"at least {spec.min_value:g}")
    if spec.max_value is not None:
        bounds.append(f"at most {spec.max_value:g}")
    return spec.help + (f" ({' and '.join(bounds)})" if bounds else "")


def config_form(
    config_class: type[ModelConfig],
    *,
    key: str,
    submit_label: str = "Train",
    disabled: bool = False,
) -> dict[str, Any] | None:
    """A ``st.form`` with one widget per config field and a submit button.

    Args:
        config_class: the architecture's config dataclass.
        key: the form's key; each widget's key is ``<key>.<field name>``, so forms of different
            architectures keep their own values.
        submit_label: the submit button's label.
        disabled: draw the submit button disabled (the dataset cannot feed the model, or a job of
            this session is still running).

    Returns:
        ``{field name: value}`` on the run where the form was submitted, else None.
    """
    specs = form_fields(config_class)
    submit_key = f"{key}.submit"
    submitting = bool(st.session_state.get(submit_key))
    problems: dict[str, str] = {}
    with st.form(key):
        columns = st.columns(_COLUMNS)
        values = {}
        for i, spec in enumerate(specs):
            with columns[i % _COLUMNS]:
                values[spec.name] = draw_field(spec, key=f"{key}.{spec.name}")
                problem = field_problem(config_class, spec.name, values[spec.name])
                if problem is not None and submitting:
                    problems[spec.name] = problem
                    st.error(problem)
        submitted = st.form_submit_button(
            submit_label, type="primary", disabled=disabled, key=submit_key
        )
    if submitted and problems:
        st.error(
            f"Not trained: {len(problems)} value(s) are not allowed "
            f"({', '.join(field_label(n) for n in problems)}); fix the marked fields."
        )
        return None
    return values if submitted else None
