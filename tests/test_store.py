"""The results store: migrations, runs, segments, caches, scores, readers, exports, concurrency."""

from __future__ import annotations

import json
import math
import multiprocessing
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from evals.corpora.model import Segment
from evals.errors import InputError, UsageError
from evals.store import Store, cache_key, canonical_json, open_store
from evals.store.engine import resolve_db_url
from evals.store.export import BASE_COLUMNS, PARQUET_META_KEY, export_run, meta_path
from evals.store.migrations import MIGRATIONS, Migration, SchemaTooNewError, migrate
from evals.store.schema import metadata, runs, schema_migrations, scores, translations

PROVENANCE = {"git_commit": "0123abc", "mteval_version": "0.1.0", "package_versions": {"sacrebleu": "2.4.3"}}


def segment(i: int, corpus: str = "news", source: str | None = None) -> Segment:
    return Segment(
        corpus=corpus,
        doc_id=f"d{i // 10}",
        seg_id=f"s{i}",
        para=i % 10,
        source=source or f"第{i}句。",
        reference=f"Sentence {i}.",
        src_lang="zh",
        tgt_lang="en",
        script="zh-Hans",
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "results" / "mteval.db")


@pytest.fixture
def store(db: str):
    with Store.open(db) as opened:
        yield opened


def new_run(store: Store, name: str = "smoke") -> int:
    suite = {"name": name, "systems": ["a"]}
    return store.create_run(name, suite, PROVENANCE, {"news": "h1"}, ["mteval", "run"])


def score(run_id: int, system_id: int, metric: str, level: str, value, **extra) -> dict:
    """A score row with the signature every test uses unless it says otherwise."""
    return {"run_id": run_id, "system_id": system_id, "metric": metric, "level": level,
            "value": value, "signature": f"{metric}|v1", **extra}  # fmt: skip


def populated(store: Store, n_segments: int = 6, systems: tuple[str, ...] = ("alpha", "beta")):
    """A run with systems, translations and segment/system-level scores."""
    run_id = new_run(store)
    ids = store.add_segments([segment(i) for i in range(n_segments)])
    system_ids = {}
    for rank, name in enumerate(systems):
        sid = store.add_system(run_id, name, f"echo:{name}", None, {"beam": 4}, {"device": "cpu"})
        system_ids[name] = sid
        flags = ["copy"] if rank else []
        store.add_translations(
            run_id, sid, [(seg, f"{name} hyp {key[1]}", None, flags) for key, seg in ids.items()]
        )
        chrf = [
            score(run_id, sid, "chrf", "segment", 10.0 * rank + int(key[1][1:]), corpus="news", segment_id=seg)
            for key, seg in ids.items()
        ]
        bleu = score(run_id, sid, "bleu", "system", 20.0 + rank, corpus="news", details={"bp": 1.0})
        store.add_scores([*chrf, bleu])
    return run_id, ids, system_ids


# ---- engine -----------------------------------------------------------------


def test_db_url_precedence_and_default_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MTEVAL_DB", raising=False)
    assert resolve_db_url(None) == f"sqlite:///{tmp_path / 'results' / 'mteval.db'}"
    assert (tmp_path / "results").is_dir()
    monkeypatch.setenv("MTEVAL_DB", str(tmp_path / "env" / "e.db"))
    assert resolve_db_url(None) == f"sqlite:///{tmp_path / 'env' / 'e.db'}"
    assert (tmp_path / "env").is_dir()
    assert resolve_db_url("sqlite:///x/explicit.db") == "sqlite:///x/explicit.db"
    assert resolve_db_url("rel.db") == f"sqlite:///{tmp_path / 'rel.db'}"
    url = "postgresql+psycopg://u:p@localhost/mteval"
    assert resolve_db_url(url) == url


def test_bad_db_url_is_input_error():
    with pytest.raises(InputError, match="not a database URL"):
        resolve_db_url("not a url://")


def test_sqlite_pragmas(store):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


# ---- migrations -------------------------------------------------------------


