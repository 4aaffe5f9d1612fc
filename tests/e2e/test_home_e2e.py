"""The app opens in a real browser on the synthetic default, with nothing set up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_home_opens_on_the_synthetic_default(
    app_server: str, page: object, screenshot: Callable[[str], Path]
) -> None:
    from playwright.sync_api import expect

    page.goto(app_server)  # type: ignore[attr-defined]
    expect(page.get_by_text("Dataset in use: synthetic")).to_be_visible(timeout=90_000)  # type: ignore[attr-defined]
    expect(page.get_by_text("100,000").first).to_be_visible()  # type: ignore[attr-defined]
    screenshot("home")
