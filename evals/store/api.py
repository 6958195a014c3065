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

from evals.errors import InputError
from evals.store.cache import FlagCache, IntervalCache, ScoreCache, TranslationCache
from evals.store.engine import create_store_engine, resolve_db_url
from evals.store.migrations import MIGRATIONS, Migration, current_versions, migrate
from evals.store.queries import Queries
from evals.store.writer import Writer


class Store(Writer, Queries):
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
        """Open (creating or upgrading as needed) the database named by ``db``/$MTEVAL_DB."""
        engine = create_store_engine(resolve_db_url(db))
        try:
            migrate(engine, migrations)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @classmethod
    def open_readonly(cls, db: str | os.PathLike[str] | None = None) -> "Store":
        """The database named by ``db``/$MTEVAL_DB for reading only: never created, never migrated.

        ``open`` creates a missing database and applies pending migrations;
        the dashboard and ``mteval serve`` must not change the store they show,
        so a missing file or a schema this mteval would upgrade is an error instead.
        """
        url = resolve_db_url(db)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
            if not Path(parsed.database).is_file():
                raise InputError("no results database here", path=parsed.database, field="--db",
                                 hint="`mteval run` creates one")
        engine = create_store_engine(url)
        try:
            versions = current_versions(engine)
        except BaseException:
            engine.dispose()
            raise
        expected = {m.version for m in MIGRATIONS}
        if versions != expected:
            engine.dispose()
            have = max(versions) if versions else 0
            raise InputError(
                f"the results database is at schema version {have}, this mteval reads version {max(expected)}",
                path=parsed.render_as_string(hide_password=True), field="--db",
                hint="any other mteval command (e.g. `mteval runs`) upgrades it" if have < max(expected)
                else "upgrade mteval",
            )
        return cls(engine)

    @property
    def url(self) -> str:
        """The database URL, with any password masked."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Release pooled connections (and file handles on SQLite)."""
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_store(db: str | os.PathLike[str] | None = None, *, readonly: bool = False) -> Store:
    """The database from ``--db``, $MTEVAL_DB or ./results/mteval.db.

    ``Store.open(db)`` (created or upgraded as needed), or with ``readonly``
    ``Store.open_readonly(db)`` (it must exist at this mteval's schema).
    """
    return Store.open_readonly(db) if readonly else Store.open(db)
