"""Commands that only read never change the database (issue 16, point 3).

Which commands read and which write is declared once, by each command's
``--db`` option (``evals.cli.stores``). Readers open a SQLite file with
``mode=ro``: after ``runs``/``show``/``export``/``compare``/``check``/
``baseline save``/``dashboard``/``serve`` a DELETE-journal store keeps its
journal mode, its bytes and its mtime, and no ``-wal``/``-shm`` file appears.
Readers never migrate (an older store is refused, pointing at
``mteval upgrade``), never create a missing or empty database, and refuse
another program's SQLite file in one line without touching it. On read-only
storage (a read-only bind mount, which stops root too) every reader works.

Tests run as root, so ``chmod`` cannot make storage read-only: the read-only
cases mount the folder (or the file) read-only in a private mount namespace
(``unshare -m``) and run the CLI there; where that is not permitted they
fall back to ``chmod`` for other users, and skip for root with the reason.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from functools import cache
from pathlib import Path

import pytest

from evals.store import Store
from evals.store.migrations import MIGRATIONS
from tests.test_bad_input import Outcome, cli, copy_files, scored_store

READERS = {
    "runs": ["runs"],
    "show": ["show", "latest"],
    "show-docs": ["show", "1", "--docs", "--format", "json"],
    "show-worst": ["show", "1", "--worst", "2", "--metric", "bleu"],
    "export": ["export", "1", "--out", "out/x.jsonl"],
    "compare": ["compare", "1:a.txt", "1:b.txt", "--resamples", "50", "--trials", "50"],
    "compare-clusters": ["compare", "--run", "1", "--clusters", "--resamples", "50"],
    "check": ["check", "--baseline", "base.json", "--run", "1", "--system", "b.txt"],
    "baseline-save": ["baseline", "save", "1:a.txt", "--out", "out/b.json"],
    "dashboard": ["dashboard", "--out", "out/site"],
    "human-list": ["human", "list", "--run", "1"],
}
WRITER = ["score", "ref.txt", "-i", "a.txt", "-m", "bleu", "-q"]


def journal_mode(db: Path) -> str:
    """From the file header (byte 18: 1 rollback journal, 2 WAL), without opening the file."""
    return {1: "delete", 2: "wal"}[db.read_bytes()[18]]


def fingerprint(db: Path) -> tuple:
    """Bytes, mtime, journal mode and side files of a SQLite file: all a reader must leave alone."""
    side = sorted(p.name for p in db.parent.iterdir() if p.name.startswith(db.name + "-"))
    return hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns, journal_mode(db), side


def to_delete_journal(db: Path) -> None:
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA journal_mode = DELETE")
    con.close()


def one_line(outcome: Outcome, *fragments: str, code: int = 2) -> str:
    assert outcome.code == code, outcome.text
    assert "Traceback" not in outcome.text, outcome.text
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def store_folder(tmp_path_factory):
    """run 1 (a.txt, b.txt; BLEU), base.json, and s.db switched to a DELETE journal, as another tool may leave it."""
    folder = scored_store(tmp_path_factory.mktemp("readonly-open"))
    to_delete_journal(folder / "s.db")
    return folder


@pytest.fixture
def workdir(store_folder, tmp_path, monkeypatch):
    copy_files(store_folder, tmp_path)
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- readers change nothing ----------------------------------------------------------------------


@pytest.mark.parametrize("reader", list(READERS))
def test_a_reader_leaves_a_delete_journal_store_byte_for_byte(reader, workdir, capsys):
    db = workdir / "s.db"
    before = fingerprint(db)
    time.sleep(0.01)  # an mtime changed by the command would differ
    outcome = cli([*READERS[reader], "--db", db], capsys)
    assert outcome.code == 0, outcome.text
    assert fingerprint(db) == before


def serve_once(db: Path, cwd: Path, wrap=lambda argv: argv) -> tuple[int, str]:
    """``mteval serve`` in a subprocess: fetch the front page and a run's data, then Ctrl-C; (status, stderr)."""
    argv = wrap([sys.executable, "-m", "evals", "serve", "--port", "0", "-q", "--db", str(db)])
    server = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        if not line.startswith("serving "):
            server.wait(timeout=60)
            return server.returncode, line + server.stderr.read()
        address = line.split()[1]
        for page in ("", "data/runs/1.js"):
            with urllib.request.urlopen(address + page, timeout=30) as response:
                assert response.status == 200 and response.read()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        return 200, server.stderr.read()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_serve_leaves_a_delete_journal_store_byte_for_byte(workdir):
    db = workdir / "s.db"
    before = fingerprint(db)
    status, err = serve_once(db, workdir)
    assert status == 200, err
    assert fingerprint(db) == before


