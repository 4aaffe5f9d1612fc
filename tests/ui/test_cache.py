"""The app's caches: the architecture table is computed once per dataset, and deleting a run clears
exactly the accessors that hold runs (outside a Streamlit session: in-memory caches)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st

from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.errors import DataError
from recsys_core.experiment import train_run
from recsys_core.models import base
from recsys_core.models.retrieval.popularity import Popularity
from recsys_core.ui import cache

SIZES = {"n_users": 80, "n_items": 50, "n_interactions": 1200, "seed": 1}
#: Accessors keyed by (db, run_id) alone: deleting a run drops just its entry.
PER_RUN = {"_saved_run", "_run_model", "_embedding_sides", "_pointwise_run"}
#: Accessors whose keys mix runs with other choices: deleting a run clears them whole.
WHOLE = {
    "_runs_table",
    "_run_dataset",
    "_embedding_points",
    "_faiss_index",
    "_similar_items",
    "_user_item_lists",
    "_run_context",
    "_user_inspection",
    "_compare_records",
    "_per_user_frame",
    "_comparison",
    "_rerank_session",
    "_rerank_outcome",
    "_rerank_summary",
    "_rerank_user_lists",
    "_tradeoff",
    "_calibration_rows",
    "_calibration_comparison",
}


@pytest.fixture()
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("RECSCOPE_DB", str(path))
    store.write_dataset(generate_synthetic(name="tiny", **SIZES), path=path)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


def _cached_accessors() -> dict[str, Any]:
    """Every ``st.cache_*`` function of the cache module, by name."""
    kind = type(cache._saved_run)
    resource = type(cache._run_model)
    return {
        name: value for name, value in vars(cache).items() if isinstance(value, kind | resource)
    }


def _counting(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[Any]:
    calls: list[Any] = []
    original: Callable[..., Any] = getattr(owner, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return calls


def test_architecture_table_is_computed_once_per_dataset_and_registry(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(monkeypatch, cache.train.capabilities, "dataset_capabilities")
    first = cache.architecture_table("tiny")
    assert cache.architecture_table("tiny").equals(first)
    assert len(calls) == 1
    newcomer = type("Newcomer", (Popularity,), {"name": "newcomer-test", "label": "Newcomer"})
    monkeypatch.setitem(base._REGISTRY, newcomer.name, newcomer)
    assert "newcomer-test" in cache.architecture_table("tiny")["name"].tolist()
    assert len(calls) == 2


def test_delete_run_clears_exactly_the_caches_that_hold_runs(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    run_id = train_run("tiny", "popularity", protocol, path=db).record.run_id
    architectures = cache.architecture_table("tiny")
    assert cache.runs_table("tiny")["run"].tolist() == [run_id]
    assert cache.saved_run(run_id)[0].run_id == run_id
    assert len(cache.per_user_frame(run_id)) > 0

    cleared: dict[str, tuple[Any, ...]] = {}
    for name, accessor in _cached_accessors().items():

        def record(*args: Any, _name: str = name, _clear: Callable[..., None] = accessor.clear):
            cleared[_name] = args
            _clear(*args)

        monkeypatch.setattr(accessor, "clear", record)
    cache.delete_run(run_id)

    assert set(cleared) == PER_RUN | WHOLE
    assert all(cleared[name] == (str(db), run_id) for name in PER_RUN)
    assert all(cleared[name] == () for name in WHOLE)
    assert cache.runs_table("tiny").empty
    with pytest.raises(DataError, match="no run"):
        cache.saved_run(run_id)  # recomputed, not served from the cache
    # would fail if called:
    monkeypatch.setattr(cache.train.capabilities, "architecture_table", None)
    assert cache.architecture_table("tiny").equals(architectures)  # dataset caches are kept
