"""The one error hierarchy of RecScope: every message says what is wrong and how to fix it."""

from __future__ import annotations


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
