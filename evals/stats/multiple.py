"""Multiple-comparison correction: Holm–Bonferroni.

Why: comparing one baseline with many systems (or gating on several metrics
and corpora at once) runs many tests; at alpha = 0.05 each, one of twenty
unchanged systems is "significant" by chance. Holm's step-down procedure
(Holm 1979) controls the family-wise error rate at alpha like Bonferroni but
rejects more: sort the m p-values ascending and compare the i-th smallest
(1-based) with ``alpha / (m - i + 1)``, stopping at the first that fails.

``holm`` returns *adjusted* p-values, so each can be compared with alpha
directly: ``adjusted_(i) = max_{j <= i} min(1, (m - j + 1) * p_(j))``,
mapped back to the input order. They are monotone in the raw p-values and
never smaller than them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from evals.errors import InputError


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the order given."""
    values = [float(p) for p in p_values]
    for p in values:
        if not (math.isfinite(p) and 0.0 <= p <= 1.0):
            raise InputError(f"p-values must be in [0, 1], got {p!r}", field="p_value")
    m = len(values)
    order = sorted(range(m), key=lambda i: (values[i], i))
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * values[index]))
        adjusted[index] = running
    return adjusted


def holm_reject(p_values: Sequence[float], alpha: float = 0.05) -> list[bool]:
    """Which hypotheses Holm's procedure rejects at family-wise level ``alpha``."""
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be between 0 and 1, got {alpha!r}", field="alpha")
    return [p < alpha for p in holm(p_values)]


def holm_matrix(p_values: Sequence[Sequence[float | None]]) -> list[list[float | None]]:
    """Holm-adjusted p-values of a symmetric matrix of pairwise tests, mirrored.

    The family is every pair once: the cells above the diagonal that hold a
    p-value (None means "not tested" and stays None, as does the diagonal).
    """
    size = len(p_values)
    cells = [(i, j) for i in range(size) for j in range(i + 1, size) if p_values[i][j] is not None]
    adjusted = holm([p_values[i][j] for i, j in cells])
    out: list[list[float | None]] = [[None] * size for _ in range(size)]
    for (i, j), value in zip(cells, adjusted):
        out[i][j] = out[j][i] = value
    return out
