"""The latency benchmark's browser part: Playwright drives Debian's Chromium against the app."""

from __future__ import annotations

from typing import Any

from bench.browser import CHROMIUM, CHROMIUM_ARGS
from bench.latency.prepare import Prepared
from bench.latency.probe import (
    ARM_ENTER_JS,
    ARM_SLIDER_JS,
    LIST_ITEMS_JS,
    LIST_SHOWN_JS,
    LOAD_READY_JS,
    NAV_READY_JS,
    NAV_START_JS,
    PROBE_JS,
    RERUN_DONE_JS,
    SLIDER_DONE_JS,
)
from bench.latency.scenario import (
    DATASET,
    LIST_TARGET_MS,
    MEASURE_TIMEOUT_MS,
    PAGE_TARGET_MS,
    PAGES,
    RECOMMENDATIONS,
    SLIDER_LABEL,
    SLIDER_STEPS,
    SLIDER_TARGET_MS,
    WARMUP_TIMEOUT_MS,
    K,
    Page,
)
from bench.latency.stats import Measurement


def navigate(tab: Any, page: Page, timeout_ms: float) -> tuple[float, float]:
    """Click the page's sidebar link; milliseconds until the page is ready and until the server
    reported its script run finished."""
    link = tab.get_by_test_id("stSidebar").get_by_role("link", name=page.label, exact=True)
    link.evaluate(NAV_START_JS)
    handle = tab.wait_for_function(
        NAV_READY_JS, arg=page.ready_args(), polling="raf", timeout=timeout_ms
    )
    ready, done = handle.json_value()
    return float(ready), float(done)


def fresh_load(context: Any, url: str, page: Page, timeout_ms: float) -> tuple[float, float]:
    """Open the page's URL in a new tab (a new session); milliseconds until it is ready and until
    the server reported its script run finished."""
    tab = context.new_page()
    try:
        tab.goto(f"{url}/{page.path}?dataset={DATASET}", wait_until="commit")
        handle = tab.wait_for_function(
            LOAD_READY_JS, arg=page.ready_args(), polling="raf", timeout=timeout_ms
        )
        ready, done = handle.json_value()
        return float(ready), float(done)
    finally:
        tab.close()


def change_user(
    tab: Any, user_id: str, label: str, items: list[str], timeout_ms: float
) -> tuple[float, float, float]:
    """Type a user's picker label (id, activity, demographics) into the "User" selectbox and
    press Enter; milliseconds until the new list is shown, until the script run has finished and
    until the first message of the server."""
    from playwright.sync_api import expect

    combobox = tab.get_by_role("combobox", name="User", exact=True)
    combobox.click()
    tab.keyboard.type(label)
    # Enter picks the first option: wait until the user's exact label heads the filtered list.
    expect(tab.get_by_role("option").first).to_have_text(label, timeout=timeout_ms)
    tab.evaluate(ARM_ENTER_JS)
    tab.keyboard.press("Enter")
    heading = f"Top {K} for {user_id}"
    shown = tab.wait_for_function(LIST_SHOWN_JS, arg=heading, polling="raf", timeout=timeout_ms)
    # Not timed: the grid's accessible table lists the expected items (it lags the canvas).
    tab.wait_for_function(LIST_ITEMS_JS, arg=[heading, items], timeout=timeout_ms)
    rerun, first = tab.wait_for_function(
        RERUN_DONE_JS, polling="raf", timeout=timeout_ms
    ).json_value()
    return float(shown.json_value()), float(rerun), float(first)


def move_slider(tab: Any, key: str, timeout_ms: float) -> tuple[float, float, int, int]:
    """Press an arrow key on the focused re-ranking slider; milliseconds until the fragment's run
    finished (re-ranked lists and metrics redrawn) and until the server's first message, and the
    messages and bytes the server sent for the step."""
    tab.evaluate(ARM_SLIDER_JS)
    tab.keyboard.press(key)
    done, first, messages, sent = tab.wait_for_function(
        SLIDER_DONE_JS, polling="raf", timeout=timeout_ms
    ).json_value()
    return float(done), float(first), int(messages), int(sent)


#: Chromium's cumulative main-thread times (``Performance.getMetrics``, seconds) read around each
#: slider step: all tasks, JavaScript, style and layout.
BROWSER_METRICS = {
    "TaskDuration": "browser_task_ms",
    "ScriptDuration": "browser_script_ms",
    "RecalcStyleDuration": "browser_style_ms",
    "LayoutDuration": "browser_layout_ms",
}
#: The slider measurements: every step, the steps to weights not shown before (the first sweep:
#: re-ranked and re-measured) and those back to weights shown before (the second: cached), the
#: server's first message, the messages and kilobytes sent per step, and the browser's
#: main-thread time per step (no targets).
SLIDER_MEASUREMENTS = (
    ("slider_update", SLIDER_TARGET_MS),
    ("slider_update:new_weights", SLIDER_TARGET_MS),
    ("slider_update:revisit", SLIDER_TARGET_MS),
    ("slider_update:first_message", None),
    ("slider_update:messages", None),
    ("slider_update:kilobytes", None),
    *((f"slider_update:{name}", None) for name in BROWSER_METRICS.values()),
)


def _browser_times(cdp: Any) -> dict[str, float]:
    """Chromium's cumulative main-thread seconds of ``BROWSER_METRICS``."""
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return {m["name"]: float(m["value"]) for m in metrics if m["name"] in BROWSER_METRICS}


