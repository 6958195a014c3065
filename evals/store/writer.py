"""What the runner writes to the results store: runs, segments, systems, translations, scores.

Writes come in batches and each batch is one transaction, so a crash or
Ctrl-C loses at most the batch in flight and a resumed run picks up from what
was committed (``translations_done``). Every write is idempotent: repeating a
batch after a crash, or two processes writing the same rows, leaves one copy.
The few reads here (``reusable_run``, ``translations_done``) are the ones the
runner makes to decide what to write; what reports read is in
``evals.store.queries``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    case,
    insert,
    literal,
    or_,
    select,
    update,
)

from evals.corpora.model import Segment
from evals.errors import InputError
from evals.store.cache import (
    cache_key,
    canonical_json,
    nullable_float,
    put_cache_rows,
    ScoreEntry,
    score_cache_rows,
    translation_cache_rows,
)
from evals.store.engine import (
    chunked,
    dialect_insert,
    execute_many,
    insert_new,
    interrupts_deferred,
    run_write,
    utc_now,
    write_transaction,
)
from evals.store.queries import no_run, require_run
from evals.store.schema import (
    RUN_STATUSES,
    SCORE_LEVELS,
    run_inputs,
    runs,
    score_cache,
    scores,
    segments,
    systems,
    translation_cache,
    translations,
)

SegmentKey = tuple[str, str]  # (corpus, seg_id)
TranslationRow = tuple[int, str, str | None, Sequence[str]]  # (segment id, hyp, cache key, flags)

PROVENANCE_KEYS = ("git_commit", "mteval_version", "package_versions")
SEGMENT_BATCH = 5000
FINAL_STATUSES = tuple(s for s in RUN_STATUSES if s != "running")
_SCORE_REQUIRED = ("run_id", "system_id", "metric", "level", "value", "signature")
_SCORE_REQUIRED_SET = frozenset(_SCORE_REQUIRED)
_SCORE_FIELDS = frozenset({*_SCORE_REQUIRED, "corpus", "doc_id", "segment_id", "details"})


class CopiedRows(NamedTuple):
    """What ``copy_run_results`` copied."""

    translations: int
    scores: int


class BatchWrite(NamedTuple):
    """What one atomic batch wrote: result rows added or changed, and new cache entries."""

    rows: int
    cache_entries: int


def segment_content_hash(segment: Segment) -> str:
    """Identity of a segment's content: any changed field (text, ids, alignment) is a new row."""
    return cache_key(segment.to_json())


