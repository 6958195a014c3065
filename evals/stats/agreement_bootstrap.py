"""Bootstrap intervals of metric–human agreement, and the paired test between two metrics.

Resampling unit: items (segments), or groups of items (documents) when an
``item → group`` array is given -- a resample then draws whole documents, so
the correlation of a document's segments is respected. Draws are
``numpy.random.default_rng(seed)`` calls through ``evals.stats.bootstrap``
(the same draws the score intervals use), default 1,000 resamples, seed
12345, 95% percentile intervals with sacrebleu's order statistics.

What each resample recomputes:

* **system level** (Pearson, Kendall τ-b, pairwise accuracy): the system
  scores are re-aggregated over the resampled items, then correlated. The
  default aggregation is the mean over the drawn items (NaN-aware: a system's
  human score is the mean of its judged drawn items); ``metric_aggregate`` /
  ``human_aggregate`` replace it for scores that are not means of segment
  scores (corpus BLEU from pooled statistics): a callable
  ``(item_indices) -> (n_systems,)`` receiving the drawn item indices, with
  repetitions. A system left with no human score in a resample is left out
  of that resample; a system with no human score at all is left out of
  everything (``excluded``).
* **segment level**: ``acc_eq`` on the resampled items, **with ε
  re-optimised in every resample** (the threshold is part of the statistic,
  as in Deutsch et al. 2023, so its selection is inside the bootstrap), and
  the item-grouped τ-b averaged over the drawn items.

Significance between two metrics (``compare_metrics``): a **paired bootstrap
of the difference**, on the very resamples of both metrics' intervals
(``bootstrap_agreement`` with the same seed, unit and human scores draws the
same items for every metric, and ``compare_metrics`` checks it). Chosen over
mt-metrics-eval's permutation test (which swaps the two metrics' scores per
item) because (1) it works unchanged for system scores that come from a
caller's aggregation (pooled BLEU statistics cannot be swapped item by item
between two metrics on different scales), (2) it gives the Δ's interval on
the same resamples as the two intervals, and (3) it is the paired test
mteval already uses between systems. Two-sided p-value by inverting the
percentile interval: ``p = min(1, 2 (min(#{d* <= 0}, #{d* >= 0}) + 1) / (B + 1))``
over the resampled differences ``d*``, so p < 0.05 goes with a 95% interval of
Δ that excludes 0 (up to the +1), and p = 1 for two identical metrics. Not
the "shifted null" ``#{|d* - mean d*| > |Δ|}`` used between systems: a
correlation's bootstrap distribution is biased (resampling adds noise and
pulls correlations towards 0; Kendall over a dozen systems is coarse), and
centring on ``mean d*`` then gave p < 0.01 for a Δ whose interval contained 0
on the WMT22 data.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evals.errors import InputError
from evals.stats.agreement import (
    SYSTEM_STATISTICS,
    ExcludedSystem,
    check_grouping,
    json_float,
    score_matrix,
    SystemAgreement,
    segment_pairs,
    system_agreement,
    system_statistics_batch,
)
from evals.stats.bootstrap import Resampling, draw_units, interval_bounds, weights_from_draws
from evals.stats.settings import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED

SEGMENT_STATISTICS = ("acc_eq", "item_kendall")
STATISTICS = SYSTEM_STATISTICS + SEGMENT_STATISTICS

Aggregate = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class StatisticInterval:
    """One agreement statistic on all items, with its bootstrap interval.

    ``samples`` are the per-resample values (NaN where undefined in a
    resample); the interval is over the ``n_defined`` finite ones (None when
    there are none).
    """

    statistic: str
    value: float
    low: float | None
    high: float | None
    n_defined: int
    samples: np.ndarray = field(repr=False, compare=False)

    def contains(self, value: float) -> bool:
        return self.low is not None and self.high is not None and self.low <= value <= self.high

    def to_json(self) -> dict[str, Any]:
        return {"statistic": self.statistic, "value": json_float(self.value), "low": json_float(self.low),
                "high": json_float(self.high), "n_defined": self.n_defined}


@dataclass(frozen=True)
class AgreementBootstrap:
    """Every requested agreement statistic of one metric, with intervals from shared resamples.

    ``epsilon`` is acc_eq's tie threshold on all items (each resample
    re-optimises its own); ``system`` is the system-level agreement on all
    items (with the discordant pairs); ``fingerprint`` identifies the resamples (seed,
    count, unit, items, human scores) so two metrics' results can be paired.
    """

    metric: str
    statistics: dict[str, StatisticInterval]
    epsilon: float | None
    grouping: str
    unit: str
    n_units: int
    n_items: int
    n_resamples: int
    seed: int
    level: float
    systems: tuple[str, ...]
    excluded: tuple[ExcludedSystem, ...]
    fingerprint: str
    system: SystemAgreement | None = None

    def __getitem__(self, statistic: str) -> StatisticInterval:
        return self.statistics[statistic]

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric, "statistics": {k: v.to_json() for k, v in self.statistics.items()},
            "epsilon": json_float(self.epsilon) if self.epsilon is not None else None,
            "acc_eq_grouping": self.grouping, "resampling": self.unit, "n_units": self.n_units,
            "n_items": self.n_items, "n_resamples": self.n_resamples, "seed": self.seed, "level": self.level,
            "systems": list(self.systems), "excluded": [e.to_json() for e in self.excluded],
            "system_level": self.system.to_json() if self.system is not None else None,
        }


@dataclass(frozen=True)
class MetricComparison:
    """Paired bootstrap of ``delta = value_a - value_b`` for one statistic of two metrics."""

    statistic: str
    metric_a: str
    metric_b: str
    value_a: float
    value_b: float
    delta_low: float | None
    delta_high: float | None
    p_value: float
    n_resamples: int
    n_defined: int
    seed: int
    level: float
    test: str = "paired bootstrap"

    @property
    def delta(self) -> float:
        return self.value_a - self.value_b

    def to_json(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic, "metric_a": self.metric_a, "metric_b": self.metric_b,
            "value_a": json_float(self.value_a), "value_b": json_float(self.value_b),
            "delta": json_float(self.delta), "delta_low": json_float(self.delta_low),
            "delta_high": json_float(self.delta_high), "p_value": self.p_value, "test": self.test,
            "n_resamples": self.n_resamples, "n_defined": self.n_defined, "seed": self.seed, "level": self.level,
        }


def bootstrap_agreement(
    metric_segments: Any,
    human_segments: Any,
    *,
    metric: str = "metric",
    systems: Sequence[str] | None = None,
    groups: Sequence[Any] | np.ndarray | None = None,
    metric_aggregate: Aggregate | None = None,
    human_aggregate: Aggregate | None = None,
    statistics: Sequence[str] = STATISTICS,
    grouping: str = "item",
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> AgreementBootstrap:
    """Agreement statistics of ``(n_systems, n_items)`` metric vs human scores, with bootstrap intervals.

    ``groups[i]`` (any hashable labels, e.g. document ids) makes the
    resampling unit the group of item ``i``. See the module docstring for
    what each resample recomputes.
    """
    m = score_matrix(metric_segments, "metric")
    h = score_matrix(human_segments, "human")
    if m.shape != h.shape:
        raise InputError(f"metric scores are {m.shape[0]}×{m.shape[1]} but human scores are "
                         f"{h.shape[0]}×{h.shape[1]} (systems × items)", field="human")
    _check_settings(statistics, grouping, n_resamples, seed, level)
    n_systems, n_items = m.shape
    names = tuple(str(s) for s in systems) if systems is not None else tuple(str(k) for k in range(n_systems))
    if len(names) != n_systems:
        raise InputError(f"{len(names)} system names for {n_systems} systems", field="systems")
    resampling = _resampling(groups, n_items)
    rng = np.random.default_rng(seed)
    counts = weights_from_draws(draw_units(rng, resampling.n_units, n_resamples), resampling)
    everything = np.ones((1, n_items), dtype=np.int64)

    out: dict[str, StatisticInterval] = {}
    kept, excluded = names, ()
    system: SystemAgreement | None = None
    wanted_system = [s for s in statistics if s in SYSTEM_STATISTICS]
    if wanted_system:
        has_human = ~np.all(np.isnan(h), axis=1)
        excluded = tuple(ExcludedSystem(n, "no human score") for n, ok in zip(names, has_human) if not ok)
        kept = tuple(n for n, ok in zip(names, has_human) if ok)
        point_metric = _aggregate(m, everything, metric_aggregate, "metric_aggregate")[0, has_human]
        point_human = _aggregate(h, everything, human_aggregate, "human_aggregate")[0, has_human]
        system = system_agreement(point_metric, point_human, systems=kept)
        resampled = _system_level(m, h, counts, metric_aggregate, human_aggregate, has_human)
        for name in wanted_system:
            out[name] = _interval(name, getattr(system, name), resampled[name], level)
    epsilon = None
    if any(s in SEGMENT_STATISTICS for s in statistics):
        pairs = segment_pairs(m, h)
        if "acc_eq" in statistics:
            accuracy = pairs.acc_eq(grouping)
            epsilon = accuracy.epsilon
            samples, _ = pairs.acc_eq_batch(counts, grouping)
            out["acc_eq"] = _interval("acc_eq", accuracy.accuracy, samples, level)
        if "item_kendall" in statistics:
            out["item_kendall"] = _interval("item_kendall", pairs.item_kendall().tau,
                                            pairs.item_kendall_batch(counts), level)
    ordered = {s: out[s] for s in statistics}
    return AgreementBootstrap(
        metric=metric, statistics=ordered, epsilon=epsilon, grouping=grouping, unit=resampling.unit,
        n_units=resampling.n_units, n_items=n_items, n_resamples=n_resamples, seed=seed, level=level,
        systems=kept, excluded=excluded, system=system,
        fingerprint=_fingerprint(h, resampling, n_resamples, seed, human_aggregate),
    )


def compare_metrics(a: AgreementBootstrap, b: AgreementBootstrap, statistic: str) -> MetricComparison:
    """Is metric ``a``'s ``statistic`` different from ``b``'s? Paired bootstrap on their shared resamples.

    Both results must come from ``bootstrap_agreement`` with the same human
    scores, items, unit, seed and number of resamples (checked), so resample
    ``r`` of ``a`` and of ``b`` drew the same items.
    """
    if a.fingerprint != b.fingerprint:
        raise InputError(f"{a.metric} and {b.metric} were not bootstrapped on the same resamples",
                         field="resampling", hint="use the same human scores, groups, seed and n_resamples")
    for result in (a, b):
        if statistic not in result.statistics:
            raise InputError(f"{result.metric} has no {statistic!r}", field="statistic",
                             hint="computed: " + ", ".join(result.statistics))
    sa, sb = a[statistic], b[statistic]
    differences = sa.samples - sb.samples
    differences = differences[np.isfinite(differences)]
    delta = sa.value - sb.value
    if len(differences) == 0 or not math.isfinite(delta):
        low = high = None
        p = math.nan
    else:
        low, high = interval_bounds(differences, a.level)
        p = _two_sided_p(differences)
    return MetricComparison(
        statistic=statistic, metric_a=a.metric, metric_b=b.metric, value_a=sa.value, value_b=sb.value,
        delta_low=low, delta_high=high, p_value=p, n_resamples=a.n_resamples, n_defined=len(differences),
        seed=a.seed, level=a.level,
    )


def _two_sided_p(differences: np.ndarray) -> float:
    """``min(1, 2 (min(#{d <= 0}, #{d >= 0}) + 1) / (n + 1))``: the percentile interval's p-value."""
    tail = min(int(np.sum(differences <= 0)), int(np.sum(differences >= 0)))
    return min(1.0, 2.0 * (tail + 1) / (len(differences) + 1))


def _system_level(m: np.ndarray, h: np.ndarray, counts: np.ndarray, metric_aggregate: Aggregate | None,
                  human_aggregate: Aggregate | None, has_human: np.ndarray) -> dict[str, np.ndarray]:
    """System-level statistics of every resample (rows of item multiplicities)."""
    metric_sys = _aggregate(m, counts, metric_aggregate, "metric_aggregate")[:, has_human]
    human_sys = _aggregate(h, counts, human_aggregate, "human_aggregate")[:, has_human]
    return system_statistics_batch(metric_sys, human_sys)


def _aggregate(scores: np.ndarray, counts: np.ndarray, aggregate: Aggregate | None, name: str) -> np.ndarray:
    """System scores of every resample, ``(resamples, n_systems)``: NaN-aware means, or the caller's callable."""
    n_systems, n_items = scores.shape
    if aggregate is None:
        judged = ~np.isnan(scores)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (counts @ np.where(judged, scores, 0.0).T) / (counts @ judged.T)
    out = np.empty((len(counts), n_systems))
    items = np.arange(n_items)
    for row, c in enumerate(counts):
        value = np.asarray(aggregate(np.repeat(items, c)), dtype=np.float64)
        if value.shape != (n_systems,):
            raise InputError(f"{name} returned shape {value.shape}, expected ({n_systems},)", field=name)
        out[row] = value
    return out


def _interval(name: str, value: float, samples: np.ndarray, level: float) -> StatisticInterval:
    samples = np.asarray(samples, dtype=np.float64)
    finite = samples[np.isfinite(samples)]
    low, high = interval_bounds(finite, level) if len(finite) else (None, None)
    return StatisticInterval(name, value, low, high, int(len(finite)), samples)


def _resampling(groups: Sequence[Any] | np.ndarray | None, n_items: int) -> Resampling:
    if groups is None:
        return Resampling("segment", np.arange(n_items), n_items, None, "resampling items (segments)")
    labels = list(groups)
    if len(labels) != n_items:
        raise InputError(f"{len(labels)} group labels for {n_items} items", field="groups")
    index: dict[Any, int] = {}
    codes = np.asarray([index.setdefault(label, len(index)) for label in labels], dtype=np.int64)
    if len(index) < 2:
        raise InputError(f"group resampling needs at least 2 groups, got {len(index)}", field="groups",
                         hint="resample items instead (no groups)")
    return Resampling("document", codes, len(index), len(index), f"resampling {len(index)} groups of items")


def _check_settings(statistics: Sequence[str], grouping: str, n_resamples: int, seed: int, level: float) -> None:
    unknown = [s for s in statistics if s not in STATISTICS]
    if unknown or not statistics:
        raise InputError(f"unknown statistic {unknown[0]!r}" if unknown else "no statistic requested",
                         field="statistics", hint="one of: " + ", ".join(STATISTICS))
    check_grouping(grouping)
    if not isinstance(n_resamples, int) or n_resamples < 1:
        raise InputError(f"n_resamples must be a positive integer, got {n_resamples!r}", field="n_resamples")
    if not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}", field="seed")
    if not 0 < level < 1:
        raise InputError(f"level must be between 0 and 1, got {level!r}", field="level")


def _fingerprint(h: np.ndarray, resampling: Resampling, n_resamples: int, seed: int,
                 human_aggregate: Aggregate | None) -> str:
    """What makes two bootstraps' resamples the same draws over the same human scores."""
    digest = hashlib.sha256()
    digest.update(repr((h.shape, resampling.unit, resampling.n_units, n_resamples, seed)).encode())
    digest.update(np.ascontiguousarray(resampling.groups, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(h).tobytes())
    if human_aggregate is not None:
        digest.update(repr(getattr(human_aggregate, "__qualname__", id(human_aggregate))).encode())
    return digest.hexdigest()
