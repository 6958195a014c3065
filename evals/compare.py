"""Comparisons between systems: in one run, across runs, or against a baseline file.

A *side* of a comparison is one system's output on some corpora, with, per
(corpus, metric), the per-segment sufficient statistics the paired tests need
(``SystemData``). Sides come from

* a stored run (``load_run_system``): statistics are rebuilt from the score
  cache, where the runner put them under
  ``cache_key(score_key(signature, source, hypothesis, reference))`` with the
  signature stored on every score row; a key missing from the cache (another
  database, a pruned cache) is recomputed with the metric, which must still
  produce the stored signature;
* a baseline file (``evals.baseline.load_baseline``), which carries the
  statistics itself.

Two sides are compared only on the same segments (same corpus, ``seg_id``,
source and reference) and with the same metric signatures; anything else is
an ``InputError`` naming the segments or the signature keys that differ,
because a delta between different test sets or different tokenisations is
not a measurement.

``compare_systems`` runs the paired tests (``evals.stats.paired``) per corpus
and metric, corrects the p-values of one baseline against several systems
with Holm–Bonferroni, counts per-document wins/ties/losses and lists the
segments that changed most.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from evals.errors import InputError, UsageError, did_you_mean
from evals.stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    DEFAULT_TRIALS,
    MIN_DOCUMENTS,
    PairedResult,
    holm,
    paired_bootstrap,
    paired_randomization,
)

if TYPE_CHECKING:
    from evals.metrics.base import Metric
    from evals.store.api import Store

LEXICAL_METRICS = ("bleu", "chrf", "chrf++", "ter")
TESTS = ("bootstrap", "randomization", "both")
PREVIEW = 5
# Scores this close are equal (pooled scores are floats computed two ways).
TIE = 1e-9


# ---- data -----------------------------------------------------------------------------------


def digits_for(*scores: float | None) -> int:
    """Decimals to print: 4 for metrics on a 0-1 scale (COMET), 2 for 0-100 ones (BLEU, chrF, TER)."""
    finite = [abs(v) for v in scores if v is not None and math.isfinite(v)]
    return 4 if finite and max(finite) <= 1.5 else 2


def text_hash(text: str | None) -> str | None:
    """sha256 of a text (UTF-8), or None: how baseline files identify sources and references."""
    return None if text is None else hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class SegmentRecord:
    """One translated segment of a side; texts may be absent (baseline files keep hashes)."""

    corpus: str
    seg_id: str
    doc_id: str
    source_hash: str
    reference_hash: str | None
    flags: tuple[str, ...] = ()
    source: str | None = None
    reference: str | None = None
    hypothesis: str | None = None


@dataclass
class MetricData:
    """One metric's per-segment statistics for one corpus of one side.

    ``stats[i]`` belongs to ``seg_ids[i]`` (segments with a reference, for
    reference-based metrics). ``system`` is the stored system-level score and
    ``details`` its stored details (CI, resampling...). ``metric`` is the
    metric instance when the side could build it (stored runs), else None.
    """

    name: str
    signature: str
    options: dict[str, Any]
    target_lang: str
    seg_ids: list[str]
    doc_ids: list[str]
    stats: np.ndarray
    system: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    metric: "Metric | None" = None


@dataclass
class CorpusData:
    name: str
    segments: dict[str, SegmentRecord]  # by seg_id, in corpus order
    metrics: dict[str, MetricData]


@dataclass
class SystemData:
    """One system's outputs and statistics: a side of a comparison."""

    label: str
    system: str
    origin: str  # "run" or "file"
    run_id: int | None
    corpora: dict[str, CorpusData]
    info: dict[str, Any] = field(default_factory=dict)


class SegmentStats(NamedTuple):
    stats: np.ndarray
    doc_ids: list[str]
    seg_ids: list[str]
    metric: "Metric"


# ---- building metrics -----------------------------------------------------------------------


def build_metric(name: str, options: dict[str, Any], target_lang: str) -> "Metric":
    """The metric the runner would build for ``name``/``options`` on ``target_lang`` outputs."""
    from evals.metrics import get_metric

    options = dict(options)
    if name in LEXICAL_METRICS:
        options.setdefault("target_lang", target_lang)
    return get_metric(name, **options)


