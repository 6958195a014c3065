"""Tiny COMET checkpoints for tests: ``scripts/make_tiny_comet.py`` run once per session.

The script is imported from its file (``scripts/`` is not a package) so the
build shares the test process's torch/comet imports instead of paying them
again in a subprocess.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "make_tiny_comet.py"


@cache
def builder():
    """The ``make_tiny_comet`` module."""
    spec = importlib.util.spec_from_file_location("make_tiny_comet", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(out: Path) -> dict[str, Path]:
    """Encoder directory and ``regression``/``unified``/``xcomet`` checkpoint files under ``out``."""
    return builder().build_tiny_comet(out, layers=2, hidden=32, heads=2, seed=0)
