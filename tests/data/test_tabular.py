"""CSV/Parquet import: round trips, and malformed inputs that must leave the store as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recsys_core.data import store
from recsys_core.data.tabular import import_tabular
from recsys_core.errors import DataError


def _write(folder: Path, name: str, content: bytes | str | pa.Table) -> Path:
    path = folder / name
    if isinstance(content, pa.Table):
        pq.write_table(content, path)
    else:
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


# --- successful imports -------------------------------------------------------------------------
def test_csv_with_items_and_users_round_trip(tmp_path: Path, seeded_db: Path) -> None:
    log = _write(
        tmp_path,
        "ratings.csv",
        "userId,movieId,rating,timestamp,comment\n"
        "u2,10,4.5,2024-01-01T00:00:00Z,nice\n"
        "u1,10,3,2024-01-01 01:00:00+01:00,\n"
        'u1,11,5,1970-01-02,"with, comma"\n',
    )
    items = _write(
        tmp_path,
        "items.csv",
        "item_id;title;year;genres;tags\n"
        "10;Ten (1995);1995;A|B;x\n11;Élan;;;\n12;Unrated;2000;C;\n",
    )
    users = _write(tmp_path, "users.tsv", "user\tage\tgender\tzip\nu1\t30\tF\t02139\nu2\t\tM\t\n")

    info = import_tabular(log, name="mine", items=items, users=users, path=seeded_db)
    assert (info.n_users, info.n_items, info.n_interactions) == (2, 3, 3)
    assert info.meta["ignored_columns"] == {"interactions": ["comment"]}
    assert info.meta["delimiter"] == "," and info.meta["format"] == "csv"

    ds = store.load_dataset("mine", path=seeded_db)
    assert ds.users["user_id"].tolist() == ["u1", "u2"]
    assert ds.users["age"].tolist()[0] == 30 and pd.isna(ds.users["age"].iloc[1])
    assert ds.users["zip"].iloc[0] == "02139"  # leading zero kept: ids and zips stay text
    assert ds.items["item_id"].tolist() == ["10", "11", "12"]  # catalogue row 12 is kept
    assert ds.items["title"].tolist() == ["Ten (1995)", "Élan", "Unrated"]
    assert ds.items["genres"].tolist() == ["A|B", "", "C"]
    frame = ds.interactions
    assert frame["user_idx"].tolist() == [1, 0, 0] and frame["item_idx"].tolist() == [0, 0, 1]
    assert frame["rating"].tolist() == [4.5, 3.0, 5.0]
    # ISO-8601 with zones, and a bare date read as UTC midnight.
    assert frame["timestamp"].tolist() == [1704067200, 1704067200, 86400]
    assert "existing" in [i.name for i in store.list_datasets(seeded_db)]


def test_implicit_csv_without_optional_tables(tmp_path: Path, db_path: Path) -> None:
    log = _write(tmp_path, "clicks.csv", "user|item\n7|b\n7|a\n3|a\n")
    info = import_tabular(log, name="clicks", path=db_path)
    assert not info.has_ratings and not info.has_timestamps
    ds = store.load_dataset("clicks", path=db_path)
    assert ds.users["user_id"].tolist() == ["3", "7"]
    assert ds.items["item_id"].tolist() == ["a", "b"]
    assert ds.items["title"].isna().all() and (ds.items["genres"] == "").all()
    assert ds.interactions["rating"].isna().all() and ds.interactions["timestamp"].isna().all()


def test_parquet_round_trip_and_replace(tmp_path: Path, db_path: Path) -> None:
    table = pa.table(
        {
            "user_id": pa.array([1, 2, 2], pa.int64()),
            "item_id": ["x", "y", "x"],
            "rating": pa.array([1.0, 2.0, 3.0]),
            "timestamp": pa.array([5, 6, 7], pa.timestamp("s")),
        }
    )
    log = _write(tmp_path, "log.parquet", table)
    assert import_tabular(log, name="pq", path=db_path).meta["format"] == "parquet"
    ds = store.load_dataset("pq", path=db_path)
    assert ds.interactions["timestamp"].tolist() == [5, 6, 7]
    assert ds.users["user_id"].tolist() == ["1", "2"]

    smaller = _write(tmp_path, "small.parquet", table.slice(0, 1))
    assert import_tabular(smaller, name="pq", path=db_path, replace=True).n_interactions == 1


# --- malformed inputs ---------------------------------------------------------------------------
_LATIN1 = "user_id,item_id,title\n1,1,ok\n2,2,Misérables\n".encode("latin-1")
_HUGE = b"user_id,item_id,note\n1,1,ok\n2,2," + b"x" * 1_100_000 + b"\n"

#: (case id, files {role: (file name, content)}, regex the message must match).
MALFORMED: list[tuple[str, dict[str, tuple[str, object]], str]] = [
    (
        "missing-user-column",
        {"log": ("a.csv", "item_id,rating\n1,5\n")},
        r"a\.csv: no user column among \['item_id', 'rating'\]; name it user, user_id or userId",
    ),
    (
        "missing-item-column",
        {"log": ("b.csv", "userId,rating\n1,5\n")},
        r"b\.csv: no item column .*item, item_id, itemId or movieId",
    ),
    (
        "text-in-rating",
        {"log": ("c.csv", "user_id,item_id,rating\n1,1,4\n2,1,good\n")},
        r"c\.csv: row 2 \(line 3\), column 'rating': 'good' is not a number",
    ),
    (
        "decimal-comma-rating",
        {"log": ("d.csv", "user_id;item_id;rating\n1;1;3,5\n")},
        r"d\.csv: row 1 \(line 2\), column 'rating': '3,5' is not a number; use '\.' as the "
        r"decimal",
    ),
    (
        "nan-rating",
        {"log": ("e.csv", "user_id,item_id,rating\n1,1,4\n1,2,NaN\n1,3,\n")},
        r"e\.csv: rows 2, 3 \(lines 3, 4\), column 'rating': the rating is missing",
    ),
    (
        "infinite-rating",
        {"log": ("f.csv", "user_id,item_id,rating\n1,1,4\n1,2,-inf\n")},
        r"f\.csv: row 2 \(line 3\), column 'rating': -inf is out of range; ratings must be finite",
    ),
    ("empty-file", {"log": ("g.csv", b"")}, r"g\.csv is empty \(0 bytes\); it needs a header row"),
    (
        "header-only",
        {"log": ("h.csv", "user_id,item_id,rating\n\n")},
        r"h\.csv has a header but no data rows",
    ),
    (
        "no-header",
        {"log": ("i.csv", "1,10,5\n2,10,4\n")},
        r"i\.csv: line 1 \('1,10,5'\) looks like data, not a header; add a header row",
    ),
    (
        "duplicate-rows",
        {"log": ("j.csv", "user_id,item_id,timestamp\n1,1,5\n2,2,6\n1,1,5\n")},
        r"j\.csv: rows 1, 3 \(lines 2, 4\), columns 'user_id', 'item_id': user '1' and item '1' "
        r"repeat at the same timestamp",
    ),
    (
        "float-id",
        {"log": ("k.csv", "user_id,item_id\n1,1\n2,1.0\n")},
        r"k\.csv: row 2 \(line 3\), column 'item_id': '1\.0' looks like a decimal number, "
        r"not an id",
    ),
    (
        "negative-id",
        {"log": ("l.csv", "user_id,item_id\n-3,1\n")},
        r"l\.csv: row 1 \(line 2\), column 'user_id': '-3' is a negative id",
    ),
    (
        "nul-byte-in-id",
        {"log": ("l0.csv", b"user_id,item_id\nu0,1\nu1\x00,1\nu2,2\n")},
        r"l0\.csv: row 2 \(line 3\), column 'user_id': the user id 'u1\\x00' holds the control "
        r"character U\+0000; ids must be printable text",
    ),
    (
        "control-characters-in-ids",
        {"log": ("l1.csv", "user_id;item_id\n1;a\tb\n2;c\x1b[0m\n3;d\x85e\n4;f\n")},
        r"l1\.csv: rows 1, 2, 3 \(lines 2, 3, 4\), column 'item_id': the item id 'a\\tb' holds the "
        r"control character U\+0009",
    ),
    (
        "parquet-control-character-in-side-id",
        {
            "log": ("l2.parquet", pa.table({"user_id": ["u"], "item_id": ["a"]})),
            "items": (
                "l2_items.parquet",
                pa.table({"item_id": ["a", "b\x07"], "title": ["A", "B"]}),
            ),
        },
        r"l2_items\.parquet: row 2, column 'item_id': the item id 'b\\x07' holds the control "
        r"character U\+0007",
    ),
    (
        "latin1-bytes",
        {"log": ("m.csv", _LATIN1)},
        r"m\.csv: byte 36 \(line 3\) is 0xE9, which is not valid UTF-8.*re-save it as UTF-8",
    ),
    (
        "space-delimiter",
        {"log": ("n.csv", "user item rating\n1 1 5\n")},
        r"n\.csv: the header 'user item rating' is read as a single column; the file seems to "
        r"use ' ' as delimiter",
    ),
    (
        "ragged-row",
        {"log": ("o.csv", "user_id,item_id,rating\n1,1,5\n2,2,4,extra\n")},
        r"o\.csv: line 3 has 4 fields but the header has 3",
    ),
    (
        "huge-field",
        {"log": ("p.csv", _HUGE)},
        r"p\.csv: row 2 \(line 3\), column 'note': a field has 1,100,000 characters",
    ),
    (
        "unparseable-timestamp",
        {"log": ("q.csv", "user_id,item_id,timestamp\n1,1,2024-01-01\n1,2,yesterday\n")},
        r"q\.csv: row 2 \(line 3\), column 'timestamp': 'yesterday' is not a timestamp",
    ),
    (
        "millisecond-timestamps",
        {"log": ("r.csv", "user_id,item_id,timestamp\n1,1,1700000000000\n")},
        r"r\.csv: row 1 \(line 2\), column 'timestamp': 1700000000000 is too large .*milliseconds",
    ),
    (
        "parquet-rating-as-text",
        {
            "log": (
                "s.parquet",
                pa.table({"user_id": [1, 2], "item_id": [1, 2], "rating": ["4", "five"]}),
            )
        },
        r"s\.parquet: column 'rating' has Parquet type string; ratings must be stored as numbers",
    ),
    (
        "parquet-missing-item",
        {"log": ("t.parquet", pa.table({"user_id": [1, 2], "score": [1.0, 2.0]}))},
        r"t\.parquet: no item column among \['user_id', 'score'\]",
    ),
    (
        "parquet-float-ids",
        {"log": ("u.parquet", pa.table({"user_id": [1.0, 2.0], "item_id": [1, 2]}))},
        r"u\.parquet: column 'user_id' has Parquet type double; user ids must be integers or text",
    ),
    (
        "not-parquet",
        {"log": ("v.parquet", b"PAR1 this is not really parquet")},
        r"v\.parquet cannot be read as Parquet .*corrupt or in another format",
    ),
    (
        "items-duplicate-ids",
        {
            "log": ("w.csv", "user_id,item_id\n1,a\n"),
            "items": ("w_items.csv", "item_id,title\na,A\nb,B\na,A again\n"),
        },
        r"w_items\.csv: rows 1, 3 \(lines 2, 4\), column 'item_id': item id 'a' appears more "
        r"than once",
    ),
    (
        "item-absent-from-items-file",
        {
            "log": ("x.csv", "user_id,item_id\n1,a\n1,zz\n2,zz\n"),
            "items": ("x_items.csv", "item_id,title\na,A\n"),
        },
        r"x\.csv: rows 2, 3 \(lines 3, 4\), column 'item_id': item 'zz' is not in .*x_items\.csv",
    ),
    (
        "user-absent-from-users-file",
        {
            "log": ("y.csv", "user_id,item_id\n1,a\n9,a\n"),
            "users": ("y_users.csv", "user_id,age\n1,20\n"),
        },
        r"y\.csv: row 2 \(line 3\), column 'user_id': user '9' is not in .*y_users\.csv",
    ),
    (
        "users-file-bad-age",
        {
            "log": ("z.csv", "user_id,item_id\n1,a\n"),
            "users": ("z_users.csv", "user_id,age\n1,twenty\n"),
        },
        r"z_users\.csv: row 1 \(line 2\), column 'age': 'twenty' is not a whole number",
    ),
]


@pytest.mark.parametrize(
    ("files", "message"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_malformed_input_is_refused_and_the_store_is_unchanged(
    tmp_path: Path,
    seeded_db: Path,
    snapshot: Callable,
    files: dict[str, tuple[str, object]],
    message: str,
) -> None:
    paths = {role: _write(tmp_path, name, content) for role, (name, content) in files.items()}
    before = snapshot(seeded_db)
    with pytest.raises(DataError, match=message):
        import_tabular(
            paths["log"],
            name="incoming",
            items=paths.get("items"),
            users=paths.get("users"),
            path=seeded_db,
        )
    assert snapshot(seeded_db) == before


def test_existing_name_without_replace_is_refused_unchanged(
    tmp_path: Path, seeded_db: Path, snapshot: Callable
) -> None:
    log = _write(tmp_path, "ok.csv", "user_id,item_id\n1,1\n")
    before = snapshot(seeded_db)
    with pytest.raises(DataError, match=r"dataset 'existing' already exists; pass replace=True"):
        import_tabular(log, name="existing", path=seeded_db)
    assert snapshot(seeded_db) == before


def test_missing_file_is_named(tmp_path: Path, seeded_db: Path) -> None:
    with pytest.raises(DataError, match=r"interactions file .*nowhere\.csv does not exist"):
        import_tabular(tmp_path / "nowhere.csv", name="x", path=seeded_db)


def test_delimiters_are_detected(tmp_path: Path, db_path: Path) -> None:
    for name, delimiter in (("comma", ","), ("semi", ";"), ("tab", "\t"), ("pipe", "|")):
        text = delimiter.join(["user_id", "item_id", "rating"]) + "\n"
        text += delimiter.join(["1", "2", "3.5"]) + "\n"
        info = import_tabular(_write(tmp_path, f"{name}.csv", text), name=name, path=db_path)
        assert info.meta["delimiter"] == delimiter
        assert store.load_dataset(name, path=db_path).interactions["rating"].tolist() == [3.5]


def test_ids_are_trimmed_and_numeric_ids_sort_numerically(tmp_path: Path, db_path: Path) -> None:
    log = _write(tmp_path, "ids.csv", "user_id,item_id\n 10 ,1\n2,1\n9,1\n")
    import_tabular(log, name="ids", path=db_path)
    users = store.load_dataset("ids", path=db_path).users["user_id"].tolist()
    assert users == ["2", "9", "10"]
    assert np.array_equal(
        store.load_dataset("ids", path=db_path).interactions["user_idx"], [2, 0, 1]
    )