def measure_sliders(tab: Any, sweeps: int, results: dict[str, Measurement]) -> None:
    """Move the MMR slider up and back ``sweeps`` times, one step at a time, timing each step."""
    cdp = tab.context.new_cdp_session(tab)
    cdp.send("Performance.enable")
    slider = tab.get_by_role("slider", name=SLIDER_LABEL)
    slider.scroll_into_view_if_needed()
    slider.focus()
    for sweep in range(sweeps):
        key = "ArrowRight" if sweep % 2 == 0 else "ArrowLeft"
        kind = "new_weights" if sweep == 0 else "revisit"
        for _ in range(SLIDER_STEPS):
            before = _browser_times(cdp)
            done, first, messages, sent = move_slider(tab, key, MEASURE_TIMEOUT_MS)
            after = _browser_times(cdp)
            results["slider_update"].samples_ms.append(done)
            results[f"slider_update:{kind}"].samples_ms.append(done)
            results["slider_update:first_message"].samples_ms.append(first)
            results["slider_update:messages"].samples_ms.append(messages)
            results["slider_update:kilobytes"].samples_ms.append(sent / 1000)
            for metric, name in BROWSER_METRICS.items():
                spent = (after.get(metric, 0.0) - before.get(metric, 0.0)) * 1000
                results[f"slider_update:{name}"].samples_ms.append(spent)


def measure_browser(
    url: str, prepared: Prepared, repeats: int, load_repeats: int, *, only_slider: bool = False
) -> dict[str, Measurement]:
    """Every browser measurement (see bench/app_latency.py): ``nav:*``, ``load:*``,
    ``list_update:*`` and ``slider_update*``, in that order; with ``only_slider`` the slider's
    alone, after one warm-up view of Recommendations."""
    from playwright.sync_api import sync_playwright

    results = {name: Measurement(name, target) for name, target in SLIDER_MEASUREMENTS}
    if only_slider:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_init_script(PROBE_JS)
            tab = context.new_page()
            tab.goto(f"{url}/?dataset={DATASET}")
            tab.wait_for_function(
                LOAD_READY_JS, arg=PAGES[0].ready_args(), polling="raf", timeout=WARMUP_TIMEOUT_MS
            )
            ms, _ = navigate(tab, RECOMMENDATIONS, WARMUP_TIMEOUT_MS)  # on the BPR run
            print(f"  warm-up {RECOMMENDATIONS.label}: {ms:.0f} ms", flush=True)
            measure_sliders(tab, 2, results)  # 32 steps: 0 -> 0.8 and back
            browser.close()
        return results
    for page in PAGES:
        results[f"nav:{page.label}"] = Measurement(f"nav:{page.label}", PAGE_TARGET_MS)
    for page in PAGES:
        results[f"load:{page.label}"] = Measurement(f"load:{page.label}", PAGE_TARGET_MS)
    for kind in ("new_user", "revisit"):
        results[f"list_update:{kind}"] = Measurement(f"list_update:{kind}", LIST_TARGET_MS)
    for name, _ in SLIDER_MEASUREMENTS:  # after the others, in the order they run
        results[name] = results.pop(name)
    for kind in ("new_user", "revisit"):  # where the time of a list update goes (no targets)
        for part in ("first_message", "rerun_done"):
            name = f"list_update:{kind}:{part}"
            results[name] = Measurement(name, None)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(PROBE_JS)
        tab = context.new_page()
        tab.goto(f"{url}/?dataset={DATASET}")
        tab.wait_for_function(
            LOAD_READY_JS, arg=PAGES[0].ready_args(), polling="raf", timeout=WARMUP_TIMEOUT_MS
        )
        for page in (*PAGES[1:], PAGES[0]):  # warm-up: every page once
            ms, _ = navigate(tab, page, WARMUP_TIMEOUT_MS)
            print(f"  warm-up {page.label}: {ms:.0f} ms", flush=True)
        for _ in range(repeats):
            for page in (*PAGES[1:], PAGES[0]):
                results[f"nav:{page.label}"].add(*navigate(tab, page, MEASURE_TIMEOUT_MS))
        for page in PAGES:
            fresh_load(context, url, page, WARMUP_TIMEOUT_MS)  # warm the browser's cache too
            for _ in range(load_repeats):
                results[f"load:{page.label}"].add(
                    *fresh_load(context, url, page, MEASURE_TIMEOUT_MS)
                )

        navigate(tab, RECOMMENDATIONS, MEASURE_TIMEOUT_MS)  # on the BPR run
        users = prepared.users[:repeats]
        # Revisits start where the first pass ended: skip a first user whose list is on screen.
        again = users[1:] if prepared.lists[users[0]] == prepared.lists[users[-1]] else users
        for kind, sequence in (("new_user", users), ("revisit", again)):
            for user_id in sequence:
                shown, rerun, first = change_user(
                    tab,
                    user_id,
                    prepared.labels[user_id],
                    prepared.lists[user_id],
                    MEASURE_TIMEOUT_MS,
                )
                results[f"list_update:{kind}"].samples_ms.append(shown)
                results[f"list_update:{kind}:rerun_done"].samples_ms.append(rerun)
                results[f"list_update:{kind}:first_message"].samples_ms.append(first)
        measure_sliders(tab, 2, results)  # 32 steps: 0 -> 0.8 and back
        browser.close()
    return results