def test_fresh_database_is_migrated(db):
    with Store.open(db) as store:
        names = set(inspect(store.engine).get_table_names())
        with store.engine.connect() as conn:
            versions = list(conn.execute(select(schema_migrations.c.version)).scalars())
    assert names == set(metadata.tables)
    assert versions == [m.version for m in MIGRATIONS]


def test_reopen_is_idempotent_and_keeps_data(db):
    with Store.open(db) as store:
        run_id = new_run(store)
    with Store.open(db) as store:
        assert migrate(store.engine) == []
        assert store.get_run(run_id)["suite_name"] == "smoke"
        with store.engine.connect() as conn:
            assert conn.execute(select(schema_migrations)).all()[0].version == 1


def test_migrations_match_schema_module(tmp_path):
    """Migrating a new database yields exactly the tables, columns and indexes schema.py declares."""
    migrated = create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    declared = create_engine(f"sqlite:///{tmp_path / 'declared.db'}")
    migrate(migrated)
    metadata.create_all(declared)

    def ddl(engine):
        # Whitespace aside: SQLite stores a column added by ALTER TABLE on the line of the one before it.
        with engine.connect() as conn:
            query = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
            return [(*row[:3], row[3] and " ".join(row[3].split())) for row in conn.exec_driver_sql(query).all()]

    assert ddl(migrated) == ddl(declared)


def test_schema_compiles_for_postgresql():
    dialect = postgresql.dialect()
    for table in metadata.sorted_tables:
        assert "CREATE TABLE" in str(CreateTable(table).compile(dialect=dialect))
        for index in table.indexes:
            str(CreateIndex(index).compile(dialect=dialect))


def _add_label_column(conn) -> None:
    conn.execute(text("ALTER TABLE runs ADD COLUMN label TEXT"))
    conn.execute(text("UPDATE runs SET label = suite_name"))


NEXT = len(MIGRATIONS) + 1  # the version a new migration would get


def test_upgrade_by_an_appended_migration_keeps_data(db):
    with Store.open(db) as store:
        run_id, ids, system_ids = populated(store)
    upgraded = (*MIGRATIONS, Migration(NEXT, "label runs", _add_label_column))
    with Store.open(db, migrations=upgraded) as store:
        assert store.get_run(run_id)["systems"][0]["name"] == "alpha"
        assert len(store.translations_df(run_id)) == len(ids) * len(system_ids)
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT label FROM runs")).scalar() == "smoke"
            assert list(conn.execute(select(schema_migrations.c.version)).scalars()) == list(range(1, NEXT + 1))
        assert migrate(store.engine, upgraded) == []
    with pytest.raises(SchemaTooNewError, match=rf"schema version\(s\) \[{NEXT}\]"):
        Store.open(db)


def test_each_released_migration_upgrades_an_older_database_and_keeps_its_data(db):
    """A database made by an older mteval (fewer migrations) opens with every run still readable."""
    for released in range(1, len(MIGRATIONS)):
        path = f"{db}.v{released}"
        with Store.open(path, migrations=MIGRATIONS[:released]) as store:
            run_id, ids, system_ids = populated(store)
        with Store.open(path) as store:
            assert store.get_run(run_id)["systems"][0]["name"] == "alpha"
            assert len(store.translations_df(run_id)) == len(ids) * len(system_ids)
            with store.engine.connect() as conn:
                assert list(conn.execute(select(schema_migrations.c.version)).scalars()) == \
                    [m.version for m in MIGRATIONS]


