"""Errors in the dashboard's words: CLI and API fixes become what a person does on the page."""

from __future__ import annotations

import pytest

from recsys_core.errors import DataError
from recsys_core.ui.wording import ui_message


@pytest.mark.parametrize(
    ("library", "shown"),
    [
        (
            "dataset 'mine' already exists; pass replace=True (--replace) to overwrite it, or "
            "choose another name",
            "dataset 'mine' already exists; tick Replace to overwrite it, or choose another name",
        ),
        (
            "the download failed; fetch ml-100k.zip by hand and pass it with --source (a local "
            "zip or unzipped folder)",
            "the download failed; fetch ml-100k.zip by hand and enter its path under 'Folder or "
            "zip path' (a local zip or unzipped folder)",
        ),
        (
            "unknown protocol 'x'; choose one of msr-100k or pass --split",
            "unknown protocol 'x'; choose one of msr-100k or choose a custom split",
        ),
    ],
)
def test_cli_and_api_fixes_become_page_actions(library: str, shown: str) -> None:
    assert ui_message(DataError(library)) == shown
    assert "replace=True" not in ui_message(library) and "--" not in ui_message(library)


def test_other_messages_are_kept_as_they_are() -> None:
    text = "run bpr-1 is damaged: model/weights.safetensors is missing"
    assert ui_message(text) == text
