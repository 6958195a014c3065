"""Where the results database lives and how we connect to it.

One code path serves SQLite (the default, a file next to the user's work) and
PostgreSQL (a shared server for teams). SQLite needs three things to behave
well when several ``mteval`` processes write to one file: WAL journaling (readers
never block the writer), a long busy timeout (writers queue instead of failing),
and foreign keys switched on (off by default in SQLite). Write transactions on
SQLite start with ``BEGIN IMMEDIATE`` so the write lock is taken up front: a
deferred transaction that reads and then writes can fail with "database is
locked" without waiting, because its read snapshot may be stale.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from sqlalchemy import ColumnElement, Connection, Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.pool import StaticPool

from evals.errors import InputError

ENV_VAR = "MTEVAL_DB"
DEFAULT_PATH = Path("results") / "mteval.db"
BUSY_TIMEOUT_S = 30
# Execution option that marks a connection's next transaction as a writer.
_WRITE_OPTION = "mteval_write"
CONFLICT_ATTEMPTS = 3
# Largest IN (...) list we send: well under SQLite's bound-parameter limit.
IN_CHUNK = 500

T = TypeVar("T")


def resolve_db_url(db: str | os.PathLike[str] | None = None) -> str:
    """The database URL: ``--db`` wins, then ``$MTEVAL_DB``, then ./results/mteval.db.

    A bare file path is accepted anywhere a URL is, and becomes a SQLite URL
    with an absolute path (so the URL means the same thing from any directory).
    The parent directory of a SQLite file is created, because a fresh checkout
    has no ``results/`` yet and SQLite's own error for that is cryptic.
    """
    if db is not None and str(db).strip():
        raw, origin = str(db).strip(), "--db"
    elif os.environ.get(ENV_VAR, "").strip():
        raw, origin = os.environ[ENV_VAR].strip(), ENV_VAR
    else:
        raw, origin = str(DEFAULT_PATH), "default"
    url = raw if "://" in raw else _sqlite_url_for_path(Path(raw))
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InputError(f"not a database URL or file path: {raw!r}", field=origin) from exc
    if parsed.get_backend_name() == "sqlite" and not _is_memory(parsed.database):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return url


def _sqlite_url_for_path(path: Path) -> str:
    return f"sqlite:///{path.expanduser().resolve()}"


def _is_memory(database: str | None) -> bool:
    return not database or database == ":memory:" or database.startswith("file::memory:")


def create_store_engine(url: str) -> Engine:
    """An Engine for ``url`` with the per-backend settings the store relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if _is_memory(parsed.database):
        # One shared connection, or every checkout would see a new empty database.
        engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection, _connection_record) -> None:
    # Take BEGIN away from the sqlite3 module so _sqlite_on_begin can choose
    # between BEGIN and BEGIN IMMEDIATE (the recipe in SQLAlchemy's SQLite docs).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # busy_timeout first: switching a new file to WAL needs a lock too.
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    writer = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside one transaction that commits on success, rolls back on error.

    On SQLite the write lock is taken at BEGIN, so a read-then-insert inside
    the block cannot race another process; on PostgreSQL callers still guard
    against unique-key races (see ``run_write``).
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE_OPTION: True})
        with conn.begin():
            yield conn


def run_write(engine: Engine, work: Callable[[Connection], T], attempts: int = CONFLICT_ATTEMPTS) -> T:
    """Run ``work`` in one write transaction; rerun it if a concurrent writer won a race.

    ``work`` must be written as "read what exists, insert what is missing", so
    a rerun after another process inserted the same unique key is a no-op for
    those rows instead of an error. Genuine integrity bugs (a foreign key to a
    row that does not exist) fail the same way every time and are re-raised.
    """
    for attempt in range(1, attempts + 1):
        try:
            with write_transaction(engine) as conn:
                return work(conn)
        except IntegrityError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def chunked(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items, for ``WHERE x IN (...)`` lookups."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def utc_now() -> datetime:
    """The timestamp stored in ``created_at`` columns (always UTC)."""
    return datetime.now(timezone.utc)


def existing_values(
    conn: Connection, column: ColumnElement, values: Sequence[T], *where: ColumnElement[bool]
) -> set[T]:
    """Which of ``values`` already appear in ``column`` (rows also matching ``where``)."""
    found: set[T] = set()
    for chunk in chunked(values):
        query = select(column).where(column.in_(chunk), *where)
        found.update(conn.execute(query).scalars())
    return found
