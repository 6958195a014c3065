"""The significance chunk: per (corpus, metric), every pair of systems' delta and paired-test p-value,
and the systems ranked with WMT-style significance clusters.

Cells come from ``evals.compare`` sides (statistics rebuilt from the score
cache) and the paired bootstrap of ``evals.stats``, every pair of a matrix on
the same resamples; a pair that cannot be aligned that way falls back to a
sign-flip test on its segment scores. p-values are also given Holm-adjusted
over each matrix, and the number of resamples (and trials) is fitted to the
number of pairs (``evals.stats.resolution``): with a fixed 1,000 the smallest
Holm-adjusted p of 12 systems' 66 pairs is 66/1001 = 0.066, so no cell could
ever be significant. The ranking uses the Holm-adjusted p-values and
``evals.stats.clusters`` (mt-metrics-eval's rule); the correction is stated
in the chunk. This is the slow part of a run's data, so it is a chunk of its
own, computed only when the significance page asks for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evals.dashboard.payloads import SCHEMA_VERSION
from evals.dashboard.values import num

if TYPE_CHECKING:
    import numpy as np

    from evals.dashboard.payloads import RunData

#: Fewest trials of the fallback paired test (``segment_mean_cell``); more for many pairs.
PAIRED_RESAMPLES = 1000
PAIRED_SEED = 12345
SIGNIFICANCE_LEVEL = 0.05


@dataclass(frozen=True)
class PairedCell:
    """One cell of a significance matrix: row system minus column system."""

    delta: float | None
    p_value: float | None
    delta_ci: list[float] | None
    method: str


def resamples_for_pairs(n_pairs: int) -> int:
    """Resamples (and fallback trials) for a matrix of ``n_pairs`` pairs corrected together."""
    from evals.stats.resolution import resamples_for

    return resamples_for(max(1, n_pairs), SIGNIFICANCE_LEVEL, minimum=PAIRED_RESAMPLES).n


def bootstrap_cells(
    metric: Any, stats: Sequence["np.ndarray"], doc_ids: Sequence[str], n_resamples: int | None = None
) -> dict[tuple[int, int], PairedCell]:
    """``evals.stats.paired_bootstrap_matrix`` as matrix cells: key (i, j), i < j, is row i minus column j.

    ``n_resamples`` defaults to enough for every pair of ``stats`` (``resamples_for_pairs``).
    """
    from evals.stats.paired import paired_bootstrap_matrix

    if n_resamples is None:
        n_resamples = resamples_for_pairs(len(stats) * (len(stats) - 1) // 2)
    results = paired_bootstrap_matrix(metric, stats, list(doc_ids), n_resamples=n_resamples)
    cells = {}
    for key, result in results.items():
        method = (f"paired bootstrap on pooled statistics ({result.n_samples:,} resamples of {result.unit}s, "
                  f"seed {result.seed})")
        lo, hi = result.delta_ci
        cells[key] = PairedCell(num(result.delta), num(result.p_value, 6), [num(lo), num(hi)], method)
    return cells


def aligned_stats(
    sides: dict[str, Any], names: Sequence[str], corpus: str, metric: str
) -> tuple[Any, dict[str, Any], list[str]] | None:
    """(metric, {system: statistics in one segment order}, doc ids) via ``evals.compare.align``.

    Systems that cannot be aligned with the first one (other segments, other
    signature, statistics unavailable) are left out; None if fewer than two remain.
    """
    from evals.compare import align
    from evals.errors import InputError

    usable = [n for n in names if not isinstance(sides.get(n), Exception) and sides.get(n) is not None
              and corpus in sides[n].corpora and metric in sides[n].corpora[corpus].metrics]
    if len(usable) < 2:
        return None
    first, stats, metric_obj, doc_ids = usable[0], {}, None, None
    for other in usable[1:]:
        try:
            pairs, _notes = align(sides[first], sides[other], corpora=[corpus], metrics=[metric])
        except InputError:
            continue
        if not pairs:
            continue
        pair = pairs[0]
        stats[first], stats[other] = pair.baseline, pair.system
        metric_obj, doc_ids = pair.metric, pair.doc_ids
    if len(stats) < 2:
        return None
    return metric_obj, stats, doc_ids


def segment_mean_cell(row_scores: "np.ndarray", col_scores: "np.ndarray",
                      n_trials: int = PAIRED_RESAMPLES) -> PairedCell:
    """Fallback when a run's sufficient statistics are not in the cache:
    ``evals.stats.paired_sign_flip`` on the per-segment scores, seeded."""
    from evals.stats.paired import paired_sign_flip

    method = (f"paired approximate randomisation on mean segment scores "
              f"({n_trials:,} trials, seed {PAIRED_SEED})")
    result = paired_sign_flip(row_scores, col_scores, n_trials=n_trials, seed=PAIRED_SEED)
    if result is None:
        return PairedCell(None, None, None, method)
    delta, p = result
    return PairedCell(num(delta), round(p, 6), None, method)


def significance_payload(run: "RunData") -> dict[str, Any]:
    """The significance chunk of one run."""
    return {"schema": SCHEMA_VERSION, "kind": "significance", "run": run.run_id,
            "matrices": significance_matrices(run)}


def significance_matrices(run: "RunData") -> list[dict[str, Any]]:
    """Per (corpus, metric): every pair's score delta and paired-test p-value (raw and Holm), and the
    ranking with significance clusters.

    Each matrix lists the methods its cells used and the correction.
    """
    from evals.compare import RunFrames, load_run_systems
    from evals.metrics import higher_is_better
    from evals.stats.clusters import significance_clusters
    from evals.stats.multiple import holm_matrix

    frame = run.scores
    segment = frame[(frame["level"] == "segment") & frame["value"].notna()]
    order = [s["name"] for s in run.info["systems"]]
    groups = []
    for (corpus, metric), part in segment.groupby(["corpus", "metric"], sort=False):
        wide = part.pivot_table(index="segment_id", columns="system", values="value", aggfunc="first")
        names = [s for s in order if s in wide.columns]
        if len(names) >= 2:
            groups.append((corpus, metric, wide, names))
    if not groups:
        return []
    # Every system of the matrix from the frames the page has read already: the run is read once.
    frames = RunFrames(run.run_id, run.info, run.translations, run.scores)
    sides = load_run_systems(run.store, run.run_id, sorted({n for *_, names in groups for n in names}),
                             frames=frames)
    system_level = frame[(frame["level"] == "system") & frame["value"].notna()]
    out = []
    for corpus, metric, wide, names in groups:
        size = len(names)
        n_samples = resamples_for_pairs(size * (size - 1) // 2)
        shared = _named_bootstrap_cells(sides, names, corpus, metric, n_samples)
        delta: list[list[Any]] = [[None] * size for _ in range(size)]
        delta_ci: list[list[Any]] = [[None] * size for _ in range(size)]
        p: list[list[Any]] = [[None] * size for _ in range(size)]
        n: list[list[Any]] = [[None] * size for _ in range(size)]
        methods = set()
        for i in range(size):
            for j in range(i + 1, size):
                both = wide[[names[i], names[j]]].dropna()
                if both.empty:
                    continue
                cell = shared.get((names[i], names[j]))
                if cell is None:
                    cell = segment_mean_cell(both[names[i]].to_numpy(), both[names[j]].to_numpy(), n_samples)
                methods.add(cell.method)
                delta[i][j] = cell.delta
                delta[j][i] = None if cell.delta is None else num(-cell.delta)
                if cell.delta_ci is not None:
                    delta_ci[i][j] = cell.delta_ci
                    delta_ci[j][i] = [num(-cell.delta_ci[1]), num(-cell.delta_ci[0])]
                p[i][j] = p[j][i] = cell.p_value
                n[i][j] = n[j][i] = int(len(both))
        p_holm = _rounded(holm_matrix(p))
        tested = sum(value is not None for i, row in enumerate(p) for value in row[i + 1:])
        scores = _system_scores(system_level, corpus, metric, names, wide)
        ranking = significance_clusters(names, [scores[n] for n in names], p_holm, SIGNIFICANCE_LEVEL,
                                        higher_is_better=higher_is_better(metric))
        out.append({"corpus": corpus, "metric": metric, "systems": names, "delta": delta,
                    "delta_ci": delta_ci, "p": p, "p_holm": p_holm, "n": n,
                    "methods": sorted(methods), "alpha": SIGNIFICANCE_LEVEL, "n_resamples": n_samples,
                    "correction": f"Holm–Bonferroni over the {tested} pairs of this matrix",
                    "ranking": [{"system": r.name, "score": num(r.score), "rank": r.rank, "cluster": r.cluster}
                                for r in ranking],
                    "clusters": max((r.cluster for r in ranking), default=0)})
    rank = {m: i for i, m in enumerate(run.metrics)}
    corpus_rank = {c: i for i, c in enumerate(run.corpora)}
    out.sort(key=lambda m: (corpus_rank.get(m["corpus"], len(corpus_rank)), rank.get(m["metric"], len(rank))))
    return out


def _system_scores(system_level, corpus: str, metric: str, names: Sequence[str], wide) -> dict[str, float]:
    """Each system's stored corpus score (what the ranking orders by); the segment mean where none is stored."""
    rows = system_level[(system_level["corpus"] == corpus) & (system_level["metric"] == metric)]
    stored = dict(zip(rows["system"], rows["value"]))
    return {n: float(stored[n]) if n in stored else float(wide[n].mean()) for n in names}


def _named_bootstrap_cells(sides, names, corpus, metric, n_resamples: int) -> dict[tuple[str, str], PairedCell]:
    """``bootstrap_cells`` for the systems of ``names`` that align, keyed by (row, column) name."""
    aligned = aligned_stats(sides, names, corpus, metric)
    if aligned is None:
        return {}
    metric_obj, stats, doc_ids = aligned
    members = [n for n in names if n in stats]
    cells = bootstrap_cells(metric_obj, [stats[n] for n in members], doc_ids, n_resamples)
    return {(members[i], members[j]): cell for (i, j), cell in cells.items()}


def _rounded(matrix: list[list[float | None]]) -> list[list[float | None]]:
    return [[None if value is None else round(value, 6) for value in row] for row in matrix]
