"""FeatureField/FeatureSpec: validation, JSON round trip, hashability and the default spec."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from recsys_core.data.features import FeatureField, FeatureSpec
from recsys_core.errors import ConfigError


def test_spec_round_trips_through_json_and_is_hashable() -> None:
    spec = FeatureSpec(
        (
            FeatureField("genres", "item", "genres", "multi_hot", min_count=2, sep=";"),
            FeatureField("age", "user", "age", "dense", n_quantiles=8, expansions=("sqrt",)),
            FeatureField("recent", "user", "recent_items", "history", max_len=5),
        )
    )
    again = FeatureSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec and hash(again) == hash(spec)
    assert again.fields[1].expansions == ("sqrt",)
    assert {spec: 1}[again] == 1
    assert [f.is_sparse for f in spec] == [True, False, True]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "a b"}, "letters, digits"),
        ({"source": "context"}, "source"),
        ({"kind": "embedding"}, "kind"),
        ({"kind": "history", "column": "clicks"}, "history column"),
        ({"kind": "history", "source": "item", "column": "recent_items"}, "user feature"),
        ({"kind": "history", "source": "interaction", "column": "count"}, "source user or item"),
        ({"expansions": ("cube",)}, "expansions"),
        ({"min_count": 0}, "min_count"),
        ({"n_quantiles": 1}, "n_quantiles"),
        ({"sep": ""}, "sep"),
    ],
)
def test_invalid_fields_are_rejected(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"name": "f", "source": "user", "column": "age", "kind": "dense"}
    with pytest.raises(ConfigError, match=message):
        FeatureField(**{**base, **kwargs})


def test_bad_payloads_are_explained() -> None:
    with pytest.raises(ConfigError, match="valid keys"):
        FeatureField.from_dict(
            {"name": "f", "source": "user", "column": "a", "kind": "dense", "x": 1}
        )
    with pytest.raises(ConfigError, match="incomplete"):
        FeatureField.from_dict({"name": "f"})
    field = FeatureField("f", "user", "age", "dense")
    with pytest.raises(ConfigError, match="unique"):
        FeatureSpec((field, field))
    with pytest.raises(ConfigError, match="fields"):
        FeatureSpec.from_dict({"columns": []})


def test_default_spec_uses_only_filled_columns() -> None:
    users = pd.DataFrame(
        {
            "age": pd.array([20, pd.NA], dtype="Int64"),
            "gender": ["F", "M"],
            "occupation": [None, None],
        }
    )
    items = pd.DataFrame(
        {
            "title": ["Toy Story (1995)", "Heat (1995)"],
            "genres": ["Animation", ""],
            "year": pd.array([1995, 1995], dtype="Int64"),
            "provider": pd.array([pd.NA, pd.NA], dtype="str"),
            "tags": ["", " "],
        }
    )
    spec = FeatureSpec.default_for(users, items)
    assert spec.names == (
        "age",
        "gender",
        "genres",
        "year",
        "title",
        "user_count",
        "item_count",
        "user_recent_items",
    )
    kinds = {f.name: (f.source, f.column, f.kind) for f in spec}
    assert kinds["genres"] == ("item", "genres", "multi_hot")
    assert kinds["title"] == ("item", "title", "hashed_text")
    assert kinds["user_recent_items"] == ("user", "recent_items", "history")
    full = FeatureSpec.default_for(
        None, items, include_ids=True, include_history=False, with_ratings=True
    )
    assert full.names[:2] == ("user_idx", "item_idx")
    assert full.names[-2:] == ("user_mean_rating", "item_mean_rating")
    assert "age" not in full.names and "user_count" not in full.names