def test_migration_3_moves_flags_and_intervals_out_of_the_score_cache(db):
    """Rows that rode in score_cache before migration 3 land in their own tables under the same keys."""
    from evals.metrics.flags import flags_signature

    metric_key, flag_key, ci_key, unknown_ci_key = (cache_key({"k": i}) for i in range(4))
    with Store.open(db, migrations=MIGRATIONS[:2]) as store:
        store.score_cache.put_many([
            (metric_key, "nrefs:1|bleu", 12.5, [1, 2, 3]),
            (flag_key, flags_signature(), 1.0, [5]),
            (ci_key, "ci|nrefs:1|bleu", None, [1, 10.25, 14.5]),
            (unknown_ci_key, "ci|nrefs:1|ter", None, [0, 0.0, 0.0]),
        ])
    with Store.open(db) as store:
        assert set(store.score_cache.get_many([metric_key, flag_key, ci_key, unknown_ci_key])) == {metric_key}
        assert store.flag_cache.get_many([flag_key]) == {flag_key: 5}
        assert store.interval_cache.get_many([ci_key, unknown_ci_key]) == {
            ci_key: (10.25, 14.5), unknown_ci_key: (None, None)}
        with store.engine.connect() as conn:
            signatures = dict(conn.execute(text("SELECT key, signature FROM interval_cache")).all())
        assert signatures == {ci_key: "nrefs:1|bleu", unknown_ci_key: "nrefs:1|ter"}


def test_flag_and_interval_caches_keep_the_first_entry_per_key(db):
    keys = [cache_key({"k": i}) for i in range(2)]
    with Store.open(db) as store:
        assert store.flag_cache.put_many([(keys[0], "flags|v1", 3), (keys[0], "flags|v1", 1)]) == 1
        assert store.flag_cache.put_many([(keys[0], "flags|v1", 2)]) == 0
        assert store.flag_cache.get_many(keys) == {keys[0]: 3}
        assert store.interval_cache.put_many([(keys[1], "sig", 1.5, None), (keys[0], "sig", 1.0, 2.0)]) == 2
        assert store.interval_cache.get_many(keys) == {keys[1]: (None, None), keys[0]: (1.0, 2.0)}
        with pytest.raises(ValueError, match="flag mask"):
            store.flag_cache.put_many([(keys[1], "flags|v1", -1)])


def test_failed_migration_rolls_back(db):
    def broken(conn):
        conn.execute(text("CREATE TABLE half_done (x INTEGER)"))
        raise RuntimeError("boom")

    with Store.open(db):
        pass
    with pytest.raises(RuntimeError, match="boom"):
        Store.open(db, migrations=(*MIGRATIONS, Migration(NEXT, "broken", broken)))
    with Store.open(db) as store:
        assert "half_done" not in inspect(store.engine).get_table_names()


def test_migration_list_must_be_numbered_in_order(db):
    with pytest.raises(ValueError, match="1, 2, 3"):
        Store.open(db, migrations=(Migration(2, "x", lambda conn: None),))


def _open_and_count(db: str, barrier, out) -> None:
    barrier.wait()
    with Store.open(db) as store:
        out.put(new_run(store))


def test_concurrent_first_open_migrates_once(db):
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_open_and_count, args=(db, barrier, out)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * 4
    assert sorted(out.get(timeout=5) for _ in procs) == [1, 2, 3, 4]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version FROM schema_migrations").fetchall() == [(m.version,) for m in MIGRATIONS]


# ---- runs, segments, systems, translations -----------------------------------


def test_run_lifecycle(store):
    run_id = new_run(store)
    run = store.get_run(run_id)
    assert run["status"] == "running" and run["finished_at"] is None
    assert run["package_versions"] == {"sacrebleu": "2.4.3"}
    assert run["argv"] == ["mteval", "run"] and run["corpus_hashes"] == {"news": "h1"}
    assert run["created_at"].tzinfo is not None
    store.finish_run(run_id, "done", {"translated": 6})
    run = store.get_run("latest")
    assert (run["id"], run["status"], run["notes"]) == (run_id, "done", {"translated": 6})
    assert run["finished_at"] >= run["created_at"]
    listing = store.list_runs()
    assert listing.loc[0, "id"] == run_id and listing.loc[0, "status"] == "done"
    with pytest.raises(ValueError, match="status"):
        store.finish_run(run_id, "running")
    with pytest.raises(ValueError, match="provenance"):
        store.create_run("x", {}, {"hostname": "h"}, {}, [])


def test_readers_on_an_empty_database(store):
    assert store.list_runs().empty and "status" in store.list_runs().columns
    run_id = new_run(store)
    assert store.scores_df(run_id).empty and store.translations_df(run_id).empty
    assert store.leaderboard(run_id) == []


