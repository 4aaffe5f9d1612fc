"""The evaluation package stands alone: it sees models only through the ``Scorer`` protocol and
never loads runs, so importing it pulls in no model, run registry or experiment code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("recsys_core.experiment", "recsys_core.registry", "recsys_core.models")

#: Imports recsys_core.evaluation and every module under it in a fresh interpreter (a clean
#: sys.modules), then prints which recsys_core modules got loaded.
IMPORT_EVALUATION = """
import importlib, json, pkgutil, sys
import recsys_core.evaluation as evaluation

for info in pkgutil.walk_packages(evaluation.__path__, evaluation.__name__ + "."):
    importlib.import_module(info.name)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("recsys_core"))))
"""


def test_importing_evaluation_loads_no_models_registry_or_experiment() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EVALUATION],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert "recsys_core.evaluation.compare.build" in imported
    assert "recsys_core.evaluation.pointwise" in imported
    leaked = [name for name in imported if name.startswith(FORBIDDEN)]
    assert leaked == []
