"""Ranking architectures: models that score (user, item) feature rows."""
