"""Bad input beyond tables: SQL-injection strings and path traversal in text inputs and query
parameters change nothing and are answered in the dashboard's words; out-of-range or mistyped
``--set`` values are refused by name on the command line."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from recsys_core.cli import main as cli_main
from recsys_core.data import store
from recsys_core.data.protocols import custom_protocol
from recsys_core.data.splits import SplitSpec
from recsys_core.data.synthetic import generate_synthetic
from recsys_core.experiment import train_run

APP = str(Path(__file__).resolve().parents[2] / "app.py")
INJECTION = "x'); DROP TABLE runs; --"
TRAVERSAL = "../../etc/passwd"


@pytest.fixture()
def db(app_db: Path) -> Path:
    frames = generate_synthetic(n_users=80, n_items=50, n_interactions=1_500, seed=4)
    store.write_dataset(frames, path=app_db)
    protocol = custom_protocol(SplitSpec(kind="user", test=0.2, seed=1))
    train_run("synthetic", "popularity", protocol, path=app_db)
    return app_db


def _snapshot(path: Path) -> dict[str, int]:
    """Row count of every table: what a harmless input leaves exactly as it was."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [row[0] for row in con.execute("SHOW TABLES").fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def _unchanged(before: dict[str, int], after: dict[str, int]) -> bool:
    """Every table holds what it held; tables the app declared meanwhile are empty."""
    return all(after[t] == n for t, n in before.items()) and not any(
        after[t] for t in after.keys() - before.keys()
    )


def _page(page: str | None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if page:
        at.switch_page(page)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize(
    ("page", "query"),
    [
        (None, {"dataset": f"synthetic{INJECTION}"}),
        ("pages/3_Embeddings.py", {"run": TRAVERSAL}),
        ("pages/4_Recommendations.py", {"user": INJECTION}),
        ("pages/5_Compare.py", {"runs": f"{INJECTION},{TRAVERSAL}"}),
        ("pages/1_Data.py", {"split": INJECTION}),
    ],
)
def test_hostile_query_parameters_fall_back_with_a_notice_and_change_nothing(
    db: Path, page: str | None, query: dict[str, str]
) -> None:
    before = _snapshot(db)
    at = _page(page, **query)
    notices = "\n".join(info.value for info in at.info)
    if page != "pages/1_Data.py":  # the Data page's split picker falls back to its first preset
        assert "which does not exist here" in notices
    assert _unchanged(before, _snapshot(db))
    assert not Path("/etc/passwd.duckdb").exists()


def test_an_injection_string_as_a_dataset_name_is_stored_as_text(db: Path) -> None:
    before = _snapshot(db)
    at = _page(None)
    name_box = next(t for t in at.text_input if t.label == "Dataset name")
    name_box.set_value(INJECTION)
    at.file_uploader[0].set_value(("r.csv", b"user,item\nu1,i1\nu2,i1\n", "text/csv"))
    next(b for b in at.button if b.label == "Import").click()
    at.run()
    assert not at.exception
    names = [info.name for info in store.list_datasets(path=db)]
    assert sorted(names) == sorted(["synthetic", INJECTION])  # a name, nothing executed
    after = _snapshot(db)
    assert after["runs"] == before["runs"] == 1


@pytest.mark.parametrize("name", ["bad\x00name", "tab\tin"])
def test_a_dataset_name_with_control_characters_is_refused_and_nothing_changes(
    db: Path, name: str
) -> None:
    before = _snapshot(db)
    at = _page(None)
    next(t for t in at.text_input if t.label == "Dataset name").set_value(name)
    at.file_uploader[0].set_value(("r.csv", b"user,item\nu1,i1\n", "text/csv"))
    next(b for b in at.button if b.label == "Import").click()
    at.run()
    assert "holds control characters" in at.error[0].value
    assert _unchanged(before, _snapshot(db))


def test_a_traversal_path_for_movielens_is_explained_and_changes_nothing(db: Path) -> None:
    before = _snapshot(db)
    at = _page(None)
    next(t for t in at.text_input if t.label == "Folder or zip path").set_value(TRAVERSAL)
    next(b for b in at.button if b.label == "Load ml-100k").click()
    at.run()
    assert not at.exception
    assert at.error and TRAVERSAL in at.error[0].value
    assert _unchanged(before, _snapshot(db))


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("dim=0", "BPRConfig.dim=0 is below its minimum 1"),
        ("lr=-5", "BPRConfig.lr=-5.0 is below its minimum"),
        ("lr=abc", "BPRConfig.lr='abc' is not a valid float"),
        ("n_epochs=2.5", "BPRConfig.n_epochs='2.5' is not a valid int"),
        (f"dim={INJECTION}", "is not a valid int"),
    ],
)
def test_set_values_out_of_range_or_of_the_wrong_type_are_refused_by_name(
    db: Path, capsys: pytest.CaptureFixture[str], setting: str, message: str
) -> None:
    before = _snapshot(db)
    code = cli_main(["train", "--dataset", "synthetic", "--model", "bpr", "--set", setting])
    err = capsys.readouterr().err
    assert code != 0 and message in err and err.count("\n") == 1
    assert _unchanged(before, _snapshot(db))
