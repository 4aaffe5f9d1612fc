"""Which preset a dataset suits: the benchmark it was published on, or the synthetic preset."""

from __future__ import annotations

import pytest

from recsys_core.data.protocols import PROTOCOLS, suggested_protocol


@pytest.mark.parametrize(
    ("name", "source", "preset"),
    [
        ("ml-100k", "https://files.grouplens.org/datasets/movielens/ml-100k.zip", "msr-100k"),
        ("ml-1m", "/data/ml-1m.zip", "recbole-general"),
        ("synthetic", "generator:seed=42", "synthetic-user"),
        ("my-catalogue", "generator:seed=7", "synthetic-user"),
        ("shop", "upload:interactions.csv", "recbole-general"),
    ],
)
def test_each_dataset_gets_the_preset_it_suits(name: str, source: str, preset: str) -> None:
    assert suggested_protocol(name, source) == preset
    assert preset in PROTOCOLS


def test_the_synthetic_preset_keeps_every_user_and_holds_out_a_fifth() -> None:
    protocol = PROTOCOLS["synthetic-user"]
    assert protocol.core == 0 and protocol.min_rating is None
    assert protocol.relevant_min_rating is None
    assert (protocol.split.kind, protocol.split.test, protocol.split.valid) == ("user", 0.2, 0.1)
