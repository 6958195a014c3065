"""Whether a database can be used as a results store, and one line saying why not.

Every command opens the store through ``evals.store.api``, which asks this
module first: is the file a SQLite database at all, is it cut short, is it
empty, is it another program's database, is it damaged (a table gone), is its
schema older or newer than this mteval's. A database error that only shows up
later (a page of a damaged file read in the middle of a query, a read-only
file met by a writer) is turned into the same kind of line by ``store_error``.
The answers are ``evals.errors.StoreError``: exit 2, one line naming the
database, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from evals.errors import StoreError
from evals.store.schema import metadata, schema_migrations

_SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER = 100
UPGRADE_HINT = "`mteval upgrade` upgrades it in place (so does any `mteval run`)"


@dataclass(frozen=True)
class StoreState:
    """What a database holds: its table names and the schema versions it records."""

    tables: frozenset[str]
    versions: frozenset[int]

    @property
    def empty(self) -> bool:
        return not self.tables


def shown_name(url: str) -> str:
    """The database as a user named it: a SQLite file's path, else the URL with the password masked."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that cannot be a (whole) SQLite database, from its header alone.

    A file cut short still opens, and SQLite only reports "malformed" when a
    query reaches a missing page, possibly deep inside a run. The header says
    how long the file should be (pages x page size, trusted by SQLite when the
    change counter matches "version valid for"); with no ``-wal`` file holding
    newer pages, a file shorter than that has lost its end.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(_HEADER)
    except OSError as exc:
        raise StoreError(str(path), f"cannot read it: {exc.strerror or exc}") from exc
    if size == 0:
        return
    if len(header) < _HEADER or not header.startswith(_SQLITE_MAGIC):
        raise StoreError(str(path), "not a SQLite database (its first bytes are not a SQLite header)",
                         hint="point --db at an mteval results database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    counter, valid_for = header[24:28], header[92:96]
    wal = Path(f"{path}-wal")
    if pages and counter == valid_for and not (wal.exists() and wal.stat().st_size) and pages * page_size > size:
        raise StoreError(str(path), f"the file is truncated: its header says {pages * page_size} bytes, "
                                    f"the file has {size}", hint="restore it from a backup")


WRITERS_HINT = "commands that write (run, score, upgrade) need a writable file and folder; the others read read-only storage"


def require_writable(path: Path) -> None:
    """A writer's SQLite file and its folder (journal, ``-wal`` and ``-shm`` files live beside it) can be written.

    ``os.access`` answers for the real storage: a read-only mount refuses root too.
    """
    import os

    folder = path.parent
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(str(path), "cannot write to it: the file is read-only", hint=WRITERS_HINT)
    if folder.is_dir() and not os.access(folder, os.W_OK):
        raise StoreError(str(path), "cannot write to it: its folder is read-only (SQLite keeps its journal "
                                    "beside the file)", hint=WRITERS_HINT)


def read_state(engine: Engine, shown: str) -> StoreState:
    """Tables and recorded schema versions, with database errors as one line naming ``shown``."""
    try:
        with engine.connect() as conn:
            tables = frozenset(inspect(conn).get_table_names())
            versions: frozenset[int] = frozenset()
            if schema_migrations.name in tables:
                versions = frozenset(conn.execute(select(schema_migrations.c.version)).scalars())
    except DBAPIError as exc:
        raise store_error(shown, exc) from exc
    return StoreState(tables, versions)


def refuse_foreign(state: StoreState, shown: str) -> None:
    """A database with tables but no ``schema_migrations`` is another program's, or a damaged store."""
    if state.empty or schema_migrations.name in state.tables:
        return
    ours = sorted(state.tables & set(metadata.tables))
    if ours:
        raise StoreError(shown, f"the store is damaged: its {schema_migrations.name} table is missing "
                                f"(it has {_listed(ours)})", hint="restore it from a backup")
    raise StoreError(shown, f"not an mteval results store (it holds {_listed(sorted(state.tables))})",
                     hint="mteval changes nothing in it; point --db at a results database or a new file")


class SchemaTooNewError(StoreError):
    """The database was written by a newer mteval than this one (exit 2 for every command)."""


def refuse_newer(state: StoreState, known: Iterable[int], shown: str) -> None:
    """Versions this mteval does not know mean a newer mteval wrote the store: reading it could mislead."""
    known = set(known)
    unknown = sorted(state.versions - known)
    if unknown:
        raise SchemaTooNewError(
            shown, f"it has schema version(s) {unknown} that this mteval does not know "
                   f"(it knows up to {max(known)}): a newer mteval wrote it",
            hint="upgrade mteval or use another --db",
        )


def require_readable(state: StoreState, known: Iterable[int], shown: str) -> None:
    """What a reader needs: a store at exactly this mteval's schema, every table there."""
    known = set(known)
    if state.empty:
        raise StoreError(shown, "no results store here yet (the database is empty)",
                         hint="`mteval run` creates one")
    refuse_foreign(state, shown)
    refuse_newer(state, known, shown)
    if state.versions != known:
        have = max(state.versions, default=0)
        raise StoreError(shown, f"written by an older mteval (schema version {have}, this mteval reads "
                                f"{max(known)}); readers never change a store", hint=UPGRADE_HINT)
    require_tables(state, shown)


def require_tables(state: StoreState, shown: str) -> None:
    """Every table of the current schema is there (a dropped one makes every query that needs it fail)."""
    missing = sorted(set(metadata.tables) - state.tables)
    if missing:
        raise StoreError(shown, f"the store is damaged: table(s) {_listed(missing)} missing",
                         hint="restore it from a backup")


def store_error(shown: str, exc: DBAPIError) -> StoreError:
    """A database error met while using the store, as one line saying what is wrong."""
    reason = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
    reason_text = reason[0] if reason else type(exc).__name__
    lowered = reason_text.lower()
    if "file is not a database" in lowered:
        return StoreError(shown, "not a SQLite database (or an encrypted one)",
                          hint="point --db at an mteval results database")
    if "malformed" in lowered or "disk i/o error" in lowered:
        return StoreError(shown, f"the file is damaged ({reason_text})", hint="restore it from a backup")
    if "no such table" in lowered or "no such column" in lowered or "does not exist" in lowered:
        return StoreError(shown, f"the store is damaged ({reason_text})", hint="restore it from a backup")
    if "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
        return StoreError(shown, f"cannot write to it ({reason_text})", hint=WRITERS_HINT)
    if "unable to open" in lowered:
        return StoreError(shown, f"cannot open it ({reason_text})",
                          hint="a writer needs to write the file and its folder")
    if "locked" in lowered:
        return StoreError(shown, f"another process holds it ({reason_text})", hint="try again when it is done")
    return StoreError(shown, reason_text)


def _listed(names: list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
