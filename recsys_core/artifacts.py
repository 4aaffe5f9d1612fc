"""The files of saved runs: atomic writes, and readers that report damage one way.

Writers go through a temporary file and a rename, so a reader never sees half a file; the
temporary file's name carries its writer's tag (``writer_tag``: host, process id and start time),
so that the next start can tell a file left by a killed writer from one being written now
(``registry.leftovers``). Readers
never follow a symbolic link and never unpickle: a file that is missing, a link, not a regular
file, unparseable or without the expected columns raises ``DamagedArtifactError`` naming it.
Inside a run, ``run_files`` names the run too and says how to recover (delete the run and train
it again); a damaged cache (``cache_damage``) can also just be deleted, as it is recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from safetensors.numpy import load_file

from recsys_core.errors import DamagedArtifactError

#: How to recover a damaged run (``{run_id}`` is filled in): the UI's way, then the CLI's.
RUN_FIX = (
    "delete the run (Train page → Saved runs → Delete run, or "
    "`python -m recsys_core runs delete {run_id}`) and train it again"
)
#: How to recover a damaged cache file of a run (``{file}`` and ``{run_id}`` are filled in).
CACHE_FIX = "delete {file} (a cache: it is computed again when next needed), or " + RUN_FIX
_LINK = "is a symbolic link, and RecScope never follows links inside saved artifacts"
_PARQUET_MAGIC = b"PAR1"
#: The one key of a safetensors header that is not an array.
_META = "__metadata__"
#: Largest safetensors header a quick check reads (the format's own limit is 100 MB).
_MAX_SAFETENSORS_HEADER = 100_000_000


#: Temporary files of atomic writes: ``.<target name>.<writer tag>.<random hex>.tmp``.
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<tag>[0-9a-f]{8}-\d+-\d+)\.[0-9a-f]{32}\.tmp")
#: A writer tag: hashed host name, process id, process start time (clock ticks since boot).
_TAG = re.compile(r"(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-(?P<start>\d+)")


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _process_start(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, from ``/proc``): 0 where ``/proc``
    is unavailable (any process then counts as its own), None when there is no live process
    ``pid`` (none, or a zombie that has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None if Path("/proc/self/stat").exists() else _start_unknown(pid)
    except OSError:
        return 0
    fields = stat.rpartition(")")[2].split()  # the name in parentheses may hold spaces
    return None if fields[0] in ("Z", "X") else int(fields[19])


def _start_unknown(pid: int) -> int | None:
    """0 when a process ``pid`` exists (no ``/proc`` to tell its start), None when none does."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return 0
    return 0


def writer_tag() -> str:
    """This process as a writer: hashed host name, process id and start time (so that a later
    process reusing the id is not taken for it)."""
    pid = os.getpid()
    return f"{_host()}-{pid}-{_process_start(pid) or 0}"


def writer_alive(tag: str) -> bool | None:
    """Whether the writer ``tag`` names still runs: None when it ran on another host (or the tag
    is not one), where only the age of what it left can tell."""
    match = _TAG.fullmatch(tag)
    if match is None or match["host"] != _host():
        return None
    start = _process_start(int(match["pid"]))
    return start is not None and (start == int(match["start"]) or 0 in (start, int(match["start"])))


def temporary_path(path: Path) -> Path:
    """Where an atomic write of ``path`` puts its bytes before the rename: a unique hidden name
    beside it (same file system, so ``os.replace`` is atomic) carrying ``writer_tag()``."""
    path = Path(path)
    return path.with_name(f".{path.name}.{writer_tag()}.{uuid.uuid4().hex}.tmp")


