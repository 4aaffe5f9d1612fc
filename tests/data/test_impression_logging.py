"""The logged ranker of the synthetic catalogue: its propensities, and how the store keeps them."""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from recsys_core.data import store
from recsys_core.data.frames import DatasetFrames
from recsys_core.data.synthetic import SyntheticConfig, generate_synthetic, planted_truth
from recsys_core.data.synthetic.choices import Picks, logging_log_weights
from recsys_core.data.synthetic.sessions import Requests
from recsys_core.data.synthetic.slate_order import order_slates, prefix_propensities

SMALL = {"n_users": 200, "n_items": 120, "n_interactions": 3_000, "requests_per_user": 5}


@pytest.fixture(scope="module")
def small() -> DatasetFrames:
    return generate_synthetic(**SMALL)


def test_position_one_propensities_sum_to_one_and_the_last_position_is_certain(
    small: DatasetFrames,
) -> None:
    imp = small.impressions
    first = imp[imp["position"] == 1]
    assert len(first) == 200 * 5
    order_probability = imp.groupby("request_id")["propensity"].prod()  # of the logged order
    assert ((order_probability > 0) & (order_probability <= 1)).all()
    last = imp[imp["position"] == 10]["propensity"].to_numpy()
    np.testing.assert_allclose(last, 1.0)
    assert imp["propensity"].between(0.0, 1.0).all()
    assert (imp.groupby("request_id")["explored"].nunique() == 1).all()


def test_position_one_propensity_is_the_stated_mixture_over_the_whole_slate() -> None:
    config = SyntheticConfig(**SMALL)
    truth = planted_truth(config)
    frames = generate_synthetic(config)
    imp = frames.impressions
    user = imp["user_id"].str.slice(1).astype(np.int64).to_numpy() - 1
    item = imp["item_id"].str.slice(1).astype(np.int64).to_numpy() - 1
    p = np.exp(logging_log_weights(config, truth, user, item)).reshape(-1, 10)
    eps = config.exploration_share
    expected = eps / 10 + (1 - eps) * p / p.sum(axis=1, keepdims=True)  # any item placed first
    first = imp["propensity"].to_numpy().reshape(-1, 10)[:, 0]
    np.testing.assert_allclose(first, expected[:, 0], rtol=1e-9)
    np.testing.assert_allclose(expected.sum(axis=1), 1.0)


def test_explored_share_follows_the_option() -> None:
    imp = generate_synthetic(**SMALL, exploration_share=0.5).impressions
    share = imp.groupby("request_id")["explored"].first().mean()
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / 1000)
    assert not generate_synthetic(**SMALL, exploration_share=0.0).impressions["explored"].any()


def test_the_logged_orders_match_the_product_of_propensities_by_monte_carlo() -> None:
    """One user, one slate of three items, 30k requests: frequency of each order vs prod P."""
    config = SyntheticConfig(
        n_users=50, n_items=40, n_interactions=1_000, slots_per_request=3, exploration_share=0.3
    )
    truth = planted_truth(config)
    n = 30_000
    requests = Requests(user=np.zeros(n, dtype=np.int64), time=np.zeros(n, dtype=np.int64))
    slate = np.array([3, 17, 25])
    shown = Picks(np.repeat(np.arange(n), 3), np.tile(slate, n))
    logged = order_slates(config, truth, requests, shown)
    orders = logged.shown.item.reshape(n, 3)
    probability = logged.propensity.reshape(n, 3).prod(axis=1)
    assert set(map(tuple, np.sort(orders, axis=1))) == {tuple(slate)}
    observed = pd.Series(map(tuple, orders)).value_counts()
    keys = list(itertools.permutations(slate.tolist()))
    per_order = {tuple(o): p for o, p in zip(map(tuple, orders), probability, strict=True)}
    expected = np.array([per_order[k] for k in keys])
    np.testing.assert_allclose(expected.sum(), 1.0)
    counts = np.array([observed.get(k, 0) for k in keys])
    assert stats.chisquare(counts, expected * n).pvalue > 1e-3
    explored = logged.explored.reshape(n, 3)[:, 0]
    assert abs(explored.mean() - 0.3) < 4 * np.sqrt(0.21 / n)


def test_prefix_propensities_by_hand() -> None:
    """K = 2, weights (3, 1), eps = 0.5: P(first) = 0.25 + 0.5 * 0.75; the second is certain."""
    got = prefix_propensities(np.log([[3.0, 1.0], [1.0, 3.0]]), 0.5)
    np.testing.assert_allclose(got, [[0.625, 1.0], [0.375, 1.0]])
    pure = prefix_propensities(np.log([[2.0, 1.0, 1.0]]), 0.0)
    np.testing.assert_allclose(pure, [[0.5, 0.5, 1.0]])
    uniform = prefix_propensities(np.log([[2.0, 1.0, 1.0]]), 1.0)
    np.testing.assert_allclose(uniform, [[1 / 3, 1 / 2, 1.0]])


def test_the_store_keeps_propensities_and_reads_a_database_that_predates_them(
    tmp_path: Path, small: DatasetFrames
) -> None:
    db = tmp_path / "recsys.duckdb"
    store.write_dataset(small, path=db)
    loaded = store.load_dataset("synthetic", path=db).impressions
    assert loaded is not None
    np.testing.assert_allclose(loaded["propensity"], small.impressions["propensity"])
    assert (loaded["explored"].to_numpy(dtype=bool) == small.impressions["explored"]).all()
    con = duckdb.connect(str(db))  # an impressions table as RecScope wrote it before the columns
    con.execute("ALTER TABLE impressions DROP COLUMN propensity")
    con.execute("ALTER TABLE impressions DROP COLUMN explored")
    con.close()
    old = store.load_dataset("synthetic", path=db).impressions
    assert old is not None and old["propensity"].isna().all() and old["explored"].isna().all()
    assert len(old) == len(small.impressions)
    again = DatasetFrames(**{**vars(small), "name": "again"})
    store.write_dataset(again, path=db)  # the first write adds the columns back
    new = store.load_dataset("again", path=db).impressions
    assert new is not None
    np.testing.assert_allclose(new["propensity"], small.impressions["propensity"])
    assert store.load_dataset("synthetic", path=db).impressions["propensity"].isna().all()


def test_a_log_without_propensities_is_accepted_and_stored_as_missing(
    tmp_path: Path, small: DatasetFrames
) -> None:
    without = small.impressions.drop(columns=["propensity", "explored"])
    frames = DatasetFrames(**{**vars(small), "impressions": without})
    store.write_dataset(frames, path=tmp_path / "db.duckdb")
    imp = store.load_dataset("synthetic", path=tmp_path / "db.duckdb").impressions
    assert imp is not None and imp["propensity"].isna().all() and imp["explored"].isna().all()
