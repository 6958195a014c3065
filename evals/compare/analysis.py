"""Paired tests between a baseline and systems, per corpus and metric, and what changed where."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from evals.compare.align import Pair, align
from evals.compare.sides import SystemData
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
from evals.stats.resolution import MAX_RESAMPLES, Resolution, fixed_resamples, resamples_for

TESTS = ("bootstrap", "randomization", "both")
# Scores this close are equal (pooled scores are floats computed two ways).
TIE = 1e-9


def digits_for(*scores: float | None) -> int:
    """Decimals to print: 4 for metrics on a 0-1 scale (COMET), 2 for 0-100 ones (BLEU, chrF, TER)."""
    finite = [abs(v) for v in scores if v is not None and math.isfinite(v)]
    return 4 if finite and max(finite) <= 1.5 else 2


@dataclass(frozen=True)
class PairedSettings:
    """How paired tests run: which test(s), samples, seed, resampling unit.

    ``auto_samples``: ``n_resamples`` and ``n_trials`` are minimums, raised by
    ``fitted`` to what the family of tests needs (``evals.stats.resolution``);
    ``resolution`` records what was chosen and why, for reports.
    """

    test: str = "bootstrap"  # bootstrap | randomization | both
    n_resamples: int = DEFAULT_RESAMPLES
    n_trials: int = DEFAULT_TRIALS
    seed: int = DEFAULT_SEED
    unit: str = "auto"
    min_documents: int = MIN_DOCUMENTS
    level: float = DEFAULT_LEVEL
    auto_samples: bool = False
    resolution: Resolution | None = None

    def __post_init__(self) -> None:
        if self.test not in TESTS:
            raise UsageError(f"unknown test {self.test!r}", field="test",
                             hint=did_you_mean(self.test, TESTS) or f"use one of {', '.join(TESTS)}")

    def fitted(self, tests: int, alpha: float) -> "PairedSettings":
        """These settings for a family of ``tests`` corrected tests at ``alpha``: with ``auto_samples``,
        enough resamples and trials that the smallest attainable adjusted p is well below alpha."""
        if not self.auto_samples:
            main = self.n_trials if self.test == "randomization" else self.n_resamples
            return replace(self, resolution=fixed_resamples(main, tests, alpha))
        resamples = resamples_for(tests, alpha, minimum=min(self.n_resamples, MAX_RESAMPLES))
        trials = resamples_for(tests, alpha, minimum=min(self.n_trials, MAX_RESAMPLES))
        return replace(self, n_resamples=resamples.n, n_trials=trials.n,
                       resolution=trials if self.test == "randomization" else resamples)

    def to_json(self) -> dict[str, Any]:
        return {"test": self.test, "n_resamples": self.n_resamples, "n_trials": self.n_trials,
                "seed": self.seed, "resampling": self.unit, "min_documents": self.min_documents,
                "ci_level": self.level, "samples": "auto" if self.auto_samples else "fixed",
                "resolution": self.resolution.to_json() if self.resolution else None}


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
    """One (corpus, metric) of one system against the baseline, with its p-value after correction.

    ``p_adjusted`` is Holm-corrected across the family the caller tested
    together (``correction`` says which), or the raw p-value with ``none``.
    The gate's checks compose one of these with a policy's tolerance.
    """

    system: str
    analysis: PairAnalysis
    p_adjusted: float
    correction: str = "holm"

    @property
    def p_holm(self) -> float:
        return self.p_adjusted

    @property
    def corpus(self) -> str:
        return self.analysis.pair.corpus

    @property
    def metric(self) -> str:
        return self.analysis.pair.metric_name

    @property
    def drop(self) -> float:
        """How much worse the system is than the baseline, in score points (negative: it improved)."""
        return -self.analysis.improvement()

    @property
    def digits(self) -> int:
        return digits_for(self.analysis.main.baseline, self.analysis.main.system)

    def significant(self, alpha: float) -> bool:
        return self.p_adjusted < alpha

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
    """The metric whose sentence scores rank segments best (``Metric.segment_ranking``); ties: first named."""
    from evals.metrics import metric_class

    def ranking(name: str) -> int:
        try:
            return metric_class(name).segment_ranking
        except InputError:  # a stored metric this installation does not know, or cannot import
            return 0

    names = list(names)
    return max(names, key=ranking)


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
    settings = (settings or PairedSettings()).fitted(len(systems), alpha)
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
