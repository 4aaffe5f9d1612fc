"""Tests of recsys_core.ui (a package, so test module names cannot clash)."""
