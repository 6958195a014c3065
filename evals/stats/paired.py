"""Paired significance tests between two systems on the same segments.

Both tests work on per-segment sufficient statistics (``evals.metrics.base``),
so BLEU, chrF, chrF++ and TER are recomputed from pooled statistics in every
resample or trial, and segment-mean metrics (statistics ``[score, 1]``) go
through the same code.

* **Paired bootstrap resampling** (Koehn 2004; sacrebleu ``--paired-bs``):
  both systems are scored on the same resamples of segments. The null
  distribution of the absolute difference is the resampled absolute
  differences shifted to mean zero; the p-value is the share of them above
  the observed absolute difference, with the +1 correction:
  ``(#{|d_i| - mean|d| > |d|} + 1) / (n + 1)``.
* **Approximate randomization** (Riezler & Maxwell 2005; sacrebleu
  ``--paired-ar``): in each trial every segment's two outputs are swapped
  between the systems with probability 1/2; p-value
  ``(#{|score(A_t) - score(B_t)| > |d|} + 1) / (n + 1)``.

Both p-values are two-sided: they say whether the systems differ, not which
is better (the sign of ``delta`` says that).

Parity with sacrebleu: with ``unit="segment"`` and the same seed and number
of resamples/trials, p-values are *identical* to ``sacrebleu REF -i BASE SYS
--paired-bs|--paired-ar`` with ``SACREBLEU_SEED=seed`` (tested against the
CLI): the random draws are the same calls on ``numpy.random.default_rng(seed)``
and sacrebleu metrics score resamples in the same numpy dtypes (see
``evals.stats.bootstrap.resample_scorer``). One deliberate difference: when
the observed difference is exactly zero (e.g. identical outputs) we return
p = 1, where sacrebleu's strict ``>`` returns ``1 / (n + 1)`` and calls
identical systems "significantly different". (sacrebleu also treats seed 0
as "unseeded" in paired tests; we don't.)

``paired_bootstrap_stratified`` is the paired bootstrap over several corpora
at once (strata): each resample draws within every corpus, by that corpus's
own unit, and pools the statistics of all corpora into one score, so a small
drop that is consistent across many test sets -- too small for any one of
them -- shows as one significant pooled drop.

``paired_bootstrap_matrix`` runs the paired bootstrap for every pair of
several systems on one set of resamples (the same code as
``paired_bootstrap``, so identical results); ``paired_sign_flip`` is the
fallback for scores without sufficient statistics: approximate randomization
on the mean per-segment difference.

With ``unit="document"`` (the default for corpora with enough documents, see
``evals.stats.bootstrap.choose_resampling``) resamples draw whole documents
and randomization swaps whole documents, respecting the correlation of a
document's segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from evals.errors import InputError
from evals.stats.bootstrap import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    MIN_DOCUMENTS,
    _check_count,
    _check_level,
    _check_seed,
    _CHUNK as _BOOTSTRAP_CHUNK,
    _MAX_DRAWN,
    _unit_counts,
    _unit_stats,
    bootstrap_samples,
    choose_resampling,
    interval_bounds,
    pooled,
    score_rows,
)

if TYPE_CHECKING:
    from evals.metrics.base import Metric

DEFAULT_TRIALS = 10000  # sacrebleu's --paired-ar-n default
TESTS = ("bootstrap", "randomization")

# Trials whose swap masks are multiplied at once (bounds memory like bootstrap._CHUNK).
_CHUNK = 512


@dataclass(frozen=True)
class PairedResult:
    """One paired test of ``system`` against ``baseline`` on one metric.

    ``delta`` is ``system - baseline`` in score points (for TER a positive
    delta is *worse*). ``delta_ci`` is the bootstrap percentile interval of the
    delta (paired bootstrap only).
    """

    metric: str
    test: str
    baseline: float
    system: float
    p_value: float
    unit: str
    reason: str
    n_samples: int
    seed: int
    delta_ci: tuple[float, float] | None = None
    ci_level: float | None = None
    system_mean: float | None = None
    baseline_mean: float | None = None

    @property
    def delta(self) -> float:
        return self.system - self.baseline

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric, "test": self.test, "baseline": self.baseline, "system": self.system,
            "delta": self.delta, "p_value": self.p_value,
            "delta_ci": list(self.delta_ci) if self.delta_ci else None, "ci_level": self.ci_level,
            "resampling": self.unit, "resampling_reason": self.reason,
            "n_samples": self.n_samples, "seed": self.seed,
        }


def p_value(null_statistics: np.ndarray, observed: float) -> float:
    """``(#{null > observed} + 1) / (n + 1)``; 1.0 when nothing was observed (``observed == 0``)."""
    if observed == 0:
        return 1.0
    count = int(np.sum(np.asarray(null_statistics) > observed))
    return (count + 1) / (len(null_statistics) + 1)


def paired_bootstrap(
    metric: "Metric",
    baseline_stats: Any,
    system_stats: Any,
    doc_ids: Sequence[str] | None = None,
    *,
    unit: str = "auto",
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
    min_documents: int = MIN_DOCUMENTS,
) -> PairedResult:
    """Paired bootstrap resampling test (sacrebleu ``--paired-bs``), plus the delta's interval."""
    base, system = _paired_rows(metric, baseline_stats, system_stats)
    (result,) = _bootstrap_pairs(metric, [base, system], [(1, 0)], doc_ids, unit=unit, n_resamples=n_resamples,
                                 seed=seed, level=level, min_documents=min_documents).values()
    return result


def paired_bootstrap_matrix(
    metric: "Metric",
    stats: Sequence[Any],
    doc_ids: Sequence[str] | None = None,
    *,
    unit: str = "auto",
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
    min_documents: int = MIN_DOCUMENTS,
) -> dict[tuple[int, int], PairedResult]:
    """Paired bootstrap between every two of ``stats`` (rows aligned), sharing the resamples.

    Key (i, j), i < j, is ``paired_bootstrap(metric, stats[j], stats[i], doc_ids)``
    (row i is the system, column j the baseline), with identical results:
    the draws depend only on the seed and the segments, so they are the same
    for every pair, and each system's resamples, the expensive part, are
    scored once instead of once per pair.
    """
    rows = [metric.check_stats(s) for s in stats]
    for other in rows[1:]:
        _paired_rows(metric, rows[0], other)
    pairs = [(i, j) for i in range(len(rows)) for j in range(i + 1, len(rows))]
    return _bootstrap_pairs(metric, rows, pairs, doc_ids, unit=unit, n_resamples=n_resamples, seed=seed,
                            level=level, min_documents=min_documents)


def _bootstrap_pairs(
    metric: "Metric",
    rows: Sequence[np.ndarray],
    pairs: Sequence[tuple[int, int]],
    doc_ids: Sequence[str] | None,
    *,
    unit: str,
    n_resamples: int,
    seed: int,
    level: float,
    min_documents: int,
) -> dict[tuple[int, int], PairedResult]:
    """The paired bootstrap of ``rows[i]`` (system) against ``rows[j]`` (baseline) for each
    ``(i, j)`` of ``pairs``, every row scored on the same resamples: the one implementation
    behind ``paired_bootstrap`` and ``paired_bootstrap_matrix``."""
    _check_count(n_resamples, "n_resamples")
    _check_seed(seed)
    _check_level(level)
    resampling = choose_resampling(len(rows[0]), doc_ids, unit, min_documents)
    samples = bootstrap_samples(metric, rows, resampling, n_resamples, seed)
    scores = [metric.score_from_stats(r) for r in rows]
    results = {}
    for i, j in pairs:
        differences = np.abs(samples[i] - samples[j])
        p = p_value(differences - differences.mean(), abs(scores[j] - scores[i]))
        results[(i, j)] = PairedResult(
            metric=metric.name, test="bootstrap", baseline=scores[j], system=scores[i], p_value=p,
            unit=resampling.unit, reason=resampling.reason, n_samples=n_resamples, seed=seed,
            delta_ci=interval_bounds(samples[i] - samples[j], level), ci_level=level,
            system_mean=float(samples[i].mean()), baseline_mean=float(samples[j].mean()),
        )
    return results


def paired_bootstrap_stratified(
    metric: "Metric",
    strata: Sequence[tuple[Any, Any, Sequence[str] | None]],
    *,
    unit: str = "auto",
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
    min_documents: int = MIN_DOCUMENTS,
) -> PairedResult:
    """Paired bootstrap of the pooled score over several corpora, resampling within each (stratified).

    ``strata`` are ``(baseline_stats, system_stats, doc_ids)`` per corpus. The
    observed scores are the metric on the statistics of all corpora summed
    (what one corpus made of all of them would score); each resample draws
    every corpus's units (segments or documents, chosen per corpus as
    ``choose_resampling`` does) with replacement *within that corpus*, so each
    corpus keeps its size and weight, and the pooled statistics of the draws
    give one score per resample and side. The p-value and interval then
    follow ``paired_bootstrap``: with a single stratum the result equals it.
    """
    if not strata:
        raise InputError(f"{metric.name}: no corpora to pool", field="stats")
    _check_count(n_resamples, "n_resamples")
    _check_seed(seed)
    _check_level(level)
    prepared = []
    for base_stats, system_stats, doc_ids in strata:
        base, system = _paired_rows(metric, base_stats, system_stats)
        resampling = choose_resampling(len(base), doc_ids, unit, min_documents)
        # Both sides side by side: one product per corpus and chunk.
        prepared.append((resampling, np.concatenate([_unit_stats(base, resampling),
                                                     _unit_stats(system, resampling)], axis=1)))
    width = prepared[0][1].shape[1] // 2
    total_units = sum(r.n_units for r, _ in prepared)
    chunk = max(1, min(_BOOTSTRAP_CHUNK, _MAX_DRAWN // max(1, total_units)))
    rng = np.random.default_rng(seed)
    samples = [np.empty(n_resamples, dtype=np.float64), np.empty(n_resamples, dtype=np.float64)]
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        sums = None
        for resampling, rows in prepared:
            counts = _unit_counts(rng.choice(resampling.n_units, size=(size, resampling.n_units), replace=True))
            part = pooled(counts, rows)
            sums = part if sums is None else sums + part
        for side in (0, 1):
            samples[side][start:start + size] = score_rows(metric, sums[:, side * width:(side + 1) * width],
                                                           float32=True)
    totals = sum(rows.sum(axis=0) for _, rows in prepared)
    base_total, system_total = totals[:width], totals[width:]
    base_score, system_score = metric.score_from_stats(base_total), metric.score_from_stats(system_total)
    differences = np.abs(samples[1] - samples[0])
    units: dict[str, int] = {}
    for resampling, _ in prepared:
        units[resampling.unit] = units.get(resampling.unit, 0) + 1
    by_unit = ", ".join(f"{unit}s in {n}" for unit, n in units.items())
    reason = f"stratified: resampling within each of {len(prepared)} corpora ({by_unit}), statistics pooled"
    return PairedResult(
        metric=metric.name, test="bootstrap", baseline=base_score, system=system_score,
        p_value=p_value(differences - differences.mean(), abs(system_score - base_score)),
        unit="stratified", reason=reason, n_samples=n_resamples, seed=seed,
        delta_ci=interval_bounds(samples[1] - samples[0], level), ci_level=level,
        system_mean=float(samples[1].mean()), baseline_mean=float(samples[0].mean()),
    )


def paired_randomization(
    metric: "Metric",
    baseline_stats: Any,
    system_stats: Any,
    doc_ids: Sequence[str] | None = None,
    *,
    unit: str = "auto",
    n_trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    min_documents: int = MIN_DOCUMENTS,
) -> PairedResult:
    """Paired approximate randomization test (sacrebleu ``--paired-ar``)."""
    base, system = _paired_rows(metric, baseline_stats, system_stats)
    _check_count(n_trials, "n_trials")
    _check_seed(seed)
    resampling = choose_resampling(len(base), doc_ids, unit, min_documents)
    rng = np.random.default_rng(seed)
    swaps = rng.integers(2, size=(n_trials, resampling.n_units), dtype=bool)
    null = np.empty(n_trials, dtype=np.float64)
    for start in range(0, n_trials, _CHUNK):
        keep = swaps[start:start + _CHUNK]
        if resampling.unit == "document":
            keep = keep[:, resampling.groups]
        weights = keep.astype(np.int64)
        others = 1 - weights
        side_a = score_rows(metric, pooled(weights, base) + pooled(others, system), float32=False)
        side_b = score_rows(metric, pooled(others, base) + pooled(weights, system), float32=False)
        null[start:start + len(weights)] = np.abs(side_a - side_b)
    base_score, system_score = metric.score_from_stats(base), metric.score_from_stats(system)
    return PairedResult(
        metric=metric.name, test="randomization", baseline=base_score, system=system_score,
        p_value=p_value(null, abs(base_score - system_score)),
        unit=resampling.unit, reason=resampling.reason, n_samples=n_trials, seed=seed,
    )


def paired_sign_flip(
    system_scores: Any, baseline_scores: Any, *, n_trials: int = DEFAULT_TRIALS, seed: int = DEFAULT_SEED
) -> tuple[float, float] | None:
    """Approximate randomisation on the mean per-segment difference: (mean difference, p-value).

    For scores without sufficient statistics (a segment-mean comparison):
    each trial flips the sign of every segment's difference with probability
    1/2, and the p-value is ``p_value`` of the trials' absolute mean
    differences, so 1.0 when the observed mean difference is zero. Seeded;
    None when there are no segments.
    """
    diff = np.asarray(system_scores, dtype=np.float64) - np.asarray(baseline_scores, dtype=np.float64)
    n = diff.size
    if n == 0:
        return None
    _check_count(n_trials, "n_trials")
    _check_seed(seed)
    observed = abs(diff.mean())
    if observed == 0:
        return 0.0, 1.0
    rng = np.random.default_rng(seed)
    null = np.empty(n_trials, dtype=np.float64)
    batch = max(1, min(n_trials, 4_000_000 // n))  # bounds the sign matrix in memory
    for start in range(0, n_trials, batch):
        rows = min(batch, n_trials - start)
        signs = rng.integers(0, 2, size=(rows, n), dtype=np.int8) * 2 - 1
        null[start:start + rows] = np.abs(signs @ diff) / n
    return float(diff.mean()), p_value(null, observed)


def paired_test(
    test: str,
    metric: "Metric",
    baseline_stats: Any,
    system_stats: Any,
    doc_ids: Sequence[str] | None = None,
    *,
    n: int | None = None,
    **options: Any,
) -> PairedResult:
    """Run the test named ``test`` ("bootstrap" or "randomization") with ``n`` samples."""
    if test == "bootstrap":
        return paired_bootstrap(metric, baseline_stats, system_stats, doc_ids,
                                n_resamples=n or DEFAULT_RESAMPLES, **options)
    if test == "randomization":
        options.pop("level", None)
        return paired_randomization(metric, baseline_stats, system_stats, doc_ids,
                                    n_trials=n or DEFAULT_TRIALS, **options)
    from evals.errors import did_you_mean

    raise InputError(f"unknown paired test {test!r}", field="test",
                     hint=did_you_mean(str(test), TESTS) or f"use one of {', '.join(TESTS)}")


def _paired_rows(metric: "Metric", baseline_stats: Any, system_stats: Any) -> tuple[np.ndarray, np.ndarray]:
    base, system = metric.check_stats(baseline_stats), metric.check_stats(system_stats)
    if len(base) != len(system):
        raise InputError(
            f"{metric.name}: paired tests need the same segments, got {len(base)} baseline "
            f"and {len(system)} system rows", field="stats",
        )
    if len(base) == 0:
        raise InputError(f"{metric.name}: no segments to compare", field="stats")
    return base, system
