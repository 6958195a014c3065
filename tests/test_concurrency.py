"""Two `mteval run` processes writing into one store at once lose nothing (SQLite file and PostgreSQL).

Each case starts two real ``mteval run`` subprocesses together on a fresh
store (so they also race to migrate it) and then compares every row of each
run with the same systems run alone: translations, flags, scores at every
level, the caches and the shared segments.

Races are forced, not hoped for: the ``lockstep`` system is a ``cmd:``
translator that, for every batch, waits until the other process has reached
the same batch. Both processes therefore miss the translation cache for
every segment and write the same cache keys at the same moment. (The
racing case leaves ``gloss`` out: loading its dictionary costs seconds per
process and adds nothing to the race.)
"""

from __future__ import annotations

import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sqlalchemy import select

from evals.corpora.model import Segment
from evals.store import Store, cache_key
from evals.store.migrations import MIGRATIONS
from evals.store.schema import schema_migrations, score_cache, scores, segments, translation_cache
from tests.test_postgres import comparable_scores, comparable_translations

REPO = Path(__file__).resolve().parent.parent
N_SEGMENTS = 30
BATCH = 6
FAILURE_SIGNS = ("database is locked", "UniqueViolation", "IntegrityError", "unique constraint", "Traceback")

LOCKSTEP = """
import hashlib, os, sys, time
lines = sys.stdin.read().split("\\n")[:-1]
folder, peers = os.environ["LOCKSTEP_DIR"], int(os.environ.get("LOCKSTEP_PEERS", "1"))
batch = hashlib.sha256("\\n".join(lines).encode()).hexdigest()[:16]
open(os.path.join(folder, f"{batch}.{os.getppid()}"), "w").close()
deadline = time.monotonic() + 120
while sum(name.startswith(batch + ".") for name in os.listdir(folder)) < peers:
    if time.monotonic() > deadline:
        sys.exit("lockstep: the other process never reached this batch")
    time.sleep(0.01)
sys.stdout.write("".join("EN " + line[::-1] + "\\n" for line in lines))
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("concurrency")
    lines = (REPO / "corpora" / "paired.zh-Hans.jsonl").read_text(encoding="utf-8").splitlines()[:N_SEGMENTS]
    (folder / "corpus.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    (folder / "lockstep.py").write_text(LOCKSTEP, encoding="utf-8")
    lockstep = {"spec": f"cmd:{sys.executable} {folder / 'lockstep.py'}", "name": "lockstep",
                "options": {"batch_size": BATCH}}
    # Both "different systems" runs start with the lockstep translator, so they are certainly inside
    # their runs at the same time (copy alone finishes before gloss has loaded its dictionary).
    for name, systems in {"gloss": [lockstep, "gloss"], "copy": [lockstep, "copy"],
                          "gloss-copy": [lockstep, "gloss", "copy"], "same": [lockstep, "copy"]}.items():
        suite = {"name": name, "corpora": [str(folder / "corpus.jsonl")], "systems": systems,
                 "metrics": ["bleu", "chrf"]}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(suite), encoding="utf-8")
    return folder


def start(workdir: Path, suite: str, db: str, peers: int, rendezvous: Path) -> subprocess.Popen:
    env = {**os.environ, "LOCKSTEP_DIR": str(rendezvous), "LOCKSTEP_PEERS": str(peers)}
    return subprocess.Popen([sys.executable, "-m", "evals", "run", str(workdir / f"{suite}.yaml"), "-q",
                             "--format", "json", "--db", db], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run_together(workdir: Path, suites: list[str], db: str, peers: int) -> None:
    """Start one `mteval run` per suite at the same moment and wait for all; each must succeed cleanly."""
    rendezvous = Path(tempfile.mkdtemp(prefix="rendezvous-", dir=workdir))
    procs = [start(workdir, suite, db, peers, rendezvous) for suite in suites]
    outcomes = [proc.communicate(timeout=300) for proc in procs]
    for suite, proc, (_, stderr) in zip(suites, procs, outcomes):
        assert proc.returncode == 0, f"{suite}: exit {proc.returncode}\n{stderr}"
        assert not [sign for sign in FAILURE_SIGNS if sign in stderr], stderr


@pytest.fixture(scope="module")
def alone(workdir) -> dict[str, str]:
    """Reference stores, each written by one process with nobody else around."""
    dbs = {suite: str(workdir / f"alone-{suite}.db") for suite in ("gloss-copy", "same")}
    for suite, db in dbs.items():
        run_together(workdir, [suite], db, peers=1)
    return dbs


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "shared.db")
    return request.getfixturevalue("new_pg_database")()


def rows_of(store: Store, run_id: int, systems: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    translations = comparable_translations(store, run_id)
    scores = comparable_scores(store, run_id)
    pick = lambda frame: frame[frame["system"].isin(systems)].reset_index(drop=True)  # noqa: E731
    return pick(translations), pick(scores)


def table_rows(store: Store, table, *columns: str) -> list[tuple]:
    with store.engine.connect() as conn:
        return sorted(conn.execute(select(*(table.c[c] for c in columns))).all())


def run_systems(store: Store) -> dict[int, list[str]]:
    return {r: [s["name"] for s in store.get_run(r)["systems"]] for r in store.list_runs()["id"]}


def assert_runs_match_alone(shared: Store, reference: Store) -> dict[int, dict]:
    """Every run in ``shared`` has exactly the rows of the same systems in the reference store."""
    ref_run = int(reference.list_runs()["id"].max())
    stats = {}
    for run_id, systems in run_systems(shared).items():
        got, want = rows_of(shared, run_id, systems), rows_of(reference, ref_run, systems)
        assert len(got[0]) == N_SEGMENTS * len(systems) and len(got[1]) > 0
        pd.testing.assert_frame_equal(got[0], want[0])
        pd.testing.assert_frame_equal(got[1], want[1], check_exact=True)
        info = shared.get_run(run_id)
        assert info["status"] == "done"
        stats[run_id] = {**info["notes"]["stats"], "window": (info["created_at"], info["finished_at"])}
    for table, columns in ((translation_cache, ("key", "system_spec", "hypothesis")),
                           (score_cache, ("key", "signature", "value", "stats_json")),
                           (segments, ("corpus", "seg_id", "content_hash"))):
        assert table_rows(shared, table, *columns) == table_rows(reference, table, *columns), table.name
    return stats


def metric_cache_entries(store: Store) -> int:
    """Score-cache entries of metric statistics (not flags or intervals): what ``scored`` counts."""
    with store.engine.connect() as conn:
        signatures = select(scores.c.signature).distinct().scalar_subquery()
        query = select(score_cache.c.key).where(score_cache.c.signature.in_(signatures))
        return len(conn.execute(query).all())


def overlap_seconds(stats: dict[int, dict]) -> float:
    (start_a, end_a), (start_b, end_b) = (s["window"] for s in stats.values())
    return (min(end_a, end_b) - max(start_a, start_b)).total_seconds()


def test_two_runs_with_different_systems(workdir, alone, shared_db):
    run_together(workdir, ["gloss", "copy"], shared_db, peers=2)
    with Store.open(shared_db) as shared, Store.open(alone["gloss-copy"]) as reference:
        assert sorted(run_systems(shared).values()) == [["lockstep", "copy"], ["lockstep", "gloss"]]
        stats = assert_runs_match_alone(shared, reference)
        with shared.engine.connect() as conn:
            assert conn.execute(select(schema_migrations.c.version)).scalars().all() == [m.version for m in MIGRATIONS]
    print(f"\n{shared_db.split(':')[0]}: runs overlapped for {overlap_seconds(stats):.1f}s")
    assert overlap_seconds(stats) > 0


def test_two_runs_racing_on_the_same_cache_keys(workdir, alone, shared_db):
    run_together(workdir, ["same", "same"], shared_db, peers=2)
    with Store.open(shared_db) as shared, Store.open(alone["same"]) as reference:
        assert list(run_systems(shared).values()) == [["lockstep", "copy"]] * 2
        stats = assert_runs_match_alone(shared, reference)
        lockstep_keys = [r for r in table_rows(shared, translation_cache, "key", "system_spec")
                         if r[1].startswith("cmd:")]
    # The lockstep forced both processes to translate (and cache) every segment of that system.
    assert all(s["translated"] >= N_SEGMENTS for s in stats.values())
    assert len(lockstep_keys) == N_SEGMENTS
    raced = sum(s["translated"] for s in stats.values()) - len(table_rows(shared, translation_cache, "key"))
    score_races = sum(s["scored"] for s in stats.values()) - metric_cache_entries(shared)
    print(f"\n{shared_db.split(':')[0]}: {raced} translation-cache keys and {score_races} score-cache keys "
          f"written by both runs; overlap {overlap_seconds(stats):.1f}s")
    assert raced >= N_SEGMENTS


def _open_fresh(db: str, barrier, out) -> None:
    barrier.wait()
    with Store.open(db) as store:
        out.put(store.create_run("race", {}, {}, {}, []))


def test_first_use_by_four_processes_migrates_once(shared_db):
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_open_fresh, args=(shared_db, barrier, out)) for _ in range(4)]
    started = time.monotonic()
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0] * 4, f"after {time.monotonic() - started:.1f}s"
    assert sorted(out.get(timeout=5) for _ in procs) == [1, 2, 3, 4]
    with Store.open(shared_db) as store, store.engine.connect() as conn:
        assert conn.execute(select(schema_migrations.c.version)).scalars().all() == [m.version for m in MIGRATIONS]


# ---- the store's write paths under a forced race -----------------------------------------

WRITERS, ROUNDS, KEYS, SEGMENTS = 3, 12, 200, 60


def _race_segment(round_: int, i: int) -> Segment:
    return Segment(corpus="race", doc_id=f"r{round_}", seg_id=f"r{round_}.s{i}", para=0, source=f"第{i}句。",
                   reference=None, src_lang="zh", tgt_lang="en", script="zh-Hans")


def _hammer(db: str, run_id: int, seed: int, barrier, out) -> None:
    """Each round: wait for the others, then write the same new rows in a private shuffled order."""
    rng = random.Random(seed)
    rounds = []
    with Store.open(db) as store:
        for round_ in range(ROUNDS):
            segs = [_race_segment(round_, i) for i in range(SEGMENTS)]
            entries = [(cache_key(["race", round_, i]), "race", f"h{i}") for i in range(KEYS)]
            rng.shuffle(segs)
            rng.shuffle(entries)
            barrier.wait()
            ids = store.add_segments(segs)
            new_entries = store.translation_cache.put_many(entries)
            system_id = store.add_system(run_id, f"system-{round_}", "race")
            rounds.append((tuple(sorted(ids.items())), new_entries, system_id))
    out.put(rounds)


def test_store_writes_racing_on_the_same_keys(shared_db):
    with Store.open(shared_db) as store:
        run_id = store.create_run("race", {}, {}, {}, [])
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(WRITERS), ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(shared_db, run_id, seed, barrier, out)) for seed in range(WRITERS)]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=180) for _ in procs]
    for proc in procs:
        proc.join(30)
    assert [proc.exitcode for proc in procs] == [0] * WRITERS
    split = 0
    for round_ in range(ROUNDS):
        ids, new_entries, system_ids = zip(*(result[round_] for result in results))
        assert len(set(ids)) == 1 and len(ids[0]) == SEGMENTS  # everybody got the same segment ids
        assert len(set(system_ids)) == 1
        assert sum(new_entries) == KEYS  # each key inserted exactly once, and counted once
        split += sum(1 for n in new_entries if n) > 1
    with Store.open(shared_db) as store:
        assert len(table_rows(store, segments, "id")) == ROUNDS * SEGMENTS
        assert len(table_rows(store, translation_cache, "key")) == ROUNDS * KEYS
        assert len(store.get_run(run_id)["systems"]) == ROUNDS
    print(f"\n{shared_db.split(':')[0]}: {ROUNDS} rounds x {WRITERS} writers; "
          f"cache inserts split between writers in {split} rounds")
