#!/usr/bin/env bash
# Install requirement files into a virtual environment: with uv (from PyPI) when it can be had,
# several times faster than pip on a fresh clone, else with pip.
#
# Usage: .ci/install.sh VENV_PYTHON -r requirements.txt [...]
#
# uv reads none of pip's configuration, so pip's find-links, indexes and constraints (where a
# machine keeps wheels of its own, e.g. the CPU build of torch instead of PyPI's CUDA one) are
# handed to it, and it may take the best match across them; every requirement is pinned exactly.
set -euo pipefail
py="$1"
shift
bin="$(dirname "$py")"

pip_setting() { "$py" -m pip config get "global.$1" 2>/dev/null || true; }

if [ "${RECSCOPE_NO_UV:-0}" != "1" ] && "$py" -m pip install -q uv >/dev/null 2>&1; then
    args=(--python "$py" --index-strategy unsafe-best-match)
    for link in $(pip_setting find-links) ${PIP_FIND_LINKS:-}; do args+=(--find-links "$link"); done
    index="$(pip_setting index-url)"
    if [ -n "$index" ]; then args+=(--index-url "$index"); fi
    for url in $(pip_setting extra-index-url); do args+=(--extra-index-url "$url"); done
    for file in $(pip_setting constraint); do args+=(--constraint "$file"); done
    if "$bin/uv" pip install -q "${args[@]}" "$@"; then
        exit 0
    fi
    echo "install.sh: uv could not install the requirements; trying pip" >&2
fi
exec "$py" -m pip install -q "$@"