def test_a_writer_still_switches_to_wal_and_migrates(workdir, capsys):
    """The other side of the declaration: `score` (and `run`) write, in WAL mode, as before."""
    outcome = cli([*WRITER, "--db", workdir / "s.db"], capsys)
    assert outcome.code == 0, outcome.text
    assert journal_mode(workdir / "s.db") == "wal"


def test_every_command_with_a_store_declares_whether_it_writes():
    """One declaration per command: the --db option's callback hands the command a StoreRef that knows."""
    from evals.cli import _register_commands, cli as group
    from evals.cli.stores import WRITES, StoreOption

    _register_commands()

    def commands(command, path=()):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from commands(sub, (*path, name))
        else:
            yield " ".join(path), command

    declared = {}
    for name, command in commands(group):
        option = next((p for p in command.params if p.name == "db"), None)
        if option is not None:
            assert isinstance(option, StoreOption), name  # not a plain --db that opens however it likes
            declared[name] = option.access is WRITES
    assert {n for n, writes in declared.items() if writes} == {"run", "score", "upgrade", "human import"}
    assert {"runs", "show", "export", "compare", "check", "baseline save", "dashboard", "serve",
            "human list"} <= set(declared)


# --- what readers refuse, and leave as it was ----------------------------------------------------


@pytest.fixture
def foreign(workdir) -> Path:
    """Another program's SQLite database (a DELETE journal, as sqlite3 makes them)."""
    path = workdir / "app.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE people (name TEXT)")
        con.execute("INSERT INTO people VALUES ('ada')")
    con.close()
    return path


@pytest.mark.parametrize("command", [*READERS, "writer"])
def test_another_programs_database_is_refused_in_one_line_and_left_alone(command, foreign, capsys):
    before = fingerprint(foreign)
    args = WRITER if command == "writer" else READERS[command]
    one_line(cli([*args, "--db", foreign], capsys), str(foreign), "not an mteval results store", "people")
    assert fingerprint(foreign) == before


@pytest.mark.parametrize("command", ["runs", "show", "dashboard", "compare", "check"])
def test_a_missing_database_is_not_created_by_a_reader(command, workdir, capsys):
    db = workdir / "nowhere" / "m.db"
    one_line(cli([*READERS[command], "--db", db], capsys), str(db), "no results database here", "mteval run")
    assert not db.parent.exists()  # not even its folder


@pytest.mark.parametrize("command", ["runs", "show", "dashboard", "export"])
def test_an_empty_file_stays_empty_under_a_reader(command, workdir, capsys):
    db = workdir / "empty.db"
    db.touch()
    one_line(cli([*READERS[command], "--db", db], capsys), str(db), "the database is empty", "mteval run")
    assert db.stat().st_size == 0


def test_a_writer_makes_a_missing_or_empty_file_a_store(workdir, capsys):
    (workdir / "empty.db").touch()
    for db in (workdir / "empty.db", workdir / "new" / "fresh.db"):
        assert cli([*WRITER, "--db", db], capsys).code == 0
        assert cli(["runs", "--db", db], capsys).code == 0


