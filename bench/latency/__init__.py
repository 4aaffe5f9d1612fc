"""The parts of the app latency benchmark; ``bench/app_latency.py`` runs them (its docstring
describes the method)."""
