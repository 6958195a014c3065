"""Where the results database lives and how we connect to it.

One code path serves SQLite (the default, a file next to the user's work) and
PostgreSQL (a shared server for teams). SQLite needs three things to behave
well when several ``mteval`` processes write to one file: WAL journaling (readers
never block the writer), a long busy timeout (writers queue instead of failing),
and foreign keys switched on (off by default in SQLite). Write transactions on
SQLite start with ``BEGIN IMMEDIATE`` so the write lock is taken up front: a
deferred transaction that reads and then writes can fail with "database is
locked" without waiting, because its read snapshot may be stale.

Ctrl-C (or any ``BaseException`` that is not an ``Exception``) inside a write
must not leave the transaction open: SQLAlchemy then closes the DBAPI
connection without rolling back, and a SQLite connection whose cursor is still
referenced (by the traceback) closes only as a "zombie" that keeps the write
lock, so the run's final status write would wait out the busy timeout and fail.
``_sqlite_on_error`` rolls such a transaction back first, and
``write_transaction`` never lets an interrupted connection back into the pool.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from evals.errors import InputError, Unavailable

ENV_VAR = "MTEVAL_DB"
BACKENDS = ("sqlite", "postgresql")
# Plain postgresql:// means psycopg2 to SQLAlchemy; mteval ships (and tests) psycopg 3.
_PG_DRIVER = "postgresql+psycopg"
_PG_INSTALL_HINT = "pip install 'mteval-zh[postgres]' (psycopg 3)"
PG_CONNECT_TIMEOUT_S = 10
DEFAULT_PATH = Path("results") / "mteval.db"
BUSY_TIMEOUT_S = 30
# Execution option that marks a connection's next transaction as a writer.
_WRITE_OPTION = "mteval_write"
CONFLICT_ATTEMPTS = 3
# Largest IN (...) list we send: well under SQLite's bound-parameter limit.
IN_CHUNK = 500
# PostgreSQL SQLSTATEs that mean "try the transaction again": serialization failure, deadlock.
_PG_RETRY_SQLSTATES = frozenset({"40001", "40P01"})

T = TypeVar("T")


def resolve_db_url(db: str | os.PathLike[str] | None = None, *, create_folder: bool = True) -> str:
    """The database URL: ``--db`` wins, then ``$MTEVAL_DB``, then ./results/mteval.db.

    A bare file path is accepted anywhere a URL is, and becomes a SQLite URL
    with an absolute path (so the URL means the same thing from any directory).
    The parent directory of a SQLite file is created (unless ``create_folder``
    is false, as for readers, which never create anything), because a fresh
    checkout has no ``results/`` yet and SQLite's own error for that is cryptic.
    ``postgresql://`` and ``postgres://`` (no driver named) select psycopg 3.
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
        raise InputError(f"not a database URL or file path: {_masked(raw)!r}", field=origin) from exc
    if parsed.drivername in ("postgres", "postgresql"):
        return parsed.set(drivername=_PG_DRIVER).render_as_string(hide_password=False)
    if create_folder and parsed.get_backend_name() == "sqlite" and not _is_memory(parsed.database):
        folder = Path(parsed.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the folder of the results database: {exc.strerror or exc}",
                             path=folder, field=origin) from exc
    return url


def _masked(raw: str) -> str:
    """``raw`` with the password of a URL replaced by ***, for error messages."""
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except ArgumentError:
        return raw.split("@", 1)[-1] if "@" in raw else raw


def _sqlite_url_for_path(path: Path) -> str:
    return f"sqlite:///{path.expanduser().resolve()}"


def _is_memory(database: str | None) -> bool:
    return not database or database == ":memory:" or database.startswith("file::memory:")


