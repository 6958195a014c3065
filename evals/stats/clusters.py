"""Ranks with significance clusters: N systems the way WMT reports them.

Why: a matrix of 66 pairwise p-values (12 systems) does not say who is
ahead; a plain ranking by score claims differences the data cannot carry.
WMT's reports give both at once: systems are ranked by score and grouped
into clusters, a new cluster starting where the ranking crosses a
significant difference, so systems in one cluster are not significantly
different from the ones above them in it.

The rule is mt-metrics-eval's ``AssignRanks`` (google-research/mt-metrics-eval,
``mt_metrics_eval/data.py``; it ranks metrics for the WMT Metrics shared
task findings): walk the systems in order of decreasing score; system *i*
opens a new cluster when it is significantly worse than *any* system of the
current cluster (the systems from the cluster's first one down to *i* - 1);
otherwise it joins the current cluster. Rank *r* is then "not significantly
outperformed by any other system of rank *r*, nor outperformed by any system
of rank < *r*". mt-metrics-eval compares ``p <= alpha``; we use ``p < alpha``
like every other test of this project. The p-values given should be
corrected for the family of pairs (Holm over the matrix, ``holm_matrix``);
the caller states which correction it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evals.errors import InputError


@dataclass(frozen=True)
class RankedSystem:
    """One system's place: ``rank`` is its position by score (1 = best), ``cluster`` its significance cluster."""

    name: str
    score: float
    rank: int
    cluster: int

    def to_json(self) -> dict[str, Any]:
        return {"system": self.name, "score": self.score, "rank": self.rank, "cluster": self.cluster}


def significance_clusters(
    names: Sequence[str],
    scores: Sequence[float],
    p_values: Sequence[Sequence[float | None]],
    alpha: float = 0.05,
    *,
    higher_is_better: bool = True,
) -> list[RankedSystem]:
    """Systems ranked best first with their clusters (see the module docstring).

    ``p_values[i][j]`` is the (corrected) two-sided p-value of systems i and j,
    symmetric; None means "not tested", which never separates two systems.
    Ties in score keep the order of ``names``.
    """
    size = len(names)
    if len(scores) != size or len(p_values) != size or any(len(row) != size for row in p_values):
        raise InputError(f"significance clusters need {size} scores and a {size}×{size} p-value matrix",
                         field="p_values")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, got {alpha!r}", field="alpha")
    sign = -1.0 if higher_is_better else 1.0
    order = sorted(range(size), key=lambda i: (sign * scores[i], i))
    out: list[RankedSystem] = []
    cluster, start = 1, 0
    for position, index in enumerate(order):
        members = order[start:position]
        if any(_significant(p_values[other][index], alpha) for other in members):
            cluster, start = cluster + 1, position
        out.append(RankedSystem(names[index], float(scores[index]), position + 1, cluster))
    return out


def _significant(p: float | None, alpha: float) -> bool:
    return p is not None and p < alpha
