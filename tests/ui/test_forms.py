"""Hyperparameter forms generated from config dataclasses, over every registered architecture."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from recsys_core.config import param
from recsys_core.errors import ConfigError
from recsys_core.models import ModelConfig, get_model_class, list_models
from recsys_core.ui.forms import field_label, float_step, form_fields

#: The widget an independent reading of a field calls for: choices first, then the default's type.
EXPECTED_KIND = {bool: "bool", int: "int", float: "float", str: "text"}
#: The AppTest accessor of each widget kind.
ACCESSOR = {
    "int": "number_input",
    "float": "number_input",
    "choice": "selectbox",
    "bool": "checkbox",
    "text": "text_input",
}


def _expected_kind(f: dataclasses.Field[Any]) -> str:
    if "choices" in f.metadata:
        return "choice"
    return EXPECTED_KIND[type(f.default)]


@pytest.mark.parametrize("model_name", list_models())
def test_every_field_gets_its_widget_kind_default_bounds_and_help(model_name: str) -> None:
    config_class = get_model_class(model_name).config_class
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    specs = form_fields(config_class)
    assert sorted(s.name for s in specs) == sorted(fields)
    assert specs[-1].name == "seed"  # the common field comes after the model's own
    for spec in specs:
        f = fields[spec.name]
        assert spec.kind == _expected_kind(f), spec.name
        assert spec.default == f.default and type(spec.default) is type(f.default)
        assert spec.help == f.metadata["help"] and spec.help
        if spec.kind == "choice":
            assert spec.choices == tuple(f.metadata["choices"])
            assert spec.default in spec.choices
        if spec.kind in {"int", "float"}:
            assert spec.min_value == f.metadata.get("min")
            assert spec.max_value == f.metadata.get("max")
            cast = int if spec.kind == "int" else float
            for bound in (spec.min_value, spec.max_value):
                assert bound is None or type(bound) is cast


def test_seed_and_a_model_option_are_read_exactly() -> None:
    specs = {s.name: s for s in form_fields(get_model_class("bpr").config_class)}
    assert specs["seed"].kind == "int" and specs["seed"].min_value == 0
    assert specs["seed"].max_value is None and specs["seed"].step == 1
    lr = specs["lr"]
    assert (lr.kind, lr.default, lr.min_value, lr.max_value) == ("float", 2e-3, 1e-6, 1.0)
    assert lr.step == pytest.approx(1e-4)
    assert specs["device"].choices == ("auto", "cpu", "cuda")


@pytest.mark.parametrize(
    ("default", "step"), [(2e-3, 1e-4), (10.0, 1.0), (0.15, 0.01), (2000.0, 100.0), (0.0, 0.01)]
)
def test_float_step_is_a_tenth_of_the_order_of_magnitude(default: float, step: float) -> None:
    assert float_step(default) == pytest.approx(step)


def test_a_field_type_the_form_cannot_draw_is_refused_with_a_fix() -> None:
    @dataclass(frozen=True)
    class MappingConfig(ModelConfig):
        weights: frozenset[int] = param(frozenset({8, 4}), "Weights.")

    with pytest.raises(ConfigError, match="MappingConfig.weights .*choices metadata"):
        form_fields(MappingConfig)


def _render_form(model_name: str) -> None:
    import streamlit as st

    from recsys_core.models import get_model_class
    from recsys_core.ui.forms import config_form

    values = config_form(get_model_class(model_name).config_class, key="form")
    if values is not None:
        st.session_state["submitted"] = values


@pytest.mark.parametrize("model_name", list_models())
def test_rendered_form_shows_each_default_and_submits_a_valid_config(model_name: str) -> None:
    config_class = get_model_class(model_name).config_class
    at = AppTest.from_function(_render_form, args=(model_name,), default_timeout=60).run()
    assert not at.exception
    for spec in form_fields(config_class):
        widget = getattr(at, ACCESSOR[spec.kind])(key=f"form.{spec.name}")
        assert widget.value == spec.default, spec.name
        assert widget.label == field_label(spec.name) and widget.label.endswith(f"({spec.name})")
        assert widget.help.startswith(spec.help)
        if spec.kind in {"int", "float"}:
            # no browser-side clamping: bounds are checked on submit and named in the help
            assert widget.min is None and widget.max is None
            if spec.min_value is not None:
                assert f"at least {spec.min_value:g}" in widget.help
        if spec.kind == "choice":
            assert list(widget.options) == [str(c) for c in spec.choices]
    assert "submitted" not in at.session_state
    at.button(key="form.submit").click().run()
    submitted = at.session_state["submitted"]
    assert config_class.from_dict(submitted) == config_class()


def test_changed_values_come_back_typed_on_submit() -> None:
    at = AppTest.from_function(_render_form, args=("bpr",), default_timeout=60).run()
    at.number_input(key="form.n_epochs").set_value(7)
    at.number_input(key="form.lr").set_value(0.05)
    at.selectbox(key="form.device").set_value("cpu")
    at.button(key="form.submit").click().run()
    submitted = at.session_state["submitted"]
    assert submitted["n_epochs"] == 7 and isinstance(submitted["n_epochs"], int)
    assert submitted["lr"] == pytest.approx(0.05) and submitted["device"] == "cpu"
    config = get_model_class("bpr").config_class.from_dict(submitted)
    assert (config.n_epochs, config.device) == (7, "cpu")


def test_disabled_form_cannot_submit() -> None:
    def render() -> None:
        import streamlit as st

        from recsys_core.models import get_model_class
        from recsys_core.ui.forms import config_form

        config_class = get_model_class("popularity").config_class
        st.session_state["result"] = config_form(config_class, key="form", disabled=True)

    at = AppTest.from_function(render, default_timeout=60).run()
    assert at.button(key="form.submit").disabled
    assert at.session_state["result"] is None


def test_architecture_options_come_before_the_torch_loop_and_the_seed_last() -> None:
    names = [spec.name for spec in form_fields(get_model_class("logistic").config_class)]
    assert names[:3] == ["features", "n_negatives", "l2"]
    assert names.index("l2") < names.index("n_epochs") < names.index("device")
    assert names[-1] == "seed"


def test_a_value_out_of_bounds_is_refused_at_its_field_and_nothing_is_submitted() -> None:
    at = AppTest.from_function(_render_form, args=("bpr",), default_timeout=60).run()
    at.number_input(key="form.dim").set_value(0)
    at.number_input(key="form.lr").set_value(-5.0)
    at.button(key="form.submit").click().run()
    assert not at.exception
    assert "submitted" not in at.session_state
    errors = [e.value for e in at.error]
    assert "dim=0 is below its minimum 1" in errors
    assert any(e.startswith("lr=-5.0 is below its minimum") for e in errors)
    assert any(
        "Not trained: 2 value(s) are not allowed" in e and "Latent dimension (dim)" in e
        for e in errors
    )
    at.number_input(key="form.dim").set_value(16)
    at.number_input(key="form.lr").set_value(0.01)
    at.button(key="form.submit").click().run()
    assert at.session_state["submitted"]["dim"] == 16 and not at.error


def test_labels_say_what_an_option_is_and_keep_its_name() -> None:
    assert field_label("dim") == "Latent dimension (dim)"
    assert field_label("valid_fraction") == "Valid fraction (valid_fraction)"
