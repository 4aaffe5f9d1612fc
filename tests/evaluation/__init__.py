"""Tests of recsys_core.evaluation (a package, so test module names cannot clash)."""