def test_get_run_missing(store):
    with pytest.raises(InputError) as caught:
        store.get_run(42)
    assert str(caught.value) == "no run 42; `mteval runs` lists them"
    with pytest.raises(InputError, match="no runs yet"):
        store.get_run("latest")
    with pytest.raises(InputError, match="no run 7"):
        store.finish_run(7, "failed")
    with pytest.raises(UsageError, match="an id or 'latest'"):
        store.get_run("newest")
    assert store.get_run(str(new_run(store)))["id"] == 1


def test_segments_are_shared_and_deduplicated(store):
    first = store.add_segments([segment(i) for i in range(5)])
    again = store.add_segments([segment(i) for i in range(3, 8)])
    assert {k: again[k] for k in first if k in again} == {k: first[k] for k in again if k in first}
    edited = store.add_segments([segment(0, source="改过的第0句。")])
    assert edited[("news", "s0")] != first[("news", "s0")]  # new content, new row
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM segments").scalar() == 9
    with pytest.raises(InputError, match="twice with different content"):
        store.add_segments([segment(1), segment(1, source="别的")])


def test_add_system_is_idempotent_but_refuses_a_changed_spec(store):
    run_id = new_run(store)
    sid = store.add_system(run_id, "m2m", "hf:m2m100", "rev1", {"beam": 4}, {})
    assert store.add_system(run_id, "m2m", "hf:m2m100", "rev1", {"beam": 4}, {"other": 1}) == sid
    with pytest.raises(InputError, match="already in run"):
        store.add_system(run_id, "m2m", "hf:m2m100", "rev2", {"beam": 4}, {})
    with pytest.raises(InputError, match="no run 99"):
        store.add_system(99, "m2m", "hf:m2m100")


def test_translations_resume(store):
    run_id = new_run(store)
    ids = list(store.add_segments([segment(i) for i in range(10)]).values())
    sid = store.add_system(run_id, "echo", "echo")
    assert store.add_translations(run_id, sid, [(i, f"h{i}", "k" * 64, []) for i in ids[:4]]) == 4
    assert store.translations_done(run_id, sid) == set(ids[:4])
    # Replaying an overlapping batch adds only what is missing and keeps the first hypothesis.
    assert store.add_translations(run_id, sid, [(i, f"new{i}", None, ["x"]) for i in ids]) == 6
    frame = store.translations_df(run_id)
    assert len(frame) == 10 and frame.loc[0, "hypothesis"] == f"h{ids[0]}"
    assert frame.loc[9, "flags"] == ["x"]
    assert list(frame.columns[:4]) == ["system", "system_id", "segment_id", "corpus"]
    other_run = new_run(store)
    with pytest.raises(ValueError, match="belongs to run"):
        store.add_translations(other_run, sid, [(ids[0], "h", None, [])])


# ---- scores and readers --------------------------------------------------------


def test_score_upsert_does_not_duplicate(store):
    run_id, ids, system_ids = populated(store)
    sid = system_ids["alpha"]
    seg = next(iter(ids.values()))
    before = len(store.scores_df(run_id))
    row = score(run_id, sid, "chrf", "segment", 99.0, corpus="news", segment_id=seg)
    assert store.add_scores([row]) == 1  # changed value: updated in place
    assert store.add_scores([row]) == 0  # unchanged: nothing written
    doc = score(run_id, sid, "chrf", "document", math.nan, corpus="news", doc_id="d0")
    assert store.add_scores([doc, doc]) == 1
    assert store.add_scores([{**doc, "value": 3.5}]) == 1
    frame = store.scores_df(run_id)
    assert len(frame) == before + 1
    chrf = frame[(frame.segment_id == seg) & (frame.system == "alpha")]
    assert chrf["value"].tolist() == [99.0]
    docs = store.scores_df(run_id, level="document")
    assert docs[["doc_id", "value"]].values.tolist() == [["d0", 3.5]]
    with store.engine.connect() as conn:
        assert conn.execute(select(scores.c.id)).all().__len__() == before + 1


