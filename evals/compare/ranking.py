"""N systems ranked per corpus and metric, with WMT-style significance clusters.

Every pair of systems is tested with the paired bootstrap on one shared set
of resamples (``evals.stats.paired_bootstrap_matrix``); the p-values are
Holm-corrected over the pairs of each (corpus, metric) matrix, and the number
of resamples is fitted to that family (``evals.stats.resolution``: 66 pairs of
12 systems need 13,199 resamples for the smallest adjusted p to reach
alpha / 10, where a fixed 1,000 floors every adjusted p at 0.066). The
clusters follow ``evals.stats.clusters``. ``mteval compare --run RUN
--clusters`` and the dashboard's significance page both use ``rank_matrix``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evals.compare.align import align
from evals.compare.analysis import PairedSettings
from evals.compare.sides import SystemData
from evals.errors import InputError, UsageError

if TYPE_CHECKING:
    import numpy as np

    from evals.metrics.base import Metric
    from evals.stats import PairedResult, RankedSystem
    from evals.stats.resolution import Resolution


@dataclass
class RankedMatrix:
    """One (corpus, metric): systems ranked with clusters, and the pairwise tests behind them."""

    corpus: str
    metric: str
    higher_is_better: bool
    systems: list[str]  # in the order given (matrix rows)
    ranking: list["RankedSystem"]  # best first
    results: dict[tuple[int, int], "PairedResult"]  # (i, j), i < j: row i minus column j
    p_holm: list[list[float | None]]
    resolution: "Resolution"
    alpha: float

    @property
    def correction(self) -> str:
        pairs = len(self.results)
        return f"Holm–Bonferroni over the {pairs} pair{'s' if pairs != 1 else ''} of this corpus and metric"

    @property
    def n_clusters(self) -> int:
        return max((r.cluster for r in self.ranking), default=0)

    def p(self, a: str, b: str) -> float | None:
        return self.p_holm[self.systems.index(a)][self.systems.index(b)]

    def to_json(self) -> dict[str, Any]:
        first = next(iter(self.results.values()), None)
        return {
            "corpus": self.corpus, "metric": self.metric, "higher_is_better": self.higher_is_better,
            "ranking": [r.to_json() for r in self.ranking], "clusters": self.n_clusters,
            "correction": self.correction, "alpha": self.alpha, "resolution": self.resolution.to_json(),
            "test": "paired bootstrap", "resampling": first.unit if first else None,
            "resampling_reason": first.reason if first else None, "seed": first.seed if first else None,
            "pairs": [{"system": self.systems[i], "baseline": self.systems[j], "delta": r.delta,
                       "delta_ci": list(r.delta_ci) if r.delta_ci else None, "p_value": r.p_value,
                       "p_holm": self.p_holm[i][j]} for (i, j), r in self.results.items()],
        }


def rank_matrix(
    corpus: str,
    metric: "Metric",
    names: Sequence[str],
    stats: Sequence["np.ndarray"],
    doc_ids: Sequence[str] | None,
    *,
    settings: PairedSettings | None = None,
    alpha: float = 0.05,
) -> RankedMatrix:
    """Rank ``names`` (statistics ``stats``, rows aligned) on one corpus and metric."""
    from evals.stats import holm_matrix, paired_bootstrap_matrix, significance_clusters

    if len(names) < 2:
        raise UsageError(f"ranking needs two or more systems on {corpus}, got {len(names)}")
    pairs = len(names) * (len(names) - 1) // 2
    fitted = (settings or PairedSettings(auto_samples=True)).fitted(pairs, alpha)
    results = paired_bootstrap_matrix(metric, stats, None if doc_ids is None else list(doc_ids),
                                      unit=fitted.unit, n_resamples=fitted.n_resamples, seed=fitted.seed,
                                      level=fitted.level, min_documents=fitted.min_documents)
    size = len(names)
    raw: list[list[float | None]] = [[None] * size for _ in range(size)]
    for (i, j), r in results.items():
        raw[i][j] = raw[j][i] = r.p_value
    p_holm = holm_matrix(raw)
    scores = [metric.score_from_stats(s) for s in stats]
    ranking = significance_clusters(list(names), scores, p_holm, alpha, higher_is_better=metric.higher_is_better)
    resolution = fitted.resolution
    assert resolution is not None  # fitted() always records it
    return RankedMatrix(corpus, metric.name, metric.higher_is_better, list(names), ranking, results, p_holm,
                        resolution, alpha)


def rank_systems(
    sides: Sequence[SystemData],
    *,
    settings: PairedSettings | None = None,
    alpha: float = 0.05,
    corpora: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    names: Sequence[str] | None = None,
) -> tuple[list[RankedMatrix], list[str]]:
    """Every (corpus, metric) the sides share, ranked with clusters; and notes on systems left out.

    Systems are aligned with the first side (same segments and signatures); one
    that cannot be is left out of that matrix and named in a note. ``names``
    label the sides (default: their labels, e.g. ``3:gloss``).
    """
    if len(sides) < 2:
        raise UsageError("ranking needs two or more systems")
    label = dict(zip((id(s) for s in sides), names or [s.label for s in sides]))
    notes: list[str] = []
    out = []
    first = sides[0]
    for corpus, data in first.corpora.items():
        if corpora and corpus not in corpora:
            continue
        for metric_name in data.metrics:
            if metrics and metric_name not in metrics:
                continue
            members, stats, metric, doc_ids = [label[id(first)]], [], None, None
            for other in sides[1:]:
                try:
                    pairs, _ = align(first, other, corpora=[corpus], metrics=[metric_name])
                except InputError as error:
                    notes.append(f"{corpus} · {metric_name}: {label[id(other)]} left out ({error})")
                    continue
                if not pairs:
                    notes.append(f"{corpus} · {metric_name}: {label[id(other)]} has no scores, left out")
                    continue
                pair = pairs[0]
                if not stats:
                    stats.append(pair.baseline)
                    metric, doc_ids = pair.metric, pair.doc_ids
                members.append(label[id(other)])
                stats.append(pair.system)
            if metric is None or len(stats) < 2:
                continue
            out.append(rank_matrix(corpus, metric, members, stats, doc_ids, settings=settings, alpha=alpha))
    if not out:
        raise InputError("the systems share no scored corpus and metric to rank")
    return out, notes
