"""The results store handle: opening the database, and ``Store``, its writes and queries together.

``Store`` is what the runner, the reports and the tests hold. It is composed
of two flat halves that share only the engine: ``evals.store.writer.Writer``
(what the runner writes) and ``evals.store.queries.Queries`` (what reports
read), plus the two caches. Opening decides whether the database may be
created and upgraded (``open_store``) or must already be current
(``open_store(readonly=True)``, for the dashboard and ``mteval serve``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

from evals.errors import StoreError
from evals.store.cache import FlagCache, IntervalCache, ScoreCache, TranslationCache
from evals.store.engine import create_store_engine, resolve_db_url
from evals.store.health import (check_sqlite_file, read_state, refuse_foreign, refuse_newer, require_readable,
                                 require_tables, require_writable, shown_name, store_error)
from evals.store.human import HumanQueries, HumanWriter
from evals.store.migrations import MIGRATIONS, Migration, migrate
from evals.store.queries import Queries
from evals.store.writer import Writer


class Store(Writer, Queries, HumanWriter, HumanQueries):
    """A results database: runs, systems, segments, translations, scores and caches."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The caches, one attribute each.
        self.translation_cache = TranslationCache(engine)
        self.score_cache = ScoreCache(engine)
        self.flag_cache = FlagCache(engine)
        self.interval_cache = IntervalCache(engine)

    @classmethod
    def open(
        cls, db: str | os.PathLike[str] | None = None, migrations: Sequence[Migration] = MIGRATIONS
    ) -> "Store":
        """Open for writing the database named by ``db``/$MTEVAL_DB, creating or upgrading it as needed.

        Only writers (``mteval run``, ``score``, ``upgrade``) open this way. A
        database that is not an mteval store, is damaged or is newer than this
        mteval is refused with one line (``StoreError``) before anything is written.
        """
        url = resolve_db_url(db)
        shown = shown_name(url)
        path = _sqlite_path(url)
        if path is not None:
            require_writable(path)
        if _check_file(url):
            # Look before the writer's connection switches the file to WAL: another program's
            # database or a newer store is refused unchanged.
            engine = create_store_engine(url, readonly=True)
            try:
                state = read_state(engine, shown)
            finally:
                engine.dispose()
            refuse_foreign(state, shown)
            refuse_newer(state, (m.version for m in migrations), shown)
        engine = create_store_engine(url)
        try:
            try:
                migrate(engine, migrations)
            except DBAPIError as exc:
                raise store_error(shown, exc) from exc
            if {m.version for m in migrations} >= {m.version for m in MIGRATIONS}:  # tests open older schemas
                require_tables(read_state(engine, shown), shown)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @classmethod
    def open_readonly(cls, db: str | os.PathLike[str] | None = None) -> "Store":
        """The database named by ``db``/$MTEVAL_DB for reading only: never created, migrated or changed.

        Every command that only reads opens this way: a SQLite file read-only
        (``mode=ro``; it keeps its journal mode and its bytes, and read-only
        storage works), a PostgreSQL session read-only. A missing or empty
        database, another program's, a damaged one, or one whose schema is
        older or newer than this mteval's is refused with one line.
        """
        url = resolve_db_url(db, create_folder=False)
        shown = shown_name(url)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
            if not Path(parsed.database).is_file():
                raise StoreError(shown, "no results database here", hint="`mteval run` creates one")
        _check_file(url)
        engine = create_store_engine(url, readonly=True)
        try:
            require_readable(read_state(engine, shown), (m.version for m in MIGRATIONS), shown)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def schema_version(self) -> int:
        """The newest schema version recorded in the database."""
        return max(read_state(self.engine, self.url).versions, default=0)

    @property
    def url(self) -> str:
        """The database URL, with any password masked."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Release pooled connections (and file handles on SQLite)."""
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, _type: object, exc: BaseException | None, _tb: object) -> None:
        """Close; a database error inside the block becomes one line naming the database (a damaged page, a read-only file)."""
        self.close()
        if isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError):
            raise store_error(shown_name(self.engine.url.render_as_string(hide_password=False)), exc) from exc


def _check_file(url: str) -> bool:
    """A SQLite file that exists is checked from its header first (not SQLite at all, truncated).

    True if there is such a file and it holds something (an empty file is a new database).
    """
    path = _sqlite_path(url)
    if path is not None and path.is_file():
        check_sqlite_file(path)
        return path.stat().st_size > 0
    return False


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for a server or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not parsed.database.startswith(
            ("file:", ":memory:")):
        return Path(parsed.database)
    return None


def open_store(db: str | os.PathLike[str] | None = None, *, readonly: bool = False) -> Store:
    """The database from ``--db``, $MTEVAL_DB or ./results/mteval.db.

    ``Store.open(db)`` (created or upgraded as needed), or with ``readonly``
    ``Store.open_readonly(db)`` (it must exist at this mteval's schema).
    """
    return Store.open_readonly(db) if readonly else Store.open(db)
