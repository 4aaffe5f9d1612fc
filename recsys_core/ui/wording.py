"""Errors in the dashboard's words.

The library's messages say how to fix a problem for every caller at once, so some name the
command line's flags or the Python API (``pass replace=True (--replace)``). Shown in the browser,
those parts become what a person does on the page ("tick Replace"); everything else of the
message is kept. Pages show a ``RecScopeError`` through ``ui_message``.
"""

from __future__ import annotations

import re

#: (pattern, replacement) applied in order; each pattern is a fix phrased for the CLI or API.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"pass replace=True \(--replace\) to overwrite it", "tick Replace to overwrite it"),
        (r"re-import the dataset with replace=True", "import it again with Replace ticked"),
        (r"pass replace=True or choose", "tick Replace or choose"),
        (r"pass it with --source \(", "enter its path under 'Folder or zip path' ("),
        (r"copy with --source", "copy by entering its path under 'Folder or zip path'"),
        (r"or pass --split", "or choose a custom split"),
    )
)


def ui_message(error: BaseException | str) -> str:
    """The error's message with command-line and API fixes put in the dashboard's words."""
    text = str(error)
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text
