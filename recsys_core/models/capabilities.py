"""Which architectures a dataset can feed: its capabilities against each model's ``requires``.

The Train page greys out what a dataset cannot feed and says what is missing, worded as the fix.
"""

from __future__ import annotations

import pandas as pd

from recsys_core.data.dataset import Dataset
from recsys_core.models.base import get_model_class, list_models

#: What each ``requires`` entry needs from a dataset, worded as the fix.
REQUIREMENT_HELP: dict[str, str] = {
    "ids": "user and item ids",
    "ratings": "explicit ratings (import a dataset with a rating column, such as MovieLens)",
    "timestamps": "interaction timestamps",
    "sequences": "timestamps to order each user's interactions into a sequence",
    "item_text": "item titles, genres or tags (import a dataset with item metadata)",
    "impressions": "impression logs (items shown, clicked or not), as the synthetic catalogue has",
    "features": "user or item side information (demographics, genres, years, providers)",
}
#: Columns of ``architecture_table``.
ARCHITECTURE_COLUMNS = ("name", "label", "stage", "requires", "available", "missing")
_TEXT_COLUMNS = ("title", "genres", "tags")
_ITEM_FEATURES = ("genres", "year", "provider")
_USER_FEATURES = ("age", "gender", "occupation")


def dataset_capabilities(dataset: Dataset) -> frozenset[str]:
    """The ``requires`` entries a dataset satisfies (keys of ``REQUIREMENT_HELP``).

    Args:
        dataset: a loaded dataset.

    Returns:
        Always ``ids``; ``ratings``/``timestamps``/``sequences``/``impressions`` when present;
        ``item_text`` when some item has a title, genres or tags; ``features`` when users or items
        carry side information.
    """
    found = {"ids"}
    if dataset.has_ratings:
        found.add("ratings")
    if dataset.has_timestamps:
        found |= {"timestamps", "sequences"}
    if dataset.impressions is not None and len(dataset.impressions) > 0:
        found.add("impressions")
    if _any_text(dataset.items, _TEXT_COLUMNS):
        found.add("item_text")
    if _any_value(dataset.items, _ITEM_FEATURES) or _any_value(dataset.users, _USER_FEATURES):
        found.add("features")
    return frozenset(found)


def missing_requirements(model_name: str, capabilities: frozenset[str]) -> list[str]:
    """Why a dataset with ``capabilities`` cannot feed ``model_name``: one line per gap.

    Returns:
        Sorted explanations (``"ratings: explicit ratings (...)"``); empty when it can.
    """
    needed = get_model_class(model_name).requires
    return [
        f"{name}: {REQUIREMENT_HELP.get(name, f'{name} data, which no RecScope dataset provides')}"
        for name in sorted(needed - capabilities)
    ]


def architecture_table(capabilities: frozenset[str]) -> pd.DataFrame:
    """Every registered architecture, what it needs and whether a dataset provides it.

    Args:
        capabilities: ``dataset_capabilities`` of the dataset in use.

    Returns:
        One row per architecture in ``list_models()`` order: ``name``, ``label``, ``stage``,
        ``requires`` (comma-joined), ``available`` (bool) and ``missing`` (the explanations of
        ``missing_requirements``, joined by "; ").
    """
    rows = []
    for name in list_models():
        model_class = get_model_class(name)
        missing = missing_requirements(name, capabilities)
        rows.append(
            {
                "name": name,
                "label": model_class.label,
                "stage": model_class.stage,
                "requires": ", ".join(sorted(model_class.requires)),
                "available": not missing,
                "missing": "; ".join(missing),
            }
        )
    return pd.DataFrame(rows, columns=list(ARCHITECTURE_COLUMNS))


def _any_text(frame: pd.DataFrame, columns: tuple[str, ...]) -> bool:
    for column in columns:
        if column in frame:
            text = frame[column].dropna().astype(str).str.strip()
            if (text != "").any():
                return True
    return False


def _any_value(frame: pd.DataFrame, columns: tuple[str, ...]) -> bool:
    return any(column in frame and frame[column].notna().any() for column in columns)
