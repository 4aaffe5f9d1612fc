"""The one error hierarchy of RecScope: every message says what is wrong and how to fix it."""

from __future__ import annotations

from pathlib import Path


class RecScopeError(Exception):
    """Base of every error RecScope raises on purpose (the CLI prints these as one line)."""


class ConfigError(RecScopeError, ValueError):
    """A model or protocol configuration is invalid (unknown key, value out of range, bad type)."""


class NotFittedError(RecScopeError, RuntimeError):
    """A model was asked to score before ``fit`` (or ``load``) gave it learned state."""


class DataError(RecScopeError, ValueError):
    """Input data is malformed, missing or inconsistent; the database is left unchanged."""


class StoreLockedError(RecScopeError, RuntimeError):
    """Another RecScope process holds the DuckDB database for longer than we are willing to wait."""


class DamagedArtifactError(DataError):
    """A saved file is missing, unreadable, a symbolic link or of the wrong shape; nothing in it
    was executed or unpickled.

    Attributes:
        path: the damaged file (or folder).
        problem: what is wrong, worded to follow the file's name ("is not valid JSON").
        fix: how to recover (for a run: delete it and train it again).
        run_id: the saved run the file belongs to, or None for a file outside the run registry.
        shown: how the message names the file (relative to the run's folder inside a run).
    """

    def __init__(
        self,
        path: Path,
        problem: str,
        fix: str,
        *,
        run_id: str | None = None,
        shown: str | None = None,
    ) -> None:
        self.path, self.problem, self.fix, self.run_id = path, problem, fix, run_id
        self.shown = shown if shown is not None else str(path)
        where = f"run {run_id} is damaged: " if run_id is not None else ""
        super().__init__(f"{where}{self.shown} {problem}; {fix}")