def test_nan_score_is_stored_as_null(store):
    run_id, _, system_ids = populated(store, n_segments=1, systems=("alpha",))
    sid = system_ids["alpha"]
    store.add_scores([score(run_id, sid, "comet", "system", float("nan"), corpus="news")])
    with store.engine.connect() as conn:
        assert conn.execute(select(scores.c.value).where(scores.c.metric == "comet")).scalar() is None
    with pytest.raises(ValueError, match="finite"):
        store.add_scores([score(run_id, sid, "x", "system", math.inf)])
    with pytest.raises(ValueError, match="without segment_id"):
        store.add_scores([score(run_id, sid, "x", "segment", 1.0)])
    with pytest.raises(ValueError, match="belongs to run"):
        store.add_scores([score(new_run(store), sid, "x", "system", 1.0)])


def test_scores_df_and_leaderboard(store):
    run_id, ids, _ = populated(store)
    frame = store.scores_df(run_id, level="segment", metric="chrf")
    assert len(frame) == 2 * len(ids)
    expected = {"system", "metric", "level", "corpus", "doc_id", "seg_id", "value", "signature", "details"}
    assert expected <= set(frame.columns)
    board = store.leaderboard(run_id, level="system")
    systems = list(dict.fromkeys(r["system"] for r in board))
    assert systems == ["alpha", "beta"] and list(dict.fromkeys(r["metric"] for r in board)) == ["bleu"]
    assert [r["value"] for r in board if r["metric"] == "bleu"] == [20.0, 21.0]
    seg_board = {(r["system"], r["metric"]): r["value"] for r in store.leaderboard("latest", level="segment")}
    assert seg_board[("beta", "chrf")] == pytest.approx(10 + sum(range(len(ids))) / len(ids))
    with pytest.raises(InputError, match="did you mean 'chrf'"):
        store.scores_df(run_id, metric="chrff")


def test_leaderboard_never_mixes_corpora(store):
    run_id, _, system_ids = populated(store, n_segments=2)
    store.add_scores([score(run_id, system_ids["alpha"], "bleu", "system", 5.0, corpus="wiki")])
    board = store.leaderboard(run_id, level="system")  # one row per corpus: never a mix of both
    assert {(r["corpus"], r["system"]): r["value"] for r in board if r["metric"] == "bleu"} == {
        ("news", "alpha"): 20.0, ("news", "beta"): 21.0, ("wiki", "alpha"): 5.0}
    assert [r["value"] for r in store.leaderboard(run_id, corpus="wiki") if r["metric"] == "bleu"] == [5.0]
    with pytest.raises(InputError, match="did you mean 'news'"):
        store.leaderboard(run_id, corpus="newz")


def test_worst_segments(store):
    run_id, ids, _ = populated(store)
    worst = store.worst_segments(run_id, "chrf", 3)
    assert worst["value"].tolist() == [0.0, 1.0, 2.0]
    assert worst["system"].tolist() == ["alpha"] * 3
    assert worst.loc[0, "hypothesis"] == "alpha hyp s0" and worst.loc[0, "source"] == "第0句。"
    beta = store.worst_segments(run_id, "chrf", 2, system="beta")
    assert beta["value"].tolist() == [10.0, 11.0]
    best_first = store.worst_segments(run_id, "chrf", 1, higher_is_better=False)
    assert best_first["value"].tolist() == [10.0 + len(ids) - 1]
    with pytest.raises(InputError, match="did you mean 'beta'"):
        store.worst_segments(run_id, "chrf", 2, system="betta")
    with pytest.raises(InputError, match="no segment-level scores for metric 'bleu'"):
        store.worst_segments(run_id, "bleu", 2)


# ---- cache -------------------------------------------------------------------


