"""Crash safety: `mteval run` killed with SIGKILL resumes and ends with the uninterrupted results.

Each scenario runs the real CLI in a subprocess three times:

1. an uninterrupted reference run into store A (once per module);
2. the same command into a fresh store B, killed with a real SIGKILL at one
   point (``tests/crash_hooks.py``, ``tests/crash_mt.py``): while a system
   translates, while a metric computes statistics, or in the middle of a write
   transaction;
3. the same command again on B, without the kill.

The killed run must leave B intact (``PRAGMA integrity_check``), stay visibly
unfinished (status ``running``), and hold only whole batches: a batch of
translations commits together with its cache entries or not at all, a metric's
segment scores for a system are all there or none, document and system scores
only after them. The re-run must reuse exactly what was committed (every cached
translation and statistic, counted in the run's notes), compute only the rest,
and store translations and scores (segment, document and system level)
identical to A's.

Everything is checked through the database file with ``sqlite3``, not through
mteval's Python API, so the runner and the store can be restructured freely.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CORPORA, REPO

CORPUS = CORPORA / "paired.zh-Hans.jsonl"
SEGMENTS = 97
DOCUMENTS = 2
BATCH = 10
SYSTEMS = ("copy", "latin", "gloss")  # run order; "latin" is the cmd: system
METRICS = ("bleu", "chrf", "ter")
TIMEOUT_S = 300
STATS = ("translated", "translations_cached", "scored", "scores_cached")


@dataclass(frozen=True)
class Point:
    """Where to kill, and what must be committed by then (None: depends on the runner's order)."""

    crash: str
    translations: dict[str, int] | None = None


POINTS = [
    # copy's batches 1-2 are committed; the kill hits copy.translate for batch 3.
    pytest.param(Point("translate:copy:3", {"copy": 20, "latin": 0, "gloss": 0}), id="translation-early"),
    # The cmd: program kills mteval (its parent) on its 4th batch: latin's batches 1-3 are committed.
    pytest.param(Point("cmd:4", {"copy": 97, "latin": 30, "gloss": 0}), id="translation-second-system"),
    # The second chrF statistics call: chrF of the second system.
    pytest.param(Point("segment_stats:chrf:2"), id="scoring-second-metric"),
    # Mid-transaction: after the 2nd INSERT into scores has executed, before COMMIT.
    pytest.param(Point("insert:scores:2"), id="write-scores"),
    # Mid-transaction: the 3rd INSERT into score_cache once scoring has started.
    pytest.param(Point("insert:score_cache:3:after=scores"), id="write-score-cache"),
    # Mid-transaction: latin's 5th batch (copy's 10 batches were INSERTs 1-10).
    pytest.param(Point("insert:translations:15", {"copy": 97, "latin": 40, "gloss": 0}), id="write-translations"),
]


# ---- running mteval ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    """copy, a batched cmd: system and gloss with the lexical metrics over one corpus, batches of 10."""
    latin = f"cmd:{shlex.quote(sys.executable)} {shlex.quote(str(REPO / 'tests' / 'crash_mt.py'))}"
    path = tmp_path_factory.mktemp("suite") / "crash.yaml"
    path.write_text(
        "name: crash\n"
        f"corpora: [{json.dumps(str(CORPUS))}]\n"
        "systems:\n"
        "  - copy\n"
        f"  - {{spec: {json.dumps(latin)}, name: latin}}\n"
        "  - gloss\n"
        f"metrics: [{', '.join(METRICS)}]\n"
        f"options: {{batch_size: {BATCH}}}\n",
        encoding="utf-8",
    )
    return path


def mteval_run(suite: Path, db: Path, crash: str | None = None, state: Path | None = None):
    """`mteval run SUITE --db DB` through the hook launcher (no hook unless ``crash`` is given)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MTEVAL_CRASH")}
    if crash:
        env |= {"MTEVAL_CRASH": crash, "MTEVAL_CRASH_STATE": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "tests.crash_hooks", "run", str(suite), "--db", str(db),
         "--jobs", "1", "--quiet", "--format", "json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=TIMEOUT_S,
    )


# ---- reading the database ------------------------------------------------------------------------


def query(db: Path, sql: str, *params) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


def runs(db: Path) -> list[tuple]:
    """(id, status, finished_at, notes) for every run, oldest first."""
    return [(i, status, finished, json.loads(notes) if notes else None)
            for i, status, finished, notes in query(db, "SELECT id, status, finished_at, notes_json "
                                                        "FROM runs ORDER BY id")]


def stats(db: Path, run_id: int) -> dict[str, int]:
    """What a finished run computed and what it found cached (its notes' ``stats``)."""
    (notes,) = query(db, "SELECT notes_json FROM runs WHERE id = ?", run_id)[0]
    recorded = json.loads(notes)["stats"]
    return {key: recorded[key] for key in STATS}


def results(db: Path, run_id: int) -> dict[str, list[tuple]]:
    """A run's systems, translations and scores, keyed by names (ids and timestamps differ per store)."""
    systems = query(db, "SELECT name, spec, revision, params_json, info_json FROM systems "
                        "WHERE run_id = ? ORDER BY name", run_id)
    translations = query(
        db, "SELECT y.name, g.corpus, g.seg_id, t.hypothesis, t.flags_json, t.cache_key "
            "FROM translations t JOIN systems y ON y.id = t.system_id JOIN segments g ON g.id = t.segment_id "
            "WHERE t.run_id = ? ORDER BY 1, 2, 3", run_id)
    scores = query(
        db, "SELECT y.name, s.metric, s.level, s.corpus, COALESCE(s.doc_id, ''), COALESCE(g.seg_id, ''), "
            "s.value, s.signature, s.details_json "
            "FROM scores s JOIN systems y ON y.id = s.system_id LEFT JOIN segments g ON g.id = s.segment_id "
            "WHERE s.run_id = ? ORDER BY 1, 2, 3, 4, 5, 6", run_id)
    return {"systems": systems, "translations": translations, "scores": scores}


def committed(db: Path, run_id: int) -> dict:
    """What a (killed) run left in the store, per system and per (system, metric)."""
    translations = dict(query(
        db, "SELECT y.name, COUNT(t.id) FROM systems y LEFT JOIN translations t ON t.system_id = y.id "
            "WHERE y.run_id = ? GROUP BY y.name", run_id))
    cached = dict(query(
        db, "SELECT y.name, COUNT(c.key) FROM systems y LEFT JOIN translation_cache c "
            "ON c.system_spec = y.spec WHERE y.run_id = ? GROUP BY y.name", run_id))
    scores = {}
    for name, metric, level, count in query(
            db, "SELECT y.name, s.metric, s.level, COUNT(*) FROM scores s JOIN systems y ON y.id = s.system_id "
                "WHERE s.run_id = ? GROUP BY 1, 2, 3", run_id):
        scores.setdefault((name, metric), {})[level] = count
    return {"translations": translations, "translation_cache": cached, "scores": scores}


def metric_stats_cached(db: Path, signatures: set[str]) -> int:
    """score_cache rows holding metric statistics (not flags, not bootstrap intervals)."""
    rows = query(db, "SELECT signature, COUNT(*) FROM score_cache GROUP BY signature")
    return sum(count for signature, count in rows if signature in signatures)


def integrity(db: Path) -> str:
    return query(db, "PRAGMA integrity_check")[0][0]


# ---- the reference run ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    stats: dict[str, int]
    results: dict[str, list[tuple]]
    signatures: dict[str, str]  # metric → signature of its statistics


@pytest.fixture(scope="module")
def reference(suite, tmp_path_factory) -> Reference:
    db = tmp_path_factory.mktemp("store-a") / "a.db"
    done = mteval_run(suite, db)
    assert done.returncode == 0, done.stderr
    ((run_id, status, _, _),) = runs(db)
    assert status == "done"
    signatures = dict(query(db, "SELECT DISTINCT metric, signature FROM scores"))
    reference = Reference(stats(db, run_id), results(db, run_id), signatures)
    total = len(SYSTEMS) * SEGMENTS
    # Nothing is shared between systems, so cache counts below are exact.
    assert reference.stats == {"translated": total, "translations_cached": 0,
                               "scored": total * len(METRICS), "scores_cached": 0}
    assert len(reference.results["scores"]) == len(SYSTEMS) * len(METRICS) * (SEGMENTS + DOCUMENTS + 1)
    return reference


# ---- the scenarios -------------------------------------------------------------------------------


@pytest.mark.parametrize("point", POINTS)
def test_sigkill_then_rerun_resumes_and_matches(point: Point, suite, reference, tmp_path):
    db, state = tmp_path / "b.db", tmp_path / "crash.json"

    killed = mteval_run(suite, db, point.crash, state)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert state.exists(), "the process died, but not from the crash hook"
    if point.crash.startswith("insert:"):
        where = json.loads(state.read_text())
        assert where["in_transaction"], where  # the kill landed between INSERT and COMMIT
    left = check_killed_store(db, point, reference)
    translations_kept = query(db, "SELECT COUNT(*) FROM translation_cache")[0][0]
    stats_kept = metric_stats_cached(db, set(reference.signatures.values()))
    assert translations_kept > 0, "nothing was committed before the kill: the scenario tests no resume"

    rerun = mteval_run(suite, db)
    assert rerun.returncode == 0, rerun.stderr
    assert integrity(db) == "ok"
    *earlier, (final_id, final_status, _, _) = runs(db)
    assert final_status == "done"
    assert all(status != "done" for _, status, _, _ in earlier), "a killed run was marked done"
    # Exactly what was committed is reused; exactly what was lost is computed again.
    total, again = reference.stats, stats(db, final_id)
    assert again == {
        "translated": total["translated"] - translations_kept,
        "translations_cached": translations_kept,
        "scored": total["scored"] - stats_kept,
        "scores_cached": stats_kept,
    }, (left, translations_kept, stats_kept)
    assert again["translated"] + again["scored"] > 0, "the kill lost nothing: it landed after the last write"
    print(f"\n{point.crash}: committed translations {left['translations']} (cache {translations_kept}), "
          f"metric statistics cached {stats_kept}, score groups {sorted(left['scores'])}; re-run {again}")

    final = results(db, final_id)
    for part in ("systems", "translations", "scores"):
        assert final[part] == reference.results[part], part


def check_killed_store(db: Path, point: Point, reference: Reference) -> dict:
    """The store survives the kill, the run is visibly unfinished, and holds only whole batches."""
    assert integrity(db) == "ok"
    ((killed_id, status, finished_at, notes),) = runs(db)
    assert (status, finished_at, notes) == ("running", None, None)
    left = committed(db, killed_id)
    for name, count in left["translations"].items():
        assert count % BATCH == 0 or count == SEGMENTS, (name, count, "a partial batch of translations")
        assert left["translation_cache"][name] == count, (
            name, left, "translations and their cache entries must commit in one transaction")
    if point.translations is not None:
        assert {n: left["translations"].get(n, 0) for n in SYSTEMS} == point.translations, left
    for (name, metric), levels in left["scores"].items():
        assert levels.get("segment", 0) in (0, SEGMENTS), (name, metric, levels)
        if "system" in levels or "document" in levels:
            assert levels == {"segment": SEGMENTS, "document": DOCUMENTS, "system": 1}, (name, metric, levels)
    for metric, signature in reference.signatures.items():
        stored = sum(levels.get("segment", 0) for (_, m), levels in left["scores"].items() if m == metric)
        # Statistics may be committed ahead of the scores made from them (the killed run's
        # scores are never reused), but never behind: a stored score's statistics are cached.
        assert metric_stats_cached(db, {signature}) >= stored, (metric, left["scores"])
    return left
