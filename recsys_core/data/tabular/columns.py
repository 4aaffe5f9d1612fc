"""Map a file's column names to the roles RecScope stores (user id, rating, title, ...).

Names match case-insensitively, ignoring ``_`` and spaces; other columns are reported as ignored.
"""

from __future__ import annotations

from recsys_core.data.tabular.source import Source
from recsys_core.errors import DataError

#: Accepted column names per role, after lower-casing and removing "_" and spaces.
_USER_ALIASES = ("user", "userid")
_ITEM_ALIASES = ("item", "itemid", "movieid")
_ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "interactions": {
        "user_id": _USER_ALIASES,
        "item_id": _ITEM_ALIASES,
        "rating": ("rating",),
        "timestamp": ("timestamp",),
    },
    "items": {
        "item_id": _ITEM_ALIASES,
        "title": ("title",),
        "genres": ("genres",),
        "year": ("year",),
        "provider": ("provider",),
        "tags": ("tags",),
    },
    "users": {
        "user_id": _USER_ALIASES,
        "age": ("age",),
        "gender": ("gender",),
        "occupation": ("occupation",),
        "zip": ("zip",),
    },
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "interactions": ("user_id", "item_id"),
    "items": ("item_id",),
    "users": ("user_id",),
}
_DISPLAY = {
    "user_id": "user, user_id or userId",
    "item_id": "item, item_id, itemId or movieId",
}


def resolve_columns(source: Source, kind: str) -> tuple[dict[str, str], list[str]]:
    """Map each role of a ``kind`` file to the file's column.

    Args:
        source: the file as read.
        kind: ``interactions``, ``items`` or ``users``.

    Returns:
        (role -> column, columns matching no role, in file order).

    Raises:
        DataError: two columns match one role, or a required role has no column.
    """
    found: dict[str, str] = {}
    ignored: list[str] = []
    for column in map(str, source.frame.columns):
        key = column.strip().lower().replace("_", "").replace(" ", "")
        roles = [role for role, aliases in _ROLES[kind].items() if key in aliases]
        if not roles:
            ignored.append(column)
            continue
        role = roles[0]
        if role in found:
            raise DataError(
                f"{source.file}: columns {found[role]!r} and {column!r} both look like the "
                f"{role} column; keep one of them"
            )
        found[role] = column
    for role in _REQUIRED[kind]:
        if role not in found:
            columns = [str(c) for c in source.frame.columns]
            raise DataError(
                f"{source.file}: no {role.split('_')[0]} column among {columns}; name it "
                f"{_DISPLAY[role]}"
            )
    return found, ignored
