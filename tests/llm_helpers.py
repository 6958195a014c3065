"""Shared by the llm/openai/cmd backend tests: the tiny chat model, small corpora and suites, the CLI.

``tiny_chat_model`` is a session fixture: the tiny causal LM of
``scripts/tiny_models/causal_lm.py``, from the session's tiny models
(``tests/tiny.py``, built once per session). A test module uses it with::

    from tests.llm_helpers import tiny_chat_model, tiny_models  # noqa: F401  (pytest fixtures)
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import CORPORA, REPO
from tests.tiny import tiny_models

__all__ = ["tiny_chat_model", "tiny_models"]


@pytest.fixture(scope="session")
def tiny_chat_model(tiny_models) -> Path:
    path = tiny_models["causal_lm"]
    assert path is not None, "scripts/make_tiny_models.py built no causal_lm"
    return path


def write_corpora(folder: Path, per_doc: int = 2, traditional: int = 1) -> list[Path]:
    """Small copies of the seed corpora: ``per_doc`` segments of each document of
    ``paired.zh-Hans`` and the first ``traditional`` of ``paired.zh-Hant``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    hans: dict[str, list[str]] = {}
    for line in (CORPORA / "paired.zh-Hans.jsonl").read_text(encoding="utf-8").splitlines():
        hans.setdefault(json.loads(line)["doc_id"], []).append(line)
    path = folder / "hans.jsonl"
    path.write_text("".join(line + "\n" for lines in hans.values() for line in lines[:per_doc]), encoding="utf-8")
    paths.append(path)
    if traditional:
        lines = (CORPORA / "paired.zh-Hant.jsonl").read_text(encoding="utf-8").splitlines()[:traditional]
        path = folder / "hant.jsonl"
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        paths.append(path)
    return paths


def write_suite(path: Path, corpora: list[Path], systems: list[Any], metrics: tuple[str, ...] = ("chrf",),
                **options: Any) -> Path:
    suite: dict[str, Any] = {"name": path.stem, "corpora": [str(p) for p in corpora], "systems": systems,
                             "metrics": list(metrics)}
    if options:
        suite["options"] = options
    path.write_text(yaml.safe_dump(suite, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def mteval(*args: str, db: Path, env: dict[str, str] | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m evals ARGS --db DB`` in the repository, output captured."""
    return subprocess.run([sys.executable, "-m", "evals", *args, "--db", str(db)], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=timeout)


def query(db: Path, sql: str, *params: Any) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql, params).fetchall()


def translations(db: Path, run_id: int | None = None) -> list[tuple[str, str, str, str]]:
    """(system name, corpus, seg_id, hypothesis) rows in insertion order, for one run or all."""
    sql = ("SELECT s.name, g.corpus, g.seg_id, t.hypothesis FROM translations t JOIN systems s ON s.id = t.system_id "
           "JOIN segments g ON g.id = t.segment_id")
    if run_id is not None:
        return query(db, sql + " WHERE t.run_id = ? ORDER BY t.id", run_id)
    return query(db, sql + " ORDER BY t.id")


def corpus_segments(paths: list[Path]):
    from evals.corpora.loaders import load_segments

    return [segment for path in paths for segment in load_segments(str(path))]
