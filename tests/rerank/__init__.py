"""Tests of recsys_core.rerank (a package, so test module names cannot clash)."""
