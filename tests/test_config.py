"""Config dataclasses: coercion from JSON/CLI/form values, validation at construction, hashing."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from recsys_core.config import Config, param
from recsys_core.errors import ConfigError
from recsys_core.models.retrieval.bpr import BPRConfig
from recsys_core.ui.forms import form_fields


@dataclass(frozen=True)
class TowerConfig(Config):
    layers: tuple[int, ...] = param((512, 128, 64), "Hidden layer sizes.", min=1, min_len=1)
    dropouts: tuple[float, ...] = param((0.1, 0.0), "Dropout per layer.", min=0.0, max=1.0)
    act: str = param("relu", "Activation.", choices=("relu", "gelu"))
    wide: bool = param(False, "Add a wide part.")


def test_tuple_fields_coerce_from_cli_strings_json_lists_and_stay_hashable() -> None:
    from_cli = TowerConfig.from_dict({"layers": "512,128,64", "dropouts": "0.5, 0.25"})
    assert from_cli.layers == (512, 128, 64) and from_cli.dropouts == (0.5, 0.25)
    from_json = TowerConfig.from_dict(json.loads(json.dumps(from_cli.to_dict())))
    assert from_json == from_cli and hash(from_json) == hash(from_cli)
    assert TowerConfig(layers=[32, 16.0]).layers == (32, 16)  # type: ignore[arg-type]
    assert TowerConfig(layers="(8, 4)").layers == (8, 4)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"layers": "512,abc"}, "layers='abc' is not a valid int"),
        ({"layers": "512,0"}, "layers=0 is below its minimum 1"),
        ({"layers": ""}, "needs at least 1 value"),
        ({"layers": 5}, "is not a list"),
        ({"dropouts": "0.5,1.5"}, "dropouts=1.5 is above its maximum 1.0"),
        ({"act": "tanh"}, "is not one of ['relu', 'gelu']"),
        ({"wide": "maybe"}, "wide='maybe' is not a valid bool"),
        ({"depth": 3}, "has no option 'depth'"),
    ],
)
def test_bad_values_are_refused_by_name(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        TowerConfig.from_dict(values)
    assert message in str(error.value)


def test_model_configs_validate_at_construction_not_only_from_dicts() -> None:
    with pytest.raises(ConfigError, match=r"BPRConfig.dim=-5 is below its minimum 1"):
        BPRConfig(dim=-5)
    with pytest.raises(ConfigError, match=r"BPRConfig.lr=-5.0 is below its minimum"):
        BPRConfig(lr=-5)
    with pytest.raises(ConfigError, match=r"BPRConfig.n_epochs=True is not a valid int"):
        BPRConfig(n_epochs=True)
    with pytest.raises(ConfigError, match=r"BPRConfig.l2 is NaN"):
        BPRConfig(l2=float("nan"))
    assert BPRConfig(lr=1).lr == 1.0 and isinstance(BPRConfig(lr=1).lr, float)
    assert BPRConfig(dim="32").dim == 32  # type: ignore[arg-type]


def test_tuple_fields_get_a_comma_separated_text_input_in_the_train_form() -> None:
    spec = {s.name: s for s in form_fields(TowerConfig)}["layers"]
    assert spec.kind == "list" and spec.default == "512,128,64"
    assert TowerConfig.from_dict({"layers": spec.default}) == TowerConfig()


def test_an_empty_tuple_default_names_its_element_type() -> None:
    @dataclass(frozen=True)
    class ListConfig(Config):
        names: tuple[str, ...] = param((), "Item ids.", element=str)
        sizes: tuple[int, ...] = param((), "Sizes.")

    config = ListConfig.from_dict({"names": "a, b", "sizes": "3,4"})
    assert config.names == ("a", "b") and config.sizes == (3, 4)
    assert ListConfig.from_dict({"names": ""}).names == ()
    with pytest.raises(ConfigError, match="sizes='x' is not a valid int"):
        ListConfig(sizes="x")  # type: ignore[arg-type]
