"""Two sides paired on the same segments and the same metric signatures.

Comparing different test sets or different tokenisations gives a number that
measures nothing, so every mismatch is an ``InputError`` naming what differs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from evals.compare.sides import CorpusData, MetricData, SystemData, check_names, describe_signature_difference
from evals.errors import InputError
from evals.scoring import metric_for

if TYPE_CHECKING:
    import numpy as np

    from evals.metrics.base import Metric

# Segment ids shown in an error before "and N more".
PREVIEW = 5


@dataclass
class Pair:
    """One metric on one corpus: baseline and system statistics aligned row by row."""

    corpus: str
    metric_name: str
    metric: "Metric"
    signature: str
    seg_ids: list[str]
    doc_ids: list[str]
    baseline: "np.ndarray"
    system: "np.ndarray"


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
    return check_names(requested, available, what, f"{label} has no")


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
    metric = system.metric or base.metric or metric_for(base.name, base.options, base.target_lang)[0]
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


def _check_consistent(metric: "Metric", data: MetricData, stats: "np.ndarray", where: str) -> None:
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
