"""A real ``streamlit run app.py`` for the browser tests and benchmarks: start, wait, stop.

The server listens on loopback only (without ``--server.address 127.0.0.1`` it looks up an
external IP at start, which hangs on a closed network) and is ready once ``/_stcore/health``
answers ``ok`` (STACK-NOTES.md).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The repository whose app is served (``app.py``; the server's working directory).
REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
HEALTH_TIMEOUT_S = 90.0


def free_port() -> int:
    """A loopback TCP port that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_app(db: Path, log: Path, port: int = 0) -> Iterator[str]:
    """Serve ``app.py`` on the database ``db`` until the block ends; yields the base URL.

    Args:
        db: the DuckDB file the app reads (``RECSCOPE_DB`` of the server).
        log: where the server's stdout and stderr go (named in every start failure).
        port: the loopback port, or 0 for a free one.

    Raises:
        RuntimeError: the server exited or was not healthy within ``HEALTH_TIMEOUT_S``.
    """
    port = port or free_port()
    env = {**os.environ, "RECSCOPE_DB": str(db)}
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
        "--server.headless", "true", "--server.address", HOST,
        "--server.port", str(port), "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    url = f"http://{HOST}:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(url, server, log)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Poll the health endpoint until it says ``ok``; fail early when the server exits."""
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"streamlit not healthy at {url} after {HEALTH_TIMEOUT_S:.0f} s; see {log}"
            )
        time.sleep(0.3)
