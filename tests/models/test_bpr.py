"""BPR-MF: the net's arithmetic, negative sampling, learning planted groups, seeds, cancel."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
import torch

from recsys_core.data.dataset import TrainSplit
from recsys_core.models.retrieval.bpr import BPR, BPRNet
from recsys_core.training import CancelSignal, TrainingCancelled, valid_ndcg_at_k

N_GROUPS, USERS_PER_GROUP, ITEMS_PER_GROUP, SEEN_PER_USER = 4, 12, 10, 6
FAST = {"n_epochs": 20, "lr": 0.05, "batch_size": 64, "dim": 8, "l2": 1e-3, "device": "cpu"}


def planted_groups(seed: int = 0) -> tuple[TrainSplit, TrainSplit]:
    """Users interact only with their own group's items: 6 of 10 in training, the rest held out."""
    rng = np.random.default_rng(seed)
    train_rows, held_rows = [], []
    for user in range(N_GROUPS * USERS_PER_GROUP):
        group = user // USERS_PER_GROUP
        own = group * ITEMS_PER_GROUP + rng.permutation(ITEMS_PER_GROUP)
        train_rows += [(user, item) for item in own[:SEEN_PER_USER]]
        held_rows += [(user, item) for item in own[SEEN_PER_USER:]]
    n_users, n_items = N_GROUPS * USERS_PER_GROUP, N_GROUPS * ITEMS_PER_GROUP

    def split(rows: list[tuple[int, int]]) -> TrainSplit:
        frame = pd.DataFrame(rows, columns=["user_idx", "item_idx"])
        return TrainSplit.from_frame(frame, n_users, n_items)

    return split(train_rows), split(held_rows)


@pytest.fixture(scope="module")
def fitted() -> BPR:
    return BPR(**FAST).fit(planted_groups()[0])


def test_net_scores_are_dot_product_plus_item_bias() -> None:
    torch.manual_seed(0)
    net = BPRNet(n_users=3, n_items=4, dim=2, init_std=0.5)
    torch.nn.init.normal_(net.item_bias.weight)
    users, items = torch.tensor([0, 2, 1]), torch.tensor([3, 0, 3])
    user_w, item_w = net.user_emb.weight.detach().numpy(), net.item_emb.weight.detach().numpy()
    bias = net.item_bias.weight.detach().numpy()[:, 0]
    expected = [
        user_w[u] @ item_w[i] + bias[i] for u, i in zip(users.tolist(), items.tolist(), strict=True)
    ]
    np.testing.assert_allclose(net(users, items).detach().numpy(), expected, rtol=1e-6)
    full = net.score_all_items(users).detach().numpy()
    assert full.shape == (3, 4)
    np.testing.assert_allclose(full[np.arange(3), items.numpy()], expected, rtol=1e-6)


def test_loss_falls_and_held_out_group_items_rank_far_above_chance(fitted: BPR) -> None:
    assert fitted.history_[-1].loss < 0.2 * fitted.history_[0].loss
    users = np.arange(N_GROUPS * USERS_PER_GROUP)
    top = fitted.recommend(users, k=ITEMS_PER_GROUP - SEEN_PER_USER).item_idx
    own_group = top // ITEMS_PER_GROUP == (users // USERS_PER_GROUP)[:, None]
    # 4 of the 34 unseen items belong to the user's group: chance is about 0.12.
    assert own_group.mean() > 0.7


def test_embeddings_are_float32_factors_that_reproduce_scores_up_to_the_item_bias(
    fitted: BPR,
) -> None:
    emb = fitted.embeddings()
    assert emb.user.dtype == np.float32 and emb.user.shape == (48, FAST["dim"])
    assert emb.item.dtype == np.float32 and emb.item.shape == (40, FAST["dim"])
    bias = fitted.net_.item_bias.weight.detach().numpy()[:, 0]
    np.testing.assert_allclose(
        fitted.score(np.arange(48)), emb.user @ emb.item.T + bias, rtol=1e-5, atol=1e-5
    )


def test_same_seed_gives_identical_factors_and_another_seed_does_not() -> None:
    train = planted_groups()[0]
    options = {**FAST, "n_epochs": 3}
    first = BPR(**options).fit(train).embeddings()
    again = BPR(**options).fit(train).embeddings()
    other = BPR(**options, seed=1).fit(train).embeddings()
    np.testing.assert_array_equal(first.user, again.user)
    np.testing.assert_array_equal(first.item, again.item)
    assert not np.array_equal(first.item, other.item)


def test_validation_reports_ndcg_and_early_stopping_keeps_the_best_epoch() -> None:
    train, valid = planted_groups()
    model = BPR(**{**FAST, "n_epochs": 40, "lr": 0.2, "patience": 2}).fit(train, valid=valid)
    history = [report.metrics["valid_ndcg@10"] for report in model.history_]
    assert len(history) < 40  # this learning rate peaks early, so patience runs out
    assert history[-1] < max(history)  # so the restored weights differ from the last epoch's
    assert valid_ndcg_at_k(model, valid, k=10) == pytest.approx(max(history))


def test_set_cancel_signal_stops_fit_with_training_cancelled() -> None:
    event = threading.Event()
    event.set()
    with pytest.raises(TrainingCancelled):
        BPR(**FAST).fit(planted_groups()[0], callbacks=[CancelSignal(event)])