def temporary_writer(file: Path) -> str | None:
    """The writer tag in the name of a temporary file of ``temporary_path``, or None when
    ``file`` is no such file (an older untagged one included)."""
    match = _TEMPORARY.fullmatch(Path(file).name)
    return match["tag"] if match else None


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` (without its index) to ``path`` through a temporary file and a rename.

    The temporary file (``temporary_path``) is unique, so concurrent writers never clash and an
    interrupted write leaves nothing but, when killed, a file the next start removes. A link at
    ``path`` is replaced, never written through.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = temporary_path(path)
    try:
        frame.to_parquet(staging, index=False)
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def regular_file(path: Path, fix: str) -> Path:
    """``path`` when it is a regular file and not a link; ``DamagedArtifactError`` otherwise."""
    path = Path(path)
    if path.is_symlink():
        raise DamagedArtifactError(path, _LINK, fix)
    if not path.exists():
        raise DamagedArtifactError(path, "is missing", fix)
    if not path.is_file():
        raise DamagedArtifactError(path, "is not a regular file", fix)
    return path


def refuse_links(folder: Path, fix: str) -> None:
    """Raise ``DamagedArtifactError`` on the first symbolic link in ``folder`` (itself included).

    ``os.walk`` lists a link to a folder without entering it, so nothing outside is visited.
    """
    folder = Path(folder)
    if folder.is_symlink():
        raise DamagedArtifactError(folder, _LINK, fix)
    for root, folders, files in os.walk(folder):
        for name in sorted([*folders, *files]):
            if (Path(root) / name).is_symlink():
                raise DamagedArtifactError(Path(root) / name, _LINK, fix)


def read_json(path: Path, fix: str) -> dict:
    """The JSON object in ``path`` (NaN tokens of older files are accepted)."""
    regular_file(path, fix)
    try:
        value = json.loads(path.read_bytes())
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise DamagedArtifactError(path, f"is not valid JSON ({exc})", fix) from None
    except OSError as exc:
        raise DamagedArtifactError(path, f"cannot be read ({exc})", fix) from None
    if not isinstance(value, dict):
        raise DamagedArtifactError(path, f"holds a JSON {type(value).__name__}, not an object", fix)
    return value


def read_safetensors(path: Path, fix: str, what: str = "safetensors file") -> dict[str, np.ndarray]:
    """The arrays in ``path``; safetensors holds raw numbers only, so nothing can execute."""
    regular_file(path, fix)
    problem = _safetensors_problem(path)
    if problem is not None:  # in plainer words than the library's own errors
        raise DamagedArtifactError(path, problem.replace("safetensors file", what), fix)
    try:
        return load_file(str(path))
    except Exception as exc:  # noqa: BLE001 - SafetensorError, OSError, ValueError: all damage
        problem = f"is not a readable {what} ({type(exc).__name__}: {exc})"
        raise DamagedArtifactError(path, problem, fix) from None


def read_parquet(path: Path, fix: str, columns: Sequence[str] = ()) -> pd.DataFrame:
    """The frame in ``path``, which must hold ``columns``."""
    regular_file(path, fix)
    problem = _parquet_problem(path)
    if problem is not None:  # in plainer words than pyarrow's, which repeat the whole path
        raise DamagedArtifactError(path, problem, fix)
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise DamagedArtifactError(
            path, f"is not a readable Parquet file ({type(exc).__name__}: {exc})", fix
        ) from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DamagedArtifactError(path, f"lacks columns {missing}", fix)
    return frame


def check_file_whole(path: Path, fix: str) -> None:
    """A quick look at ``path`` without reading its data: JSON parses, a safetensors header and
    a Parquet footer are where they belong and the file's size agrees with them.

    Catches random bytes, pickles and truncated copies (not arrays of the wrong shape).
    """
    regular_file(path, fix)
    if path.suffix == ".json":
        read_json(path, fix)
        return
    checks = {".safetensors": _safetensors_problem, ".parquet": _parquet_problem}
    if path.suffix in checks:
        problem = checks[path.suffix](path)
        if problem is not None:
            raise DamagedArtifactError(path, problem, fix)


def _safetensors_problem(path: Path) -> str | None:
    """Why ``path`` is not a whole safetensors file (8-byte header length, JSON header whose
    last data offset is the end of the file), or None."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        header_size = int.from_bytes(handle.read(8), "little")
        if size < 8 or header_size > min(size - 8, _MAX_SAFETENSORS_HEADER):
            return "is not a readable safetensors file (its header does not fit in the file)"
        try:
            header = json.loads(handle.read(header_size))
            ends = [int(entry["data_offsets"][1]) for key, entry in header.items() if key != _META]
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
            return "is not a readable safetensors file (its header is not safetensors JSON)"
    described, data_size = max(ends, default=0), size - 8 - header_size
    if described != data_size:
        return (
            f"is truncated or padded (its header describes {described} bytes of data, the file "
            f"holds {data_size})"
        )
    return None


def _parquet_problem(path: Path) -> str | None:
    """Why ``path`` is not a whole Parquet file (``PAR1`` at both ends, a footer that fits), or
    None."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(4)
        handle.seek(max(size - 8, 0))
        tail = handle.read(8)
    if size < 12 or head != _PARQUET_MAGIC or tail[4:] != _PARQUET_MAGIC:
        return "is not a Parquet file, or is truncated (it must start and end with PAR1)"
    if int.from_bytes(tail[:4], "little") > size - 12:
        return "is truncated (its Parquet footer is longer than the file)"
    return None


def in_run(error: DamagedArtifactError, run_id: str, run_dir: Path) -> DamagedArtifactError:
    """``error`` restated for run ``run_id``: the file relative to its folder, the run's fix."""
    shown = _relative(Path(error.path), Path(run_dir))
    return DamagedArtifactError(
        error.path, error.problem, RUN_FIX.format(run_id=run_id), run_id=run_id, shown=shown
    )


def cache_damage(run_dir: Path, error: DamagedArtifactError) -> DamagedArtifactError:
    """``error`` about a cache file of the run in ``run_dir`` (named after its run id)."""
    run_id = Path(run_dir).name
    shown = _relative(Path(error.path), Path(run_dir))
    fix = CACHE_FIX.format(file=shown, run_id=run_id)
    return DamagedArtifactError(error.path, error.problem, fix, run_id=run_id, shown=shown)


@contextmanager
def run_files(run_id: str, run_dir: Path) -> Iterator[None]:
    """Name run ``run_id`` in any ``DamagedArtifactError`` about a file raised in the block."""
    try:
        yield
    except DamagedArtifactError as error:
        if error.run_id is not None:
            raise
        raise in_run(error, run_id, run_dir) from None


def _relative(path: Path, root: Path) -> str:
    """How a message names ``path`` of the run folder ``root``."""
    if path == root:
        return f"its folder {root}"
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
