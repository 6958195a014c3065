"""Shared test setup: offline, and one corpus build per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evals.runner import Progress
from tests.pg_server import new_pg_database, pg_server, pg_url  # noqa: F401  (fixtures)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
CORPORA = REPO / "corpora"


class Quiet(Progress):
    """Runner progress that prints nothing: tests read notices from the ``RunResult``."""

    def notice(self, message: str) -> None:
        pass


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def fresh_build(tmp_path_factory):
    """The seeds built into a temporary directory, once per test session."""
    from evals.corpora.builder import build_corpora

    out = tmp_path_factory.mktemp("corpora")
    report = build_corpora(SEEDS, out)
    return out, report


@pytest.fixture(scope="session")
def wmt22_twelve_systems(tmp_path_factory):
    """The 12 WMT22 systems' run (``tests/wmt22.py``), built once per session: (db, run id).

    Shared by every module that reads it (``compare``, ``dashboard``), so it is read-only:
    a test that writes to a store copies the database into its own folder first.
    """
    from tests import wmt22

    wmt22.require_wmt22()
    return wmt22.twelve_systems_run(tmp_path_factory.mktemp("wmt22-twelve-systems"))
