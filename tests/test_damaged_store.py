"""A damaged or unusable store is one line naming the database and what is wrong, exit 2 (issue 16, point 5).

Every command that opens the store meets each damage: random bytes, a file
cut in half, a page overwritten in the middle, a dropped ``scores`` or
``schema_migrations`` table, a schema version from a newer mteval; writers
also meet a read-only file and a read-only folder. The answer is always
exit 2, exactly one line on stderr that names the database file, and no
traceback; the damaged file is never changed (nothing "repairs" it by
writing). Most checks run on open (``evals.store.health``); damage that only
a query meets (a bad page) is turned into the same line where the store is
closed (``Store.__exit__``).

The read-only cases mount the file or folder read-only in a private mount
namespace, which stops root too (see ``tests/test_readonly_open.py``).
"""

from __future__ import annotations

import hashlib
import random
import sqlite3

import pytest

from tests.test_bad_input import cli, scored_store
from tests.test_readonly_open import READERS, one_line, readonly, run_cli, serve_once
from tests.test_readonly_open import workdir  # noqa: F401  (fixture: this module's store_folder, copied per test)

WRITERS = {
    "run": ["run", "--only", "--corpus", "src.zh:ref.txt", "--system", "file:a.txt", "--metric", "bleu", "-q"],
    "score": ["score", "ref.txt", "-i", "a.txt", "-m", "bleu", "-q"],
    "upgrade": ["upgrade"],
}
COMMANDS = {**WRITERS, **READERS}
SOURCE = "今天天气很好，我们去公园。\n公园里有很多人在跑步。\n他在北京的一家银行工作。\n"


@pytest.fixture(scope="module")
def store_folder(tmp_path_factory):
    folder = scored_store(tmp_path_factory.mktemp("damaged-store"))
    (folder / "src.zh").write_text(SOURCE, encoding="utf-8")
    with sqlite3.connect(folder / "s.db") as con:  # fold the WAL in: the file alone is the store
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return folder


def random_bytes(db):
    db.write_bytes(random.Random(16).randbytes(64 * 1024))


def truncated(db):
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def dropped(table):
    def damage(db):
        with sqlite3.connect(db) as con:
            con.execute("PRAGMA foreign_keys = OFF")
            con.execute(f"DROP TABLE {table}")
        con.close()
    return damage


def future_schema(db):
    with sqlite3.connect(db) as con:
        con.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', "
                    "'2030-01-01 00:00:00')")
    con.close()


DAMAGE = {
    "random-bytes": (random_bytes, "not a SQLite database"),
    "truncated": (truncated, "truncated"),
    "dropped-scores": (dropped("scores"), "table(s) scores missing"),
    "dropped-schema-migrations": (dropped("schema_migrations"), "schema_migrations table is missing"),
    "future-schema": (future_schema, "[99]"),
}


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_store_is_one_line_naming_it_exit_2(damage, command, workdir, capsys):
    db = workdir / "s.db"
    make, what = DAMAGE[damage]
    make(db)
    before = digest(db)
    one_line(cli([*COMMANDS[command], "--db", db], capsys), f"results database {db}:", what)
    assert digest(db) == before


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_serve_refuses_a_damaged_store_in_one_line(damage, workdir):
    db = workdir / "s.db"
    make, what = DAMAGE[damage]
    make(db)
    code, err = serve_once(db, workdir)
    assert code == 2 and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and str(db) in err and what in err, err


def test_a_damaged_page_that_only_a_query_reaches_is_one_line(workdir, capsys):
    """A page in the middle overwritten: the header is fine, the first query into it fails."""
    db = workdir / "s.db"
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    with sqlite3.connect(db) as con:  # the first page of the translations table: every reader below reads it
        root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'translations'").fetchone()[0]
    con.close()
    start = (root - 1) * page
    data[start:start + page] = random.Random(5).randbytes(page)
    db.write_bytes(bytes(data))
    for command in ("show-worst", "export", "compare"):
        line = one_line(cli([*COMMANDS[command], "--db", db], capsys), f"results database {db}:")
        assert "damaged" in line or "not a SQLite database" in line, line


@pytest.mark.parametrize("command", list(WRITERS))
@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_writer_on_read_only_storage_is_one_line(what, command, workdir):
    shelf = workdir / "shelf"
    shelf.mkdir()
    db = shelf / "s.db"
    (workdir / "s.db").rename(db)
    before = digest(db)
    outcome = run_cli([*COMMANDS[command], "--db", db], workdir, readonly(db if what == "file" else shelf))
    one_line(outcome, f"results database {db}:", "cannot write")
    assert digest(db) == before


def test_a_new_store_in_a_read_only_folder_is_one_line(workdir):
    shelf = workdir / "shelf"
    shelf.mkdir()
    db = shelf / "new.db"
    one_line(run_cli([*WRITERS["score"], "--db", db], workdir, readonly(shelf)), f"results database {db}:")
    assert not db.exists()
