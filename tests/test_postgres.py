"""The results store on a real PostgreSQL server: same schema, same results, same CLI as SQLite.

Also the atomic batch writes (cache entries + result rows in one
transaction), checked on both backends.
"""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url

from evals.corpora.model import Segment
from evals.errors import InputError, Unavailable
from evals.store import Store, cache_key
from evals.store.engine import create_store_engine, resolve_db_url
from evals.store.migrations import MIGRATIONS, migrate
from evals.store.schema import score_cache, scores, translation_cache, translations

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpora" / "paired.zh-Hans.jsonl"
PROVENANCE = {"git_commit": "0123abc", "mteval_version": "0.1.0", "package_versions": {}}


def mteval(*args: str, db: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "evals", *args, "--db", db], capture_output=True,
                          text=True, cwd=REPO, timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"mteval {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done


def mteval_here(*args: str, db: str, check: bool = True) -> subprocess.CompletedProcess:
    """``mteval ARGS --db DB`` through the console script's entry point (``evals.cli.main``), in this process.

    The same command line, parsing, error mapping and output as ``mteval``, without paying a
    new interpreter's imports for each of the end-to-end test's many commands; an exception
    escaping ``main`` is reported as a traceback on stderr, as the real process would print it.
    """
    import contextlib
    import io
    import traceback

    from evals.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([*args, "--db", db])
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except BaseException:  # noqa: BLE001 - anything reaching here would be a traceback
            err.write(traceback.format_exc())
            code = 1
    done = subprocess.CompletedProcess(["mteval", *args, "--db", db], code, out.getvalue(), err.getvalue())
    if check and done.returncode != 0:
        raise AssertionError(f"mteval {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done


def plain_url(url: str) -> str:
    """The URL as a user would type it: ``postgresql://`` with no driver named."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def assert_same_json(actual, expected, where: str = "$") -> None:
    """Equal JSON, except that floats may differ in the last bits (SQL AVG() sums differently per backend)."""
    if isinstance(expected, float) and isinstance(actual, float):
        assert math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-12), f"{where}: {actual} != {expected}"
    elif isinstance(expected, dict) and isinstance(actual, dict):
        assert list(actual) == list(expected), where
        for key in expected:
            assert_same_json(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list) and isinstance(actual, list):
        assert len(actual) == len(expected), where
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_same_json(a, e, f"{where}[{index}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


# ---- URLs and connection errors ---------------------------------------------------------


def test_plain_postgresql_urls_select_psycopg3():
    assert resolve_db_url("postgresql://u:pw@db.example/mteval") == "postgresql+psycopg://u:pw@db.example/mteval"
    assert resolve_db_url("postgres://u@db.example:5433/m") == "postgresql+psycopg://u@db.example:5433/m"
    explicit = "postgresql+psycopg://u:pw@localhost/mteval"
    assert resolve_db_url(explicit) == explicit


def test_unsupported_backend_and_missing_driver_are_input_errors():
    with pytest.raises(InputError, match="unsupported results database"):
        create_store_engine("mysql://u@localhost/m")
    with pytest.raises(InputError, match=r"no driver .*\*\*\*.*mteval-zh\[postgres\]") as caught:
        create_store_engine("postgresql+psycopg2://u:hunter2@localhost/m")  # psycopg2 is not installed
    assert "hunter2" not in str(caught.value)


def test_unreachable_server_is_one_line_without_password():
    url = f"postgresql://alice:s3cret-pw@127.0.0.1:{closed_port()}/mteval"
    with pytest.raises(Unavailable, match="cannot connect"):
        Store.open(url)
    done = mteval("runs", db=url, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot connect to the results database postgresql+psycopg://alice:***@")
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr and "s3cret-pw" not in done.stderr + done.stdout


# ---- schema -----------------------------------------------------------------------------


def schema_shape(url: str) -> dict:
    """Tables, columns (type family, length, nullability), keys, indexes and checks, by name."""
    engine = create_store_engine(resolve_db_url(url))
    try:
        migrate(engine)
        insp = inspect(engine)
        shape = {}
        for table in sorted(insp.get_table_names()):
            columns = [
                (c["name"], c["type"].python_type.__name__, getattr(c["type"], "length", None), c["nullable"])
                for c in insp.get_columns(table)
            ]
            shape[table] = {
                "columns": columns,
                "pk": insp.get_pk_constraint(table)["constrained_columns"],
                "fks": sorted((fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"],
                               tuple(fk["referred_columns"])) for fk in insp.get_foreign_keys(table)),
                "unique": sorted((u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(table)),
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                  for i in insp.get_indexes(table) if not i.get("duplicates_constraint")),
                "checks": sorted(c["name"] for c in insp.get_check_constraints(table)),
            }
        return shape
    finally:
        engine.dispose()


def test_migrated_schema_on_postgresql_equals_sqlite(new_pg_database, tmp_path):
    on_pg = schema_shape(new_pg_database())
    on_sqlite = schema_shape(str(tmp_path / "s.db"))
    assert on_pg == on_sqlite
    assert set(on_pg) == {"runs", "segments", "systems", "translations", "scores", "translation_cache",
                          "score_cache", "flag_cache", "interval_cache", "schema_migrations", "run_inputs",
                          "human_metrics", "human_scores", "human_errors"}
    assert on_pg["scores"]["unique"] == [
        ("uq_scores_run_id_system_id_metric_level_corpus_scope",
         ("run_id", "system_id", "metric", "level", "corpus", "scope"))]


def test_migrations_run_once_on_first_use_of_a_server_database(new_pg_database):
    url = new_pg_database()
    with Store.open(url) as store:
        assert migrate(store.engine) == []  # already done by open
        with store.engine.connect() as conn:
            versions = conn.exec_driver_sql("SELECT version FROM schema_migrations").scalars().all()
    assert versions == [m.version for m in MIGRATIONS]
    assert store.url.startswith("postgresql+psycopg://")


# ---- the CLI end to end -----------------------------------------------------------------


@pytest.fixture(scope="module")
def small_suite(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("suite") / "small.yaml"
    path.write_text(f"name: small\ncorpora: ['{CORPUS}']\nsystems: [gloss, copy]\nmetrics: [bleu, chrf]\n")
    return path


def comparable_scores(store: Store, run) -> pd.DataFrame:
    """Every score row of a run, without database ids, in a fixed order."""
    frame = store.scores_df(run).drop(columns=["run_id", "system_id", "segment_id"])
    frame["details"] = [json.dumps(d, sort_keys=True) for d in frame["details"]]
    return frame.sort_values(["system", "metric", "level", "corpus", "doc_id", "seg_id"], na_position="first",
                             ignore_index=True)


def comparable_translations(store: Store, run) -> pd.DataFrame:
    frame = store.translations_df(run).drop(columns=["system_id", "segment_id"])
    frame["flags"] = [json.dumps(f) for f in frame["flags"]]
    return frame.sort_values(["system", "corpus", "seg_id"], ignore_index=True)


def test_cli_on_postgresql_matches_sqlite(new_pg_database, small_suite, tmp_path):
    started = time.monotonic()
    sqlite_db, pg_db = str(tmp_path / "mteval.db"), plain_url(new_pg_database())
    boards = [json.loads(mteval_here("run", str(small_suite), "-q", "--format", "json", db=db).stdout)
              for db in (sqlite_db, pg_db)]
    # Leaderboard means are SQL AVG()s; PostgreSQL and SQLite sum in different orders/algorithms,
    # so they may differ in the last bits. The stored rows below must match exactly.
    assert_same_json(boards[1], boards[0])

    with Store.open(sqlite_db) as lite, Store.open(pg_db) as pg:
        lite_scores, pg_scores = comparable_scores(lite, 1), comparable_scores(pg, 1)
        assert len(pg_scores) == 2 * 2 * (97 + 1 + len(set(pg_scores["doc_id"].dropna())))
        pd.testing.assert_frame_equal(pg_scores, lite_scores, check_exact=True)
        pd.testing.assert_frame_equal(comparable_translations(pg, 1), comparable_translations(lite, 1))
        for table in (translation_cache, score_cache):
            assert count(lite, table) == count(pg, table) > 0

    # A re-run on the server recomputes nothing and stores the same scores again.
    mteval_here("run", str(small_suite), "-q", db=pg_db)
    with Store.open(pg_db) as pg:
        stats = pg.get_run(2)["notes"]["stats"]
        assert (stats["translated"], stats["scored"]) == (0, 0)
        assert stats["translations_cached"] == 2 * 97 and stats["scores_cached"] >= 2 * 2 * 97
        again = comparable_scores(pg, 2)
        assert pg.get_run(2)["notes"]["notices"][0] == "nothing changed since run 1: its translations and scores are reused"
        pd.testing.assert_frame_equal(comparable_translations(pg, 2).drop(columns=["run_id"], errors="ignore"),
                                      comparable_translations(pg, 1).drop(columns=["run_id"], errors="ignore"))
    pd.testing.assert_frame_equal(again, pg_scores, check_exact=True)

    runs = json.loads(mteval_here("runs", "--format", "json", db=pg_db).stdout)
    assert [(r["id"], r["status"], r["translations"]) for r in runs] == [(2, "done", 194), (1, "done", 194)]
    for args in (["show", "1", "--format", "json"], ["show", "1", "--docs", "--format", "json"],
                 ["show", "1", "--worst", "3", "--metric", "chrf", "--format", "json"],
                 ["compare", "1:gloss", "1:copy", "--format", "json"]):
        outputs = [json.loads(mteval_here(*args, db=db).stdout) for db in (sqlite_db, pg_db)]
        assert_same_json(outputs[1], outputs[0])
    checks = [mteval_here("check", "--baseline-run", "1:gloss", "--run", "1", "--system", "copy",
                          "--format", "json", db=db, check=False) for db in (sqlite_db, pg_db)]
    assert checks[0].returncode == checks[1].returncode in (0, 1)
    assert_same_json(json.loads(checks[1].stdout), json.loads(checks[0].stdout))
    exported = []
    for name, db in (("lite", sqlite_db), ("pg", pg_db)):
        out = tmp_path / f"{name}.jsonl"
        mteval_here("export", "1", "--format", "jsonl", "--out", str(out), db=db)
        exported.append(out.read_text(encoding="utf-8"))
    assert exported[0] == exported[1] and exported[0].count("\n") == 2 * 97
    print(f"\nPG end-to-end: {len(pg_scores)} score rows compared, {time.monotonic() - started:.1f}s")


# ---- atomic batches (both backends) -----------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    url = str(tmp_path / "batch.db") if request.param == "sqlite" else request.getfixturevalue("new_pg_database")()
    with Store.open(url) as opened:
        yield opened


def seeded(store: Store) -> tuple[int, int, list[int]]:
    run_id = store.create_run("batch", {"name": "batch"}, PROVENANCE, {}, [])
    segments = [Segment(corpus="news", doc_id="d0", seg_id=f"s{i}", para=0, source=f"第{i}句。",
                        reference=f"Sentence {i}.", src_lang="zh", tgt_lang="en", script="zh-Hans")
                for i in range(5)]
    ids = list(store.add_segments(segments).values())
    return run_id, store.add_system(run_id, "echo", "echo"), ids


def count(store: Store, table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_translation_batch_writes_cache_and_rows_together(store):
    run_id, system_id, ids = seeded(store)
    entries = [(cache_key(["t", s]), "echo", f"hyp {s}") for s in ids]
    rows = [(s, f"hyp {s}", key, []) for s, (key, _, _) in zip(ids, entries)]
    assert store.add_translation_batch(run_id, system_id, rows, entries) == (5, 5)
    assert store.add_translation_batch(run_id, system_id, rows, entries) == (0, 0)  # a replay is harmless
    assert store.add_translation_batch(run_id, system_id, [], []) == (0, 0)
    assert store.translations_done(run_id, system_id) == set(ids)
    assert store.translation_cache.get_many(k for k, _, _ in entries) == {k: h for k, _, h in entries}


def test_translation_batch_failing_midway_writes_nothing(store):
    run_id, system_id, ids = seeded(store)
    entries = [(cache_key(["t", s]), "echo", f"hyp {s}") for s in ids]
    rows = [(s, "hyp", None, []) for s in ids] + [(10**9, "no such segment", None, [])]  # foreign key fails
    with pytest.raises(Exception, match="(?i)foreign key"):
        store.add_translation_batch(run_id, system_id, rows, entries)
    assert count(store, translation_cache) == 0 and count(store, translations) == 0


def test_score_batch_is_all_or_nothing(store):
    run_id, system_id, ids = seeded(store)
    entries = [(cache_key(["s", s]), "chrf|v1", float(s), [1, 2.5]) for s in ids]
    good = [{"run_id": run_id, "system_id": system_id, "metric": "chrf", "level": "segment",
             "segment_id": s, "value": float(s), "signature": "chrf|v1"} for s in ids]
    missing_segment = {**good[0], "segment_id": 10**9}
    with pytest.raises(Exception, match="(?i)foreign key"):  # fails inside the transaction, after the cache insert
        store.add_score_batch(entries, [*good, missing_segment])
    with pytest.raises(ValueError, match="finite"):  # fails while checking, before it
        store.add_score_batch(entries, [*good, {**good[0], "value": float("inf")}])
    assert count(store, score_cache) == 0 and count(store, scores) == 0

    assert store.add_score_batch(entries, good) == (5, 5)
    assert store.add_score_batch(entries, good) == (0, 0)
    changed = [{**good[0], "value": 99.0}]
    assert store.add_score_batch([], changed) == (1, 0)
    assert store.add_score_batch(entries[:1], []) == (0, 0)
    frame = store.scores_df(run_id)
    assert sorted(frame["value"]) == sorted([99.0, *(float(s) for s in ids[1:])])
    assert store.score_cache.get_many([entries[0][0]])[entries[0][0]].stats == [1, 2.5]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_bulk_writes_count_what_they_changed_and_keep_column_types(backend, request, tmp_path):
    """``execute_many`` (the driver's executemany, no RETURNING) on both backends.

    Rows an ON CONFLICT skipped or an upsert left unchanged are not counted,
    and typed columns (created_at) read back as what was written.
    """
    from evals.store.engine import dialect_insert, execute_many, insert_new, utc_now, write_transaction

    db = str(tmp_path / "bulk.db") if backend == "sqlite" else request.getfixturevalue("new_pg_database")()
    with Store.open(db) as store:
        now = utc_now()
        rows = [{"key": f"{i:064x}", "signature": "sig", "value": i / 3, "stats_json": f"[{i}]",
                 "created_at": now} for i in range(50)]
        with write_transaction(store.engine) as conn:
            assert insert_new(conn, score_cache, rows[:30], ["key"]) == 30
        with write_transaction(store.engine) as conn:
            assert insert_new(conn, score_cache, rows, ["key"]) == 20  # the first 30 are there
            stmt = dialect_insert(conn, score_cache)
            stmt = stmt.on_conflict_do_update(
                index_elements=[score_cache.c.key], set_={"value": stmt.excluded.value},
                where=score_cache.c.value.is_distinct_from(stmt.excluded.value))
            changed = [dict(row, value=-1.0) if i % 10 == 0 else row for i, row in enumerate(rows)]
            assert execute_many(conn, stmt, changed) == 5  # only the rows whose value differs
            assert execute_many(conn, stmt, []) == 0
        with store.engine.connect() as conn:
            stored = {r.key: r for r in conn.execute(select(score_cache))}
        assert len(stored) == 50
        assert stored[rows[10]["key"]].value == -1.0 and stored[rows[11]["key"]].value == 11 / 3
        first = stored[rows[0]["key"]].created_at
        assert first.replace(tzinfo=None) == now.replace(tzinfo=None)


def test_human_judgements_round_trip(store, tmp_path):
    """``human import`` (a TSV with two raters, then ``--replace``) reads back the same on both backends."""
    from evals.human.importer import import_human

    run_id, system_id, ids = seeded(store)
    store.add_translations(run_id, system_id, [(s, f"hyp {s}", None, []) for s in ids])
    path = tmp_path / "h.tsv"
    path.write_text("system\tseg_id\tscore\trater\necho\ts0\t10\ta\necho\ts0\t20\tb\necho\ts3\t-1.5\ta\n"
                    "nobody\ts1\t3\ta\n", encoding="utf-8")
    summary = import_human(store, path, "tsv", name="people", run=run_id)
    assert summary.unmatched_systems == ["nobody"] and summary.segment_scores == 2
    with pytest.raises(InputError, match="already has a human metric 'people'"):
        import_human(store, path, "tsv", name="people", run=run_id)
    import_human(store, path, "tsv", name="people", run=run_id, replace=True)
    seg = store.human_scores(run_id, "people", "segment")
    assert list(zip(seg["system"], seg["seg_id"], seg["value"], seg["n"])) == [("echo", "s0", 15.0, 2),
                                                                               ("echo", "s3", -1.5, 1)]
    assert seg["details"][0] == {"raters": {"a": 10.0, "b": 20.0}}
    system = store.human_scores(run_id, "people", "system")
    assert list(system["value"]) == [6.75] and system["seg_id"].isna().all()
    listed = store.human_metrics(run_id)
    assert list(listed["name"]) == ["people"] and list(listed["segments"]) == [2] and list(listed["systems"]) == [1]
