"""Bootstrap confidence intervals for pooled (corpus) scores.

Why resample statistics rows: a corpus score (BLEU, chrF, TER) is a function
of statistics *summed* over segments (see ``evals.metrics.base``). A bootstrap
resample is a multiset of segments, i.e. a vector of counts ``w`` (how often
each segment was drawn); its pooled statistics are ``w @ stats``. So all
resamples are one matrix product, ``W @ stats``, and only the final
score-from-pooled-statistics step runs once per resample. Segment-mean
metrics (COMET-like, statistics ``[score, 1]``) go through the same code.

The resampling unit
-------------------
Segments of one article are correlated (same topic, same terminology, same
difficulty), so resampling segments independently understates the variance.
Resampling whole documents (a "block" bootstrap) is the honest default when
there are enough documents for the resamples to vary: ``unit="auto"`` uses
documents when a corpus has at least ``MIN_DOCUMENTS`` (10) of them, and
otherwise falls back to segments and says so (``Resampling.reason``). Every
result records the unit it used.

Compatibility with sacrebleu
----------------------------
With ``unit="segment"`` the resample indices are drawn exactly as sacrebleu's
``--confidence``/``--paired-bs`` code draws them
(``numpy.random.default_rng(seed).choice(n, size=(n_resamples, n))``, default
seed 12345 like ``SACREBLEU_SEED``), and sacrebleu-backed metrics score each
resample the way sacrebleu does (from ``float32`` pooled statistics). The
interval bounds are the same order statistics sacrebleu uses for its 95%
interval (``sorted[n // 40]`` and ``sorted[n - n // 40 - 1]``), so
``(high - low) / 2`` and ``mean`` equal what ``sacrebleu --confidence``
prints. Pooled counts are exact as long as they stay below 2**24 (float32).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from evals.errors import InputError
from evals.stats.settings import (
    BOOTSTRAP,
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    MIN_DOCUMENTS,
    BootstrapSettings,
)

if TYPE_CHECKING:
    from evals.metrics.base import Metric

UNITS = ("auto", "segment", "document")

# Resamples whose draws and weight matrix are built and multiplied at once.
_CHUNK = 256
# ... but never more than this many drawn units at once (memory ~ 8 bytes each),
# so a million-segment corpus resampled by segment stays bounded too.
_MAX_DRAWN = 1 << 23


@dataclass(frozen=True)
class Resampling:
    """What is resampled: segments, or documents (all of a document's segments together).

    ``groups[i]`` is the unit of segment ``i`` (its own index for segments,
    its document's index for documents); ``reason`` says why this unit was
    chosen, for reports.
    """

    unit: str
    groups: np.ndarray
    n_units: int
    n_documents: int | None
    reason: str

    @property
    def n_segments(self) -> int:
        return len(self.groups)

    def details(self) -> dict[str, Any]:
        return {"resampling": self.unit, "resampling_reason": self.reason}


def choose_resampling(
    n_segments: int,
    doc_ids: Sequence[str] | None = None,
    unit: str = "auto",
    min_documents: int = MIN_DOCUMENTS,
) -> Resampling:
    """Pick the resampling unit for a corpus of ``n_segments`` segments.

    ``auto``: documents when there are at least ``min_documents`` of them,
    else segments. ``document`` asks for documents whatever their number
    (refused below two: every resample would be the whole corpus).
    """
    if unit not in UNITS:
        from evals.errors import did_you_mean

        raise InputError(f"unknown resampling unit {unit!r}", field="resampling",
                         hint=did_you_mean(str(unit), UNITS) or f"use one of {', '.join(UNITS)}")
    if n_segments < 1:
        raise InputError("cannot resample zero segments", field="stats")
    segments = np.arange(n_segments)
    if doc_ids is None:
        if unit == "document":
            raise InputError("document resampling needs document ids", field="resampling")
        return Resampling("segment", segments, n_segments, None, "no document ids: resampling segments")
    if len(doc_ids) != n_segments:
        raise InputError(f"got {len(doc_ids)} document ids for {n_segments} segments", field="doc_id")
    index: dict[str, int] = {}
    groups = np.array([index.setdefault(doc, len(index)) for doc in doc_ids], dtype=np.int64)
    n_docs = len(index)
    plural = "s" if n_docs != 1 else ""
    if unit == "document" or (unit == "auto" and n_docs >= min_documents):
        if n_docs < 2:
            raise InputError(f"document resampling needs at least 2 documents, the corpus has {n_docs}",
                             field="resampling", hint="use segment resampling")
        why = "requested" if unit == "document" else f"{n_docs} documents >= {min_documents}"
        return Resampling("document", groups, n_docs, n_docs, f"resampling documents ({why})")
    why = "requested" if unit == "segment" else f"only {n_docs} document{plural} (< {min_documents})"
    return Resampling("segment", segments, n_segments, n_docs, f"resampling segments ({why})")


def draw_units(rng: np.random.Generator, n_units: int, n_resamples: int) -> np.ndarray:
    """Unit indices of every resample, ``(n_resamples, n_units)``: sacrebleu's exact draw."""
    return rng.choice(n_units, size=(n_resamples, n_units), replace=True)


def weights_from_draws(draws: np.ndarray, resampling: Resampling) -> np.ndarray:
    """How often each *segment* is in each resample, from drawn unit indices."""
    rows, n_units = draws.shape
    flat = (draws + np.arange(rows)[:, None] * n_units).ravel()
    unit_counts = np.bincount(flat, minlength=rows * n_units).reshape(rows, n_units)
    if resampling.unit == "segment":
        return unit_counts
    return unit_counts[:, resampling.groups]


def pooled(weights: np.ndarray, stats: np.ndarray) -> np.ndarray:
    """``weights @ stats`` computed exactly, in the statistics' dtype.

    Integer statistics go through a float64 product (BLAS) when every sum is
    below 2**53, where float64 integer arithmetic is exact, and an int64
    product otherwise.
    """
    if np.issubdtype(stats.dtype, np.integer):
        bound = float(np.abs(stats).sum(axis=0, dtype=np.float64).max(initial=0.0)) * float(
            weights.max(initial=0)
        )
        if bound < 2.0**53:
            return np.rint(weights.astype(np.float64) @ stats.astype(np.float64)).astype(stats.dtype)
        return weights.astype(np.int64) @ stats.astype(np.int64)
    return weights.astype(np.float64) @ stats.astype(np.float64)


def resample_scorer(metric: "Metric", float32: bool) -> Callable[[np.ndarray], float]:
    """Score one pooled statistics row of a resample.

    For sacrebleu-backed metrics this calls sacrebleu's own
    ``_compute_score_from_stats`` with the numpy dtype sacrebleu's
    significance code hands it: ``float32`` rows in bootstrap resampling,
    rows of the statistics' dtype in approximate randomization. The score
    arithmetic then happens in the same precision, which is what makes our
    p-values *equal* to sacrebleu's rather than merely close. Other metrics
    use ``Metric.score_from_stats``.
    """
    from evals.metrics.lexical import SacrebleuMetric

    if isinstance(metric, SacrebleuMetric):
        compute = metric._corpus._compute_score_from_stats  # sacrebleu parity, see above
        if float32:
            return lambda row: float(compute(row.astype(np.float32)).score)
        return lambda row: float(compute(row).score)
    return lambda row: float(metric.score_from_stats(row))


def score_rows(metric: "Metric", rows: np.ndarray, float32: bool) -> np.ndarray:
    """Scores of many pooled statistics rows, as ``resample_scorer`` computes them one by one.

    Calling sacrebleu once per resample on numpy rows is slow (numpy scalar
    arithmetic: ~0.1 ms for BLEU, ~0.4 ms for chrF on float32 rows), and it
    dominates a 1000-resample bootstrap. So chrF and TER are vectorised
    (``_vectorised_scores``) and BLEU is handed plain Python numbers where
    that provably gives the same floats (``_fast_row_scorer``). A fast result
    is used only if it is bit-identical to sacrebleu's own scorer, called as
    sacrebleu's significance code calls it, on a sample of the rows (the first
    and last rows and rows with zero counts, i.e. every branch); a change in
    sacrebleu's arithmetic therefore falls back to calling sacrebleu.
    """
    exact = resample_scorer(metric, float32)
    sample = sorted({0, len(rows) - 1, *np.flatnonzero((rows == 0).any(axis=1))[:8].tolist()})
    fast = _vectorised_scores(metric, rows, float32)
    if fast is not None and all(_same(fast[i], exact(rows[i])) for i in sample):
        return fast
    quick = _fast_row_scorer(metric, rows, float32)
    if quick is not None and all(_same(quick(rows[i]), exact(rows[i])) for i in sample):
        return np.array([quick(row) for row in rows], dtype=np.float64)
    return np.array([exact(row) for row in rows], dtype=np.float64)


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _fast_row_scorer(metric: "Metric", rows: np.ndarray, float32: bool) -> Callable[[np.ndarray], float] | None:
    """BLEU from Python numbers: the same floats as from sacrebleu's numpy rows, five times faster.

    sacrebleu's BLEU arithmetic on numpy scalars promotes every operation to
    float64 (``100. * correct / total``, ``math.log``), so integer-valued
    counts give the same result as Python ints -- provided the counts are
    exact in float32 (< 2**24) and no smoothing modifies them in place
    (``add-k`` adds its value to the count array, whose dtype then matters).
    """
    from evals.metrics.lexical import BLEU

    if not isinstance(metric, BLEU) or metric._corpus.smooth_method == "add-k":
        return None
    if float32 and rows.size and float(np.abs(rows).max()) >= 2.0**24:
        return None
    compute = metric._corpus._compute_score_from_stats
    return lambda row: float(compute(row.tolist()).score)


def _vectorised_scores(metric: "Metric", rows: np.ndarray, float32: bool) -> np.ndarray | None:
    from evals.metrics.lexical import BLEU, TER

    if isinstance(metric, TER):
        return _ter_scores(rows, float32)
    if isinstance(metric, BLEU):
        return _bleu_scores(metric, rows, float32)
    return _chrf_scores(metric, rows, float32)


def _bleu_scores(metric: "Metric", rows: np.ndarray, float32: bool) -> np.ndarray | None:
    """sacrebleu's ``BLEU.compute_bleu`` over many rows, operation by operation (or None where it can't be).

    Why: calling sacrebleu once per resample costs ~50 µs (a ``BLEUScore``
    object each time) and dominated checks with many resamples. The same
    conditions as ``_fast_row_scorer`` make it exact: counts exact in float64
    (< 2**24 when sacrebleu sees float32), no ``add-k`` (which edits the counts
    in place). Precisions are the same float64 products and quotients numpy
    computes elementwise, and the logarithms and exponentials are
    ``math.log``/``math.exp`` called per value (numpy's own ``log`` may differ
    in the last bit), summed in sacrebleu's order.
    """
    bleu = metric._corpus  # sacrebleu parity, see resample_scorer
    if bleu.smooth_method not in ("none", "exp", "floor"):
        return None
    if float32 and rows.size and float(np.abs(rows).max()) >= 2.0**24:
        return None
    order = bleu.max_ngram_order
    smooth_value = bleu.smooth_value if bleu.smooth_value is not None else bleu.SMOOTH_DEFAULTS[bleu.smooth_method]
    values = rows.astype(np.float64)
    sys_len, ref_len = values[:, 0], values[:, 1]
    correct, total = values[:, 2:2 + order], values[:, 2 + order:2 + 2 * order]
    n = len(values)
    bp = np.ones(n)
    short = sys_len < ref_len
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = 1 - ref_len / sys_len
    for i in np.flatnonzero(short):
        bp[i] = math.exp(float(exponent[i])) if sys_len[i] > 0 else 0.0
    precisions = np.zeros((n, order))
    active = np.ones(n, dtype=bool)
    eff = np.full(n, order, dtype=np.int64)
    smooth = np.ones(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(order):
            active &= total[:, k] != 0
            if bleu.effective_order:
                eff = np.where(active, k + 1, eff)
            zero = active & (correct[:, k] == 0)
            if bleu.smooth_method == "exp":
                smooth = np.where(zero, smooth * 2, smooth)
                precisions[:, k] = np.where(zero, 100. / (smooth * total[:, k]), precisions[:, k])
            elif bleu.smooth_method == "floor":
                precisions[:, k] = np.where(zero, 100. * smooth_value / total[:, k], precisions[:, k])
            hit = active & (correct[:, k] != 0)
            precisions[:, k] = np.where(hit, 100. * correct[:, k] / total[:, k], precisions[:, k])
    log_sum = np.zeros(n)
    for k in range(order):
        logs = np.array([math.log(p) if p != 0.0 else -9999999999 for p in precisions[:, k].tolist()])
        log_sum = np.where(k < eff, log_sum + logs, log_sum)
    mean = (log_sum / eff).tolist()
    scores = np.array([b * math.exp(m) for b, m in zip(bp.tolist(), mean)])
    return np.where((correct != 0).any(axis=1), scores, 0.0)


def _ter_scores(rows: np.ndarray, float32: bool) -> np.ndarray:
    """sacrebleu's ``TER._compute_score_from_stats`` over many rows (float32 quotient when float32)."""
    edits, lengths = rows[:, 0].astype(np.float64), rows[:, 1].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if float32:
            ratio = (edits.astype(np.float32) / lengths.astype(np.float32)).astype(np.float64)
        else:
            ratio = edits / lengths
    score = np.where(lengths > 0, ratio, np.where(edits > 0, 1.0, 0.0))
    return 100 * score


def _chrf_scores(metric: "Metric", rows: np.ndarray, float32: bool) -> np.ndarray | None:
    """sacrebleu's ``CHRF._compute_f_score`` over many rows at once, or None for other metrics.

    Mirrors sacrebleu 2.x operation by operation so results are bit-identical:
    precision and recall are quotients of the counts, rounded to float32 when
    sacrebleu is handed float32 rows (its bootstrap) and float64 otherwise;
    everything after is float64 arithmetic in sacrebleu's order.
    """
    from evals.metrics.lexical import ChrF

    if not isinstance(metric, ChrF):
        return None
    chrf = metric._corpus
    order, factor, eps = chrf.order, chrf.beta ** 2, 1e-16
    counts = rows.astype(np.float64)
    hyp, ref, match = counts[:, 0::3][:, :order], counts[:, 1::3][:, :order], counts[:, 2::3][:, :order]
    with np.errstate(divide="ignore", invalid="ignore"):
        if float32:
            prec = (match.astype(np.float32) / hyp.astype(np.float32)).astype(np.float64)
            rec = (match.astype(np.float32) / ref.astype(np.float32)).astype(np.float64)
        else:
            prec, rec = match / hyp, match / ref
    prec = np.where(hyp > 0, prec, eps)
    rec = np.where(ref > 0, rec, eps)
    if chrf.eps_smoothing:
        denom = factor * prec + rec
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(denom > 0, (1 + factor) * prec * rec / denom, eps)
        total = np.zeros(len(rows))
        for i in range(order):
            total = total + terms[:, i]
        return 100 * total / order
    both = (hyp > 0) & (ref > 0)
    avg_prec, avg_rec = np.zeros(len(rows)), np.zeros(len(rows))
    for i in range(order):
        avg_prec = np.where(both[:, i], avg_prec + prec[:, i], avg_prec)
        avg_rec = np.where(both[:, i], avg_rec + rec[:, i], avg_rec)
    effective = both.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        avg_prec = np.where(effective > 0, avg_prec / effective, 0.0)
        avg_rec = np.where(effective > 0, avg_rec / effective, 0.0)
        score = (1 + factor) * avg_prec * avg_rec
        score = score / ((factor * avg_prec) + avg_rec)
    return np.where(avg_prec + avg_rec != 0, 100 * score, 0.0)


def resampled_scores(
    metric: "Metric",
    stats: np.ndarray,
    draws: np.ndarray,
    resampling: Resampling,
) -> np.ndarray:
    """The score of every resample described by ``draws`` (bootstrap arithmetic)."""
    out = np.empty(len(draws), dtype=np.float64)
    for start in range(0, len(draws), _CHUNK):
        weights = weights_from_draws(draws[start:start + _CHUNK], resampling)
        out[start:start + len(weights)] = score_rows(metric, pooled(weights, stats), float32=True)
    return out


def bootstrap_samples(
    metric: "Metric",
    stats_list: Sequence[np.ndarray],
    resampling: Resampling,
    n_resamples: int,
    seed: int,
) -> list[np.ndarray]:
    """Resampled scores of several systems on the *same* draws, streamed in chunks.

    Equal to ``resampled_scores`` on ``draw_units(default_rng(seed), ...)``
    (sacrebleu's draw): the generator's stream is consumed chunk by chunk in
    the same order, so every draw is the same. Two things keep it linear in
    memory for large corpora: draws are made a chunk of resamples at a time,
    and with document resampling each document's rows are pooled once, so a
    resample weighs documents instead of every segment. Pooling is exact for
    count statistics (integers) and for integer-valued float statistics.
    """
    unit_rows = [_unit_stats(metric.check_stats(stats), resampling) for stats in stats_list]
    width = unit_rows[0].shape[1]
    # Every system's statistics side by side: one product per chunk for all of them.
    together = np.concatenate(unit_rows, axis=1) if len(unit_rows) > 1 else unit_rows[0]
    rng = np.random.default_rng(seed)
    chunk = max(1, min(_CHUNK, _MAX_DRAWN // max(1, resampling.n_units)))
    outs = [np.empty(n_resamples, dtype=np.float64) for _ in unit_rows]
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        draws = rng.choice(resampling.n_units, size=(size, resampling.n_units), replace=True)
        sums = pooled(_unit_counts(draws), together)
        for k, out in enumerate(outs):
            out[start:start + size] = score_rows(metric, sums[:, k * width:(k + 1) * width], float32=True)
    return outs


def _unit_counts(draws: np.ndarray) -> np.ndarray:
    """How often each unit is drawn in each resample, ``(resamples, units)``."""
    rows, n_units = draws.shape
    flat = (draws + np.arange(rows)[:, None] * n_units).ravel()
    return np.bincount(flat, minlength=rows * n_units).reshape(rows, n_units)


def _unit_stats(stats: np.ndarray, resampling: Resampling) -> np.ndarray:
    """Statistics summed per resampling unit (segments are their own unit)."""
    if resampling.unit == "segment":
        return stats
    out = np.zeros((resampling.n_units, stats.shape[1]), dtype=stats.dtype)
    np.add.at(out, resampling.groups, stats)
    return out


def interval_bounds(samples: np.ndarray, level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """Percentile interval: the order statistics sacrebleu uses (``n // 40`` for 95%)."""
    _check_level(level)
    ordered = np.sort(np.asarray(samples, dtype=np.float64))
    k = int(math.floor(len(ordered) * (1.0 - level) / 2.0 + 1e-9))
    return float(ordered[k]), float(ordered[len(ordered) - k - 1])


@dataclass(frozen=True)
class ConfidenceInterval:
    """A pooled score with its bootstrap interval and how it was obtained."""

    score: float
    low: float
    high: float
    mean: float
    level: float
    unit: str
    reason: str
    n_resamples: int
    seed: int

    def details(self) -> dict[str, Any]:
        """The keys the runner stores in a system-level score's ``details``."""
        return interval_details(_finite(self.low), _finite(self.high), self.level, self.unit, self.reason,
                                self.n_resamples, self.seed)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def bootstrap_ci(
    metric: "Metric",
    stats: Any,
    doc_ids: Sequence[str] | None = None,
    *,
    unit: str = "auto",
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
    min_documents: int = MIN_DOCUMENTS,
) -> ConfidenceInterval:
    """Bootstrap confidence interval of ``metric``'s pooled score over ``stats`` rows.

    Deterministic for a given ``seed``: the same rows, unit and seed give the
    same interval on every machine.
    """
    rows = metric.check_stats(stats)
    _check_count(n_resamples, "n_resamples")
    _check_seed(seed)
    _check_level(level)
    resampling = choose_resampling(len(rows), doc_ids, unit, min_documents)
    (samples,) = bootstrap_samples(metric, [rows], resampling, n_resamples, seed)
    low, high = interval_bounds(samples, level)
    return ConfidenceInterval(
        score=metric.score_from_stats(rows), low=low, high=high, mean=float(samples.mean()),
        level=level, unit=resampling.unit, reason=resampling.reason, n_resamples=n_resamples, seed=seed,
    )


def interval_details(low: float | None, high: float | None, level: float, unit: str, reason: str,
                     n_resamples: int, seed: int) -> dict[str, Any]:
    """What a system-level score's ``details`` say about its interval (None: not computable)."""
    return {
        "ci": [low, high],
        "ci_level": level,
        "resampling": unit,
        "resampling_reason": reason,
        "n_resamples": n_resamples,
        "seed": seed,
    }


def system_ci_details(metric: "Metric", stats: Any, doc_ids: Sequence[str] | None,
                      settings: BootstrapSettings = BOOTSTRAP) -> dict[str, Any]:
    """``bootstrap_ci(...).details()`` under ``settings``; what the runner attaches to system scores."""
    return bootstrap_ci(metric, stats, doc_ids, n_resamples=settings.n_resamples, seed=settings.seed,
                        level=settings.level, min_documents=settings.min_documents).details()


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _check_count(value: Any, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"must be an integer >= 1, got {value!r}", field=field)


def _check_seed(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise InputError(f"a seed is an integer >= 0, got {value!r}", field="seed")


def _check_level(level: Any) -> None:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise InputError(f"a confidence level is a number between 0 and 1, got {level!r}", field="ci_level")
