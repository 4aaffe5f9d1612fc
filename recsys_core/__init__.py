"""RecScope core library: data, models, evaluation and the run registry.

Nothing in this package outside ``recsys_core.ui`` imports Streamlit.
"""

from __future__ import annotations

__version__ = "0.1.0"
