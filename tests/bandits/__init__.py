"""Tests of recsys_core.bandits (a package, so test module names cannot clash)."""
