"""Only ``recsys_core.ui`` may import Streamlit: the library must work in a CLI or a notebook."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Imports every recsys_core module outside recsys_core.ui (and ``__main__``, which would run the
#: CLI) in a fresh interpreter, then prints what it imported and which streamlit modules got loaded.
IMPORT_ALL = """
import importlib, json, pkgutil, sys
import recsys_core

def walk(package):
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.name == "recsys_core.ui" or info.name.endswith(".__main__"):
            continue
        module = importlib.import_module(info.name)
        if info.ispkg:
            walk(module)

walk(recsys_core)
print(json.dumps({
    "imported": sorted(m for m in sys.modules if m.startswith("recsys_core")),
    "streamlit": sorted(m for m in sys.modules if m.split(".")[0] == "streamlit"),
}))
"""


def test_library_imports_never_load_streamlit() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "recsys_core.models.retrieval.popularity" in result["imported"]
    assert result["streamlit"] == []
