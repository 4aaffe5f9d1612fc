"""Benchmarks: each script prints a table, writes JSON and names its peer."""
