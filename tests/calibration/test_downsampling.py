"""Negative downsampling: the row sampler, the correction q = p / (p + (1 - p) / w), and the
logistic ranker trained with ``negative_rate``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.special import expit, logit

from recsys_core.calibration.downsampling import (
    correct_logits,
    correct_probabilities,
    downsample_rows,
)
from recsys_core.data import store
from recsys_core.data.labels import split_labels
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import ConfigError
from recsys_core.experiment import prepare_split
from recsys_core.models import get_model_class


def test_the_correction_recovers_the_true_base_rate() -> None:
    rng = np.random.default_rng(0)
    labels = rng.uniform(size=400_000) < 0.1  # true base rate 10%
    for rate in (0.5, 0.25, 0.05):
        kept = labels | (rng.uniform(size=len(labels)) < rate)
        thinned = labels[kept].mean()  # what a model trained on the kept rows learns
        assert thinned > 0.1 + 0.05
        assert correct_probabilities(np.array([thinned]), rate)[0] == pytest.approx(0.1, abs=3e-3)


def test_the_correction_is_a_logit_shift_and_the_identity_at_rate_one() -> None:
    p = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
    np.testing.assert_allclose(correct_probabilities(p, 0.25), p / (p + (1 - p) * 4))
    s = logit(p[1:-1])
    np.testing.assert_allclose(expit(correct_logits(s, 0.25)), correct_probabilities(p[1:-1], 0.25))
    np.testing.assert_allclose(correct_probabilities(p, 1.0), p)
    np.testing.assert_allclose(correct_logits(s, 1.0), s)
    with pytest.raises(ConfigError, match=r"\(0, 1\]"):
        correct_probabilities(p, 0.0)
    with pytest.raises(ConfigError, match=r"\(0, 1\]"):
        correct_logits(s, 4.0)  # the share kept, not 1 / share


def test_downsample_rows_keeps_every_positive_and_a_share_of_negatives() -> None:
    labels = torch.cat([torch.ones(1000), torch.zeros(20_000)])
    ids = torch.arange(len(labels))
    generator = torch.Generator().manual_seed(0)
    kept_ids, kept_labels = downsample_rows((ids, labels), labels, 0.25, generator)
    assert int(kept_labels.sum()) == 1000
    assert (kept_labels == 0).sum().item() == pytest.approx(5000, rel=0.05)
    assert torch.equal(labels[kept_ids], kept_labels)
    assert torch.all(kept_ids[1:] > kept_ids[:-1])  # original order, no repeats
    again = downsample_rows((ids, labels), labels, 0.25, generator)[0]
    assert not torch.equal(again, kept_ids)  # a fresh draw each epoch


def test_rate_one_returns_the_rows_untouched_without_drawing() -> None:
    labels = torch.tensor([1.0, 0.0, 0.0])
    rows = (torch.arange(3), labels)
    generator = torch.Generator().manual_seed(5)
    state = generator.get_state()
    assert downsample_rows(rows, labels, 1.0, generator) is rows
    assert torch.equal(generator.get_state(), state)  # bit-identical training at rate 1


@pytest.fixture(scope="module")
def synthetic_split(tmp_path_factory: pytest.TempPathFactory) -> object:
    db = tmp_path_factory.mktemp("downsampling") / "syn.duckdb"
    frames = generate_synthetic(name="syn", n_users=200, n_items=150, n_interactions=5000, seed=3)
    store.write_dataset(frames, path=db)
    protocol = custom_protocol(SplitSpec(kind="random", test=0.1, valid=0.1, seed=1))
    return prepare_split("syn", protocol, path=Path(db))[1]


def test_the_logistic_ranker_learns_the_thinned_mix_and_the_correction_undoes_it(
    synthetic_split: object,
) -> None:
    train = synthetic_split.train  # type: ignore[attr-defined]
    rows = split_labels(train)
    base_rate = float(rows.label.mean())
    cls = get_model_class("logistic")
    assert cls().downsampling_rate() == 1.0
    model = cls(n_epochs=5, negative_rate=0.25, seed=2).fit(train)
    assert model.downsampling_rate() == 0.25
    logits = model.score(rows.user_idx, rows.item_idx)
    thinned = base_rate / (base_rate + (1 - base_rate) * 0.25)
    assert np.mean(expit(logits)) == pytest.approx(thinned, abs=0.03)
    assert np.mean(expit(correct_logits(logits, 0.25))) == pytest.approx(base_rate, abs=0.02)
    with pytest.raises(ConfigError, match="negative_rate"):
        cls(negative_rate=0.0)


def test_without_labels_the_rate_thins_the_drawn_negatives(synthetic_split: object) -> None:
    train = replace(synthetic_split.train, label=None, impressions=None)  # type: ignore[attr-defined]
    model = get_model_class("logistic")(n_negatives=4, negative_rate=0.5)
    model._start_fit(train)  # what fit() does before asking for batches
    model.prepare(train, None)
    model.device_ = torch.device("cpu")
    epoch = model.batches(train, torch.Generator().manual_seed(0))
    labels = torch.cat([batch[2] for batch in epoch()])
    n_pos = int(labels.sum())
    assert n_pos == model.seen_.nnz
    assert (labels == 0).sum().item() == pytest.approx(4 * 0.5 * n_pos, rel=0.06)