def create_store_engine(url: str, *, readonly: bool = False) -> Engine:
    """An Engine for ``url`` with the per-backend settings the store relies on.

    A server database is connected to once here, so a wrong host, a stopped
    server or a missing driver is one clear line before any work starts
    instead of a traceback in the middle of a run.

    ``readonly`` engines (every command that only reads) change nothing: a
    SQLite file is opened with ``mode=ro`` (``immutable=1`` too where it cannot
    change, see ``_sqlite_reader_uri``) and keeps its journal mode; a
    PostgreSQL session is ``default_transaction_read_only``.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise InputError(
            f"unsupported results database {parsed.render_as_string(hide_password=True)!r}",
            field="--db",
            hint="use a SQLite file or a postgresql:// URL",
        )
    if backend == "postgresql":
        return _server_engine(parsed, readonly=readonly)
    if readonly and not _is_memory(parsed.database):
        import sqlite3

        uri = _sqlite_reader_uri(Path(parsed.database))
        engine = create_engine(url, creator=lambda: sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S,
                                                                      check_same_thread=False))
        event.listen(engine, "connect", _sqlite_reader_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if _is_memory(parsed.database):
        # One shared connection, or every checkout would see a new empty database.
        engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    event.listen(engine, "handle_error", _sqlite_on_error)
    return engine


def _server_engine(parsed: URL, readonly: bool = False) -> Engine:
    shown = parsed.render_as_string(hide_password=True)
    connect_args: dict[str, Any] = {"connect_timeout": PG_CONNECT_TIMEOUT_S}
    if readonly:
        connect_args["options"] = "-c default_transaction_read_only=on"
    try:
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (ImportError, NoSuchModuleError) as exc:
        raise InputError(
            f"no driver for the results database {shown}: {exc}", field="--db", hint=_PG_INSTALL_HINT
        ) from exc
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        if parsed.password:
            reason = reason.replace(str(parsed.password), "***")
        raise Unavailable(f"cannot connect to the results database {shown}", hint=reason) from exc
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
        _switch_to_wal(cursor)
        # In WAL mode NORMAL syncs at checkpoints instead of on every commit: a killed process
        # loses nothing committed (the WAL is in the OS's hands), only a power cut could drop the
        # last transactions, and never corrupts the file. A run commits thousands of small batches.
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_reader_uri(path: Path) -> str:
    """The SQLite URI a reader opens ``path`` with: ``mode=ro``, plus ``immutable=1`` where it cannot change.

    ``mode=ro`` never writes the file and never changes its journal mode. A
    WAL file also needs its ``-shm`` index, which SQLite cannot create in a
    folder we may not write; ``immutable=1`` (no locks, no ``-shm``) is used
    only where nothing can write the file meanwhile: on read-only storage, or
    when the folder is not writable (by us, and so by no process of ours) and
    no writer has left a ``-wal`` or hot ``-journal`` file behind.
    """
    from urllib.parse import quote

    uri = f"file:{quote(str(path))}?mode=ro"
    folder = path.parent
    try:
        read_only_storage = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only_storage = False
    left_behind = any(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-journal"))
    if read_only_storage or (not os.access(folder, os.W_OK) and not left_behind):
        uri += "&immutable=1"
    return uri


def _sqlite_reader_on_connect(dbapi_connection, _connection_record) -> None:
    # As _sqlite_on_connect, without anything that writes: no journal-mode switch, and query_only
    # so that even a bug cannot write through a reader.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA query_only = ON")
    finally:
        cursor.close()


def _switch_to_wal(cursor) -> None:
    """``PRAGMA journal_mode = WAL``, waiting out other processes that hold the file.

    Changing the journal mode needs an exclusive lock, and SQLite may answer
    "database is locked" at once instead of calling the busy handler when
    several processes open a fresh file together; so retry until the busy
    timeout has passed, as any other statement would wait.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_on_begin(conn: Connection) -> None:
    writer = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def _sqlite_on_error(context) -> None:
    """Roll back at once when an interrupt (not an error) escapes a statement.

    For ``KeyboardInterrupt``/``SystemExit`` SQLAlchemy skips its rollback and
    invalidates the connection, i.e. closes the sqlite3 connection. While the
    interrupted cursor is alive (the traceback holds it) that close is deferred
    by SQLite, and with it the rollback: the write lock stays taken until the
    process exits. Closing the cursor and rolling back here releases it now.
    """
    import sqlite3

    if isinstance(context.original_exception, Exception) or context.connection is None:
        return
    cursor = getattr(context.execution_context, "cursor", None)
    if cursor is not None:
        try:
            cursor.close()
        except sqlite3.Error:
            pass
    _rollback_dbapi(context.connection)


