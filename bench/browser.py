"""How RecScope drives Debian's headless Chromium, shared by the browser tests and benchmarks.

Never `playwright install`: it downloads a browser of its own, which fails on these machines.
Without the background-networking flags Chromium keeps dialling out on a closed network.
"""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