class Writer:
    """The store's writes (and the reads the runner needs to decide them), over ``self.engine``.

    One half of ``evals.store.Store``; it holds no state of its own.
    """

    engine: Engine

    # ---- runs -------------------------------------------------------------

    def create_run(
        self,
        suite_name: str,
        suite: dict[str, Any],
        provenance: dict[str, Any],
        corpus_hashes: dict[str, str],
        argv: Sequence[str],
    ) -> int:
        """Record a new run in status 'running' and return its id.

        ``provenance`` holds ``git_commit``, ``mteval_version`` and
        ``package_versions`` (a name → version dict); other keys are refused
        rather than dropped, so nothing the caller meant to record is lost.
        """
        unknown = sorted(set(provenance) - set(PROVENANCE_KEYS))
        if unknown:
            raise ValueError(
                f"unknown provenance key(s) {unknown}; expected {list(PROVENANCE_KEYS)}"
            )
        values = {
            "created_at": utc_now(),
            "status": "running",
            "suite_name": suite_name,
            "suite_json": canonical_json(suite),
            "git_commit": provenance.get("git_commit"),
            "mteval_version": provenance.get("mteval_version"),
            "package_versions_json": canonical_json(provenance.get("package_versions") or {}),
            "corpus_hashes_json": canonical_json(corpus_hashes),
            "argv_json": canonical_json(list(argv)),
        }
        with write_transaction(self.engine) as conn:
            return conn.execute(insert(runs).values(values)).inserted_primary_key[0]

    def finish_run(
        self, run_id: int, status: str, notes: dict[str, Any] | None = None, input_key: str | None = None
    ) -> None:
        """Mark a run done, failed or interrupted, with optional notes (replacing earlier ones).

        ``input_key`` (see ``reusable_run``) is recorded only with status
        'done', in the same transaction, so a key never points at a run whose
        results are incomplete. Ctrl-C is held back while this is written (it
        is delivered right after): it is how an interrupted run gets marked
        ``interrupted``, however often the user presses it.
        """
        if status not in FINAL_STATUSES:
            raise ValueError(f"status must be one of {FINAL_STATUSES}, got {status!r}")
        if input_key is not None and (not isinstance(input_key, str) or len(input_key) != 64):
            raise ValueError(f"an input key is a sha256 hex digest, got {input_key!r}")
        values: dict[str, Any] = {"status": status, "finished_at": utc_now()}
        if notes is not None:
            values["notes_json"] = canonical_json(notes)
        with interrupts_deferred(), write_transaction(self.engine) as conn:
            changed = conn.execute(update(runs).where(runs.c.id == run_id).values(values))
            if changed.rowcount == 0:
                raise no_run(run_id)
            if input_key is not None and status == "done":
                conn.execute(insert(run_inputs).values(run_id=run_id, input_key=input_key))

    def reusable_run(self, input_key: str) -> int | None:
        """The newest finished run recorded with ``input_key``, if any.

        The key is a hash of everything a run's results depend on, so that
        run's translations and scores are exactly what a new run with the same
        key would compute (or fetch from the caches, segment by segment).
        """
        query = (
            select(runs.c.id)
            .join(run_inputs, run_inputs.c.run_id == runs.c.id)
            .where(run_inputs.c.input_key == input_key, runs.c.status == "done")
            .order_by(runs.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def copy_run_results(self, source: int, target: int, system_ids: dict[int, int]) -> CopiedRows:
        """Copy ``source``'s translations and scores into ``target``, in ONE transaction.

        ``system_ids`` maps each of the source run's systems to the target
        run's. The rows are copied inside the database (``INSERT … SELECT``)
        in their original order, so the target reads exactly like the source,
        whatever its size.
        """
        def work(conn: Connection) -> CopiedRows:
            require_run(conn, source)
            require_run(conn, target)
            stored = set(conn.execute(select(systems.c.id).where(systems.c.run_id == source)).scalars())
            if stored != set(system_ids):
                raise ValueError(f"run {source} has systems {sorted(stored)}, the map names "
                                 f"{sorted(system_ids)}")
            for new_id in system_ids.values():
                _require_system_in_run(conn, target, new_id)
            return CopiedRows(
                _copy_rows(conn, translations, source, target, system_ids, stamp=utc_now()),
                _copy_rows(conn, scores, source, target, system_ids),
            )

        return run_write(self.engine, work)

    # ---- segments and systems --------------------------------------------

    def add_segments(self, segment_list: Sequence[Segment]) -> dict[SegmentKey, int]:
        """Store segments (shared between runs) and return their ids by (corpus, seg_id).

        A segment whose content is already stored keeps its row and id. The
        same (corpus, seg_id) twice with different content in one call is an
        error: the caller could not tell which id belongs to which.
        """
        ids: dict[SegmentKey, int] = {}
        # Python's hash of each content hash, not the 64-character text: a million of those would be
        # one of a large run's biggest holdings, for a check that two equal ids have equal content.
        contents: dict[SegmentKey, int] = {}
        for start in range(0, len(segment_list), SEGMENT_BATCH):  # bounded rows in memory per write
            by_key: dict[SegmentKey, tuple[str, Segment]] = {}
            for segment in segment_list[start:start + SEGMENT_BATCH]:
                key = (segment.corpus, segment.seg_id)
                content = segment_content_hash(segment)
                if contents.setdefault(key, hash(content)) != hash(content):
                    raise InputError(
                        "the same segment id appears twice with different content",
                        path=segment.corpus,
                        field=segment.seg_id,
                    )
                by_key.setdefault(key, (content, segment))
            ids.update(run_write(self.engine, lambda conn, batch=by_key: _store_segments(conn, batch)))
        return ids

    def add_system(
        self,
        run_id: int,
        name: str,
        spec: str,
        revision: str | None = None,
        params: dict[str, Any] | None = None,
        info: dict[str, Any] | None = None,
    ) -> int:
        """Register a system in a run and return its id; re-adding the same system returns it.

        Re-adding a name with a different spec, revision or params is an
        error: the run's existing translations came from the old one.
        """
        params_json = canonical_json(params or {})

        row = {
            "run_id": run_id,
            "name": name,
            "spec": spec,
            "revision": revision,
            "params_json": params_json,
            "info_json": canonical_json(info or {}),
        }

        def work(conn: Connection) -> int:
            require_run(conn, run_id)
            insert_new(conn, systems, [row], ["run_id", "name"])  # a no-op if it is there already
            found = conn.execute(
                select(systems).where(systems.c.run_id == run_id, systems.c.name == name)
            ).one()
            if (found.spec, found.revision, found.params_json) != (spec, revision, params_json):
                raise InputError(
                    f"system '{name}' is already in run {run_id} as {found.spec!r} "
                    f"(revision {found.revision!r}) with other settings",
                    hint="give the system another name or start a new run",
                )
            return found.id

        return run_write(self.engine, work)

    # ---- translations ------------------------------------------------------

    def add_translations(
        self, run_id: int, system_id: int, rows: Iterable[TranslationRow]
    ) -> int:
        """Store one batch of ``(segment id, hypothesis, cache key, flags)``; return rows added.

        Segments the system already has a translation for are skipped, so a
        batch replayed after a crash is harmless; the first hypothesis stays.
        """
        batch = _translation_rows(run_id, system_id, rows)
        if not batch:
            return 0
        return run_write(self.engine, lambda conn: _write_translations(conn, run_id, system_id, batch))

    def add_translation_batch(
        self,
        run_id: int,
        system_id: int,
        rows: Iterable[TranslationRow],
        cache_entries: Iterable[tuple[str, str, str]],
    ) -> BatchWrite:
        """Translation-cache entries and translation rows of one batch, in ONE transaction.

        ``rows`` are as for ``add_translations`` and ``cache_entries`` as for
        ``TranslationCache.put_many``; either may be empty. Both commit or
        neither does, so after a crash the cache never holds hypotheses that
        the run lacks (or the other way round), and a resume redoes exactly
        the lost batch.
        """
        batch = _translation_rows(run_id, system_id, rows)
        cached = translation_cache_rows(cache_entries)
        if not batch and not cached:
            return BatchWrite(0, 0)

        def work(conn: Connection) -> BatchWrite:
            new_entries = put_cache_rows(conn, translation_cache, cached)
            return BatchWrite(_write_translations(conn, run_id, system_id, batch), new_entries)

        return run_write(self.engine, work)

    def translations_done(self, run_id: int, system_id: int) -> set[int]:
        """Segment ids this system already translated in this run (what a resume skips)."""
        query = select(translations.c.segment_id).where(
            translations.c.run_id == run_id, translations.c.system_id == system_id
        )
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    # ---- scores ------------------------------------------------------------

    def add_scores(self, rows: Iterable[dict[str, Any]]) -> int:
        """Insert or update score rows; return how many rows were inserted or changed.

        Each row has ``run_id, system_id, metric, level, value, signature`` and,
        by level, ``segment_id`` (segment) or ``doc_id`` (document); optional
        ``corpus`` ('' means all corpora) and ``details`` (a dict). A score is
        identified by (run, system, metric, level, corpus, scope), so
        re-running a scoring step replaces values instead of adding rows.
        A NaN value is stored as NULL ("not computable").
        """
        batch = _score_batch(rows)
        if not batch:
            return 0
        return run_write(self.engine, lambda conn: _write_scores(conn, batch))

    def add_score_batch(
        self,
        cache_entries: Iterable[ScoreEntry],
        score_rows: Iterable[dict[str, Any]],
    ) -> BatchWrite:
        """Score-cache entries and score rows of one scoring step, in ONE transaction.

        ``cache_entries`` are as for ``ScoreCache.put_many`` and ``score_rows``
        as for ``add_scores``; either may be empty. Every row is checked
        before the transaction starts, and a failure inside it (say, a row
        naming a segment that does not exist) rolls back both parts.
        """
        cached = score_cache_rows(cache_entries)
        batch = _score_batch(score_rows)
        if not batch and not cached:
            return BatchWrite(0, 0)

        def work(conn: Connection) -> BatchWrite:
            new_entries = put_cache_rows(conn, score_cache, cached)
            return BatchWrite(_write_scores(conn, batch) if batch else 0, new_entries)

        return run_write(self.engine, work)


# ---- helpers ----------------------------------------------------------------

_SCORE_UPDATABLE = ("value", "signature", "details_json", "doc_id", "segment_id")
_SCORE_IDENTITY = ("run_id", "system_id", "metric", "level", "corpus", "scope")
_SEGMENT_IDENTITY = ("corpus", "seg_id", "content_hash")

def _copy_rows(conn: Connection, table, source: int, target: int, system_ids: dict[int, int],
               stamp: datetime | None = None) -> int:
    """``INSERT INTO table SELECT …`` of one run's rows with the run and system ids replaced."""
    columns = [c for c in table.c if c.name != "id"]
    replaced = {
        "run_id": literal(target),
        "system_id": case(system_ids, value=table.c.system_id),
    }
    if stamp is not None:
        replaced["created_at"] = literal(stamp, DateTime(timezone=True))
    chosen = select(*[replaced.get(c.name, c) for c in columns]).where(table.c.run_id == source)
    result = conn.execute(insert(table).from_select(columns, chosen.order_by(table.c.id)))
    return result.rowcount


def _require_system_in_run(conn: Connection, run_id: int, system_id: int) -> None:
    owner = conn.execute(select(systems.c.run_id).where(systems.c.id == system_id)).scalar()
    if owner != run_id:
        where = "does not exist" if owner is None else f"belongs to run {owner}"
        raise ValueError(f"system {system_id} {where}, not to run {run_id}")


def _segment_row(segment: Segment, content_hash: str) -> dict[str, Any]:
    return {
        "corpus": segment.corpus,
        "seg_id": segment.seg_id,
        "doc_id": segment.doc_id,
        "para": segment.para,
        "source": segment.source,
        "reference": segment.reference,
        "src_lang": segment.src_lang,
        "tgt_lang": segment.tgt_lang,
        "script": segment.script,
        "bead": segment.bead,
        "align_score": segment.score,
        "content_hash": content_hash,
        **_segment_extras(segment),
    }


def _segment_extras(segment: Segment) -> dict[str, Any]:
    """The columns of migration 4 that this segment sets (more references, origlang, domain).

    Unset ones are left out, and ``_store_segments`` names a column only when
    some segment of the batch sets it: plain segments are written exactly as
    before, also into a database that is not migrated yet.
    """
    import json

    extras: dict[str, Any] = {}
    if segment.more_references:
        extras["more_references_json"] = json.dumps(list(segment.more_references), ensure_ascii=False)
    if segment.origlang is not None:
        extras["origlang"] = segment.origlang
    if segment.domain is not None:
        extras["domain"] = segment.domain
    return extras


def _store_segments(conn: Connection, by_key: dict[SegmentKey, tuple[str, Segment]]) -> dict[SegmentKey, int]:
    """Insert the segments not stored yet; the ids of all of them, in the caller's order."""
    ids = _segment_ids(conn, by_key)
    missing = [_segment_row(segment, content) for key, (content, segment) in by_key.items() if key not in ids]
    named = {column for row in missing for column in row}
    missing = [{column: row.get(column) for column in named} for row in missing]  # one shape for the batch
    if missing:
        insert_new(conn, segments, missing, _SEGMENT_IDENTITY, keep_order=True)
        ids = _segment_ids(conn, by_key)
    return ids


def _segment_ids(
    conn: Connection, wanted: dict[SegmentKey, tuple[str, Segment]]
) -> dict[SegmentKey, int]:
    """Ids of the stored rows matching each wanted (corpus, seg_id, content hash)."""
    by_hash = {(key, content): key for key, (content, _) in wanted.items()}
    found: dict[SegmentKey, int] = {}
    hashes = sorted({content for content, _ in wanted.values()})
    for chunk in chunked(hashes):
        query = select(
            segments.c.id, segments.c.corpus, segments.c.seg_id, segments.c.content_hash
        ).where(segments.c.content_hash.in_(chunk))
        for row in conn.execute(query):
            key = by_hash.get(((row.corpus, row.seg_id), row.content_hash))
            if key is not None:
                found[key] = row.id
    return {key: found[key] for key in wanted if key in found}  # in the caller's order


def _score_row(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate one score row and give it the stored shape (scope, JSON details)."""
    if not (raw.keys() <= _SCORE_FIELDS and raw.keys() >= _SCORE_REQUIRED_SET):  # a run checks 1e5 rows
        unknown = sorted(set(raw) - _SCORE_FIELDS)
        missing = [k for k in _SCORE_REQUIRED if k not in raw]
        raise ValueError(f"score row has unknown keys {unknown} / lacks {missing}: {raw!r}")
    level = raw["level"]
    if level not in SCORE_LEVELS:
        raise ValueError(f"score level must be one of {SCORE_LEVELS}, got {level!r}")
    doc_id, segment_id = raw.get("doc_id"), raw.get("segment_id")
    if level == "segment":
        if segment_id is None:
            raise ValueError(f"segment-level score without segment_id: {raw!r}")
        scope = f"seg:{int(segment_id)}"
    elif level == "document":
        if doc_id is None:
            raise ValueError(f"document-level score without doc_id: {raw!r}")
        scope = f"doc:{doc_id}"
    else:
        scope = ""
    return {
        "run_id": raw["run_id"],
        "system_id": raw["system_id"],
        "metric": raw["metric"],
        "level": level,
        "corpus": raw.get("corpus") or "",
        "scope": scope,
        "doc_id": doc_id,
        "segment_id": segment_id,
        "value": nullable_float(raw["value"]),
        "signature": raw["signature"],
        "details_json": canonical_json(details) if (details := raw.get("details")) else "{}",
    }


def _score_identity(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["run_id"], row["system_id"], row["metric"], row["level"], row["corpus"], row["scope"])


def _score_batch(rows: Iterable[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Checked score rows by identity; a later row with the same identity wins."""
    batch: dict[tuple[Any, ...], dict[str, Any]] = {}
    for raw in rows:
        row = _score_row(raw)
        batch[_score_identity(row)] = row
    return batch


def _write_scores(conn: Connection, batch: dict[tuple[Any, ...], dict[str, Any]]) -> int:
    """Upsert score rows in bulk; return how many were inserted or actually changed.

    ``INSERT ... ON CONFLICT (identity) DO UPDATE ... WHERE changed`` instead of
    looking rows up first: one round of bulk statements however large the
    batch, no race between the lookup and the write, and rows whose stored
    values are identical are left alone (and not counted).
    """
    for run_id, system_id in {identity[:2] for identity in batch}:
        _require_system_in_run(conn, run_id, system_id)
    stmt = dialect_insert(conn, scores)
    changed = or_(*(scores.c[k].is_distinct_from(stmt.excluded[k]) for k in _SCORE_UPDATABLE))
    stmt = stmt.on_conflict_do_update(
        index_elements=[scores.c[k] for k in _SCORE_IDENTITY],
        set_={k: stmt.excluded[k] for k in _SCORE_UPDATABLE},
        where=changed,
    )
    return execute_many(conn, stmt, list(batch.values()))


def _translation_rows(
    run_id: int, system_id: int, rows: Iterable[TranslationRow]
) -> list[dict[str, Any]]:
    """Checked translation rows, one per segment (a segment twice, differently, is an error)."""
    now = utc_now()
    batch: dict[int, dict[str, Any]] = {}
    for segment_id, hypothesis, key, flags in rows:
        row = {
            "run_id": run_id,
            "system_id": system_id,
            "segment_id": segment_id,
            "hypothesis": hypothesis,
            "cache_key": key,
            "flags_json": canonical_json(list(flags)),
            "created_at": now,
        }
        previous = batch.setdefault(segment_id, row)
        if previous["hypothesis"] != hypothesis or previous["flags_json"] != row["flags_json"]:
            raise ValueError(f"segment {segment_id} appears twice in one batch, differently")
    return list(batch.values())


def _write_translations(
    conn: Connection, run_id: int, system_id: int, rows: list[dict[str, Any]]
) -> int:
    """Insert the rows for segments the system has no translation of yet; return how many."""
    if not rows:
        return 0
    _require_system_in_run(conn, run_id, system_id)
    return insert_new(conn, translations, rows, ["system_id", "segment_id"], keep_order=True)