def test_canonical_json_spelling():
    spelt = canonical_json({"b": 1, "a": [1.5, "中文", None, True]})
    assert spelt == '{"a":[1.5,"中文",null,true],"b":1}'
    assert canonical_json(0.1) == "0.1" and canonical_json(1e-30) == "1e-30"
    for bad in (math.nan, [math.inf], {"x": -math.inf}):
        with pytest.raises(ValueError, match="canonical JSON"):
            canonical_json(bad)
    with pytest.raises(TypeError, match="keys must be str"):
        canonical_json({1: "a"})
    with pytest.raises(TypeError, match="not plain JSON"):
        canonical_json({"a": {1, 2}})
    assert cache_key({"a": 1}) == "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def reversed_keys(obj):
    if isinstance(obj, dict):
        return {k: reversed_keys(obj[k]) for k in reversed(list(obj))}
    if isinstance(obj, list):
        return [reversed_keys(v) for v in obj]
    return obj


@settings(max_examples=60)
@given(st.dictionaries(st.text(max_size=8), json_values, min_size=1, max_size=6), st.data())
def test_cache_key_stable_under_key_order_and_sensitive_to_every_field(obj, data):
    assert cache_key(reversed_keys(obj)) == cache_key(obj)
    field = data.draw(st.sampled_from(sorted(obj)))
    new_value = data.draw(json_values.filter(lambda v: canonical_json(v) != canonical_json(obj[field])))
    assert cache_key({**obj, field: new_value}) != cache_key(obj)
    renamed = {(k + "\x00" if k == field else k): v for k, v in obj.items()}
    if len(renamed) == len(obj):
        assert cache_key(renamed) != cache_key(obj)


def test_translation_key_fields_all_matter():
    base = {"system": "hf:opus-mt-zh-en", "revision": "abc", "params": {"beam": 4},
            "source": "你好", "src_lang": "zh", "tgt_lang": "en"}  # fmt: skip
    changed = [{**base, k: (v + "!" if isinstance(v, str) else {"beam": 5})} for k, v in base.items()]
    assert len({cache_key(base), *map(cache_key, changed)}) == len(base) + 1


@pytest.fixture(scope="module")
def memory_store():
    with Store.open("sqlite://") as opened:
        yield opened


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.text(), st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=5)),
                max_size=20))  # fmt: skip
def test_cache_round_trips(memory_store, entries):
    store, nonce = memory_store, uuid.uuid4().hex  # one database, fresh keys per example
    keyed = {cache_key([nonce, i, text_]): (text_, stats) for i, (text_, stats) in enumerate(entries)}
    assert store.translation_cache.put_many((k, "echo", t) for k, (t, _) in keyed.items()) == len(keyed)
    assert store.translation_cache.get_many(list(keyed) + ["0" * 64]) == {k: t for k, (t, _) in keyed.items()}
    assert store.score_cache.put_many((k, "sig", 1.5, s) for k, (_, s) in keyed.items()) == len(keyed)
    got = store.score_cache.get_many(keyed)
    assert {k: c.stats for k, c in got.items()} == {k: [float(x) for x in s] for k, (_, s) in keyed.items()}
    assert all(c.value == 1.5 and c.signature == "sig" for c in got.values())


def test_cache_put_is_idempotent_and_first_write_wins(store):
    keys = [cache_key(i) for i in range(1200)]  # more than two IN chunks
    assert store.translation_cache.put_many((k, "echo", f"h{i}") for i, k in enumerate(keys[:700])) == 700
    assert store.translation_cache.put_many((k, "echo", f"x{i}") for i, k in enumerate(keys)) == 500
    got = store.translation_cache.get_many(keys)
    assert len(got) == 1200 and got[keys[0]] == "h0" and got[keys[-1]] == "x1199"
    assert store.score_cache.put_many([(keys[0], "s", math.nan, [1, 2])]) == 1
    assert store.score_cache.get_many([keys[0]])[keys[0]].value is None
    with pytest.raises(ValueError, match="sha256"):
        store.translation_cache.put_many([("short", "echo", "h")])