def metric_for_signature(name: str, options: dict[str, Any], target_lang: str, signature: str,
                         where: str, *, built: "Metric | None" = None, missing: int = 0) -> "Metric":
    """Build the metric and insist it still produces ``signature`` (else its statistics differ)."""
    metric = built or build_metric(name, options, target_lang)
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


def signature_keys(signature: str) -> dict[str, str]:
    """``"nrefs:1|tok:13a|..."`` as ``{"nrefs": "1", "tok": "13a", ...}``."""
    keys: dict[str, str] = {}
    for part in signature.split("|"):
        key, _, value = part.partition(":")
        keys[key] = value
    return keys


def describe_signature_difference(a: str, b: str) -> str:
    """The keys two signatures disagree on, e.g. ``tok: 13a vs zh``."""
    left, right = signature_keys(a), signature_keys(b)
    differing = [
        f"{key}: {left.get(key, '(absent)')} vs {right.get(key, '(absent)')}"
        for key in dict.fromkeys([*left, *right])
        if left.get(key) != right.get(key)
    ]
    return "; ".join(differing) or "they differ"


# ---- loading sides from runs --------------------------------------------------------------------


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
) -> SystemData:
    """One system of a stored run, with statistics rebuilt from the score cache.

    ``corpora``/``metrics`` restrict what is loaded (unknown names are errors).
    """
    from evals.runner import score_key
    from evals.store import cache_key

    info = store.get_run(run)
    run_id = info["id"]
    name = pick_system(info, system)
    label = f"run {run_id}:{name}"
    frame = store.translations_df(run_id)
    frame = frame[frame["system"] == name]
    available = list(dict.fromkeys(frame["corpus"]))
    wanted = _check_names(corpora, available, "corpus", f"{label} has no translations for")
    records: dict[int, SegmentRecord] = {}
    data: dict[str, CorpusData] = {c: CorpusData(c, {}, {}) for c in wanted}
    for row in frame.itertuples(index=False):
        if row.corpus not in data:
            continue
        record = SegmentRecord(
            corpus=row.corpus, seg_id=row.seg_id, doc_id=row.doc_id, source_hash=text_hash(row.source),
            reference_hash=text_hash(_text(row.reference)), flags=tuple(row.flags), source=row.source,
            reference=_text(row.reference), hypothesis=row.hypothesis,
        )
        records[int(row.segment_id)] = record
        data[row.corpus].segments[row.seg_id] = record

    scores = store.scores_df(run_id)
    scores = scores[(scores["system"] == name) & scores["corpus"].isin(list(data))]
    segment_rows = scores[scores["level"] == "segment"]
    metric_names = list(dict.fromkeys(segment_rows["metric"]))
    chosen = _check_names(metrics, metric_names, "metric", f"{label} has no segment scores for metric")
    system_rows = {
        (r.metric, r.corpus): r for r in scores[scores["level"] == "system"].itertuples(index=False)
    }
    options_of = _suite_metric_options(info)
    built: dict[tuple[str, str, str], "Metric"] = {}
    for (metric_name, corpus), group in segment_rows.groupby(["metric", "corpus"], sort=False):
        if metric_name not in chosen:
            continue
        where = f"{label} · {corpus}"
        signatures = list(dict.fromkeys(group["signature"]))
        if len(signatures) != 1:
            raise InputError(f"{where}: {metric_name} has several signatures in one run: {signatures}")
        signature = signatures[0]
        rows_of = [records[int(s)] for s in group["segment_id"]]
        target_lang = _target_lang(store, run_id, corpus, frame)
        key = (metric_name, target_lang)
        if key not in built:
            built[key] = build_metric(metric_name, options_of.get(metric_name, {}), target_lang)
        metric = built[key]
        # The texts the runner keyed the cache with (document context is part of them, for COMET).
        srcs, hyps = [r.source for r in rows_of], [r.hypothesis for r in rows_of]
        refs = [r.reference for r in rows_of]
        if getattr(metric, "doc_context", False):
            srcs, hyps, with_context = metric.add_context(
                srcs, hyps, refs if metric.needs_reference else None, [r.doc_id for r in rows_of])
            refs = with_context or refs
        keys = [cache_key(score_key(signature, *texts)) for texts in zip(srcs, hyps, refs)]
        cached = store.score_cache.get_many(keys)
        stats: list[Any] = [metric.stats_from_json(cached[k].stats) if k in cached else None for k in keys]
        missing = [i for i, row in enumerate(stats) if row is None]
        # Pooling cached rows needs only the metric's arithmetic, which the suite's options fix (a
        # run stored on a GPU is still comparable on a CPU); recomputing missing rows needs the very
        # same signature (library versions, tokenizer, checkpoint), or the rows would differ.
        if missing:
            metric_for_signature(metric_name, options_of.get(metric_name, {}), target_lang, signature, where,
                                 built=metric, missing=len(missing))
        if missing:
            fresh = metric.segment_stats(
                [hyps[i] for i in missing],
                [refs[i] for i in missing] if metric.needs_reference else None,
                sources=[srcs[i] for i in missing],
            )
            for i, row in zip(missing, fresh):
                stats[i] = row
        stored = system_rows.get((metric_name, corpus))
        data[corpus].metrics[metric_name] = MetricData(
            name=metric_name, signature=signature, options=options_of.get(metric_name, {}),
            target_lang=target_lang, seg_ids=[r.seg_id for r in rows_of], doc_ids=[r.doc_id for r in rows_of],
            stats=metric.check_stats(np.vstack(stats)),
            system=None if stored is None or _missing(stored.value) else float(stored.value),
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


def _target_lang(store: "Store", run_id: int, corpus: str, frame: Any) -> str:
    from sqlalchemy import select

    from evals.store.schema import segments

    seg_id = frame[frame["corpus"] == corpus]["segment_id"].iloc[0]
    with store.engine.connect() as conn:
        return conn.execute(select(segments.c.tgt_lang).where(segments.c.id == int(seg_id))).scalar_one()


def _check_names(requested: Sequence[str] | None, available: list[str], what: str, message: str) -> list[str]:
    if not requested:
        return available
    for name in requested:
        if name not in available:
            raise InputError(f"{message} {name!r}", field=what,
                             hint=did_you_mean(name, available) or f"available: {', '.join(available) or 'none'}")
    return [name for name in available if name in requested]


def _text(value: Any) -> str | None:
    return None if _missing(value) else value


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


# ---- side specs: "RUN[:SYSTEM]" or a baseline file --------------------------------------------


@dataclass(frozen=True)
class SideSpec:
    """What the user named: a run (id or "latest") and system, or a baseline file."""

    run: str | None = None
    system: str | None = None
    path: Path | None = None

    def __str__(self) -> str:
        if self.path is not None:
            return str(self.path) + (f":{self.system}" if self.system else "")
        return f"{self.run}:{self.system}" if self.system else str(self.run)


def parse_side(text: str) -> SideSpec:
    """``3``, ``3:gloss``, ``latest:my-model``, ``baselines/main.json`` (or ``...json:SYSTEM``).

    The run part is an id or ``latest``; everything after the first ``:`` is
    the system name (system names may contain ``:``, e.g. ``file:out.jsonl``).
    """
    text = text.strip()
    if not text:
        raise UsageError("empty system spec", hint="write RUN[:SYSTEM] or a baseline .json file")
    if Path(text).is_file() or text.lower().endswith(".json"):
        return SideSpec(path=Path(text))
    head, sep, tail = text.partition(":")
    if head.isdigit() or head.lower() == "latest":
        return SideSpec(run=head.lower() if not head.isdigit() else head, system=tail if sep and tail else None)
    if ".json:" in text:
        path, _, system = text.rpartition(":")
        return SideSpec(path=Path(path), system=system or None)
    raise UsageError(f"cannot read {text!r} as RUN[:SYSTEM] or a baseline file",
                     hint="e.g. 3:gloss, latest:my-model or baselines/main.json")


def load_side(spec: SideSpec, store: "Store | None", *, corpora: Sequence[str] | None = None,
              metrics: Sequence[str] | None = None) -> SystemData:
    """Load a side named by ``spec`` (``store`` is needed for runs only)."""
    if spec.path is not None:
        from evals.baseline import load_baseline

        return load_baseline(spec.path, system=spec.system)
    if store is None:
        raise UsageError("comparing runs needs a results database", hint="pass --db")
    return load_run_system(store, spec.run, spec.system, corpora=corpora, metrics=metrics)


# ---- alignment ------------------------------------------------------------------------------------


@dataclass
class Pair:
    """One metric on one corpus: baseline and system statistics aligned row by row."""

    corpus: str
    metric_name: str
    metric: "Metric"
    signature: str
    seg_ids: list[str]
    doc_ids: list[str]
    baseline: np.ndarray
    system: np.ndarray


def check_segments(corpus: str, baseline: CorpusData, system: CorpusData, base_label: str,
                   system_label: str) -> None:
    """Refuse to compare sides whose segments differ (ids, sources or references), naming them."""
    problems: list[str] = []
    only_base = [s for s in baseline.segments if s not in system.segments]
    only_system = [s for s in system.segments if s not in baseline.segments]
    shared = [s for s in baseline.segments if s in system.segments]
    other_source = [s for s in shared if baseline.segments[s].source_hash != system.segments[s].source_hash]
    other_reference = [s for s in shared
                       if baseline.segments[s].reference_hash != system.segments[s].reference_hash]
    other_doc = [s for s in shared if baseline.segments[s].doc_id != system.segments[s].doc_id]
    for ids, what in ((only_base, f"only in {base_label}"), (only_system, f"only in {system_label}"),
                      (other_source, "with a different source"),
                      (other_reference, "with a different reference"),
                      (other_doc, "in a different document")):
        if ids:
            problems.append(f"{len(ids)} segment{'s' if len(ids) > 1 else ''} {what}: {_preview(ids)}")
    if problems:
        raise InputError(
            f"{base_label} and {system_label} are not aligned on corpus {corpus!r}: " + "; ".join(problems),
            field="segments",
            hint="compare outputs on the same corpus version (rebuild the baseline on this corpus)",
        )


def align(
    baseline: SystemData,
    system: SystemData,
    *,
    corpora: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    strict: bool = False,
) -> tuple[list[Pair], list[str]]:
    """Aligned (corpus, metric) pairs of two sides, and notes on what was left out.

    ``strict`` (the gate): every baseline corpus and metric must be in the
    system; otherwise only what both sides have is compared. Different
    signatures for the same metric are always an error.
    """
    notes: list[str] = []
    names = _selected(list(baseline.corpora), corpora, "corpus", baseline.label)
    pairs: list[Pair] = []
    for corpus in names:
        base_corpus = baseline.corpora[corpus]
        if corpus not in system.corpora:
            if strict:
                raise InputError(f"{system.label} has no translations for corpus {corpus!r} "
                                 f"that {baseline.label} has", field="corpus")
            notes.append(f"{corpus}: only in {baseline.label}, not compared")
            continue
        sys_corpus = system.corpora[corpus]
        check_segments(corpus, base_corpus, sys_corpus, baseline.label, system.label)
        for metric_name, base_metric in base_corpus.metrics.items():
            if metrics and metric_name not in metrics:
                continue
            sys_metric = sys_corpus.metrics.get(metric_name)
            if sys_metric is None:
                if strict:
                    raise InputError(f"{system.label} has no {metric_name} scores for corpus {corpus!r} "
                                     f"that {baseline.label} has", field="metric",
                                     hint=f"add {metric_name} to the suite's metrics")
                notes.append(f"{corpus} · {metric_name}: only in {baseline.label}, not compared")
                continue
            pairs.append(_pair(corpus, base_metric, sys_metric, baseline, system))
        for metric_name in sys_corpus.metrics:
            if metric_name not in base_corpus.metrics and (not metrics or metric_name in metrics):
                notes.append(f"{corpus} · {metric_name}: not in {baseline.label}, not compared")
    for corpus in system.corpora:
        if corpus not in baseline.corpora and (not corpora or corpus in corpora):
            notes.append(f"{corpus}: not in {baseline.label}, not compared")
    if metrics:
        present = {p.metric_name for p in pairs}
        for name in metrics:
            if name not in present:
                raise InputError(f"no {name} scores to compare between {baseline.label} and {system.label}",
                                 field="metric")
    return pairs, notes


def _selected(available: list[str], requested: Sequence[str] | None, what: str, label: str) -> list[str]:
    return _check_names(requested, available, what, f"{label} has no")


def _pair(corpus: str, base: MetricData, system: MetricData, base_side: SystemData,
          system_side: SystemData) -> Pair:
    where = f"{corpus} · {base.name}"
    if base.signature != system.signature:
        raise InputError(
            f"{where}: signatures differ, so the scores are not comparable "
            f"({describe_signature_difference(base.signature, system.signature)}); "
            f"{base_side.label}: {base.signature}; {system_side.label}: {system.signature}",
            field="signature",
            hint="score both with the same metric options and versions",
        )
    # Both sides' rows are at hand, so only the pooling arithmetic is needed (and checked below).
    metric = system.metric or base.metric or build_metric(base.name, base.options, base.target_lang)
    if set(base.seg_ids) != set(system.seg_ids) or len(base.seg_ids) != len(system.seg_ids):
        missing = [s for s in base.seg_ids if s not in set(system.seg_ids)]
        extra = [s for s in system.seg_ids if s not in set(base.seg_ids)]
        raise InputError(f"{where}: scored on different segments (only in {base_side.label}: "
                         f"{_preview(missing) or 'none'}; only in {system_side.label}: {_preview(extra) or 'none'})",
                         field="segments")
    order = {seg_id: i for i, seg_id in enumerate(system.seg_ids)}
    system_stats = metric.check_stats(system.stats)[[order[s] for s in base.seg_ids]]
    base_stats = metric.check_stats(base.stats)
    for side, data, stats in ((base_side, base, base_stats), (system_side, system, system_stats)):
        _check_consistent(metric, data, stats, f"{side.label} · {where}")
    return Pair(corpus, base.name, metric, base.signature, list(base.seg_ids), list(base.doc_ids),
                base_stats, system_stats)


def _check_consistent(metric: "Metric", data: MetricData, stats: np.ndarray, where: str) -> None:
    """The stored system score must be what the statistics give (a tampered file, a bad cache)."""
    if data.system is None:
        return
    pooled = metric.score_from_stats(stats)
    if not math.isclose(pooled, data.system, rel_tol=1e-9, abs_tol=1e-9):
        raise InputError(f"{where}: stored system score {data.system!r} but its statistics give {pooled!r}",
                         field="stats", hint="the baseline file or the score cache was modified")


def _preview(items: Sequence[str], limit: int = PREVIEW) -> str:
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# ---- analysis -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedSettings:
    """How paired tests run: which test(s), samples, seed, resampling unit."""

    test: str = "bootstrap"  # bootstrap | randomization | both
    n_resamples: int = DEFAULT_RESAMPLES
    n_trials: int = DEFAULT_TRIALS
    seed: int = DEFAULT_SEED
    unit: str = "auto"
    min_documents: int = MIN_DOCUMENTS
    level: float = DEFAULT_LEVEL

    def __post_init__(self) -> None:
        if self.test not in TESTS:
            raise UsageError(f"unknown test {self.test!r}", field="test",
                             hint=did_you_mean(self.test, TESTS) or f"use one of {', '.join(TESTS)}")

    def to_json(self) -> dict[str, Any]:
        return {"test": self.test, "n_resamples": self.n_resamples, "n_trials": self.n_trials,
                "seed": self.seed, "resampling": self.unit, "min_documents": self.min_documents,
                "ci_level": self.level}


@dataclass(frozen=True)
class DocumentDelta:
    doc_id: str
    baseline: float
    system: float
    outcome: str  # win | tie | loss (for the system)

    @property
    def delta(self) -> float:
        return self.system - self.baseline


@dataclass
class PairAnalysis:
    """Paired tests, per-document outcomes and per-segment scores of one Pair."""

    pair: Pair
    bootstrap: PairedResult | None
    randomization: PairedResult | None
    documents: list[DocumentDelta]
    baseline_segments: list[float]
    system_segments: list[float]

    @property
    def higher_is_better(self) -> bool:
        return self.pair.metric.higher_is_better

    @property
    def main(self) -> PairedResult:
        return self.bootstrap or self.randomization  # type: ignore[return-value]

    @property
    def p_value(self) -> float:
        return self.main.p_value

    def improvement(self) -> float:
        """The delta signed so that positive is better (a TER fall is positive)."""
        delta = self.main.delta
        return delta if self.higher_is_better else -delta

    def outcomes(self) -> dict[str, int]:
        counts = {"win": 0, "tie": 0, "loss": 0}
        for doc in self.documents:
            counts[doc.outcome] += 1
        return counts


def analyse(pair: Pair, settings: PairedSettings) -> PairAnalysis:
    """Run the paired test(s) on one pair, score its documents and segments."""
    common = dict(unit=settings.unit, seed=settings.seed, min_documents=settings.min_documents)
    bootstrap = randomization = None
    if settings.test in ("bootstrap", "both"):
        bootstrap = paired_bootstrap(pair.metric, pair.baseline, pair.system, pair.doc_ids,
                                     n_resamples=settings.n_resamples, level=settings.level, **common)
    if settings.test in ("randomization", "both"):
        randomization = paired_randomization(pair.metric, pair.baseline, pair.system, pair.doc_ids,
                                             n_trials=settings.n_trials, **common)
    return PairAnalysis(
        pair=pair, bootstrap=bootstrap, randomization=randomization,
        documents=document_deltas(pair),
        baseline_segments=pair.metric.segment_scores(pair.baseline),
        system_segments=pair.metric.segment_scores(pair.system),
    )


def document_deltas(pair: Pair) -> list[DocumentDelta]:
    """Each document's pooled score on both sides and whether the system won, tied or lost it."""
    groups: dict[str, list[int]] = {}
    for index, doc_id in enumerate(pair.doc_ids):
        groups.setdefault(doc_id, []).append(index)
    better = 1.0 if pair.metric.higher_is_better else -1.0
    out = []
    for doc_id, index in groups.items():
        base = pair.metric.score_from_stats(pair.baseline[index])
        system = pair.metric.score_from_stats(pair.system[index])
        gain = better * (system - base)
        outcome = "tie" if abs(gain) <= TIE or (math.isnan(gain)) else ("win" if gain > 0 else "loss")
        out.append(DocumentDelta(doc_id, base, system, outcome))
    return out


@dataclass
class MetricComparison:
    """One (corpus, metric) of one system against the baseline."""

    system: str
    analysis: PairAnalysis
    p_holm: float

    @property
    def corpus(self) -> str:
        return self.analysis.pair.corpus

    @property
    def metric(self) -> str:
        return self.analysis.pair.metric_name

    def to_json(self) -> dict[str, Any]:
        a = self.analysis
        main = a.main
        return {
            "corpus": self.corpus, "metric": self.metric, "system": self.system,
            "signature": a.pair.signature, "higher_is_better": a.higher_is_better,
            "baseline_score": main.baseline, "system_score": main.system, "delta": main.delta,
            "delta_ci": list(a.bootstrap.delta_ci) if a.bootstrap and a.bootstrap.delta_ci else None,
            "ci_level": a.bootstrap.ci_level if a.bootstrap else None,
            "p_bootstrap": a.bootstrap.p_value if a.bootstrap else None,
            "p_randomization": a.randomization.p_value if a.randomization else None,
            "p_holm": self.p_holm,
            "resampling": main.unit, "resampling_reason": main.reason, "seed": main.seed,
            "n_resamples": a.bootstrap.n_samples if a.bootstrap else None,
            "n_trials": a.randomization.n_samples if a.randomization else None,
            "segments": len(a.pair.seg_ids),
            "documents": a.outcomes() | {"scores": [
                {"doc_id": d.doc_id, "baseline": d.baseline, "system": d.system, "delta": d.delta,
                 "outcome": d.outcome} for d in a.documents]},
        }


@dataclass(frozen=True)
class SegmentChange:
    """A segment whose score moved, with both outputs and every metric's delta."""

    corpus: str
    seg_id: str
    doc_id: str
    source: str | None
    reference: str | None
    baseline_hypothesis: str | None
    system_hypothesis: str | None
    scores: dict[str, tuple[float, float]]  # metric -> (baseline, system) segment scores

    def delta(self, metric: str) -> float:
        base, system = self.scores[metric]
        return system - base

    def to_json(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus, "seg_id": self.seg_id, "doc_id": self.doc_id, "source": self.source,
            "reference": self.reference, "baseline_hypothesis": self.baseline_hypothesis,
            "system_hypothesis": self.system_hypothesis,
            "scores": {m: {"baseline": b, "system": s, "delta": s - b} for m, (b, s) in self.scores.items()},
        }


def segment_changes(
    analyses: Sequence[PairAnalysis],
    baseline: SystemData,
    system: SystemData,
    rank_metric: str,
    *,
    limit: int | None,
    direction: str = "any",
) -> list[SegmentChange]:
    """Segments of one corpus ordered by how much ``rank_metric``'s segment score moved.

    ``direction``: ``any`` (largest absolute change), ``worse`` (largest drops
    only, i.e. the segments responsible for a regression). TER drops are rises.
    """
    by_metric = {a.pair.metric_name: a for a in analyses}
    ranked = by_metric[rank_metric]
    corpus = ranked.pair.corpus
    better = 1.0 if ranked.higher_is_better else -1.0
    base_corpus, sys_corpus = baseline.corpora[corpus], system.corpora[corpus]
    positions = {name: {seg: i for i, seg in enumerate(a.pair.seg_ids)} for name, a in by_metric.items()}
    candidates = []
    for i, seg_id in enumerate(ranked.pair.seg_ids):
        gain = better * (ranked.system_segments[i] - ranked.baseline_segments[i])
        if direction == "worse" and not gain < 0:
            continue
        if direction == "any" and gain == 0:
            continue
        candidates.append((abs(gain), i, seg_id))
    candidates.sort(key=lambda item: (-item[0], item[1]))
    out = []
    for _, _, seg_id in candidates[:limit] if limit is not None else candidates:
        base_rec, sys_rec = base_corpus.segments[seg_id], sys_corpus.segments[seg_id]
        scores = {name: (a.baseline_segments[positions[name][seg_id]], a.system_segments[positions[name][seg_id]])
                  for name, a in by_metric.items() if seg_id in positions[name]}
        out.append(SegmentChange(
            corpus=corpus, seg_id=seg_id, doc_id=base_rec.doc_id,
            source=sys_rec.source or base_rec.source, reference=sys_rec.reference or base_rec.reference,
            baseline_hypothesis=base_rec.hypothesis, system_hypothesis=sys_rec.hypothesis, scores=scores,
        ))
    return out


def default_rank_metric(names: Iterable[str]) -> str:
    """chrF ranks segments best among the lexical metrics (sentence BLEU is mostly zeros)."""
    names = list(names)
    for preferred in ("chrf", "chrf++", "ter", "bleu"):
        if preferred in names:
            return preferred
    return names[0]


@dataclass
class Comparison:
    """One baseline against one or more systems."""

    baseline: SystemData
    systems: list[SystemData]
    settings: PairedSettings
    results: list[MetricComparison]
    changes: dict[tuple[str, str], list[SegmentChange]]  # (system label, corpus) -> segments
    rank_metric: dict[str, str]  # corpus -> metric the segment changes are ranked by
    notes: list[str]
    alpha: float

    def to_json(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline.label,
            "systems": [s.label for s in self.systems],
            "settings": self.settings.to_json() | {"alpha": self.alpha, "correction": "holm (across systems)"},
            "results": [r.to_json() | {"significant": r.p_holm < self.alpha} for r in self.results],
            "segments": [
                {"system": label, "corpus": corpus, "ranked_by": self.rank_metric.get(corpus),
                 "changes": [c.to_json() for c in changes]}
                for (label, corpus), changes in self.changes.items()
            ],
            "notes": self.notes,
        }

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per (corpus, metric, system), for tables and CSV."""
        rows = []
        for r in self.results:
            a, main = r.analysis, r.analysis.main
            ci = a.bootstrap.delta_ci if a.bootstrap else None
            counts = a.outcomes()
            rows.append({
                "corpus": r.corpus, "metric": r.metric, "system": r.system,
                "baseline": main.baseline, "score": main.system, "delta": main.delta,
                "ci_low": ci[0] if ci else None, "ci_high": ci[1] if ci else None,
                "p_bs": a.bootstrap.p_value if a.bootstrap else None,
                "p_ar": a.randomization.p_value if a.randomization else None,
                "p_holm": r.p_holm, "significant": r.p_holm < self.alpha,
                "docs_w/t/l": f"{counts['win']}/{counts['tie']}/{counts['loss']}",
                "resampling": main.unit,
            })
        return rows


def compare_systems(
    baseline: SystemData,
    systems: Sequence[SystemData],
    *,
    settings: PairedSettings | None = None,
    corpora: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    segments: int = 5,
    rank_metric: str | None = None,
    alpha: float = 0.05,
) -> Comparison:
    """Compare ``systems`` with ``baseline`` per corpus and metric (see the module docstring).

    p-values are Holm-corrected across the systems compared on the same
    (corpus, metric): one baseline against many systems is many tests.
    """
    if not systems:
        raise UsageError("nothing to compare: name at least one system besides the baseline")
    if not 0 < alpha < 1:
        raise UsageError(f"alpha must be between 0 and 1, got {alpha}", field="alpha")
    settings = settings or PairedSettings()
    notes: list[str] = []
    per_system: list[tuple[SystemData, list[PairAnalysis]]] = []
    for system in systems:
        pairs, more = align(baseline, system, corpora=corpora, metrics=metrics)
        notes.extend(n for n in more if n not in notes)
        per_system.append((system, [analyse(pair, settings) for pair in pairs]))
    if not any(analyses for _, analyses in per_system):
        raise InputError(f"{baseline.label} and the other systems share no scored corpus and metric")
    families: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for s, (_, analyses) in enumerate(per_system):
        for k, a in enumerate(analyses):
            families.setdefault((a.pair.corpus, a.pair.metric_name), []).append((s, k))
    adjusted: dict[tuple[int, int], float] = {}
    for members in families.values():
        values = holm([per_system[s][1][k].p_value for s, k in members])
        adjusted.update(zip(members, values))
    results = [
        MetricComparison(system.label, a, adjusted[(s, k)])
        for key in families for s, k in families[key]
        for system, a in [(per_system[s][0], per_system[s][1][k])]
    ]
    changes: dict[tuple[str, str], list[SegmentChange]] = {}
    ranked_by: dict[str, str] = {}
    for system, analyses in per_system:
        by_corpus: dict[str, list[PairAnalysis]] = {}
        for a in analyses:
            by_corpus.setdefault(a.pair.corpus, []).append(a)
        for corpus, group in by_corpus.items():
            names = [a.pair.metric_name for a in group]
            chosen = rank_metric if rank_metric in names else default_rank_metric(names)
            if rank_metric and rank_metric not in names:
                raise UsageError(f"cannot rank segments by {rank_metric!r}: not compared on {corpus}",
                                 hint=f"compared metrics: {', '.join(names)}")
            ranked_by[corpus] = chosen
            changes[(system.label, corpus)] = segment_changes(group, baseline, system, chosen, limit=segments)
    units = {(r.corpus, r.analysis.main.unit, r.analysis.main.reason) for r in results}
    for corpus, _unit, reason in sorted(units):
        note = f"{corpus}: {reason}"
        if note not in notes:
            notes.append(note)
    return Comparison(baseline, list(systems), settings, results, changes, ranked_by, notes, alpha)
