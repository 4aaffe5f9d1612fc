"""Fetch a file over HTTP(S) (or ``file://``) with a progress callback and a SHA-256 check.

The file is streamed to ``<dest>.part`` and renamed into place only when its hash matches, so a
cancelled or corrupted download never looks like a finished one.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from recsys_core.errors import DataError

#: Bytes read per chunk (and between progress calls).
CHUNK_BYTES = 1 << 20
#: Seconds to wait for the server before giving up.
TIMEOUT_S = 60.0

Progress = Callable[[int, int], None]


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(
    url: str,
    dest: Path,
    *,
    sha256: str | None,
    progress: Progress | None = None,
    timeout_s: float = TIMEOUT_S,
) -> Path:
    """Download ``url`` to ``dest`` unless a file with the expected hash is already there.

    Args:
        url: ``https://``, ``http://`` or ``file://`` address.
        dest: where the file ends up (its folder is created).
        sha256: expected hex SHA-256, or None to accept any content.
        progress: called as ``progress(bytes_done, bytes_total)`` after each chunk; ``bytes_total``
            is 0 when the server does not say.
        timeout_s: network timeout per read.

    Returns:
        ``dest``.

    Raises:
        DataError: the download failed (the message says to pass a local copy instead), or the
            content's SHA-256 differs from ``sha256`` (the bad file is deleted).
    """
    if dest.is_file() and (sha256 is None or sha256_file(dest) == sha256.lower()):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response, partial.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        raise DataError(
            f"could not download {url} ({exc}); check the network, or download the file yourself "
            "and pass it with --source (a local zip or unzipped folder)"
        ) from exc
    actual = digest.hexdigest()
    if sha256 is not None and actual != sha256.lower():
        partial.unlink(missing_ok=True)
        raise DataError(
            f"{url} has SHA-256 {actual}, expected {sha256.lower()}; the download was corrupted or "
            "the file changed upstream. The bad file was deleted: retry, or pass a verified local "
            "copy with --source"
        )
    os.replace(partial, dest)
    return dest
