"""MovieLens loaders: the real files (when present), every source form, the verified download."""

from __future__ import annotations

import hashlib
import shutil
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_core.data import movielens, store
from recsys_core.data.movielens import MOVIELENS_SHA256, load_movielens
from recsys_core.errors import DataError

GENRE_FLAGS_DRAMA = "|".join(["0"] * 8 + ["1"] + ["0"] * 10)  # flag 8 of 19 is Drama
GENRE_FLAGS_ACTION_COMEDY = "|".join(["0", "1", "0", "0", "0", "1"] + ["0"] * 13)
TINY_ML100K = {
    "u.data": "1\t1\t5\t881250949\n2\t2\t3\t891717742\n1\t2\t4\t878887116\n",
    "u.item": (
        f"1|Misérables, Les (1995)|01-Jan-1995||http://imdb/1|{GENRE_FLAGS_DRAMA}\n"
        f"2|Kolya|24-Jan-1997||http://imdb/2|{GENRE_FLAGS_ACTION_COMEDY}\n"
        f"3|Never Rated (1990)|||http://imdb/3|{'|'.join(['1'] + ['0'] * 18)}\n"
    ),
    "u.user": "1|24|M|technician|85711\n2|53|F|other|T8H1N\n",
}


def _write_tiny_ml100k(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in TINY_ML100K.items():
        (folder / name).write_bytes(text.encode("latin-1"))
    return folder


def _zip_folder(folder: Path, target: Path, *, prefix: str) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        if prefix:
            archive.writestr(f"{prefix}/", "")
        for file in sorted(folder.iterdir()):
            archive.write(file, f"{prefix}/{file.name}" if prefix else file.name)
    return target


def test_tiny_ml100k_fields_are_parsed(tmp_path: Path) -> None:
    frames = load_movielens("ml-100k", _write_tiny_ml100k(tmp_path / "ml-100k"))
    items = frames.items.set_index("item_id")
    assert items.loc["1", "title"] == "Misérables, Les (1995)"  # latin-1 accent decoded
    assert items.loc["1", "genres"] == "Drama"
    assert items.loc["2", "genres"] == "Action|Comedy"
    assert items.loc["3", "genres"] == ""  # the "unknown" flag is not a genre
    assert items.loc["1", "year"] == 1995
    assert items.loc["2", "year"] == 1997  # no year in the title: from the release date
    assert items.loc["1", "release_ts"] == 788918400  # 1995-01-01T00:00:00Z
    assert pd.isna(items.loc["3", "release_ts"])
    users = frames.users.set_index("user_id")
    assert users.loc["2"].tolist() == [53, "F", "other", "T8H1N"]
    assert frames.interactions["rating"].tolist() == [5.0, 3.0, 4.0]
    assert frames.interactions["timestamp"].tolist() == [881250949, 891717742, 878887116]
    assert frames.meta["n_unrated_items"] == 1 and frames.meta["rating_scale"] == [1.0, 5.0]


@pytest.mark.parametrize("form", ["folder", "nested-folder", "zip", "flat-zip"])
def test_every_source_form_gives_the_same_frames(tmp_path: Path, form: str) -> None:
    reference = load_movielens("ml-100k", _write_tiny_ml100k(tmp_path / "ref"))
    files = _write_tiny_ml100k(tmp_path / "files")
    source = {
        "folder": files,
        "nested-folder": _write_tiny_ml100k(tmp_path / "outer" / "ml-100k").parent,
        "zip": _zip_folder(files, tmp_path / "ml-100k.zip", prefix="ml-100k"),
        "flat-zip": _zip_folder(files, tmp_path / "flat.zip", prefix=""),
    }[form]
    frames = load_movielens("ml-100k", source)
    for got, want in (
        (frames.interactions, reference.interactions),
        (frames.items, reference.items),
        (frames.users, reference.users),
    ):
        pd.testing.assert_frame_equal(got, want)


def test_bad_sources_are_explained(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"unknown MovieLens release 'ml-5k'"):
        load_movielens("ml-5k", tmp_path)
    with pytest.raises(DataError, match=r"does not exist"):
        load_movielens("ml-100k", tmp_path / "missing")
    partial_copy = _write_tiny_ml100k(tmp_path / "partial")
    (partial_copy / "u.user").unlink()
    with pytest.raises(DataError, match=r"lacks u.user of ml-100k"):
        load_movielens("ml-100k", partial_copy)
    not_zip = tmp_path / "fake.zip"
    not_zip.write_bytes(b"hello")
    with pytest.raises(DataError, match="is not a zip file"):
        load_movielens("ml-100k", not_zip)


def test_no_source_reads_the_datasets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_tiny_ml100k(tmp_path / "ml-100k")
    monkeypatch.setenv(movielens.DATASETS_ENV, str(tmp_path))
    frames = load_movielens("ml-100k")
    assert len(frames.interactions) == 3 and frames.source == str(tmp_path / "ml-100k")


class _CountingHandler(SimpleHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.requests.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Keep test output quiet."""


@pytest.fixture
def zip_server(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """An HTTP server on 127.0.0.1 serving a tiny ml-100k.zip; yields (url, zip path, requests)."""
    served = tmp_path / "served"
    served.mkdir()
    files = _write_tiny_ml100k(tmp_path / "zip-src")
    archive = _zip_folder(files, served / "ml-100k.zip", prefix="ml-100k")
    requests: list[str] = []
    handler = type("Handler", (_CountingHandler,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/ml-100k.zip", archive, requests
    finally:
        server.shutdown()
        server.server_close()


def test_download_checks_the_hash_reports_progress_and_caches(
    tmp_path: Path, zip_server: tuple[str, Path, list[str]]
) -> None:
    url, archive, requests = zip_server
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    calls: list[tuple[int, int]] = []
    cache = tmp_path / "cache"
    frames = load_movielens(
        "ml-100k", url, progress=lambda d, t: calls.append((d, t)), cache_dir=cache, sha256=digest
    )
    assert len(frames.interactions) == 3 and frames.source == url
    assert calls and calls[-1] == (archive.stat().st_size, archive.stat().st_size)
    assert (cache / "ml-100k.zip").read_bytes() == archive.read_bytes()
    load_movielens("ml-100k", url, cache_dir=cache, sha256=digest)
    assert requests == ["/ml-100k.zip"]  # the verified cached copy is reused


def test_hash_mismatch_deletes_the_download(
    tmp_path: Path, zip_server: tuple[str, Path, list[str]]
) -> None:
    url, _, _ = zip_server
    cache = tmp_path / "cache"
    # Default: the pinned official hash, which this tiny zip cannot match.
    with pytest.raises(DataError, match=rf"expected {MOVIELENS_SHA256['ml-100k']}.*deleted"):
        load_movielens("ml-100k", url, cache_dir=cache)
    assert list(cache.iterdir()) == []


def test_file_url_and_network_errors(tmp_path: Path) -> None:
    files = _write_tiny_ml100k(tmp_path / "src")
    archive = _zip_folder(files, tmp_path / "local.zip", prefix="")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    frames = load_movielens(
        "ml-100k", archive.as_uri(), cache_dir=tmp_path / "cache", sha256=digest
    )
    assert len(frames.items) == 3
    with pytest.raises(DataError, match=r"could not download .*pass it with --source"):
        load_movielens("ml-100k", "http://127.0.0.1:9/ml-100k.zip", cache_dir=tmp_path / "c2")
    assert not (tmp_path / "c2" / "ml-100k.zip.part").exists()


@pytest.mark.needs_movielens
def test_ml1m_tiny_ratings_with_real_movies_and_users(tmp_path: Path, ml1m_dir: Path) -> None:
    folder = tmp_path / "ml-1m"
    folder.mkdir()
    for name in ("movies.dat", "users.dat"):
        shutil.copy(ml1m_dir / name, folder / name)
    (folder / "ratings.dat").write_text(
        "1::1193::5::978300760\n1::661::3::978302109\n6040::2019::4::956703932\n"
    )
    frames = load_movielens("ml-1m", folder)
    assert len(frames.items) == 3883 and len(frames.users) == 6040
    assert frames.users["gender"].value_counts().to_dict() == {"M": 4331, "F": 1709}
    assert set(frames.users["age"]) == {1, 18, 25, 35, 45, 50, 56}
    user1 = frames.users.set_index("user_id").loc["1"]
    assert user1.tolist() == [1, "F", "K-12 student", "48067"]  # raw: 1::F::1::10::48067
    items = frames.items.set_index("item_id")
    assert items.loc["1", "genres"] == "Animation|Children's|Comedy"
    assert items["title"].str.contains("é").any()
    assert items["year"].notna().all()
    assert frames.interactions["rating"].tolist() == [5.0, 3.0, 4.0]
    assert frames.meta["n_unrated_items"] == 3880


@pytest.mark.needs_movielens
def test_real_ml100k_counts(ml100k_dir: Path) -> None:
    frames = load_movielens("ml-100k", ml100k_dir)
    assert len(frames.interactions) == 100_000
    assert len(frames.users) == 943 and len(frames.items) == 1682
    counts = frames.interactions["rating"].value_counts().sort_index().to_dict()
    assert counts == {1.0: 6110, 2.0: 11370, 3.0: 27145, 4.0: 34174, 5.0: 21201}
    titles = frames.items.set_index("item_id")["title"]
    assert "Misérables, Les (1995)" in set(titles)
    assert titles["1"] == "Toy Story (1995)"


@pytest.mark.needs_movielens
def test_real_latest_small(latest_small_dir: Path) -> None:
    frames = load_movielens("ml-latest-small", latest_small_dir)
    assert len(frames.interactions) == 100_836
    assert len(frames.users) == 610 and len(frames.items) == 9742
    ratings = frames.interactions["rating"]
    assert set(ratings) == set(np.arange(1, 11) / 2) and (ratings % 1 == 0.5).any()
    assert frames.users[["age", "gender", "occupation", "zip"]].isna().all().all()
    items = frames.items.set_index("item_id")
    assert "pixar" in items.loc["1", "tags"].split("|")
    assert (items["tags"] != "").sum() == 1572  # movies with at least one tag
    assert not items["genres"].str.contains("no genres").any()
    assert frames.meta["n_unrated_items"] == 9742 - 9724


@pytest.mark.needs_movielens
def test_real_ml100k_store_round_trip(
    ml100k_dir: Path, ml100k_frame: pd.DataFrame, db_path: Path
) -> None:
    info = store.write_dataset(load_movielens("ml-100k", ml100k_dir), path=db_path)
    ds = store.load_dataset("ml-100k", path=db_path)
    assert (info.n_users, info.n_items, info.n_interactions) == (943, 1682, 100_000)
    # Ids 1..943 / 1..1682 sort numerically, so idx = id - 1; rows keep file order.
    assert ds.users["user_id"].tolist() == [str(i) for i in range(1, 944)]
    assert ds.items["item_id"].tolist() == [str(i) for i in range(1, 1683)]
    frame = ds.interactions
    np.testing.assert_array_equal(frame["user_idx"], ml100k_frame["user_idx"])
    np.testing.assert_array_equal(frame["item_idx"], ml100k_frame["item_idx"])
    np.testing.assert_array_equal(frame["rating"], ml100k_frame["rating"].astype(float))
    np.testing.assert_array_equal(frame["timestamp"].astype("int64"), ml100k_frame["timestamp"])


def test_import_movielens_stores_the_release_and_refuses_a_stored_name_before_reading(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _write_tiny_ml100k(tmp_path / "ml-100k")
    info = movielens.import_movielens("ml-100k", source=source, path=db_path)
    assert (info.name, info.n_users, info.n_items, info.n_interactions) == ("ml-100k", 2, 3, 3)
    assert store.dataset_info("ml-100k", db_path) == info

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a stored name must be refused before the release is read")

    monkeypatch.setattr(movielens, "load_movielens", never)
    with pytest.raises(DataError, match="'ml-100k' already exists; pass replace=True"):
        movielens.import_movielens("ml-100k", source=source, path=db_path)
    monkeypatch.undo()
    (source / "u.data").write_text("1\t3\t2\t881250950\n")
    replaced = movielens.import_movielens("ml-100k", source=source, replace=True, path=db_path)
    assert replaced.n_interactions == 1 and replaced.fingerprint != info.fingerprint
