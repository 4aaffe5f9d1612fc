"""Every page as a newcomer first sees it, in a real browser at 1400 px: on first start (the
starter runs training in the background) and on ML-100K with four runs. Each page must draw
without an exception or an error box, and is saved as a screenshot (tests/e2e/screenshots/,
git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.server import serve_app
from recsys_core.starter import STARTER_ENV, STARTER_MODELS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGE_MS = 60_000
UMAP_MS = 150_000  # the first map of a server process compiles UMAP
#: Sidebar link -> the page's title (its h1).
PAGES = {
    "Home": "RecScope",
    "Data": "Data",
    "Train": "Train",
    "Embeddings": "Embeddings",
    "Recommendations": "Recommendations",
    "Compare": "Compare runs",
}
#: What each page draws last (after its slowest part), so its screenshot is complete.
LAST_ON_PAGE: dict[str, tuple[str, str]] = {
    "Home": ("heading", "All datasets"),
    "Data": ("heading", "Split"),
    "Train": ("tab", "Saved runs"),
    "Embeddings": ("heading", r"^\d+ nearest to"),
    "Recommendations": ("heading", "Test-set metrics"),
    "Compare": ("heading", "Re-ranking trade-offs"),
}


def _visit_every_page(page: Any, url: str, prefix: str, shot: Callable[[str], Path]) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    page.wait_for_function("() => window.__streamlitRuns.full > 0", timeout=90_000)
    sidebar = page.get_by_test_id("stSidebar")
    for link, title in PAGES.items():
        if link != "Home":
            sidebar.get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", name=title, level=1, exact=True)).to_be_visible(
            timeout=PAGE_MS
        )
        role, name = LAST_ON_PAGE[link]
        timeout = UMAP_MS if link == "Embeddings" else PAGE_MS
        expect(page.get_by_role(role, name=re.compile(name)).first).to_be_visible(timeout=timeout)
        page.wait_for_timeout(500)  # charts finish drawing
        assert page.get_by_test_id("stException").count() == 0, f"{link}: a traceback is shown"
        errors = page.locator('[data-testid="stAlertContentError"]')
        assert errors.count() == 0, f"{link}: {errors.all_inner_texts()}"
        shot(f"{prefix}_{link.lower()}")


@pytest.fixture()
def starter_server(
    browser: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path]]:
    """A server on an empty database with the starter runs turned on, as after `make run`."""
    monkeypatch.setenv(STARTER_ENV, "1")
    db = tmp_path / "first.duckdb"
    with serve_app(db, tmp_path / "streamlit.log") as url:
        yield url, db


def test_first_start_fills_every_page_with_the_starter_runs(
    starter_server: tuple[str, Path], page: Any, screenshot: Callable[[str], Path]
) -> None:
    from playwright.sync_api import expect

    url, _ = starter_server
    page.goto(url)
    progress = page.get_by_test_id("stSidebar").get_by_text(re.compile("starter runs"))
    expect(progress.first).to_be_visible(timeout=90_000)  # the progress line while they train
    screenshot("first_start_training")
    runs_table = page.get_by_test_id("stDataFrame").first.locator('table[role="grid"] tbody tr')
    expect(runs_table).to_have_count(len(STARTER_MODELS), timeout=120_000)  # the page reran
    _visit_every_page(page, url, "first_start", screenshot)


@pytest.fixture(scope="module")
def ml100k_server(browser: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """ML-100K with popularity, ItemKNN, EASE and a 20-epoch BPR-MF under msr-100k."""
    if not os.environ.get("RECSCOPE_DATASETS_DIR"):
        pytest.skip("RECSCOPE_DATASETS_DIR is not set (run through `make test`)")
    from recsys_core.data.movielens import import_movielens
    from recsys_core.data.protocols import PROTOCOLS
    from recsys_core.experiment import train_run

    folder = tmp_path_factory.mktemp("ml100k-pages")
    db = folder / "ml100k.duckdb"
    source = Path(os.environ["RECSCOPE_DATASETS_DIR"]) / "ml-100k"
    import_movielens("ml-100k", source=str(source), path=db)
    for model, options in [
        ("popularity", {}),
        ("itemknn", {}),
        ("ease", {}),
        ("bpr", {"n_epochs": 20}),
    ]:
        train_run("ml-100k", model, PROTOCOLS["msr-100k"], overrides=options, path=db)
    with serve_app(db, folder / "streamlit.log") as url:
        yield url


def test_every_page_on_ml100k_with_four_runs(
    ml100k_server: str, page: Any, screenshot: Callable[[str], Path]
) -> None:
    _visit_every_page(page, f"{ml100k_server}/?dataset=ml-100k", "ml100k", screenshot)
