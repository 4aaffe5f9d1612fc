"""Re-ranking in a real browser: a slider step redraws the re-ranked list and the test-set metrics,
and a link with re-ranker options reopens the same view (the options shown, the list filtered).

The server serves a temporary database prepared through the library (a small synthetic catalogue
and an itemknn run), so the test needs no MovieLens and no training in the browser. What the page
must show is computed beforehand with the same library calls on the same run, and compared with
what the browser rendered: the accessible table Streamlit's data grid keeps inside its canvas
(``table[role=grid]``) and the metric widgets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bench.server import serve_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DATASET = "tiny"
K = 10
PAGE_MS = 60_000
#: Rows of the accessible table of one data grid: {column header: cell text}.
GRID_ROWS_JS = """(grid) => {
  const heads = [...grid.querySelectorAll('thead th')].map((th) => th.textContent.trim());
  return [...grid.querySelectorAll('tbody tr')].map((tr) => Object.fromEntries(
    [...tr.querySelectorAll('td')].map((td, i) => [heads[i], td.textContent.trim()])));
}"""


@dataclass(frozen=True)
class Served:
    url: str
    db: Path
    run_id: str


@pytest.fixture(scope="module")
def served(browser: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server on a database holding the synthetic catalogue and one itemknn run."""
    from recsys_core.data import store
    from recsys_core.data.protocols import custom_protocol
    from recsys_core.data.splits import parse_split_spec
    from recsys_core.data.synthetic import generate_synthetic
    from recsys_core.experiment import train_run

    folder = tmp_path_factory.mktemp("rerank-e2e")
    db = folder / "rerank.duckdb"
    frames = generate_synthetic(name=DATASET, n_users=300, n_items=200, n_interactions=6000)
    store.write_dataset(frames, path=db)
    protocol = custom_protocol(parse_split_spec("user:test=0.25,seed=3"), relevant_min_rating=4.0)
    run = train_run(DATASET, "itemknn", protocol, path=db)
    with serve_app(db, folder / "streamlit.log") as url:
        yield Served(url, db, run.record.run_id)


def _expected(served: Served, text: str) -> Any:
    """The first evaluated user's lists and the outcome under ``text``, from the library."""
    from recsys_core.inspection import load_run_context
    from recsys_core.rerank import RerankPipeline
    from recsys_core.rerank.session import RerankSession
    from recsys_core.rerank.views import user_lists

    session = RerankSession.open(served.run_id, path=served.db)
    outcome = session.rerank(RerankPipeline.from_text(text), K)
    context = load_run_context(served.run_id, path=served.db)
    user = context.evaluated_user_ids()[0]
    return user_lists(context, session.candidates, outcome, context.user_idx(user)), outcome


def _open(page: Any, served: Served, rerank: str = "") -> None:
    query = f"dataset={DATASET}&run={served.run_id}"
    if rerank:
        query += f"&rerank={quote(rerank)}"
    page.goto(f"{served.url}/Recommendations?{query}")
    page.wait_for_function("() => window.__streamlitRuns.full > 0", timeout=90_000)


def _grid(page: Any, heading: str) -> Any:
    """The data grid in the column whose subheader is ``heading``."""
    title = page.get_by_role("heading", name=heading, exact=True)
    return page.get_by_test_id("stColumn").filter(has=title).get_by_test_id("stDataFrame")


def _metric(page: Any, label: str) -> Any:
    return page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )


def test_a_slider_step_redraws_the_reranked_list_and_the_metrics(
    served: Served, page: Any, after_rerun: Callable[..., None]
) -> None:
    from playwright.sync_api import expect

    _open(page, served)
    expect(page.get_by_text("Weights: all off.")).to_be_visible(timeout=PAGE_MS)
    reranked = _grid(page, f"Re-ranked top {K}")
    rows = reranked.locator('table[role="grid"] tbody tr')
    expect(rows).to_have_count(K, timeout=PAGE_MS)
    unchanged = reranked.locator('table[role="grid"]').evaluate(GRID_ROWS_JS)
    assert [row["Move"] for row in unchanged] == ["="] * K, unchanged
    metrics_grid = page.get_by_test_id("stDataFrame").filter(has_text="ILD (diversity)@10")
    expect(metrics_grid.locator('table[role="grid"] tbody')).to_contain_text("nDCG@10")
    rbo = _metric(page, "Rank agreement (RBO)")
    expect(rbo).to_contain_text("1.000")

    slider = page.get_by_role("slider", name="Diversity (MMR)")
    slider.focus()
    for _ in range(10):  # 0 -> 0.5, one fragment run a step
        after_rerun(lambda: slider.press("ArrowRight"), fragment=True)
    expect(page.get_by_text("Weights: mmr=0.5.", exact=False)).to_be_visible(timeout=PAGE_MS)
    lists, outcome = _expected(served, "mmr=0.5")
    titles = lists.after["title"].tolist()
    assert titles != lists.before["title"].tolist()  # the step changes the list
    shown = reranked.locator('table[role="grid"] tbody')
    expect(shown).to_contain_text(titles[-1], timeout=PAGE_MS)
    rows_now = reranked.locator('table[role="grid"]').evaluate(GRID_ROWS_JS)
    assert [row["Title"] for row in rows_now] == titles, rows_now
    assert [row["Move"] for row in rows_now] == lists.after["move"].tolist(), rows_now
    expect(rbo).to_contain_text(f"{outcome.changes.means()['rbo']:.3f}")
    ild = next(
        row
        for row in metrics_grid.locator('table[role="grid"]').evaluate(GRID_ROWS_JS)
        if row["Metric"] == "ILD (diversity)@10"
    )
    # The grid's accessible table holds the unformatted values.
    assert float(ild["Re-ranked"]) == pytest.approx(outcome.metrics_after.means()["diversity@10"])
    assert float(ild["Re-ranked"]) > float(ild["Original"]), ild
    assert "rerank=mmr%3D0.5" in page.url, page.url


def test_a_link_with_options_reopens_the_view_with_its_options(served: Served, page: Any) -> None:
    from playwright.sync_api import expect

    plain, _ = _expected(served, "")
    genre = plain.before["genres"].iloc[0].split(", ")[0]  # a genre of the top item
    link = f"blocklist=1,blocklist.genres={genre},freshness=0.4,freshness.half_life_years=2"
    lists, _ = _expected(served, link)
    _open(page, served, link)
    expect(page.get_by_text(f"Weights: {link}.", exact=False)).to_be_visible(timeout=PAGE_MS)
    # The expander opens on a link that sets options, and shows them.
    genres = page.get_by_test_id("stMultiSelect").filter(has_text="Block list: genres")
    expect(genres).to_be_visible()
    expect(genres).to_contain_text(genre)
    half_life = page.get_by_role("spinbutton", name="Freshness: half-life in years")
    expect(half_life).to_have_value("2.00")
    reranked = _grid(page, f"Re-ranked top {K}")
    body = reranked.locator('table[role="grid"] tbody')
    expect(body).to_contain_text(lists.after["title"].iloc[-1], timeout=PAGE_MS)
    rows = reranked.locator('table[role="grid"]').evaluate(GRID_ROWS_JS)
    assert [row["Title"] for row in rows] == lists.after["title"].tolist(), rows
    assert all(genre not in row["Genres"] for row in rows), rows
    assert [row["Title"] for row in rows] != plain.before["title"].tolist()
