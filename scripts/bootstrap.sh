#!/usr/bin/env bash
# Create .venv and install mteval with everything the tests need. Idempotent; uses only PyPI.
# MTEVAL_EXTRAS picks the extras (default: everything the test-suite exercises).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
EXTRAS=${MTEVAL_EXTRAS:-test,fast,datasets,models,comet,postgres,ray}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
case ",$EXTRAS," in
  *,models,*|*,comet,*)
    # The CPU wheel lies on this machine's disk; an unpinned torch would pull a multi-GB CUDA build.
    .venv/bin/python -m pip install -q torch==2.13.0 ;;
esac
.venv/bin/python -m pip install -q -c constraints.txt -e ".[${EXTRAS}]"
