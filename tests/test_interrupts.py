"""Ctrl-C: `mteval run` interrupted at any moment exits 130, marks the run `interrupted`, keeps no lock, resumes.

A suite with one ``file:`` system over a synthetic corpus scored with BLEU,
where writing translations, cache entries and scores is a large share of the
run, committed in several batches per table (``BATCH``). Each case starts the
real CLI (``evals.cli.main`` through ``python -m tests.crash_hooks run``, which
sets the batch size) in its own process group and sends SIGINT to the group,
as a terminal's Ctrl-C does:

* 20 times at a seeded random moment between the run being recorded and its
  being recorded ``done`` (the window is measured once by an uninterrupted run;
  what comes after -- printing the leaderboard, exiting -- is about a quarter
  of the process's time, so a window to the process's exit made the share of
  cases that land in the work itself a coin toss around the 3/4 asked for);
* a few times exactly inside a write transaction, right after an INSERT has
  executed and before its COMMIT (``tests/crash_hooks.py`` with
  ``MTEVAL_CRASH_SIGNAL=INT``: a real SIGINT sent from the hook), which is
  where the store used to keep SQLite's write lock and end with a traceback.

Every case must exit 130 with no traceback, leave its run ``interrupted`` (or
``done`` when the signal came after the run was finished), leave the database
unlocked (``BEGIN IMMEDIATE`` succeeds at once) and intact, and a re-run of
the same command (in-process, through ``evals.cli.main``) must finish with
exit 0, reuse what the interrupted run committed and score exactly what the
uninterrupted run scored.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from evals.cli import main
from tests.conftest import REPO

SEGMENTS = 2000
# Rows per committed batch (``tests/crash_hooks.py``'s ``MTEVAL_TEST_BATCH``; ``mteval`` commits every
# 5,000): four batches per table, so commits happen mid-run as well as at the end, as in a big run,
# and twenty interrupted runs take a fraction of the time.
BATCH = 500
RANDOM_CASES = 20
SEED = 16
TIMEOUT_S = 120
# Exit 130, or killed by SIGINT itself (Python re-raises an interrupt that lands during interpreter
# shutdown, when its handler is gone, as the signal): a shell reports both as 130.
INTERRUPTED_EXITS = (130, -signal.SIGINT)
WORDS = ("the", "of", "and", "a", "news", "market", "city", "people", "report", "said", "year", "new",
         "China", "trade", "minister", "week", "water", "school", "plan", "growth")
HANZI = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
HOOKED = [
    pytest.param("insert:segments:1", id="in-segments-write"),
    pytest.param("insert:translations:2", id="in-translations-write"),
    pytest.param("insert:score_cache:2", id="in-score-cache-write"),
    pytest.param("insert:scores:1", id="in-scores-write"),
]


@dataclass(frozen=True)
class Suite:
    path: Path
    window_s: float  # from the run's row appearing to its status turning "done", uninterrupted
    system_bleu: float


def query(db: Path, sql: str, *params) -> list[tuple]:
    with closing(sqlite3.connect(db, timeout=0)) as conn:
        return conn.execute(sql, params).fetchall()


def statuses(db: Path) -> list[str]:
    if not db.exists():  # connecting would create it
        return []
    try:
        return [status for (status,) in query(db, "SELECT status FROM runs ORDER BY id")]
    except sqlite3.OperationalError:  # not created yet, or the schema not there yet
        return []


def system_bleu(db: Path, status: str = "done") -> float:
    ((value,),) = query(db, "SELECT s.value FROM scores s JOIN runs r ON r.id = s.run_id "
                            "WHERE r.status = ? AND s.level = 'system' AND s.corpus = 'big' "
                            "ORDER BY r.id DESC LIMIT 1", status)
    return value


def write_corpus(directory: Path) -> Path:
    rng = random.Random(SEED)
    with (directory / "corpus.jsonl").open("w", encoding="utf-8") as corpus, \
            (directory / "hyps.jsonl").open("w", encoding="utf-8") as hyps:
        for index in range(SEGMENTS):
            doc = f"d{index // 20:05d}"
            seg_id = f"{doc}.s{index % 20:02d}"
            reference = " ".join(rng.choices(WORDS, k=rng.randint(4, 16))) + "."
            corpus.write(json.dumps({
                "corpus": "big", "doc_id": doc, "seg_id": seg_id, "para": 0,
                "source": "".join(rng.choices(HANZI, k=rng.randint(6, 20))) + "。", "reference": reference,
                "src_lang": "zh", "tgt_lang": "en", "script": "zh-Hans"}, ensure_ascii=False) + "\n")
            hypothesis = " ".join(w if rng.random() > 0.3 else rng.choice(WORDS) for w in reference.split())
            hyps.write(json.dumps({"seg_id": seg_id, "hypothesis": hypothesis}) + "\n")
    suite = directory / "suite.yaml"
    suite.write_text(f"name: big\ncorpora: [{json.dumps(str(directory / 'corpus.jsonl'))}]\n"
                     f"systems:\n  - {json.dumps('file:' + str(directory / 'hyps.jsonl'))}\n"
                     "metrics: [bleu]\n", encoding="utf-8")
    return suite


def start(suite: Path, db: Path, crash: str | None = None, state: Path | None = None) -> subprocess.Popen:
    """`mteval run` in a new process group (SIGINT goes to the group, as Ctrl-C does)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MTEVAL_CRASH")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["MTEVAL_TEST_BATCH"] = str(BATCH)  # the real CLI (evals.cli.main), committing every BATCH rows
    if crash:
        env |= {"MTEVAL_CRASH": crash, "MTEVAL_CRASH_SIGNAL": "INT", "MTEVAL_CRASH_STATE": str(state)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.crash_hooks", "run", str(suite), "--db", str(db), "--quiet",
         "--format", "csv"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_run(process: subprocess.Popen, db: Path) -> float:
    """Block until the run's row is committed (or the process ended); return when that was."""
    while process.poll() is None and not statuses(db):
        time.sleep(0.01)
    return time.monotonic()


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Suite:
    """The corpus and suite, and one uninterrupted run: its duration and its system BLEU."""
    directory = tmp_path_factory.mktemp("interrupts")
    path = write_corpus(directory)
    db = directory / "reference.db"
    process = start(path, db)
    recorded = wait_for_run(process, db)
    while process.poll() is None and statuses(db) != ["done"]:
        time.sleep(0.005)
    window = time.monotonic() - recorded
    out, err = process.communicate(timeout=TIMEOUT_S)
    assert process.returncode == 0, err
    assert statuses(db) == ["done"]
    return Suite(path, window, system_bleu(db))


def check_interrupted(process: subprocess.Popen, db: Path, signalled: bool) -> str:
    """The contract after Ctrl-C; returns the run's status."""
    out, err = process.communicate(timeout=TIMEOUT_S)
    assert "Traceback" not in err, err
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    with closing(sqlite3.connect(db, timeout=0)) as conn:  # no lock left: the write lock is free at once
        conn.execute("BEGIN IMMEDIATE")
        conn.rollback()
    (status,) = statuses(db)
    if status == "done":  # the signal came after the run was recorded finished (printing, exiting)
        assert process.returncode in (0, *INTERRUPTED_EXITS), err
    else:
        assert process.returncode in INTERRUPTED_EXITS and status == "interrupted", (process.returncode, err)
        assert err.strip().splitlines()[-1] == "interrupted", err
    assert signalled or status == "done"  # not signalled: the run had finished first
    return status


def check_resumes(suite: Suite, db: Path, capsys) -> dict:
    """The same command again finishes, reusing what was committed, with the uninterrupted run's score."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["run", str(suite.path), "--db", str(db), "--quiet", "--format", "csv"])
    captured = capsys.readouterr()
    assert done.value.code == 0, captured.err
    assert statuses(db)[-1] == "done"
    assert system_bleu(db) == pytest.approx(suite.system_bleu, abs=1e-12)
    ((notes,),) = query(db, "SELECT notes_json FROM runs ORDER BY id DESC LIMIT 1")
    return json.loads(notes)["stats"]


def committed_work(db: Path) -> int:
    return query(db, "SELECT (SELECT COUNT(*) FROM translation_cache) + (SELECT COUNT(*) FROM score_cache)")[0][0]


@pytest.mark.slow
def test_sigint_at_random_moments(suite, tmp_path, capsys):
    rng = random.Random(SEED)
    delays = [rng.uniform(0.0, 0.95 * suite.window_s) for _ in range(RANDOM_CASES)]
    outcomes = []
    for number, delay in enumerate(delays):
        db = tmp_path / f"case{number}.db"
        process = start(suite.path, db)
        wait_for_run(process, db)
        time.sleep(delay)
        signalled = process.poll() is None
        if signalled:
            os.killpg(process.pid, signal.SIGINT)
        status = check_interrupted(process, db, signalled)
        kept = committed_work(db)
        stats = check_resumes(suite, db, capsys)
        if status == "interrupted" and kept:
            assert stats["translations_cached"] + stats["scores_cached"] > 0, stats
        outcomes.append((round(delay, 2), status, kept))
    print(f"\nwindow {suite.window_s:.1f}s; (delay, status, cache rows kept): {outcomes}")
    assert sum(status == "interrupted" for _, status, _ in outcomes) >= RANDOM_CASES * 3 // 4, outcomes


@pytest.mark.parametrize("crash", HOOKED)
def test_sigint_inside_a_write_transaction(crash, suite, tmp_path, capsys):
    db, state = tmp_path / "hooked.db", tmp_path / "hook.json"
    process = start(suite.path, db, crash, state)
    assert check_interrupted(process, db, signalled=True) == "interrupted"
    where = json.loads(state.read_text())
    assert where["in_transaction"], where  # the signal arrived between an INSERT and its COMMIT
    check_resumes(suite, db, capsys)


def test_ctrl_c_waits_for_a_deferred_block_then_arrives():
    """What keeps a run's final status write whole: Ctrl-C inside it is delivered right after it."""
    from evals.store import interrupts_deferred

    done = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)  # pressed twice: still one interrupt, after the block
            done.append("rest of the block")
    assert done == ["rest of the block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_interrupt_swallowed_by_a_gc_callback_is_delivered_again(capsys):
    """Ctrl-C landing in a weakref callback (SQLAlchemy runs some on collection) is not lost or printed.

    Python reports an exception raised in such a callback as "Exception ignored in …" with a
    traceback and drops it; the CLI's hook raises SIGINT again, so the command still stops (exit 130).
    """
    import gc
    import sys
    import weakref

    from evals.cli import redeliver_interrupts

    class Thing:
        pass

    def callback(_ref):
        raise KeyboardInterrupt

    seen = []
    previous = sys.unraisablehook
    sys.unraisablehook = redeliver_interrupts(seen.append)
    try:
        with pytest.raises(KeyboardInterrupt):
            thing = Thing()
            ref = weakref.ref(thing, callback)  # noqa: F841 -- the callback runs when thing is freed
            del thing
            gc.collect()
            for _ in range(200):  # the signal comes again a moment later, in ordinary code
                time.sleep(0.01)
    finally:
        sys.unraisablehook = previous
    assert seen == []
    assert "Traceback" not in capsys.readouterr().err


def test_sqlalchemys_logged_errors_are_one_line_and_an_interrupt_there_is_silent(capsys, monkeypatch):
    """The pool logs (with a traceback) a close it could not finish; the CLI prints one line, or none for Ctrl-C."""
    import logging

    from evals.cli import _library_log_lines

    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # as in `mteval`, where nobody configured logging
    handler = _library_log_lines()
    assert handler is not None
    logger = logging.getLogger("sqlalchemy.pool.impl.QueuePool")
    try:
        for error in (KeyboardInterrupt(), OSError("disk I/O error")):
            try:
                raise error
            except BaseException:
                logger.error("Exception closing connection %r", "<conn>", exc_info=True)
    finally:
        logging.getLogger("sqlalchemy").removeHandler(handler)
    err = capsys.readouterr().err
    assert err == ("warning: sqlalchemy.pool.impl.QueuePool: Exception closing connection '<conn>' "
                   "(OSError: disk I/O error)\n")
