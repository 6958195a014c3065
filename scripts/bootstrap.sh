#!/usr/bin/env bash
# Create .venv and install mteval with everything the tests need. Idempotent; uses only PyPI.
# MTEVAL_EXTRAS picks the extras (default: test,datasets).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
EXTRAS=${MTEVAL_EXTRAS:-test,datasets}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt -e ".[${EXTRAS}]"
