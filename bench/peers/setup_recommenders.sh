#!/usr/bin/env bash
# Create .venv-peers/recommenders with Microsoft Recommenders 1.2.1 for bench/evaluation.py.
# It lives apart from .venv because recommenders 1.2.1 pins pandas<3; the bench calls it through
# this interpreter in a subprocess:
#   python bench/evaluation.py --recommenders-python .venv-peers/recommenders/bin/python
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${ROOT}/.venv-peers/recommenders"

python3 -m venv "${VENV}"
"${VENV}/bin/python" -m pip install --quiet --upgrade pip
"${VENV}/bin/python" -m pip install --quiet "recommenders==1.2.1" pyarrow
"${VENV}/bin/python" -c "import recommenders.evaluation.python_evaluation as pe; print('recommenders', pe.__name__, 'ok')"
echo "ready: ${VENV}/bin/python"
