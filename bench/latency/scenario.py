"""What the latency benchmark measures: the data it serves, the pages and the targets."""

from __future__ import annotations

from dataclasses import dataclass

DATASET = "ml-100k"
PROTOCOL = "msr-100k"
K = 10
PAGE_TARGET_MS = 1000.0
LIST_TARGET_MS = 250.0
#: Target of a re-ranking slider step: the re-ranked lists and test-set metrics redrawn.
SLIDER_TARGET_MS = 250.0
#: The slider moved (its label) and the steps per sweep (0 -> 0.8 and back, 0.05 a step).
SLIDER_LABEL = "Diversity (MMR)"
SLIDER_STEPS = 16
#: Time allowed for a first (cold) view: imports, UMAP's numba compile, the browser's cache.
WARMUP_TIMEOUT_MS = 180_000
MEASURE_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Page:
    """One view of the app: its sidebar label, script, title and ready marker.

    Attributes:
        label: the sidebar link's text.
        script: the page script, relative to the repository (for AppTest).
        path: the URL path of the page.
        title: the text of the page's ``<h1>``.
        marker: a CSS selector of an element the script draws near its end.
        marker_text: text the marker must contain ("" for any).
    """

    label: str
    script: str
    path: str
    title: str
    marker: str
    marker_text: str = ""

    def ready_args(self) -> list[str]:
        """The arguments of the in-page ``__pageReady`` check (title, marker, marker text)."""
        return [self.title, self.marker, self.marker_text]


CAPTION = '[data-testid="stCaptionContainer"]'
UMAP_POINT = '[data-testid="stVegaLiteChart"] path[aria-roledescription="circle"]'
DOWNLOAD = '[data-testid="stDownloadButton"] button'
PAGES = (
    Page("Home", "app.py", "", "RecScope", "h3", "All datasets"),
    Page("Data", "pages/1_Data.py", "Data", "Data", CAPTION, "Test holds"),
    Page("Train", "pages/2_Train.py", "Train", "Train", "button", "Train"),
    Page("Embeddings", "pages/3_Embeddings.py", "Embeddings", "Embeddings", UMAP_POINT),
    Page(
        "Recommendations",
        "pages/4_Recommendations.py",
        "Recommendations",
        "Recommendations",
        "h3",
        "Training history of",
    ),
    Page("Compare", "pages/5_Compare.py", "Compare", "Compare runs", DOWNLOAD, "Download the"),
)
#: The page whose "User" selectbox the list updates change.
RECOMMENDATIONS = PAGES[4]
