"""Repo-wide fixtures: where MovieLens lives (RECSCOPE_DATASETS_DIR) and a raw ML-100K frame.

Starter runs (``recsys_core.starter``) are off in tests, servers started by tests included, unless
a test turns them on: a page test must not race a background fit on its database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.browser import CHROMIUM, CHROMIUM_ARGS
from recsys_core.starter import STARTER_ENV

os.environ.setdefault(STARTER_ENV, "0")


def datasets_dir() -> Path | None:
    """The verified MovieLens copies, or None when RECSCOPE_DATASETS_DIR is unset or missing."""
    value = os.environ.get("RECSCOPE_DATASETS_DIR")
    if not value or not Path(value).is_dir():
        return None
    return Path(value)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked needs_movielens when the data is not available here."""
    if datasets_dir() is not None:
        return
    skip = pytest.mark.skip(reason="RECSCOPE_DATASETS_DIR is not set (run through `make test`)")
    for item in items:
        if "needs_movielens" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def ml100k_dir() -> Path:
    root = datasets_dir()
    if root is None or not (root / "ml-100k" / "u.data").is_file():
        pytest.skip("ML-100K is not under RECSCOPE_DATASETS_DIR")
    return root / "ml-100k"


@pytest.fixture(scope="session")
def ml100k_frame(ml100k_dir: Path) -> pd.DataFrame:
    """u.data in file order with 0-based contiguous indices and row ids."""
    frame = pd.read_csv(
        ml100k_dir / "u.data", sep="\t", names=["user", "item", "rating", "timestamp"]
    )
    return frame.assign(
        row_id=np.arange(len(frame)), user_idx=frame["user"] - 1, item_idx=frame["item"] - 1
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole session: Playwright's sync API allows a single running
    instance per thread, so every browser test shares this one."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
