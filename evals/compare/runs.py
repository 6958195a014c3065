"""Sides from stored runs: per-segment statistics rebuilt from the score cache.

The runner cached every segment's statistics under the key ``evals.scoring``
builds (signature, texts, document context); the signature is stored on every
score row, so the same keys are rebuilt here. A key missing from the cache
(another database, a pruned cache) is recomputed with the metric, which must
still produce the stored signature.

A run is read once (``RunFrames``: its info, translations and scores) however
many of its systems are loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from evals.compare.sides import (
    CorpusData,
    MetricData,
    SegmentRecord,
    SystemData,
    check_names,
    describe_signature_difference,
    missing_value,
    references_hash,
    text_hash,
)
from evals.errors import InputError, UsageError, did_you_mean

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from evals.metrics.base import Metric
    from evals.store.api import Store


class SegmentStats(NamedTuple):
    stats: "np.ndarray"
    doc_ids: list[str]
    seg_ids: list[str]
    metric: "Metric"


@dataclass
class RunFrames:
    """One stored run as read once: its info, every translation and every score."""

    run_id: int
    info: dict[str, Any]
    translations: "pd.DataFrame"
    scores: "pd.DataFrame"

    @classmethod
    def read(cls, store: "Store", run: int | str) -> "RunFrames":
        info = store.get_run(run)
        return cls(info["id"], info, store.translations_df(info["id"]), store.scores_df(info["id"]))


def metric_for_signature(name: str, options: dict[str, Any], target_lang: str, signature: str,
                         where: str, *, built: "Metric | None" = None, missing: int = 0) -> "Metric":
    """Build the metric and insist it still produces ``signature`` (else its statistics differ)."""
    from evals.scoring import metric_for

    metric = built or metric_for(name, options, target_lang)[0]
    current = metric.signature()
    if current != signature:
        why = f"{missing} segments' statistics are not cached and " if missing else ""
        raise InputError(
            f"{where}: {why}{name} was scored with signature {signature!r}, but this installation builds "
            f"{current!r} ({describe_signature_difference(signature, current)})",
            field="signature",
            hint="re-run the suite with this installation (`mteval run`); translations are cached",
        )
    return metric


def pick_system(run_info: dict[str, Any], system: str | None) -> str:
    """The system named ``system`` in a run, or its only system when ``system`` is None."""
    names = [s["name"] for s in run_info["systems"]]
    if system is None:
        if len(names) == 1:
            return names[0]
        raise UsageError(
            f"run {run_info['id']} has {len(names)} systems ({', '.join(names) or 'none'}); name one",
            field="system", hint=f"write it as {run_info['id']}:SYSTEM",
        )
    if system not in names:
        raise InputError(
            f"run {run_info['id']} has no system {system!r}", field="system",
            hint=did_you_mean(system, names) or f"systems: {', '.join(names) or 'none'}",
        )
    return system


def load_run_system(
    store: "Store",
    run: int | str,
    system: str | None = None,
    *,
    corpora: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    frames: RunFrames | None = None,
) -> SystemData:
    """One system of a stored run, with statistics rebuilt from the score cache.

    ``corpora``/``metrics`` restrict what is loaded (unknown names are errors).
    ``frames``: the run as already read (``RunFrames.read``), so that loading
    several systems of one run reads it once.
    """
    import numpy as np

    from evals.scoring import metric_for, n_refs_of, statistics_texts
    from evals.scoring.references import held_out_of_spec, scored_references
    from evals.scoring.statistics import cached_statistics

    if frames is None or frames.run_id != store.resolve_run(run):
        frames = RunFrames.read(store, run)
    info, run_id = frames.info, frames.run_id
    name = pick_system(info, system)
    label = f"run {run_id}:{name}"
    frame = frames.translations[frames.translations["system"] == name]
    available = list(dict.fromkeys(frame["corpus"]))
    wanted = check_names(corpora, available, "corpus", f"{label} has no translations for")
    records: dict[int, SegmentRecord] = {}
    data: dict[str, CorpusData] = {c: CorpusData(c, {}, {}) for c in wanted}
    for row in frame.itertuples(index=False):
        if row.corpus not in data:
            continue
        reference = None if missing_value(row.reference) else row.reference
        references = tuple(row.references)
        record = SegmentRecord(
            corpus=row.corpus, seg_id=row.seg_id, doc_id=row.doc_id, source_hash=text_hash(row.source),
            reference_hash=references_hash(references), flags=tuple(row.flags), source=row.source,
            reference=reference, hypothesis=row.hypothesis, references=references,
        )
        records[int(row.segment_id)] = record
        data[row.corpus].segments[row.seg_id] = record

    scores = frames.scores
    scores = scores[(scores["system"] == name) & scores["corpus"].isin(list(data))]
    segment_rows = scores[scores["level"] == "segment"]
    metric_names = list(dict.fromkeys(segment_rows["metric"]))
    chosen = check_names(metrics, metric_names, "metric", f"{label} has no segment scores for metric")
    system_rows = {
        (r.metric, r.corpus): r for r in scores[scores["level"] == "system"].itertuples(index=False)
    }
    options_of = _suite_metric_options(info)
    # A human reference as a system (``reference:K``) was scored against the other references only;
    # its records keep every reference (the corpus is the same), its statistics do not.
    held_out = held_out_of_spec(next(s for s in info["systems"] if s["name"] == name)["spec"])
    built: dict[tuple[str, str, int], "Metric"] = {}
    for (metric_name, corpus), group in segment_rows.groupby(["metric", "corpus"], sort=False):
        if metric_name not in chosen:
            continue
        where = f"{label} · {corpus}"
        signatures = list(dict.fromkeys(group["signature"]))
        if len(signatures) != 1:
            raise InputError(f"{where}: {metric_name} has several signatures in one run: {signatures}")
        signature = signatures[0]
        rows_of = [records[int(s)] for s in group["segment_id"]]
        target_lang = _target_lang(store, corpus, frame)
        options = options_of.get(metric_name, {})
        n_refs = n_refs_of(scored_references(r.references, held_out) for r in data[corpus].segments.values())
        if (metric_name, target_lang, n_refs) not in built:
            built[(metric_name, target_lang, n_refs)] = metric_for(metric_name, options, target_lang,
                                                                   n_refs=n_refs)[0]
        metric = built[(metric_name, target_lang, n_refs)]
        # The texts and keys the runner cached the statistics under (document context included).
        texts = statistics_texts(metric, signature, [r.source for r in rows_of], [r.hypothesis for r in rows_of],
                                 [scored_references(r.references, held_out) for r in rows_of],
                                 [r.doc_id for r in rows_of])
        stats, missing = cached_statistics(store, metric, texts.keys)
        # Pooling cached rows needs only the metric's arithmetic, which the suite's options fix (a
        # run stored on a GPU is still comparable on a CPU); recomputing missing rows needs the very
        # same signature (library versions, tokenizer, checkpoint), or the rows would differ.
        if missing:
            metric_for_signature(metric_name, options, target_lang, signature, where, built=metric,
                                 missing=len(missing))
            fresh = metric.segment_stats(
                [texts.hypotheses[i] for i in missing],
                [texts.references[i] for i in missing] if metric.needs_reference else None,
                sources=[texts.sources[i] for i in missing],
            )
            stats[missing] = metric.check_stats(fresh)
        stored = system_rows.get((metric_name, corpus))
        data[corpus].metrics[metric_name] = MetricData(
            name=metric_name, signature=signature, options=options,
            target_lang=target_lang, seg_ids=[r.seg_id for r in rows_of], doc_ids=[r.doc_id for r in rows_of],
            stats=metric.check_stats(np.asarray(stats)),
            system=None if stored is None or missing_value(stored.value) else float(stored.value),
            details=dict(stored.details) if stored is not None else {},
            metric=metric,
        )
    system_info = next(s for s in info["systems"] if s["name"] == name)
    return SystemData(
        label=label, system=name, origin="run", run_id=run_id, corpora=data,
        info={
            "run": {k: _jsonable(info[k]) for k in ("id", "created_at", "suite_name", "git_commit",
                                                      "mteval_version", "corpus_hashes", "package_versions")},
            "system": {k: system_info[k] for k in ("name", "spec", "revision", "params")},
        },
    )


def load_run_systems(store: "Store", run: int | str, systems: Sequence[str] | None = None, *,
                     corpora: Sequence[str] | None = None,
                     metrics: Sequence[str] | None = None,
                     frames: RunFrames | None = None) -> dict[str, SystemData | InputError]:
    """Several systems of one run (all when ``systems`` is None), the run read once (or given as ``frames``).

    A system whose statistics cannot be rebuilt (its metric no longer builds
    the stored signature, say) maps to the ``InputError`` saying why, so one
    such system does not hide the others.
    """
    if frames is None or frames.run_id != store.resolve_run(run):
        frames = RunFrames.read(store, run)
    names = list(systems) if systems is not None else [s["name"] for s in frames.info["systems"]]
    sides: dict[str, SystemData | InputError] = {}
    for name in names:
        try:
            sides[name] = load_run_system(store, frames.run_id, name, corpora=corpora, metrics=metrics,
                                          frames=frames)
        except InputError as error:
            sides[name] = error
    return sides


def segment_stats_for(store: "Store", run: int | str, system: str | None, metric: str,
                      corpus: str) -> SegmentStats:
    """Per-segment statistics of one stored (run, system, metric, corpus), from the score cache.

    Returns ``(stats, doc_ids, seg_ids, metric)``; rows are in the order the
    runner scored them (corpus order).
    """
    side = load_run_system(store, run, system, corpora=[corpus], metrics=[metric])
    data = side.corpora[corpus].metrics.get(metric)
    if data is None:
        raise InputError(f"{side.label} has no {metric} scores for corpus {corpus!r}", field="metric")
    return SegmentStats(data.stats, data.doc_ids, data.seg_ids, data.metric)


def _suite_metric_options(info: dict[str, Any]) -> dict[str, dict[str, Any]]:
    options: dict[str, dict[str, Any]] = {}
    for entry in (info.get("suite") or {}).get("metrics", []):
        if isinstance(entry, dict) and "name" in entry:
            options.setdefault(entry["name"], dict(entry.get("options") or {}))
    return options


def _target_lang(store: "Store", corpus: str, frame: Any) -> str:
    from sqlalchemy import select

    from evals.store.schema import segments

    seg_id = frame[frame["corpus"] == corpus]["segment_id"].iloc[0]
    with store.engine.connect() as conn:
        return conn.execute(select(segments.c.tgt_lang).where(segments.c.id == int(seg_id))).scalar_one()


def _jsonable(value: Any) -> Any:
    from datetime import datetime

    return value.isoformat() if isinstance(value, datetime) else value
