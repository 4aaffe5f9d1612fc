"""Browser tests: a real `streamlit run` on a free loopback port with a temporary database, driven
by Playwright in Debian's headless Chromium (the ``browser`` fixture in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.browser import WATCH_MESSAGES_JS
from bench.server import serve_app

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
#: Tallest screenshot (px): Streamlit scrolls inside its main section, so a "full page" shot
#: grows the viewport to that section's height first.
MAX_SHOT_HEIGHT = 8000
#: Height of the app's content: its scrolling main section, or the document.
CONTENT_HEIGHT_JS = """() => Math.max(document.documentElement.scrollHeight,
  ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebarContent"]')]
    .map((el) => el.scrollHeight))"""
#: Resolves after two animation frames: the layout of a resized viewport has been painted.
TWO_FRAMES_JS = (
    "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
)
#: Init script of every page: counts the full and the fragment script runs the server reports
#: finished (``watchMessages`` in bench/browser.py).
SCRIPT_RUNS_JS = (
    """(() => {
  const runs = { full: 0, fragment: 0 };
  window.__streamlitRuns = runs;
"""
    + WATCH_MESSAGES_JS
    + """  watchMessages((status) => {
    if (status === 0) runs.full += 1;
    if (status === 3) runs.fragment += 1;
  });
})();"""
)


@pytest.fixture(scope="session")
def app_server(browser: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running app on an empty temporary database (after the browser fixture, which
    skips when Chromium is missing, so no server starts for nothing)."""
    db = tmp_path_factory.mktemp("e2e") / "e2e.duckdb"
    with serve_app(db, tmp_path_factory.getbasetemp() / "streamlit.log") as url:
        yield url


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    """A page in a fresh browser context, counting the app's finished script runs (see
    ``after_rerun``)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    context.add_init_script(SCRIPT_RUNS_JS)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


@pytest.fixture()
def after_rerun(page: object) -> Callable[..., None]:
    """``after_rerun(action, timeout_ms=60_000, fragment=False)`` does ``action`` (a click or key
    that reruns the app) and waits until the server reports the run it caused finished: the whole
    script, or with ``fragment=True`` a fragment (a widget inside ``st.fragment``). What follows
    then sees the whole page rather than a mix of fresh and stale elements. Not for actions that
    change nothing (choosing the option already selected): no run would follow. While a
    ``run_every`` fragment polls, a full run is still told apart from its ticks."""

    def run(
        action: Callable[[], object], timeout_ms: float = 60_000, fragment: bool = False
    ) -> None:
        kind = "fragment" if fragment else "full"
        before = int(page.evaluate(f"() => window.__streamlitRuns.{kind}"))  # type: ignore[attr-defined]
        action()
        page.wait_for_function(  # type: ignore[attr-defined]
            f"(before) => window.__streamlitRuns.{kind} > before", arg=before, timeout=timeout_ms
        )

    return run


@pytest.fixture()
def screenshot(page: object) -> Callable[[str], Path]:
    """``screenshot(name)`` saves a full-page PNG under tests/e2e/screenshots/ (git-ignored).

    Streamlit scrolls inside its main section, where Playwright's ``full_page`` sees only the
    viewport; so the viewport is grown to the content's height (at most ``MAX_SHOT_HEIGHT``) for
    the shot and restored afterwards.
    """

    def take(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        size = page.viewport_size  # type: ignore[attr-defined]
        height = min(int(page.evaluate(CONTENT_HEIGHT_JS)), MAX_SHOT_HEIGHT)  # type: ignore[attr-defined]
        grow = size is not None and height > size["height"]
        if grow:
            page.set_viewport_size({"width": size["width"], "height": height})  # type: ignore[attr-defined]
            page.evaluate(TWO_FRAMES_JS)  # type: ignore[attr-defined]
        try:
            page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        finally:
            if grow:
                page.set_viewport_size(size)  # type: ignore[attr-defined]
        return path

    return take