def test_a_store_an_older_mteval_wrote_is_refused_by_readers_and_upgraded_by_upgrade(workdir, capsys):
    db = workdir / "old.db"
    Store.open(db, migrations=MIGRATIONS[:-1]).close()  # what the previous release made
    to_delete_journal(db)
    before = fingerprint(db)
    for command in ("runs", "show", "dashboard"):
        one_line(cli([*READERS[command], "--db", db], capsys), str(db), "older mteval",
                 f"schema version {len(MIGRATIONS) - 1}", "mteval upgrade")
        assert fingerprint(db) == before
    upgraded = cli(["upgrade", "--db", db], capsys)
    assert upgraded.code == 0 and f"schema version {len(MIGRATIONS)}" in upgraded.out, upgraded.text
    assert cli(["runs", "--db", db], capsys).code == 0


# --- read-only storage ---------------------------------------------------------------------------


@cache
def can_mount_readonly() -> bool:
    """Whether this process may bind-mount read-only in a private mount namespace (root with CAP_SYS_ADMIN)."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind / / 2>/dev/null || exit 3; "
                                                          "mount -o remount,bind,ro / / 2>/dev/null || exit 3"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


def readonly(target: Path):
    """A wrapper for argv that runs it with ``target`` (a folder or a file) read-only for everyone, root too."""
    if can_mount_readonly():
        def wrap(argv: list[str]) -> list[str]:
            quoted = shlex.quote(str(target))
            return ["unshare", "-m", "sh", "-c", f"mount --bind {quoted} {quoted} && "
                    f"mount -o remount,bind,ro {quoted} {quoted} && exec {shlex.join(argv)}"]
        return wrap
    if os.geteuid() == 0:
        pytest.skip("root writes through file modes and this machine cannot mount read-only (no unshare -m)")
    target.chmod(0o555 if target.is_dir() else 0o444)
    return lambda argv: argv


def run_cli(argv: list[str], cwd: Path, wrap) -> Outcome:
    done = subprocess.run(wrap([sys.executable, "-m", "evals", *map(str, argv)]), cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    return Outcome(done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_readers_work_on_read_only_storage(journal, workdir):
    shelf = workdir / "shelf"
    shelf.mkdir()
    db = shelf / "s.db"
    shutil.move(workdir / "s.db", db)
    if journal == "wal":
        with sqlite3.connect(db) as con:
            con.execute("PRAGMA journal_mode = WAL")
        con.close()
    before = fingerprint(db)
    wrap = readonly(shelf)
    # A subprocess each (a mount namespace of its own): a few readers, not all, to stay quick.
    for command in (("runs", "export", "dashboard") if journal == "delete" else ("runs", "show")):
        outcome = run_cli([*READERS[command], "--db", db], workdir, wrap)
        assert outcome.code == 0, (command, outcome.text)
    if journal == "wal":  # the case that needs immutable=1 (no -shm can be made), and a live server
        status, err = serve_once(db, workdir, wrap)
        assert status == 200, err
    assert fingerprint(db) == before


# --- PostgreSQL ----------------------------------------------------------------------------------


def test_readers_never_create_or_migrate_a_postgresql_store(new_pg_database, capsys):
    from sqlalchemy import create_engine, inspect, text

    url = new_pg_database()
    one_line(cli(["runs", "--db", url], capsys), "the database is empty")
    engine = create_engine(url)
    try:
        assert inspect(engine).get_table_names() == []
        Store.open(url, migrations=MIGRATIONS[:-1]).close()
        one_line(cli(["show", "latest", "--db", url], capsys), "older mteval", "mteval upgrade")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT max(version) FROM schema_migrations")).scalar() == len(MIGRATIONS) - 1
        assert cli(["upgrade", "--db", url], capsys).code == 0
        with Store.open_readonly(url) as store, store.engine.connect() as conn:
            assert conn.execute(text("SHOW default_transaction_read_only")).scalar() == "on"
    finally:
        engine.dispose()
