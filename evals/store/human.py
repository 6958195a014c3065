"""Human judgements in the store: the importer's one write, and the readers the meta-evaluation calls.

``HumanWriter.add_human_metric`` writes one imported file (its ``human_metrics`` row, its scores and
error spans) in one transaction: an import is all or nothing. ``HumanQueries`` only reads:

* ``human_metrics(run)`` → DataFrame ``id, name, format, signature, source_path, source_sha256,
  options, created_at, segments, systems, errors`` (one row per imported human metric of the run);
* ``human_scores(run, name, level)`` → DataFrame ``system, system_id, corpus, seg_id, segment_id,
  value, n, details`` (``level`` ``"segment"`` or ``"system"``; ``seg_id``/``segment_id`` are NA at
  system level; ``n`` is the number of ratings, or of segments for a mean of segments);
* ``human_errors(run, name)`` → DataFrame ``system, corpus, seg_id, segment_id, rater, span_start,
  span_end, category, severity, weight`` (offsets into the hypothesis as stored in the run).

Example (the meta-evaluation)::

    with open_store(db, readonly=True) as store:
        human = store.human_scores("latest", "wmt22-da", level="system")
        bleu = store.scores_df("latest", level="system", metric="bleu")
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, delete, func, insert, select

from evals.errors import InputError, UsageError, did_you_mean
from evals.store.engine import chunked, execute_many, run_write, utc_now
from evals.store.queries import RunRef, _resolve_run
from evals.store.schema import (HUMAN_LEVELS, human_errors, human_metrics, human_scores, segments, systems,
                                translations)

if TYPE_CHECKING:
    import pandas as pd


class HumanWriter:
    engine: Engine

    def add_human_metric(self, run_id: int, metric: dict[str, Any], score_rows: Sequence[dict[str, Any]],
                         error_rows: Sequence[dict[str, Any]], *, replace: bool = False) -> int:
        """Store one human metric of ``run_id`` with its scores and errors; return its id.

        ``metric`` holds ``name, format, signature, source_path, source_sha256, options``. A name
        the run already has is an error unless ``replace``, which deletes the old one in the same
        transaction.
        """

        def work(conn: Connection) -> int:
            old = conn.execute(select(human_metrics.c.id).where(
                human_metrics.c.run_id == run_id, human_metrics.c.name == metric["name"])).scalar()
            if old is not None:
                if not replace:
                    raise InputError(f"run {run_id} already has a human metric {metric['name']!r}",
                                     field="--name", hint="--replace replaces it, --name picks another name")
                for table in (human_errors, human_scores):
                    conn.execute(delete(table).where(table.c.human_metric_id == old))
                conn.execute(delete(human_metrics).where(human_metrics.c.id == old))
            metric_id = conn.execute(insert(human_metrics).values(
                run_id=run_id, name=metric["name"], format=metric["format"], signature=metric["signature"],
                source_path=metric["source_path"], source_sha256=metric["source_sha256"],
                options_json=json.dumps(metric["options"], sort_keys=True, ensure_ascii=False),
                created_at=utc_now())).inserted_primary_key[0]
            for table, rows in ((human_scores, score_rows), (human_errors, error_rows)):
                for part in chunked(list(rows), 5000):
                    execute_many(conn, insert(table), [{**row, "human_metric_id": metric_id} for row in part])
            return metric_id

        return run_write(self.engine, work)  # a lost race for the name reruns and finds it taken


class HumanQueries:
    engine: Engine

    def human_metrics(self, run: RunRef) -> "pd.DataFrame":
        """The human metrics imported into ``run``, oldest first, with how many scores and errors each has."""
        import pandas as pd

        count_of = lambda table, *where: select(func.count()).where(  # noqa: E731
            table.c.human_metric_id == human_metrics.c.id, *where).scalar_subquery()
        with self.engine.connect() as conn:
            run_id = _resolve_run(conn, run)
            result = conn.execute(select(
                human_metrics.c.id, human_metrics.c.name, human_metrics.c.format, human_metrics.c.signature,
                human_metrics.c.source_path, human_metrics.c.source_sha256, human_metrics.c.options_json,
                human_metrics.c.created_at,
                count_of(human_scores, human_scores.c.level == "segment").label("segments"),
                count_of(human_scores, human_scores.c.level == "system").label("systems"),
                count_of(human_errors).label("errors"),
            ).where(human_metrics.c.run_id == run_id).order_by(human_metrics.c.id))
            frame = pd.DataFrame(result.all(), columns=list(result.keys()))
        frame["options"] = [json.loads(o) for o in frame.pop("options_json")]
        return frame

    def human_scores(self, run: RunRef, name: str, level: str = "segment") -> "pd.DataFrame":
        """One human metric's scores at ``level`` ("segment" or "system"), with system names and seg ids."""
        import pandas as pd

        if level not in HUMAN_LEVELS:
            raise UsageError(f"unknown human score level {level!r}", hint=did_you_mean(level, HUMAN_LEVELS))
        with self.engine.connect() as conn:
            metric_id = _metric_id(conn, _resolve_run(conn, run), name)
            result = conn.execute(
                select(systems.c.name.label("system"), human_scores.c.system_id, human_scores.c.corpus,
                       segments.c.seg_id, human_scores.c.segment_id, human_scores.c.value,
                       human_scores.c.n_ratings.label("n"), human_scores.c.details_json)
                .join(systems, systems.c.id == human_scores.c.system_id)
                .outerjoin(segments, segments.c.id == human_scores.c.segment_id)
                .where(human_scores.c.human_metric_id == metric_id, human_scores.c.level == level)
                .order_by(human_scores.c.system_id, human_scores.c.segment_id))
            frame = pd.DataFrame(result.all(), columns=list(result.keys()))
        frame["value"] = frame["value"].astype("float64")
        frame["segment_id"] = frame["segment_id"].astype("Int64")
        frame["details"] = [json.loads(d) for d in frame.pop("details_json")]
        return frame

    def human_errors(self, run: RunRef, name: str) -> "pd.DataFrame":
        """One human metric's error spans (MQM, ESA), by system and segment."""
        import pandas as pd

        with self.engine.connect() as conn:
            metric_id = _metric_id(conn, _resolve_run(conn, run), name)
            result = conn.execute(
                select(systems.c.name.label("system"), segments.c.corpus, segments.c.seg_id,
                       human_errors.c.segment_id, human_errors.c.rater, human_errors.c.span_start,
                       human_errors.c.span_end, human_errors.c.category, human_errors.c.severity,
                       human_errors.c.weight)
                .join(systems, systems.c.id == human_errors.c.system_id)
                .join(segments, segments.c.id == human_errors.c.segment_id)
                .where(human_errors.c.human_metric_id == metric_id).order_by(human_errors.c.id))
            return pd.DataFrame(result.all(), columns=list(result.keys()))

    def run_segment_index(self, run_id: int) -> dict[str, dict[str, int]]:
        """{corpus: {seg_id: segments.id}} over the segments the run translated (what human scores attach to)."""
        out: dict[str, dict[str, int]] = {}
        query = (select(segments.c.corpus, segments.c.seg_id, segments.c.id)
                 .where(segments.c.id.in_(select(translations.c.segment_id).where(translations.c.run_id == run_id)))
                 .order_by(segments.c.id))
        with self.engine.connect() as conn:
            for corpus, seg_id, segment_id in conn.execute(query):
                out.setdefault(corpus, {})[seg_id] = segment_id
        return out

    def run_hypotheses(self, run_id: int, system_ids: Sequence[int]) -> dict[tuple[int, int], str]:
        """{(system id, segment id): hypothesis} for some systems of a run (to check annotated spans)."""
        query = select(translations.c.system_id, translations.c.segment_id, translations.c.hypothesis).where(
            translations.c.run_id == run_id, translations.c.system_id.in_(list(system_ids)))
        with self.engine.connect() as conn:
            return {(s, g): h for s, g, h in conn.execute(query)}


def _metric_id(conn: Connection, run_id: int, name: str) -> int:
    found = conn.execute(select(human_metrics.c.id).where(human_metrics.c.run_id == run_id,
                                                          human_metrics.c.name == name)).scalar()
    if found is None:
        names = list(conn.execute(select(human_metrics.c.name).where(human_metrics.c.run_id == run_id)).scalars())
        raise InputError(f"run {run_id} has no human metric {name!r}",
                         hint=did_you_mean(name, names) or (f"it has: {', '.join(names)}" if names else
                                                             "`mteval human import FILE --format F` adds one"))
    return found
