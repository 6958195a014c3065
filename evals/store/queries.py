"""What reports read from the results store: runs, scores, translations and their summaries.

Readers return pandas DataFrames because every consumer (CLI tables, the
dashboard, exports, statistics) wants one; the two summaries the end of every
``mteval run`` prints (``leaderboard``, ``flag_summary``) are plain aggregate
queries returning rows, so that step does not load pandas or a whole run.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    case,
    func,
    select,
)

from evals.errors import InputError, UsageError, did_you_mean
from evals.store.schema import (
    SCORE_LEVELS,
    human_errors,
    human_metrics,
    runs,
    scores,
    segments,
    systems,
    translations,
)

if TYPE_CHECKING:
    import pandas as pd

RunRef = int | str  # a run id, its decimal spelling, or "latest"
#: Error-span severities in display order (xCOMET's three; MQM/ESA "minor"/"major" among them).
SPAN_SEVERITIES = ("minor", "major", "critical")


def severity_order(severity: str) -> tuple[int, str]:
    """Sort key of a (lower-case) severity: xCOMET's in their order, then any other by name."""
    return (SPAN_SEVERITIES.index(severity) if severity in SPAN_SEVERITIES else len(SPAN_SEVERITIES), severity)


class Queries:
    """The store's readers, over ``self.engine``.

    One half of ``evals.store.Store``; it holds no state of its own.
    """

    engine: Engine

    def list_runs(self) -> "pd.DataFrame":
        """One row per run, newest first, with how many systems and translations it has."""
        import pandas as pd

        n_systems = (
            select(func.count()).where(systems.c.run_id == runs.c.id).scalar_subquery()
        )
        n_translations = (
            select(func.count()).where(translations.c.run_id == runs.c.id).scalar_subquery()
        )
        query = select(
            runs.c.id,
            runs.c.created_at,
            runs.c.finished_at,
            runs.c.status,
            runs.c.suite_name,
            runs.c.git_commit,
            runs.c.mteval_version,
            n_systems.label("systems"),
            n_translations.label("translations"),
        ).order_by(runs.c.id.desc())
        frame = self._frame(query)
        for column in ("created_at", "finished_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
        return frame

    def get_run(self, run: RunRef) -> dict[str, Any]:
        """Everything recorded about one run, JSON fields decoded, with its systems."""
        with self.engine.connect() as conn:
            run_id = _resolve_run(conn, run)
            row = conn.execute(select(runs).where(runs.c.id == run_id)).one()
            system_rows = conn.execute(
                select(systems).where(systems.c.run_id == run_id).order_by(systems.c.id)
            ).all()
        return {
            "id": row.id,
            "created_at": _as_utc(row.created_at),
            "finished_at": _as_utc(row.finished_at),
            "status": row.status,
            "suite_name": row.suite_name,
            "suite": json.loads(row.suite_json),
            "git_commit": row.git_commit,
            "mteval_version": row.mteval_version,
            "package_versions": json.loads(row.package_versions_json),
            "corpus_hashes": json.loads(row.corpus_hashes_json),
            "argv": json.loads(row.argv_json),
            "notes": json.loads(row.notes_json) if row.notes_json is not None else None,
            "systems": [
                {
                    "id": s.id,
                    "name": s.name,
                    "spec": s.spec,
                    "revision": s.revision,
                    "params": json.loads(s.params_json),
                    "info": json.loads(s.info_json),
                }
                for s in system_rows
            ],
        }

    def resolve_run(self, run: RunRef) -> int:
        """The id of ``run`` (an id, its decimal spelling or "latest"), checked to exist."""
        with self.engine.connect() as conn:
            return _resolve_run(conn, run)

    def scores_df(
        self, run: RunRef, level: str | None = None, metric: str | None = None
    ) -> "pd.DataFrame":
        """Scores of a run with system names and segment ids; ``details`` decoded to dicts."""
        if level is not None and level not in SCORE_LEVELS:
            raise UsageError(
                f"unknown score level {level!r}", hint=did_you_mean(level, SCORE_LEVELS)
            )
        with self.engine.connect() as conn:
            run_id = _resolve_run(conn, run)
            if metric is not None:
                _require_metric(conn, run_id, metric, level)
        query = _scores_query(run_id)
        if level is not None:
            query = query.where(scores.c.level == level)
        if metric is not None:
            query = query.where(scores.c.metric == metric)
        frame = self._frame(query)
        frame["value"] = frame["value"].astype("float64")
        frame["segment_id"] = frame["segment_id"].astype("Int64")  # NULL above segment level
        frame["details"] = [json.loads(d) for d in frame.pop("details_json")]
        return frame

    def translations_df(self, run: RunRef) -> "pd.DataFrame":
        """Every hypothesis of a run next to its source, references, origin and flags.

        ``reference`` is the first reference (None without one) and
        ``references`` the list of all of them; ``origlang``/``domain`` are
        None where the corpus does not say.
        """
        query = (
            select(
                systems.c.name.label("system"),
                translations.c.system_id,
                translations.c.segment_id,
                segments.c.corpus,
                segments.c.doc_id,
                segments.c.seg_id,
                segments.c.para,
                segments.c.source,
                segments.c.reference,
                segments.c.more_references_json,
                segments.c.origlang,
                segments.c.domain,
                translations.c.hypothesis,
                translations.c.flags_json,
                translations.c.cache_key,
            )
            .join(systems, systems.c.id == translations.c.system_id)
            .join(segments, segments.c.id == translations.c.segment_id)
            .order_by(translations.c.system_id, translations.c.segment_id)
        )
        with self.engine.connect() as conn:
            run_id = _resolve_run(conn, run)
        frame = _with_references(self._frame(query.where(translations.c.run_id == run_id)))
        frame["flags"] = [json.loads(f) for f in frame.pop("flags_json")]
        return frame

    def worst_segments(
        self,
        run: RunRef,
        metric: str,
        n: int = 10,
        system: str | None = None,
        higher_is_better: bool = True,
    ) -> "pd.DataFrame":
        """The ``n`` lowest-scoring (or highest, for error metrics) segment translations."""
        if n < 1:
            raise UsageError(f"n must be at least 1, got {n}")
        with self.engine.connect() as conn:
            run_id = _resolve_run(conn, run)
            _require_metric(conn, run_id, metric, "segment")
            if system is not None:
                _require_system_name(conn, run_id, system)
        value_order = scores.c.value.asc() if higher_is_better else scores.c.value.desc()
        query = (
            select(
                systems.c.name.label("system"),
                segments.c.corpus,
                segments.c.doc_id,
                segments.c.seg_id,
                scores.c.segment_id,
                segments.c.source,
                segments.c.reference,
                segments.c.more_references_json,
                translations.c.hypothesis,
                scores.c.value,
            )
            .join(systems, systems.c.id == scores.c.system_id)
            .join(segments, segments.c.id == scores.c.segment_id)
            .outerjoin(
                translations,
                and_(
                    translations.c.system_id == scores.c.system_id,
                    translations.c.segment_id == scores.c.segment_id,
                ),
            )
            .where(
                scores.c.run_id == run_id,
                scores.c.metric == metric,
                scores.c.level == "segment",
                scores.c.value.is_not(None),
            )
            .order_by(value_order, scores.c.system_id, scores.c.segment_id)
            .limit(n)
        )
        if system is not None:
            query = query.where(systems.c.name == system)
        frame = _with_references(self._frame(query))
        frame["value"] = frame["value"].astype("float64")
        return frame

    def leaderboard(
        self, run: RunRef, level: str | None = None, corpus: str | None = None
    ) -> list[dict[str, Any]]:
        """The run's leaderboard: one row per (corpus, system, level, metric), in system order.

        ``value`` is the stored (pooled) score at system level and the mean of
        the stored document or segment scores below it, NULLs skipped; ``n``
        counts the values behind it. System-level rows also carry the score's
        ``signature`` and decoded ``details`` (its confidence interval), other
        rows None. Scores of different corpora are never mixed: each row names
        its corpus ('' for cross-corpus scores). ``level`` and ``corpus``
        select rows. One aggregate query, no pandas: the CLI table
        (``evals.report.leaderboard_table``) prints it at the end of every
        ``mteval run``, and the dashboard's leaderboard is built from it.
        """
        if level is not None and level not in SCORE_LEVELS:
            raise UsageError(
                f"unknown score level {level!r}", hint=did_you_mean(level, SCORE_LEVELS)
            )
        pooled = scores.c.level == "system"
        query = (
            select(scores.c.corpus, systems.c.name.label("system"), scores.c.level, scores.c.metric,
                   func.avg(scores.c.value).label("value"), func.count(scores.c.value).label("n"),
                   func.max(case((pooled, scores.c.signature))).label("signature"),
                   func.max(case((pooled, scores.c.details_json))).label("details_json"),
                   func.min(systems.c.id).label("system_order"))
            .join(systems, systems.c.id == scores.c.system_id)
            .group_by(scores.c.corpus, systems.c.name, scores.c.level, scores.c.metric)
            .order_by("system_order", scores.c.corpus, scores.c.level, scores.c.metric)
        )
        if level is not None:
            query = query.where(scores.c.level == level)
        if corpus is not None:
            query = query.where(scores.c.corpus == corpus)
        with self.engine.connect() as conn:
            run_id = _resolve_run(conn, run)
            if corpus is not None:
                _require_corpus(conn, run_id, corpus, level)
            rows = conn.execute(query.where(scores.c.run_id == run_id)).all()
        return [
            {"corpus": row.corpus, "system": row.system, "level": row.level, "metric": row.metric,
             "value": row.value, "n": row.n, "signature": row.signature,
             "details": None if row.details_json is None else json.loads(row.details_json)}
            for row in rows
        ]

    def error_span_counts(self, run: RunRef) -> list[dict[str, Any]]:
        """Error spans per (system, corpus, span source, severity): what the leaderboards count.

        Two sources, one shape: a metric that tags spans (xCOMET: ``error_spans``
        in its segment score ``details``, ``kind`` "metric") and each imported
        human metric with annotated errors (MQM, ESA: ``human_errors``, ``kind``
        "human"; an error without a span counts too, as the annotator marked
        it). ``severity`` is lower-cased so "Major" and "major" are one column.
        Rows are in system order, then corpus, source and severity.
        """
        counts: dict[tuple[int, str, str, str, str, str], int] = {}
        with self.engine.connect() as conn:
            run_id = _resolve_run(conn, run)
            spanned = (
                select(scores.c.system_id, systems.c.name, scores.c.corpus, scores.c.metric, scores.c.details_json)
                .join(systems, systems.c.id == scores.c.system_id)
                .where(scores.c.run_id == run_id, scores.c.level == "segment",
                       scores.c.details_json.like('%"error_spans"%'))
            )
            for system_id, system, corpus, metric, details_json in conn.execute(spanned):
                for span in json.loads(details_json).get("error_spans") or ():
                    key = (system_id, system, corpus, "metric", metric, str(span.get("severity", "")).lower())
                    counts[key] = counts.get(key, 0) + 1
            annotated = (
                select(human_errors.c.system_id, systems.c.name, segments.c.corpus, human_metrics.c.name,
                       human_errors.c.severity, func.count().label("n"))
                .join(human_metrics, human_metrics.c.id == human_errors.c.human_metric_id)
                .join(systems, systems.c.id == human_errors.c.system_id)
                .join(segments, segments.c.id == human_errors.c.segment_id)
                .where(human_metrics.c.run_id == run_id)
                .group_by(human_errors.c.system_id, systems.c.name, segments.c.corpus, human_metrics.c.name,
                          human_errors.c.severity)
            )
            for system_id, system, corpus, name, severity, n in conn.execute(annotated):
                key = (system_id, system, corpus, "human", name, str(severity).lower())
                counts[key] = counts.get(key, 0) + int(n)
        return [{"system": system, "corpus": corpus, "kind": kind, "source": source, "severity": severity,
                 "count": n}
                for (_, system, corpus, kind, source, severity), n in sorted(counts.items())]

    def flag_summary(self, run: RunRef) -> list[dict[str, Any]]:
        """Per (system, corpus): segments translated and how many carry each flag."""
        with self.engine.connect() as conn:
            run_id = _resolve_run(conn, run)
            query = (
                select(systems.c.name.label("system"), segments.c.corpus, translations.c.flags_json)
                .join(systems, systems.c.id == translations.c.system_id)
                .join(segments, segments.c.id == translations.c.segment_id)
                .where(translations.c.run_id == run_id)
                .order_by(translations.c.system_id, segments.c.id)
            )
            summary: dict[tuple[str, str], dict[str, Any]] = {}
            for system_name, corpus, flags_json in conn.execute(query):
                entry = summary.setdefault((system_name, corpus), {
                    "system": system_name, "corpus": corpus, "segments": 0, "flags": {}})
                entry["segments"] += 1
                for flag in json.loads(flags_json):
                    entry["flags"][flag] = entry["flags"].get(flag, 0) + 1
            return list(summary.values())

    def _frame(self, query: Select) -> "pd.DataFrame":
        import pandas as pd

        with self.engine.connect() as conn:
            result = conn.execute(query)
            return pd.DataFrame(result.all(), columns=list(result.keys()))



# ---- helpers ----------------------------------------------------------------

def _as_utc(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; we only ever store UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def no_run(run: object) -> InputError:
    return InputError(f"no run {run}; `mteval runs` lists them")


def _resolve_run(conn: Connection, run: RunRef) -> int:
    if isinstance(run, str) and run.strip().lower() == "latest":
        latest = conn.execute(select(func.max(runs.c.id))).scalar()
        if latest is None:
            raise InputError("no runs yet; `mteval run SUITE` records one")
        return latest
    if isinstance(run, bool) or not isinstance(run, (int, str)):
        raise UsageError(f"a run is an id or 'latest', got {run!r}")
    if isinstance(run, str):
        if not _DECIMAL.fullmatch(run.strip()):
            raise UsageError(f"a run is an id or 'latest', got {run!r}")
        run = int(run)
    require_run(conn, run)
    return run


_DECIMAL = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also takes "²", which int() refuses


def storable_id(conn: Connection, value: int) -> bool:
    """Whether ``value`` fits the store's integer ids (SQLite: 64 bits; PostgreSQL's INTEGER: 32).

    An id that does not fit names no row; asking the database about it
    fails in the driver (``OverflowError``, "integer out of range") instead.
    """
    bits = 64 if conn.dialect.name == "sqlite" else 32
    return 0 < value < 2 ** (bits - 1)


def require_run(conn: Connection, run_id: int) -> None:
    if not storable_id(conn, run_id) or conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first() is None:
        raise no_run(run_id)


def _require_system_name(conn: Connection, run_id: int, name: str) -> None:
    names = list(conn.execute(select(systems.c.name).where(systems.c.run_id == run_id)).scalars())
    if name not in names:
        raise InputError(
            f"run {run_id} has no system {name!r}",
            hint=did_you_mean(name, names) or f"systems: {', '.join(names) or 'none'}",
        )


def _require_metric(conn: Connection, run_id: int, metric: str, level: str | None) -> None:
    query = select(scores.c.metric).distinct().where(scores.c.run_id == run_id)
    if level is not None:
        query = query.where(scores.c.level == level)
    metrics = sorted(conn.execute(query).scalars())
    if metric not in metrics:
        at = f"{level}-level " if level else ""
        raise InputError(
            f"run {run_id} has no {at}scores for metric {metric!r}",
            hint=did_you_mean(metric, metrics) or f"metrics: {', '.join(metrics) or 'none'}",
        )


def _require_corpus(conn: Connection, run_id: int, corpus: str, level: str | None) -> None:
    query = select(scores.c.corpus).distinct().where(scores.c.run_id == run_id)
    if level is not None:
        query = query.where(scores.c.level == level)
    corpora = sorted(conn.execute(query).scalars())
    if corpus not in corpora:
        at = f"{level}-level " if level else ""
        raise InputError(
            f"run {run_id} has no {at}scores for corpus {corpus!r}",
            hint=did_you_mean(corpus, corpora) or f"corpora: {', '.join(map(repr, corpora)) or 'none'}",
        )


def _scores_query(run_id: int) -> Select:
    return (
        select(
            scores.c.run_id,
            systems.c.name.label("system"),
            scores.c.system_id,
            scores.c.metric,
            scores.c.level,
            scores.c.corpus,
            func.coalesce(scores.c.doc_id, segments.c.doc_id).label("doc_id"),
            segments.c.seg_id,
            scores.c.segment_id,
            scores.c.value,
            scores.c.signature,
            scores.c.details_json,
        )
        .join(systems, systems.c.id == scores.c.system_id)
        .outerjoin(segments, segments.c.id == scores.c.segment_id)
        .where(scores.c.run_id == run_id)
        .order_by(scores.c.system_id, scores.c.metric, scores.c.level, scores.c.id)
    )


def _with_references(frame: "pd.DataFrame") -> "pd.DataFrame":
    """``more_references_json`` replaced by ``references``, every reference of the segment, after ``reference``."""
    more = frame.pop("more_references_json")
    references = [[] if _missing(first) else [first, *(json.loads(extra) if isinstance(extra, str) else [])]
                  for first, extra in zip(frame["reference"], more)]
    frame.insert(frame.columns.get_loc("reference") + 1, "references", references)
    return frame


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)
