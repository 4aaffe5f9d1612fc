"""Hooks that run before a process first opens a database file (``on_first_open``).

The run registry registers its clean-up after killed processes here, so every process that works
with runs cleans up once, before its first connection, without the store knowing about runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from recsys_core.errors import RecScopeError, StoreLockedError

#: Called with the database file before a process first connects to it (``on_first_open``).
FirstOpenHook = Callable[[Path], None]
_FIRST_OPEN_HOOKS: list[FirstOpenHook] = []
#: Database files (resolved) whose first-open hooks have run, or are running, in this process.
_OPENED: set[str] = set()
_OPENED_LOCK = threading.Lock()


def on_first_open(hook: FirstOpenHook) -> None:
    """Run ``hook(db_path)`` before this process's first ``connect()`` to each database file.

    Registering the same hook again is a no-op. A hook may connect itself (it is not called
    again for that file). One that raises ``StoreLockedError`` runs again at the next
    ``connect()``; any other ``RecScopeError`` or ``OSError`` it raises is dropped, since the
    connection that follows reports a damaged or newer database itself.
    """
    if hook not in _FIRST_OPEN_HOOKS:
        _FIRST_OPEN_HOOKS.append(hook)


def run_first_open_hooks(db_path: Path) -> None:
    """Run the hooks for ``db_path`` unless they ran for it in this process (``connect`` calls
    this before opening the file)."""
    key = str(db_path.resolve())
    with _OPENED_LOCK:
        if key in _OPENED or not _FIRST_OPEN_HOOKS:
            return
        _OPENED.add(key)
    for hook in list(_FIRST_OPEN_HOOKS):
        try:
            hook(db_path)
        except StoreLockedError:
            with _OPENED_LOCK:
                _OPENED.discard(key)
        except (RecScopeError, OSError):
            pass  # a damaged or unreadable file: the connection that follows reports it
