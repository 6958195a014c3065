"""Agreement of every automatic metric of a run with one imported human metric.

What is compared, on one corpus of the run:

* **items** are the corpus's segments (in corpus order); the resampling unit
  is the segment, or the document (``unit="document"``);
* **system level**: a metric's system score is its corpus score pooled from
  the segments' sufficient statistics (what the leaderboard shows: corpus
  BLEU, not an average of sentence BLEU), recomputed from the resampled
  segments in every bootstrap resample; the humans' system score is the mean
  of their segment scores over the judged segments (for WMT's DA that is
  exactly the published system z-score, checked in the tests). Systems of
  the run without human scores are left out and listed;
* **segment level**: the metric's sentence scores against the human segment
  scores, tie-calibrated pairwise accuracy grouped by item and the
  item-grouped Kendall τ-b (``evals.stats.agreement``);
* every statistic has a bootstrap interval, every metric is compared with the
  best metric of each statistic by the paired bootstrap on the same
  resamples (``evals.stats.agreement_bootstrap``).

Metrics are oriented higher = better before anything is computed (TER is
negated); the reported metric system scores are as stored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evals.errors import InputError, UsageError, did_you_mean
from evals.stats.agreement import json_float

if TYPE_CHECKING:
    import numpy as np

    from evals.compare.sides import MetricData
    from evals.stats.agreement_bootstrap import AgreementBootstrap, MetricComparison
    from evals.store.api import Store

UNITS = ("segment", "document")
#: The statistic the recommended gate metrics are chosen by: the gate compares systems, so system-level
#: pairwise accuracy (Kocmi et al. 2021) is the question it asks of a metric.
RECOMMEND_BY = "pairwise_accuracy"


@dataclass(frozen=True)
class MetricAgreement:
    """One metric against the humans: its system scores and every agreement statistic with its interval."""

    metric: str
    signature: str
    higher_is_better: bool
    system_scores: dict[str, float]
    agreement: "AgreementBootstrap"

    def value(self, statistic: str) -> float:
        return self.agreement[statistic].value

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric, "signature": self.signature, "higher_is_better": self.higher_is_better,
            "system_scores": {k: json_float(v) for k, v in self.system_scores.items()},
            **self.agreement.to_json(),
        }


@dataclass(frozen=True)
class MetaReport:
    """``mteval meta``: every metric of one run and corpus against one human metric."""

    run_id: int
    corpus: str
    human: dict[str, Any]
    systems: tuple[str, ...]
    human_system_scores: dict[str, float]
    n_items: int
    n_judged_items: int
    unit: str
    n_resamples: int
    seed: int
    level: float
    alpha: float
    metrics: tuple[MetricAgreement, ...]
    comparisons: tuple["MetricComparison", ...]
    left_out: tuple[dict[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    statistics: tuple[str, ...] = field(default=())

    def best(self, statistic: str) -> MetricAgreement | None:
        """The metric with the highest value of ``statistic`` (None if no metric has it defined)."""
        defined = [m for m in self.metrics if math.isfinite(m.value(statistic))]
        return max(defined, key=lambda m: m.value(statistic)) if defined else None

    def recommended(self, statistic: str = RECOMMEND_BY) -> list[str]:
        """The best metric by ``statistic`` and every metric not significantly worse (paired bootstrap, ``alpha``)."""
        best = self.best(statistic)
        if best is None:
            return []
        out = [best.metric]
        for comparison in self.comparisons:
            if comparison.statistic != statistic or comparison.metric_a != best.metric:
                continue
            if not (comparison.p_value < self.alpha):
                out.append(comparison.metric_b)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id, "corpus": self.corpus, "human": self.human, "systems": list(self.systems),
            "human_system_scores": {k: json_float(v) for k, v in self.human_system_scores.items()},
            "items": self.n_items, "judged_items": self.n_judged_items, "unit": self.unit,
            "n_resamples": self.n_resamples, "seed": self.seed, "level": self.level, "alpha": self.alpha,
            "statistics": list(self.statistics),
            "metrics": [m.to_json() for m in self.metrics],
            "comparisons": [c.to_json() for c in self.comparisons],
            "recommended": {"by": RECOMMEND_BY, "metrics": self.recommended()},
            "left_out": list(self.left_out), "warnings": list(self.warnings),
        }


def meta_report(
    store: "Store",
    run: int | str,
    human: str,
    *,
    metrics: Sequence[str] | None = None,
    corpus: str | None = None,
    unit: str = "segment",
    n_resamples: int | None = None,
    seed: int | None = None,
    level: float | None = None,
    alpha: float = 0.05,
) -> MetaReport:
    """Every (or each named) metric of ``run`` against the human metric ``human`` on one corpus."""
    import numpy as np

    from evals.compare.runs import RunFrames, load_run_system
    from evals.stats.agreement_bootstrap import STATISTICS, bootstrap_agreement, compare_metrics
    from evals.stats.settings import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED

    if unit not in UNITS:
        raise UsageError(f"unknown resampling unit {unit!r}", field="unit", hint=did_you_mean(unit, UNITS))
    n_resamples = DEFAULT_RESAMPLES if n_resamples is None else n_resamples
    seed = DEFAULT_SEED if seed is None else seed
    level = DEFAULT_LEVEL if level is None else level
    run_id = store.resolve_run(run)
    described = store.human_metrics(run_id)
    segment_rows = store.human_scores(run_id, human, "segment")  # unknown names fail here, with the choices
    system_rows = store.human_scores(run_id, human, "system")
    about = described[described["name"] == human].iloc[0]
    corpus = _pick_corpus(corpus, list(dict.fromkeys([*segment_rows["corpus"], *system_rows["corpus"]])), human,
                          run_id)
    segment_rows = segment_rows[segment_rows["corpus"] == corpus]
    if segment_rows.empty:
        raise InputError(f"human metric {human!r} of run {run_id} has no segment scores on {corpus}, and "
                         "agreement intervals need them", field="human")

    frames = RunFrames.read(store, run_id)
    judged = set(segment_rows["system"])
    run_systems = [s["name"] for s in frames.info["systems"]]
    systems = [s for s in run_systems if s in judged]
    left_out = [{"system": s, "reason": f"no {human} scores"} for s in run_systems if s not in judged]
    if len(systems) < 2:
        raise InputError(f"run {run_id}: only {len(systems)} system(s) have {human} scores on {corpus}; "
                         "agreement needs at least two", field="human")

    translations = frames.translations[frames.translations["corpus"] == corpus]
    items = list(dict.fromkeys(translations["seg_id"]))
    item_index = {seg_id: i for i, seg_id in enumerate(items)}
    doc_of = dict(zip(translations["seg_id"], translations["doc_id"]))
    groups = [doc_of[s] for s in items] if unit == "document" else None

    h = np.full((len(systems), len(items)), np.nan)
    row_of = {s: k for k, s in enumerate(systems)}
    for system, seg_id, value in zip(segment_rows["system"], segment_rows["seg_id"], segment_rows["value"]):
        if system in row_of and seg_id in item_index and value is not None and not math.isnan(value):
            h[row_of[system], item_index[seg_id]] = value
    human_system = {s: float(np.nanmean(h[k])) for k, s in enumerate(systems) if not np.all(np.isnan(h[k]))}

    sides = {s: load_run_system(store, run_id, s, corpora=[corpus], metrics=metrics, frames=frames)
             for s in systems}
    names = list(dict.fromkeys(n for side in sides.values() for n in side.corpora[corpus].metrics))
    warnings: list[str] = []
    agreements: list[MetricAgreement] = []
    for name in names:
        data = [sides[s].corpora[corpus].metrics.get(name) for s in systems]
        lacking = [s for s, d in zip(systems, data) if d is None]
        if lacking:
            left_out.append({"metric": name, "reason": f"no scores for {', '.join(lacking)}"})
            continue
        signatures = sorted({d.signature for d in data})
        if len(signatures) > 1:
            warnings.append(f"{name}: the systems were scored with different signatures ({' vs '.join(signatures)})"
                            " — e.g. a reference scored as a system against fewer references; their scores are"
                            " not on one scale")
        metric = data[0].metric
        sign = 1.0 if metric.higher_is_better else -1.0
        m, rows = _metric_matrix(data, item_index, sign)
        aggregate = _pooled(data, rows, sign)
        result = bootstrap_agreement(m, h, metric=name, systems=systems, groups=groups,
                                     metric_aggregate=aggregate, statistics=STATISTICS,
                                     n_resamples=n_resamples, seed=seed, level=level)
        agreements.append(MetricAgreement(
            metric=name, signature=signatures[0], higher_is_better=bool(metric.higher_is_better),
            system_scores={s: float(d.metric.score_from_stats(d.stats)) for s, d in zip(systems, data)},
            agreement=result,
        ))
    if not agreements:
        raise InputError(f"run {run_id} has no metric scored on {corpus} for every judged system", field="metric")

    comparisons = []
    for statistic in STATISTICS:
        defined = [a for a in agreements if math.isfinite(a.value(statistic))]
        if len(defined) < 2:
            continue
        best = max(defined, key=lambda a: a.value(statistic))
        comparisons += [compare_metrics(best.agreement, other.agreement, statistic)
                        for other in defined if other is not best]
    return MetaReport(
        run_id=run_id, corpus=corpus,
        human={"name": human, "format": str(about["format"]), "signature": str(about["signature"]),
               "source": str(about["source_path"]), "sha256": str(about["source_sha256"])},
        systems=tuple(systems), human_system_scores=human_system, n_items=len(items),
        n_judged_items=int(np.sum(~np.all(np.isnan(h), axis=0))), unit=unit, n_resamples=n_resamples,
        seed=seed, level=level, alpha=alpha, metrics=tuple(agreements), comparisons=tuple(comparisons),
        left_out=tuple(left_out), warnings=tuple(warnings), statistics=tuple(STATISTICS),
    )


def _pick_corpus(corpus: str | None, available: list[str], human: str, run_id: int) -> str:
    if corpus is not None:
        if corpus not in available:
            raise InputError(f"human metric {human!r} of run {run_id} has no scores on corpus {corpus!r}",
                             field="corpus", hint=did_you_mean(corpus, available)
                             or f"it has: {', '.join(available) or 'none'}")
        return corpus
    if len(available) != 1:
        raise UsageError(f"human metric {human!r} of run {run_id} covers {len(available)} corpora "
                         f"({', '.join(available) or 'none'}); name one with --corpus", field="corpus")
    return available[0]


def _metric_matrix(data: Sequence["MetricData"], item_index: dict[str, int], sign: float
                   ) -> tuple["np.ndarray", list["np.ndarray"]]:
    """(sentence scores, systems × items, oriented; per system the statistics row of every item or -1)."""
    import numpy as np

    m = np.full((len(data), len(item_index)), np.nan)
    rows = []
    for k, d in enumerate(data):
        columns = np.fromiter((item_index[s] for s in d.seg_ids), np.int64, len(d.seg_ids))
        m[k, columns] = sign * np.asarray(d.metric.segment_scores(d.stats), dtype=np.float64)
        row = np.full(len(item_index), -1, np.int64)
        row[columns] = np.arange(len(columns))
        rows.append(row)
    return m, rows


def _pooled(data: Sequence["MetricData"], rows: list["np.ndarray"], sign: float):
    """The metric's system scores over drawn items (with repeats), pooled from their statistics rows.

    Each system's statistics are laid out by item (zero rows where it has none), so a resample's pooled
    statistics are one product of the items' multiplicities with them.
    """
    import numpy as np

    n_items = len(rows[0]) if rows else 0
    by_item = []
    for d, row in zip(data, rows):
        stats = np.asarray(d.stats)
        full = np.zeros((n_items, stats.shape[1]), dtype=stats.dtype)
        full[row >= 0] = stats[row[row >= 0]]
        by_item.append(full)

    def aggregate(items: "np.ndarray") -> "np.ndarray":
        weights = np.bincount(items, minlength=n_items)
        out = np.empty(len(data))
        for k, (d, full) in enumerate(zip(data, by_item)):
            present = weights @ (rows[k] >= 0)
            out[k] = sign * d.metric.score_from_stats(weights.astype(full.dtype) @ full) if present else np.nan
        return out

    return aggregate
