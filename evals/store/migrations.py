"""Versioned, append-only schema migrations.

Each migration is a numbered function that is applied once per database, in
its own transaction together with the row in ``schema_migrations`` that
records it; a crash mid-migration therefore leaves the database at the
previous version. Migrations are never edited after release: a schema change
is a new function appended to ``MIGRATIONS``. That is why migration 1 spells
out its tables instead of using ``evals.store.schema`` (which describes the
*current* shape and will keep changing); a test checks the two agree.

Two processes may open the same new database at once. Each migration is
applied under a lock (``BEGIN IMMEDIATE`` on SQLite, an advisory transaction
lock on PostgreSQL) and re-checks the version table after taking it, so the
loser finds the work done. Should a race still surface as a constraint or
"already exists" error, the runner re-reads the versions and retries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Double,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from evals.store.engine import CONFLICT_ATTEMPTS, write_transaction
from evals.store.health import SchemaTooNewError, read_state, refuse_foreign, refuse_newer, shown_name
from evals.store.schema import NAMING_CONVENTION, schema_migrations

# Arbitrary constant naming mteval's advisory lock on PostgreSQL ("mteval" in ASCII).
_PG_LOCK_KEY = 0x6D7465766176


@dataclass(frozen=True)
class Migration:
    """One schema step: ``apply`` runs inside the transaction that records ``version``."""

    version: int
    name: str
    apply: Callable[[Connection], None]


def _m0001_create_schema(conn: Connection) -> None:
    """Version 1 of every table. Frozen: never edit, append a migration instead."""
    md = MetaData(naming_convention=NAMING_CONVENTION)

    def stamp(name: str, nullable: bool = False) -> Column:
        return Column(name, DateTime(timezone=True), nullable=nullable)

    Table(
        "runs",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        stamp("created_at"),
        stamp("finished_at", nullable=True),
        Column("status", String(16), nullable=False),
        Column("suite_name", Text, nullable=False),
        Column("suite_json", Text, nullable=False),
        Column("git_commit", Text, nullable=True),
        Column("mteval_version", Text, nullable=True),
        Column("package_versions_json", Text, nullable=False),
        Column("corpus_hashes_json", Text, nullable=False),
        Column("argv_json", Text, nullable=False),
        Column("notes_json", Text, nullable=True),
        CheckConstraint("status IN ('running', 'done', 'failed', 'interrupted')", name="status"),
    )
    Table(
        "segments",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("corpus", Text, nullable=False),
        Column("seg_id", Text, nullable=False),
        Column("doc_id", Text, nullable=False),
        Column("para", Integer, nullable=False),
        Column("source", Text, nullable=False),
        Column("reference", Text, nullable=True),
        Column("src_lang", String(16), nullable=False),
        Column("tgt_lang", String(16), nullable=False),
        Column("script", String(16), nullable=False),
        Column("bead", String(16), nullable=False),
        Column("align_score", Double, nullable=True),
        Column("content_hash", String(64), nullable=False),
        UniqueConstraint("corpus", "seg_id", "content_hash"),
        Index(None, "content_hash"),
    )
    Table(
        "systems",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
        Column("name", Text, nullable=False),
        Column("spec", Text, nullable=False),
        Column("revision", Text, nullable=True),
        Column("params_json", Text, nullable=False),
        Column("info_json", Text, nullable=False),
        UniqueConstraint("run_id", "name"),
    )
    Table(
        "translations",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
        Column("system_id", Integer, ForeignKey("systems.id"), nullable=False),
        Column("segment_id", Integer, ForeignKey("segments.id"), nullable=False),
        Column("hypothesis", Text, nullable=False),
        Column("cache_key", String(64), nullable=True),
        Column("flags_json", Text, nullable=False),
        stamp("created_at"),
        UniqueConstraint("system_id", "segment_id"),
        Index(None, "run_id"),
    )
    Table(
        "scores",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
        Column("system_id", Integer, ForeignKey("systems.id"), nullable=False),
        Column("metric", Text, nullable=False),
        Column("level", String(16), nullable=False),
        Column("corpus", Text, nullable=False),
        Column("scope", Text, nullable=False),
        Column("doc_id", Text, nullable=True),
        Column("segment_id", Integer, ForeignKey("segments.id"), nullable=True),
        Column("value", Double, nullable=True),
        Column("signature", Text, nullable=False),
        Column("details_json", Text, nullable=False),
        CheckConstraint("level IN ('segment', 'document', 'system')", name="level"),
        UniqueConstraint("run_id", "system_id", "metric", "level", "corpus", "scope"),
        Index(None, "run_id", "metric", "level"),
    )
    Table(
        "translation_cache",
        md,
        Column("key", String(64), primary_key=True),
        Column("system_spec", Text, nullable=False),
        Column("hypothesis", Text, nullable=False),
        stamp("created_at"),
    )
    Table(
        "score_cache",
        md,
        Column("key", String(64), primary_key=True),
        Column("signature", Text, nullable=False),
        Column("value", Double, nullable=True),
        Column("stats_json", Text, nullable=False),
        stamp("created_at"),
    )
    md.create_all(conn, checkfirst=False)


def _m0002_run_inputs(conn: Connection) -> None:
    """The run input keys that let an unchanged re-run copy earlier results. Frozen."""
    md = MetaData(naming_convention=NAMING_CONVENTION)
    Table("runs", md, Column("id", Integer, primary_key=True))  # the foreign key's target, not created
    table = Table(
        "run_inputs",
        md,
        Column("run_id", Integer, ForeignKey("runs.id"), primary_key=True, autoincrement=False),
        Column("input_key", String(64), nullable=False),
        Index(None, "input_key"),
    )
    table.create(conn, checkfirst=False)


def _m0003_flag_and_interval_caches(conn: Connection) -> None:
    """Flags and bootstrap intervals get tables of their own. Frozen.

    Until now both rode in ``score_cache``: flags as rows whose signature starts
    with ``flags|`` and statistics ``[mask]``, intervals as rows whose signature
    is ``ci|`` + the metric signature and statistics ``[known, low, high]``.
    Those rows move to the new tables (same keys), so an upgraded store keeps
    what it had cached and ``score_cache`` holds metric statistics only.
    """
    import json

    md = MetaData(naming_convention=NAMING_CONVENTION)

    def stamp(name: str) -> Column:
        return Column(name, DateTime(timezone=True), nullable=False)

    flags = Table(
        "flag_cache", md,
        Column("key", String(64), primary_key=True),
        Column("signature", Text, nullable=False),
        Column("mask", Integer, nullable=False),
        stamp("created_at"),
    )
    intervals = Table(
        "interval_cache", md,
        Column("key", String(64), primary_key=True),
        Column("signature", Text, nullable=False),
        Column("low", Double, nullable=True),
        Column("high", Double, nullable=True),
        stamp("created_at"),
    )
    md.create_all(conn, checkfirst=False)
    old = Table("score_cache", MetaData(), autoload_with=conn)
    moving = old.c.signature.like("flags|%") | old.c.signature.like("ci|%")
    flag_rows, interval_rows = [], []
    for row in conn.execute(select(old.c.key, old.c.signature, old.c.stats_json, old.c.created_at).where(moving)):
        try:
            stats = json.loads(row.stats_json)
        except ValueError:
            continue  # not a row this mteval wrote: dropped with the rest
        if row.signature.startswith("flags|") and len(stats) == 1:
            flag_rows.append({"key": row.key, "signature": row.signature, "mask": int(stats[0]),
                              "created_at": row.created_at})
        elif row.signature.startswith("ci|") and len(stats) == 3:
            known = bool(stats[0])
            interval_rows.append({"key": row.key, "signature": row.signature[3:],
                                  "low": float(stats[1]) if known else None,
                                  "high": float(stats[2]) if known else None, "created_at": row.created_at})
    for table, rows in ((flags, flag_rows), (intervals, interval_rows)):
        for start in range(0, len(rows), 500):
            conn.execute(insert(table), rows[start:start + 500])
    conn.execute(old.delete().where(moving))


def _m0004_segment_references_and_origin(conn: Connection) -> None:
    """Segments keep every reference and WMT's ``origlang``/``domain``: three nullable columns. Frozen.

    Existing rows had one reference at most and no origin, so NULL is what
    they are; nothing is rewritten.
    """
    for column in ("more_references_json", "origlang", "domain"):
        conn.execute(text(f"ALTER TABLE segments ADD COLUMN {column} TEXT"))


def _m0005_human_judgements(conn: Connection) -> None:
    """Human judgements imported into a run: metrics, scores, error spans. Frozen."""
    md = MetaData(naming_convention=NAMING_CONVENTION)
    for name in ("runs", "systems", "segments"):  # the foreign keys' targets, not created
        Table(name, md, Column("id", Integer, primary_key=True))
    Table(
        "human_metrics", md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
        Column("name", Text, nullable=False),
        Column("format", String(16), nullable=False),
        Column("signature", Text, nullable=False),
        Column("source_path", Text, nullable=False),
        Column("source_sha256", String(64), nullable=False),
        Column("options_json", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        UniqueConstraint("run_id", "name"),
    )
    Table(
        "human_scores", md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("human_metric_id", Integer, ForeignKey("human_metrics.id"), nullable=False),
        Column("system_id", Integer, ForeignKey("systems.id"), nullable=False),
        Column("level", String(16), nullable=False),
        Column("corpus", Text, nullable=False),
        Column("scope", Text, nullable=False),
        Column("segment_id", Integer, ForeignKey("segments.id"), nullable=True),
        Column("value", Double, nullable=False),
        Column("n_ratings", Integer, nullable=False),
        Column("details_json", Text, nullable=False),
        CheckConstraint("level IN ('segment', 'system')", name="level"),
        UniqueConstraint("human_metric_id", "system_id", "level", "corpus", "scope"),
    )
    Table(
        "human_errors", md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("human_metric_id", Integer, ForeignKey("human_metrics.id"), nullable=False),
        Column("system_id", Integer, ForeignKey("systems.id"), nullable=False),
        Column("segment_id", Integer, ForeignKey("segments.id"), nullable=False),
        Column("rater", Text, nullable=False),
        Column("span_start", Integer, nullable=True),
        Column("span_end", Integer, nullable=True),
        Column("category", Text, nullable=False),
        Column("severity", Text, nullable=False),
        Column("weight", Double, nullable=False),
        Index(None, "human_metric_id", "system_id", "segment_id"),
    )
    for name in ("human_metrics", "human_scores", "human_errors"):
        md.tables[name].create(conn, checkfirst=False)


def _m0006_score_cache_details(conn: Connection) -> None:
    """Score-cache entries keep a segment's details (xCOMET error spans) beside its statistics. Frozen.

    One nullable column: rows cached before it have no details, and a cache hit
    on such a row gives the score without details, as before.
    """
    conn.execute(text("ALTER TABLE score_cache ADD COLUMN details_json TEXT"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create schema", _m0001_create_schema),
    Migration(2, "run input keys", _m0002_run_inputs),
    Migration(3, "flag and interval caches", _m0003_flag_and_interval_caches),
    Migration(4, "segment references and origin", _m0004_segment_references_and_origin),
    Migration(5, "human judgements", _m0005_human_judgements),
    Migration(6, "score cache details", _m0006_score_cache_details),
)


def migrate(engine: Engine, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply the migrations this database lacks, in order; return the versions applied.

    ``migrations`` is explicit so tests can append a step and check that an
    upgrade keeps existing data. Another program's database (tables, but no
    ``schema_migrations``) is refused before anything is written to it.
    """
    _check_sequence(migrations)
    known = {m.version for m in migrations}
    shown = shown_name(engine.url.render_as_string(hide_password=False))
    state = read_state(engine, shown)
    refuse_foreign(state, shown)
    refuse_newer(state, known, shown)
    applied = set(state.versions)
    done: list[int] = []
    for migration in migrations:
        if migration.version not in applied and _apply_once(engine, migration):
            done.append(migration.version)
    return done