# ---- export ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_formats_read_back(store, tmp_path, fmt):
    run_id, ids, system_ids = populated(store)
    path = export_run(store, run_id, tmp_path / "out" / f"run.{fmt}")
    if fmt == "jsonl":
        frame = pd.read_json(path, lines=True, dtype=False)
    elif fmt == "csv":
        frame = pd.read_csv(path, keep_default_na=False, na_values={"chrf": [""]})
        frame["flags"] = frame["flags"].map(json.loads)
    else:
        import pyarrow.parquet as pq

        frame = pd.read_parquet(path)
        frame["flags"] = frame["flags"].map(list)
        meta = json.loads(pq.read_schema(path).metadata[PARQUET_META_KEY])
        assert meta["run"]["id"] == run_id
    assert list(frame.columns) == [*BASE_COLUMNS, "chrf"]
    assert len(frame) == len(ids) * len(system_ids)
    beta = frame[frame.system == "beta"].reset_index(drop=True)
    assert beta.loc[2, "source"] == "第2句。" and beta.loc[2, "hypothesis"] == "beta hyp s2"
    assert beta.loc[2, "chrf"] == 12.0 and beta.loc[2, "flags"] == ["copy"]
    assert frame[frame.system == "alpha"]["flags"].tolist() == [[]] * len(ids)
    meta = json.loads(meta_path(path).read_text(encoding="utf-8"))
    assert meta["rows"] == len(frame) and meta["run"]["git_commit"] == "0123abc"
    assert meta["signatures"] == {"bleu": ["bleu|v1"], "chrf": ["chrf|v1"]}


def test_export_missing_scores_are_null_and_format_errors(store, tmp_path):
    run_id, ids, system_ids = populated(store, n_segments=3, systems=("alpha",))
    with store.engine.begin() as conn:
        conn.execute(scores.delete().where(scores.c.segment_id == ids[("news", "s1")]))
    path = export_run(store, run_id, tmp_path / "run.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["chrf"] for r in rows] == [0.0, None, 2.0]
    with pytest.raises(UsageError, match="did you mean 'csv'"):
        export_run(store, run_id, tmp_path / "run.txt", "cvs")
    with pytest.raises(InputError, match="no run 9"):
        export_run(store, 9, tmp_path / "run.csv")


# ---- concurrency -------------------------------------------------------------


def _write_system(db: str, run_id: int, name: str, segment_ids: list[int], barrier) -> None:
    with open_store(db) as store:
        sid = store.add_system(run_id, name, f"echo:{name}")
        barrier.wait()
        for start in range(0, len(segment_ids), 25):
            batch = segment_ids[start : start + 25]
            store.translation_cache.put_many((cache_key(["shared", s]), "echo", f"h{s}") for s in batch)
            store.add_translations(run_id, sid, [(s, f"{name}:{s}", None, []) for s in batch])
            store.add_scores([score(run_id, sid, "len", "segment", float(s), segment_id=s) for s in batch])


def test_threads_share_one_store(store):
    run_id = new_run(store)
    segment_ids = list(store.add_segments([segment(i) for i in range(200)]).values())
    system_ids = [store.add_system(run_id, name, "echo") for name in ("a", "b", "c")]

    def write(sid: int) -> None:
        for start in range(0, len(segment_ids), 20):
            batch = segment_ids[start : start + 20]
            store.add_translations(run_id, sid, [(s, f"{sid}:{s}", None, []) for s in batch])
            store.translation_cache.put_many((cache_key(["t", s]), "echo", "h") for s in batch)

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(write, system_ids))
    assert all(store.translations_done(run_id, sid) == set(segment_ids) for sid in system_ids)
    assert len(store.translation_cache.get_many(cache_key(["t", s]) for s in segment_ids)) == 200


def test_two_processes_write_one_sqlite_file_without_losses(db):
    with Store.open(db) as store:
        run_id = new_run(store)
        segment_ids = sorted(store.add_segments([segment(i) for i in range(300)]).values())
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(target=_write_system, args=(db, run_id, name, segment_ids, barrier))
        for name in ("a", "b")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    with Store.open(db) as store:
        frame = store.translations_df(run_id)
        assert frame.groupby("system").size().to_dict() == {"a": 300, "b": 300}
        assert len(store.scores_df(run_id, metric="len")) == 600
        assert len(store.translation_cache.get_many(cache_key(["shared", s]) for s in segment_ids)) == 300
        with store.engine.connect() as conn:
            assert conn.execute(select(translations.c.id)).all().__len__() == 600
            assert conn.execute(select(runs.c.status)).scalar() == "running"


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",))) | st.sampled_from(
    ["", " ", "引号\"和\\反斜杠", "\u2028\u0000\x7f", "naïve café"])