def _rollback_dbapi(conn: Connection) -> None:
    """Roll back ``conn``'s DBAPI connection directly (no SQLAlchemy state involved), if it is still open."""
    if conn.invalidated or conn.closed:
        return
    try:
        conn.connection.dbapi_connection.rollback()
    except Exception:  # a closed or broken connection: nothing left to roll back
        pass


def _discard(conn: Connection) -> None:
    """Roll back and close an interrupted connection instead of returning it to the pool.

    The pool resets connections it gets back, but an interrupt can land inside
    that reset too; a closed connection holds no lock and no transaction.
    """
    _rollback_dbapi(conn)
    if not conn.invalidated and not conn.closed:
        conn.invalidate()


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ctrl-C held back until the block is done, then delivered as usual (a ``KeyboardInterrupt``).

    For short writes that must not be cut in two, such as a run's final
    status: an interrupted run must end marked ``interrupted`` even when the
    user presses Ctrl-C again while that is written. Only the main thread
    receives signals, and only a Python-level handler can be deferred; anywhere
    else the block runs as it is.
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return
    received: list[Any] = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        previous(signal.SIGINT, received[-1])


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside one transaction that commits on success, rolls back on error.

    On SQLite the write lock is taken at BEGIN, so a read-then-insert inside
    the block cannot race another process. PostgreSQL runs writers side by
    side (READ COMMITTED), so writes there are race-free by construction:
    ``insert_new`` / ON CONFLICT instead of read-then-insert, and
    ``run_write`` retries the rare transaction the server aborts.
    """
    with engine.connect() as conn:
        try:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                yield conn
        except BaseException as exc:
            if not isinstance(exc, Exception):  # Ctrl-C, SystemExit: see the module docstring
                _discard(conn)
            raise


def run_write(engine: Engine, work: Callable[[Connection], T], attempts: int = CONFLICT_ATTEMPTS) -> T:
    """Run ``work`` in one write transaction; rerun it if a concurrent writer won a race.

    ``work`` must be idempotent ("insert what is missing", ``insert_new``), so
    a rerun after another process inserted the same unique key is a no-op for
    those rows instead of an error. Genuine integrity bugs (a foreign key to a
    row that does not exist) fail the same way every time and are re-raised.
    """
    for attempt in range(1, attempts + 1):
        try:
            with write_transaction(engine) as conn:
                return work(conn)
        except DBAPIError as exc:
            if attempt == attempts or not _worth_retrying(exc):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _worth_retrying(exc: DBAPIError) -> bool:
    """A lost race: a unique key taken meanwhile, or PostgreSQL breaking a deadlock/serialization conflict."""
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.orig, "sqlstate", None) in _PG_RETRY_SQLSTATES


def insert_new(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], unique: Sequence[str],
    keep_order: bool = False,
) -> int:
    """Insert ``rows`` except those whose ``unique`` columns are already stored; return how many went in.

    One ``INSERT ... ON CONFLICT DO NOTHING`` sent in bulk (SQLAlchemy packs
    the rows into multi-row VALUES statements) instead of read-then-insert:
    on PostgreSQL under READ COMMITTED another process can insert the same
    key between our read and our insert, and this form makes that race a no-op
    rather than a unique violation. The first value stored for a key is kept.

    ``keep_order`` inserts in the caller's order instead of key order: rows
    whose ids readers rely on for corpus order (segments, translations,
    scores) keep it. Writers of those tables insert a corpus in the same order
    anyway, and a deadlock that an unusual order might cause is retried.
    """
    if not rows:
        return 0
    stmt = dialect_insert(conn, table).on_conflict_do_nothing(
        index_elements=[table.c[name] for name in unique]
    )
    return execute_many(conn, stmt, list(rows) if keep_order else in_key_order(rows, unique))


def execute_many(conn: Connection, stmt: Any, rows: Sequence[dict[str, Any]]) -> int:
    """Run an INSERT/upsert of many rows; return how many rows it inserted or changed.

    On SQLite the statement is compiled once and the rows go to the driver's
    own ``executemany``, which loops in C. Going through
    ``conn.execute(stmt, rows)`` made SQLAlchemy build and type-process every
    parameter set in Python, and RETURNING (to count rows) switched on its
    multi-row VALUES rewriting: on the WMT22 benchmark (12 systems x 1,875
    segments) that was most of the time spent writing. The count is the
    cursor's ``rowcount``, which sqlite3 sums over an ``executemany`` (rows an
    ``ON CONFLICT DO NOTHING`` skipped, or a ``DO UPDATE ... WHERE`` left
    alone, are not counted). Column types that convert values on the way in
    (SQLite stores DateTime as text) keep doing so: their bind processors run
    per column. Every row must have the same keys.

    On PostgreSQL the rows stay one multi-row VALUES statement per batch
    (SQLAlchemy's "insertmanyvalues", counted by RETURNING the primary key):
    psycopg's ``executemany`` sends one statement per row, and between them
    a concurrent writer inserting the same keys in another order deadlocks
    with this one far more often than during one statement.
    """
    if not rows:
        return 0
    dialect = conn.dialect
    table = stmt.table
    if dialect.name != "sqlite":
        return len(conn.execute(stmt.returning(*table.primary_key.columns), list(rows)).all())
    names = list(rows[0])
    compiled = stmt.compile(dialect=dialect, column_keys=names, for_executemany=True)
    order = compiled.positiontup
    getter = itemgetter(*order) if len(order) > 1 else (lambda row: (row[order[0]],))
    params: list[Any] = list(map(getter, rows))
    for position, name in enumerate(order):
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            params = _processed(params, position, processor)
    return max(0, conn.exec_driver_sql(compiled.string, params).rowcount)


def _processed(params: list[tuple[Any, ...]], position: int, processor: Callable[[Any], Any]) -> list[tuple[Any, ...]]:
    """``params`` with column ``position`` passed through a bind processor, once per distinct value.

    The columns that have one (timestamps) hold one value for a whole batch.
    """
    done: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return done[value]
        except KeyError:
            done[value] = converted = processor(value)
            return converted
        except TypeError:  # unhashable: convert every time
            return processor(value)

    return [(*row[:position], convert(row[position]), *row[position + 1:]) for row in params]


def in_key_order(rows: Sequence[dict[str, Any]], unique: Sequence[str]) -> list[dict[str, Any]]:
    """``rows`` sorted by their unique key, so every writer takes row locks in the same order.

    On PostgreSQL an insert that meets another transaction's uncommitted row
    with the same key waits for it; two writers inserting overlapping keys
    in opposite orders would wait for each other (a deadlock, which the
    server breaks by failing one of them).
    """
    return sorted(rows, key=itemgetter(*unique))


def dialect_insert(conn: Connection, table: Table):
    """The backend's own INSERT construct, which knows ON CONFLICT (both backends spell it alike)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def chunked(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items, for ``WHERE x IN (...)`` lookups."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def utc_now() -> datetime:
    """The timestamp stored in ``created_at`` columns (always UTC)."""
    return datetime.now(timezone.utc)