def current_versions(engine: Engine) -> set[int]:
    """Versions recorded in the database (empty for a new database)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(schema_migrations.name):
            return set()
        return set(conn.execute(select(schema_migrations.c.version)).scalars())


def _check_sequence(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if not versions or versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migration versions must be 1, 2, 3, ... in order; got {versions}")


def _apply_once(engine: Engine, migration: Migration) -> bool:
    """Apply one migration unless another process got there first; True if we applied it."""
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            with write_transaction(engine) as conn:
                _lock_for_migration(conn)
                schema_migrations.create(conn, checkfirst=True)
                recorded = conn.execute(
                    select(schema_migrations.c.version).where(
                        schema_migrations.c.version == migration.version
                    )
                ).first()
                if recorded is not None:
                    return False
                migration.apply(conn)
                conn.execute(
                    insert(schema_migrations).values(
                        version=migration.version,
                        name=migration.name,
                        applied_at=datetime.now(timezone.utc),
                    )
                )
                return True
        except (IntegrityError, ProgrammingError, OperationalError):
            # A concurrent migrator may have created the same objects first;
            # if it also recorded the version, we are done, else retry.
            if migration.version in current_versions(engine):
                return False
            if attempt == CONFLICT_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _lock_for_migration(conn: Connection) -> None:
    # SQLite already holds the write lock (BEGIN IMMEDIATE). PostgreSQL needs
    # an explicit lock so concurrent migrators queue instead of racing on DDL.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