@settings(max_examples=200, deadline=None)
@given(fields=st.dictionaries(st.text(min_size=1, max_size=12),
                              st.none() | _TEXT | st.lists(_TEXT, max_size=4), max_size=8))
def test_text_cache_key_equals_cache_key(fields):
    """The fast key for string-valued mappings (translation and score keys) is the canonical one."""
    from evals.store.cache import text_cache_key

    assert text_cache_key(fields) == cache_key(fields)


@settings(max_examples=200, deadline=None)
@given(row=st.lists(st.integers(min_value=-2**62, max_value=2**62)
                    | st.floats(allow_nan=False, allow_infinity=False), max_size=30))
def test_stats_json_equals_canonical_json(row):
    from evals.store.cache import stats_json

    assert stats_json(row) == canonical_json(row)


# ---- reusing an identical run -------------------------------------------------


KEY = "ab" * 32


def test_only_a_done_run_is_reusable_by_its_input_key(store):
    failed = new_run(store)
    store.finish_run(failed, "failed", input_key=KEY)  # a failed run's results are not complete
    running = new_run(store)
    assert store.reusable_run(KEY) is None
    done = new_run(store)
    store.finish_run(done, "done", input_key=KEY)
    newer = new_run(store)
    store.finish_run(newer, "done", input_key=KEY)
    store.finish_run(running, "done")  # no key: never reused
    assert store.reusable_run(KEY) == newer
    assert store.reusable_run("cd" * 32) is None
    with pytest.raises(ValueError, match="sha256"):
        store.finish_run(done, "done", input_key="short")


def _rows(store, table, run_id):
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).where(table.c.run_id == run_id)
                                                .order_by(table.c.id))]


def test_copy_run_results_copies_every_translation_and_score_in_order(store):
    source, ids, system_ids = populated(store)
    target = new_run(store)
    mapping = {}
    for name in ("beta", "alpha"):  # other insertion order: ids must be mapped, not assumed
        mapping[system_ids[name]] = store.add_system(target, name, f"echo:{name}", None, {"beam": 4},
                                                     {"device": "cpu"})
    copied = store.copy_run_results(source, target, mapping)
    assert copied == (len(ids) * 2, len(ids) * 2 + 2)

    def comparable(row, table):
        values = dict(zip(table.c.keys(), row))
        values.pop("id"), values.pop("run_id"), values.pop("created_at", None)
        values["system_id"] = mapping.get(values["system_id"], values["system_id"])
        return values

    for table in (translations, scores):
        before = [comparable(r, table) for r in _rows(store, table, source)]
        after = [dict(zip(table.c.keys(), r)) for r in _rows(store, table, target)]
        for row in after:
            row.pop("id"), row.pop("run_id"), row.pop("created_at", None)
        assert after == before

    def readable(run_id):
        frame = store.scores_df(run_id).drop(columns=["run_id", "system_id"])
        frame["details"] = frame["details"].map(canonical_json)
        return frame.sort_values(["system", "metric", "level", "seg_id"]).reset_index(drop=True)

    assert readable(target).equals(readable(source))


def test_copy_run_results_refuses_a_wrong_system_map_and_writes_nothing(store):
    source, ids, system_ids = populated(store)
    target = new_run(store)
    alpha = store.add_system(target, "alpha", "echo:alpha")
    with pytest.raises(ValueError, match="has systems"):
        store.copy_run_results(source, target, {system_ids["alpha"]: alpha})
    other = new_run(store)
    stranger = store.add_system(other, "beta", "echo:beta")
    with pytest.raises(ValueError, match="belongs to run"):
        store.copy_run_results(source, target, {system_ids["alpha"]: alpha, system_ids["beta"]: stranger})
    assert _rows(store, translations, target) == [] and _rows(store, scores, target) == []
