"""A throwaway PostgreSQL server for the tests that need a real one.

The store promises the same behaviour on PostgreSQL as on SQLite, and only a
real server shows whether that holds (dialect quirks, READ COMMITTED races,
advisory locks). ``pg_url`` starts one per test session from the PostgreSQL
binaries on this machine (``.ci/run`` installs Debian's ``postgresql``): a new
cluster in a temporary directory, trust authentication, listening on
127.0.0.1 on a free port, stopped and deleted at the end. With
``MTEVAL_TEST_PG_URL`` set, that server is used instead and nothing is started.

Tests that need a database of their own (fresh schema, no other test's rows)
ask ``new_pg_database`` for one.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ENV_URL = "MTEVAL_TEST_PG_URL"
ENV_BIN = "MTEVAL_TEST_PG_BIN"  # a directory holding initdb and pg_ctl, if not the usual place
_SERVICE_USER = "postgres"  # PostgreSQL refuses to run as root
_START_TIMEOUT_S = 60


@dataclass(frozen=True)
class PgServer:
    """A running server: its admin URL (database ``postgres``) and the log to show on failure."""

    admin_url: str
    log: Path | None = None

    def url_for(self, database: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)


def find_pg_bin() -> Path | None:
    """The directory with ``initdb`` and ``pg_ctl``: $MTEVAL_TEST_PG_BIN, Debian's layout, or PATH."""
    candidates = [os.environ.get(ENV_BIN, "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    on_path = shutil.which("pg_ctl")
    candidates.append(str(Path(on_path).parent) if on_path else "")
    for candidate in filter(None, candidates):
        folder = Path(candidate)
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parent.name
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_service_user(argv: list[str]) -> list[str]:
    """Root cannot run initdb/postgres; run them as the ``postgres`` account instead."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", _SERVICE_USER, "--", *argv]


def _run(argv: list[str], what: str, log: Path | None = None) -> None:
    done = subprocess.run(_as_service_user(argv), capture_output=True, text=True, timeout=_START_TIMEOUT_S)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        pytest.fail(f"PostgreSQL {what} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")


def _start(bin_dir: Path, root: Path) -> PgServer:
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, _SERVICE_USER)
        shutil.chown(sockets, _SERVICE_USER)
    _run([str(bin_dir / "initdb"), "-D", str(data), "-U", _SERVICE_USER, "-A", "trust", "-E", "UTF8",
          "--locale=C", "--no-sync"], "initdb")
    port = _free_port()
    # fsync off: a test cluster is thrown away, durability only costs time.
    options = f"-h 127.0.0.1 -p {port} -k {sockets} -F -c max_connections=100"
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w",
          "-t", str(_START_TIMEOUT_S), "start"], "start", log)
    return PgServer(f"postgresql+psycopg://{_SERVICE_USER}@127.0.0.1:{port}/postgres", log)


def _stop(bin_dir: Path, root: Path) -> None:
    subprocess.run(_as_service_user([str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-m", "fast",
                                     "-w", "stop"]), capture_output=True, timeout=_START_TIMEOUT_S)


def _admin(server: PgServer, statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE cannot run inside one)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """$MTEVAL_TEST_PG_URL's server, or a private one started for this session."""
    external = os.environ.get(ENV_URL, "").strip()
    if external:
        from evals.store.engine import resolve_db_url

        yield PgServer(resolve_db_url(external))
        return
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip(
            "no PostgreSQL server binaries (initdb, pg_ctl) found: install Debian's `postgresql` "
            f"(.ci/run does), point {ENV_BIN} at them, or set {ENV_URL} to a server"
        )
    root = Path(tempfile.mkdtemp(prefix="mteval-pg-"))  # not under pytest's 0700 tmp: postgres must enter it
    try:
        yield _start(bin_dir, root)
    finally:
        _stop(bin_dir, root)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A ``postgresql+psycopg://`` URL of a database created for this session."""
    name = f"mteval_session_{uuid.uuid4().hex[:10]}"
    _admin(pg_server, f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.url_for(name)
    finally:
        _admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def new_pg_database(pg_server: PgServer) -> Iterator[Callable[[], str]]:
    """A factory of empty databases on the test server, dropped when the test ends."""
    created: list[str] = []

    def make() -> str:
        name = f"mteval_test_{uuid.uuid4().hex[:10]}"
        _admin(pg_server, f'CREATE DATABASE "{name}"')
        created.append(name)
        return pg_server.url_for(name)

    yield make
    for name in created:
        _admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
