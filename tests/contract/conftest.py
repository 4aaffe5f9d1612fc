"""Setup of the contract suite: the checkerboard dataset and options chosen by capability.

The checkerboard has two user groups and two item groups. Every user interacts with all the items
of their own group but one (rated 4 or 5) and never with the other group's items, so any model
that learns from co-occurrence, factors or item text should put the held-out item first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from recsys_core.data.dataset import TrainSplit
from recsys_core.models import Recommender, get_model_class
from recsys_core.types import IntArray

N_GROUPS = 2
USERS_PER_GROUP = 8
ITEMS_PER_GROUP = 5
#: Title words, genres and tags of each item group, so content models see the groups too.
GROUP_TEXT = (
    ("Space Robots", "Sci-Fi|Action", "space|robots"),
    ("Love Letters", "Romance|Drama", "love|letters"),
)

#: Options for the tiny checkerboard, applied to every config that has the field: short, fast
#: training for any torch model, so a new architecture needs no entry here.
SMALL_DATA_OPTIONS: dict[str, Any] = {
    "n_epochs": 60,
    "lr": 0.05,
    "batch_size": 16,
    "dim": 8,
    "l2": 1e-3,
    "device": "cpu",
}


@dataclass(frozen=True)
class Checkerboard:
    """The contract dataset.

    Attributes:
        train: the training rows (every in-group item of each user but the held-out one).
        held_out: (U,) the in-group item left out of each user's training rows.
        user_group: (U,) group of each user.
        item_group: (I,) group of each item.
    """

    train: TrainSplit
    held_out: IntArray
    user_group: IntArray
    item_group: IntArray

    def train_valid(self) -> tuple[TrainSplit, TrainSplit]:
        """The training rows with each user's last row moved to a validation split."""
        rows = self.train
        last = np.r_[rows.user_idx[1:] != rows.user_idx[:-1], True]

        def part(mask: np.ndarray) -> TrainSplit:
            return dataclasses.replace(
                rows,
                user_idx=rows.user_idx[mask],
                item_idx=rows.item_idx[mask],
                rating=None if rows.rating is None else rows.rating[mask],
                timestamp=None if rows.timestamp is None else rows.timestamp[mask],
            )

        return part(~last), part(last)


def make_checkerboard() -> Checkerboard:
    """Build the two-group checkerboard with ratings, an items frame and a users frame."""
    n_users, n_items = N_GROUPS * USERS_PER_GROUP, N_GROUPS * ITEMS_PER_GROUP
    user_group = np.arange(n_users) // USERS_PER_GROUP
    item_group = np.arange(n_items) // ITEMS_PER_GROUP
    held_out = user_group * ITEMS_PER_GROUP + np.arange(n_users) % ITEMS_PER_GROUP
    rows = [
        (user, item, 4.0 + (user + item) % 2)
        for user in range(n_users)
        for item in np.flatnonzero(item_group == user_group[user])
        if item != held_out[user]
    ]
    frame = pd.DataFrame(rows, columns=["user_idx", "item_idx", "rating"])
    frame["timestamp"] = np.arange(len(frame), dtype=np.int64) + 1_700_000_000
    items = pd.DataFrame(
        {
            "item_id": [f"i{item}" for item in range(n_items)],
            "title": [
                f"{GROUP_TEXT[g][0]} Episode {item % ITEMS_PER_GROUP + 1} (2001)"
                for item, g in enumerate(item_group)
            ],
            "genres": [GROUP_TEXT[g][1] for g in item_group],
            "year": pd.array([2001] * n_items, dtype="Int64"),
            "provider": pd.array([pd.NA] * n_items, dtype="string"),
            "release_ts": pd.array([pd.NA] * n_items, dtype="Int64"),
            "tags": [GROUP_TEXT[g][2] for g in item_group],
        }
    )
    users = pd.DataFrame(
        {
            "user_id": [f"u{user}" for user in range(n_users)],
            "age": pd.array([30] * n_users, dtype="Int64"),
            "gender": ["F" if user % 2 else "M" for user in range(n_users)],
            "occupation": ["other"] * n_users,
            "zip": ["00000"] * n_users,
        }
    )
    train = TrainSplit.from_frame(frame, n_users, n_items, items, users)
    return Checkerboard(train, held_out, user_group, item_group)


def write_group_embeddings(directory: Path, board: Checkerboard) -> dict[str, Any]:
    """Precomputed source for the checkerboard: one-hot group vectors for users and items."""
    np.save(directory / "user_embeddings.npy", np.eye(N_GROUPS)[board.user_group])
    np.save(directory / "item_embeddings.npy", np.eye(N_GROUPS)[board.item_group])
    return {"source": str(directory), "kind": "embeddings"}


#: Models whose options name files written for the checkerboard: (empty dir, board) -> options.
SOURCE_WRITERS: dict[str, Callable[[Path, Checkerboard], dict[str, Any]]] = {
    "precomputed": write_group_embeddings,
}


@pytest.fixture(scope="session")
def board() -> Checkerboard:
    return make_checkerboard()


def small_data_options(name: str) -> dict[str, Any]:
    """The ``SMALL_DATA_OPTIONS`` that ``name``'s config has (its defaults for the rest)."""
    fields = {f.name for f in dataclasses.fields(get_model_class(name).config_class)}
    return {key: value for key, value in SMALL_DATA_OPTIONS.items() if key in fields}


@pytest.fixture(scope="session")
def options_for(
    board: Checkerboard, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], dict[str, Any]]:
    """name -> the options the contract suite builds that model with (files written once)."""
    cache: dict[str, dict[str, Any]] = {}

    def options(name: str) -> dict[str, Any]:
        if name not in cache:
            cache[name] = small_data_options(name)
            if name in SOURCE_WRITERS:
                cache[name].update(SOURCE_WRITERS[name](tmp_path_factory.mktemp(name), board))
        return dict(cache[name])

    return options


@pytest.fixture(scope="session")
def fitted(
    board: Checkerboard, options_for: Callable[[str], dict[str, Any]]
) -> Callable[[str], tuple[Recommender, object]]:
    """name -> (model, what its fit() returned), fitted once per session on the checkerboard."""
    cache: dict[str, tuple[Recommender, object]] = {}

    def fit(name: str) -> tuple[Recommender, object]:
        if name not in cache:
            model = get_model_class(name)(**options_for(name))
            cache[name] = (model, model.fit(board.train))
        return cache[name]

    return fit
