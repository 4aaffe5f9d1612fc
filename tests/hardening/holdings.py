"""What a database of the hardening tests holds, and what in it is half-written or left over.

A ``Snapshot`` lists a database's datasets (with fingerprints), complete runs and stored
projections. ``half_written`` finds every listed object that is neither as it was before an
operation nor the operation's finished object; ``leftovers`` finds what killed processes left:
runs still ``running``, staging folders, markers, temporary files, orphan run folders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recsys_core.analysis.projection import PROJECTIONS_DIR
from recsys_core.artifacts import read_parquet
from recsys_core.data import store
from recsys_core.data.protocols import protocol_from_dict
from recsys_core.experiment import evaluate_run_model, prepare_split
from recsys_core.registry import get_run, list_runs, load_run_model, run_damage
from recsys_core.registry.owners import MARKER_PREFIX, STAGING_PREFIX
from recsys_core.registry.runs import load_per_user_metrics, load_run_details, runs_dir
from recsys_core.rerank.saved import RERANK_KIND, load_reranked_model


@dataclass(frozen=True)
class Snapshot:
    """What a database holds: dataset fingerprints, complete runs, projection files."""

    datasets: dict[str, str]
    runs: frozenset[str]
    projections: frozenset[str]


def snapshot(db: Path) -> Snapshot:
    """Datasets (name -> fingerprint), complete runs and projection files of ``db``."""
    datasets = {info.name: info.fingerprint for info in store.list_datasets(db)}
    runs = frozenset(record.run_id for record in list_runs(path=db))
    folder = runs_dir(db)
    projections = frozenset(
        str(file.relative_to(folder)) for file in folder.glob(f"*/{PROJECTIONS_DIR}/*.parquet")
    )
    return Snapshot(datasets, runs, projections)


def half_written(
    db: Path,
    before: Snapshot,
    finished: Snapshot,
    now: Snapshot,
    written: tuple[str | None, tuple[int, int, int] | None] = (None, None),
) -> list[str]:
    """Every object ``db`` lists (``now``) that is neither as ``before`` nor the ``finished`` new
    object; ``written`` names the dataset the operation writes and its source's row counts."""
    dataset, rows = written
    problems = []
    for name, fingerprint in now.datasets.items():
        expected = before.datasets.get(name, finished.datasets.get(name))
        if fingerprint != expected:
            problems.append(f"dataset {name} has fingerprint {fingerprint}, not {expected}")
        problems += _row_problems(db, name, rows if name == dataset else None)
    problems += [f"dataset {name} is gone" for name in set(before.datasets) - set(now.datasets)]
    problems += [f"run {run_id} is gone" for run_id in before.runs - now.runs]
    for run_id in now.runs:
        problems += _run_problems(db, run_id, new=run_id not in before.runs)
    for relative in now.projections:
        problems += _projection_problems(runs_dir(db) / relative)
    return problems


def _row_problems(db: Path, name: str, expected: tuple[int, int, int] | None) -> list[str]:
    """The stored rows of dataset ``name`` agree with its info (and with the source's counts)."""
    info = store.dataset_info(name, db)
    with store.connect(db, read_only=True) as con:
        counts = tuple(
            con.execute(f"SELECT count(*) FROM {table} WHERE dataset = ?", [name]).fetchall()[0][0]
            for table in ("interactions", "users", "items")
        )
    problems = []
    if counts != (info.n_interactions, info.n_users, info.n_items):
        problems.append(f"dataset {name} stores rows {counts}, its info says otherwise")
    if expected is not None and any(e and e != c for e, c in zip(expected, counts, strict=True)):
        problems.append(f"dataset {name} stores rows {counts}, the source has {expected}")
    return problems


def _run_problems(db: Path, run_id: str, *, new: bool) -> list[str]:
    """A listed run's files are whole; a new one loads and evaluates to its recorded metrics."""
    record = get_run(run_id, path=db)
    damage = run_damage(record)
    if damage is not None:
        return [f"listed run {run_id} is damaged: {damage}"]
    if not new:
        return []
    try:
        load_run_details(run_id, path=db)
        load_per_user_metrics(run_id, path=db)
        protocol = protocol_from_dict(record.protocol)
        if record.kind == RERANK_KIND:
            model = load_reranked_model(run_id, path=db)
        else:
            model = load_run_model(run_id, path=db)
        dataset, split = prepare_split(record.dataset, protocol, path=db)
        result = evaluate_run_model(model, dataset, split, protocol, ks=(10,))
    except Exception as exc:  # noqa: BLE001 - a listed run that does not load is half-written
        return [f"listed run {run_id} does not load or evaluate: {exc!r}"]
    got, recorded = result.headline()["ndcg@10"], record.metrics.get("ndcg@10")
    if recorded is None or abs(got - recorded) > 1e-9:
        return [f"listed run {run_id} evaluates to ndcg@10={got}, its record says {recorded}"]
    return []


def _projection_problems(file: Path) -> list[str]:
    """A stored projection reads back as (idx, x, y) rows of the base run's 500 items."""
    try:
        frame = read_parquet(file, "delete it", columns=("idx", "x", "y"))
    except Exception as exc:  # noqa: BLE001 - a listed projection that does not read back
        return [f"projection {file} does not read back: {exc!r}"]
    if len(frame) != 500 or frame["idx"].nunique() != 500:
        return [f"projection {file} holds {len(frame)} points, not the 500 items"]
    return []


def leftovers(db: Path) -> list[str]:
    """What killed processes left: runs still ``running``, staging folders, markers, temporary
    files, and run folders without a complete run."""
    folder = runs_dir(db)
    records = list_runs(include_incomplete=True, path=db)
    found = [f"run {r.run_id} is still running" for r in records if r.status == "running"]
    complete = {r.run_id for r in records if r.status == "complete"}
    if not folder.is_dir():
        return found
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((STAGING_PREFIX, MARKER_PREFIX)):
            found.append(f"{entry.name}")
        elif not entry.name.startswith(".") and entry.name not in complete:
            found.append(f"run folder {entry.name} without a complete run")
    found += [
        str(file.relative_to(folder))
        for file in folder.rglob(".*.tmp")
        if not file.relative_to(folder).parts[0].startswith(STAGING_PREFIX)
    ]
    return found
