"""The current shape of the results database, as SQLAlchemy Core tables.

Queries are written against these tables. The database itself is created and
upgraded by ``evals.store.migrations``, whose steps are frozen; a test checks
that migrating a fresh database yields exactly what this module describes, so
a column added here without a migration (or vice versa) fails the suite.

Portability (SQLite and PostgreSQL): only generic types are used. JSON lives in
``Text`` columns as canonical JSON (``evals.store.cache.canonical_json``), which
both engines store byte-for-byte. Uniqueness never depends on NULLs, which the
two engines treat differently in unique constraints: ``scores`` carries a
non-null ``scope`` column that names what a score is about.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

RUN_STATUSES = ("running", "done", "failed", "interrupted")
SCORE_LEVELS = ("segment", "document", "system")

# Named constraints: PostgreSQL needs names to alter them later, and SQLite's
# batch migrations copy tables by constraint name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _timestamp(name: str, nullable: bool = False) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


metadata = MetaData(naming_convention=NAMING_CONVENTION)

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    _timestamp("applied_at"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _timestamp("created_at"),
    _timestamp("finished_at", nullable=True),
    Column("status", String(16), nullable=False),
    Column("suite_name", Text, nullable=False),
    Column("suite_json", Text, nullable=False),
    Column("git_commit", Text, nullable=True),
    Column("mteval_version", Text, nullable=True),
    Column("package_versions_json", Text, nullable=False),
    Column("corpus_hashes_json", Text, nullable=False),
    Column("argv_json", Text, nullable=False),
    Column("notes_json", Text, nullable=True),
    CheckConstraint(_in("status", RUN_STATUSES), name="status"),
)

segments = Table(
    "segments",
    metadata,
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
    # Migration 4: the 2nd, 3rd... references (JSON list; NULL with at most one) and WMT's origlang/domain.
    Column("more_references_json", Text, nullable=True),
    Column("origlang", Text, nullable=True),
    Column("domain", Text, nullable=True),
    UniqueConstraint("corpus", "seg_id", "content_hash"),
    Index(None, "content_hash"),
)

systems = Table(
    "systems",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("spec", Text, nullable=False),
    Column("revision", Text, nullable=True),
    Column("params_json", Text, nullable=False),
    Column("info_json", Text, nullable=False),
    UniqueConstraint("run_id", "name"),
)

translations = Table(
    "translations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("system_id", Integer, ForeignKey("systems.id"), nullable=False),
    Column("segment_id", Integer, ForeignKey("segments.id"), nullable=False),
    Column("hypothesis", Text, nullable=False),
    Column("cache_key", String(64), nullable=True),
    Column("flags_json", Text, nullable=False),
    _timestamp("created_at"),
    UniqueConstraint("system_id", "segment_id"),
    Index(None, "run_id"),
)

scores = Table(
    "scores",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("system_id", Integer, ForeignKey("systems.id"), nullable=False),
    Column("metric", Text, nullable=False),
    Column("level", String(16), nullable=False),
    Column("corpus", Text, nullable=False),
    # What the score is about, never NULL: '' (system), 'doc:<doc_id>', 'seg:<segment id>'.
    Column("scope", Text, nullable=False),
    Column("doc_id", Text, nullable=True),
    Column("segment_id", Integer, ForeignKey("segments.id"), nullable=True),
    Column("value", Double, nullable=True),
    Column("signature", Text, nullable=False),
    Column("details_json", Text, nullable=False),
    CheckConstraint(_in("level", SCORE_LEVELS), name="level"),
    UniqueConstraint("run_id", "system_id", "metric", "level", "corpus", "scope"),
    Index(None, "run_id", "metric", "level"),
)

translation_cache = Table(
    "translation_cache",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("system_spec", Text, nullable=False),
    Column("hypothesis", Text, nullable=False),
    _timestamp("created_at"),
)

score_cache = Table(
    "score_cache",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("signature", Text, nullable=False),
    Column("value", Double, nullable=True),
    Column("stats_json", Text, nullable=False),
    _timestamp("created_at"),
    # A segment's details (xCOMET error spans) as canonical JSON; NULL: none, or cached before migration 6.
    Column("details_json", Text, nullable=True),
)

# Translation flags (untranslated, off-target, ...) of a (flag rules, source, hypothesis, languages) key,
# as a bitmask over ``evals.metrics.flags.FLAGS``.
flag_cache = Table(
    "flag_cache",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("signature", Text, nullable=False),
    Column("mask", Integer, nullable=False),
    _timestamp("created_at"),
)

# The bootstrap interval of a system score, keyed by (metric signature, the segments' statistics keys,
# their documents, the bootstrap settings). NULL bounds: the interval is not computable.
interval_cache = Table(
    "interval_cache",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("signature", Text, nullable=False),
    Column("low", Double, nullable=True),
    Column("high", Double, nullable=True),
    _timestamp("created_at"),
)

# The input key of a finished run: sha256 of everything its results depend on
# (``Runner`` computes it). A later run with the same key copies the results
# instead of walking every segment's cache entry. Only runs that finished
# cleanly get a row, so a key always points at complete results.
run_inputs = Table(
    "run_inputs",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id"), primary_key=True, autoincrement=False),
    Column("input_key", String(64), nullable=False),
    Index(None, "input_key"),
)

# Migration 5: human judgements imported into a run (``mteval human import``). A human metric is one
# imported file under a name; its scores are per (system, segment) or per system, its errors (MQM spans,
# ESA spans) per rater. ``scope`` plays the part it plays in ``scores`` ('' or 'seg:<segments.id>').
HUMAN_LEVELS = ("segment", "system")

human_metrics = Table(
    "human_metrics",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("format", String(16), nullable=False),
    Column("signature", Text, nullable=False),
    Column("source_path", Text, nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("options_json", Text, nullable=False),
    _timestamp("created_at"),
    UniqueConstraint("run_id", "name"),
)

human_scores = Table(
    "human_scores",
    metadata,
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
    CheckConstraint(_in("level", HUMAN_LEVELS), name="level"),
    UniqueConstraint("human_metric_id", "system_id", "level", "corpus", "scope"),
)

human_errors = Table(
    "human_errors",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("human_metric_id", Integer, ForeignKey("human_metrics.id"), nullable=False),
    Column("system_id", Integer, ForeignKey("systems.id"), nullable=False),
    Column("segment_id", Integer, ForeignKey("segments.id"), nullable=False),
    Column("rater", Text, nullable=False),
    # Character offsets into the hypothesis (marks removed); NULL for an error without a span.
    Column("span_start", Integer, nullable=True),
    Column("span_end", Integer, nullable=True),
    Column("category", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("weight", Double, nullable=False),
    Index(None, "human_metric_id", "system_id", "segment_id"),
)
