"""How segment-level differences between two systems are distributed: wins, ties, losses and a histogram.

A corpus delta of +1 chrF can be many small gains or a few large ones; the
histogram of per-segment differences (system minus baseline, sentence
scores) shows which. Wins and losses are counted in the metric's own
direction (a lower TER wins); documents are compared on their pooled score,
exactly as ``mteval compare`` counts them (``evals.compare.document_deltas``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Fixed histogram edges for metrics on a 0–100 scale (differences lie in [-100, 100]).
EDGES_100 = tuple(range(-100, 101, 10))
#: ... and for metrics on a 0–1 scale (COMET).
EDGES_1 = tuple(round(x / 10, 1) for x in range(-10, 11))
#: Differences this small are ties (float noise of sentence scores).
TIE = 1e-9


@dataclass(frozen=True)
class Outcomes:
    win: int
    tie: int
    loss: int

    def to_json(self) -> dict:
        return {"win": self.win, "tie": self.tie, "loss": self.loss}


def outcomes(differences: Sequence[float], higher_is_better: bool = True) -> Outcomes:
    """Counts of gains, ties and losses of ``differences`` (system - baseline)."""
    sign = 1.0 if higher_is_better else -1.0
    win = sum(1 for d in differences if sign * d > TIE)
    loss = sum(1 for d in differences if sign * d < -TIE)
    return Outcomes(win, len(differences) - win - loss, loss)


def histogram_edges(scale_max: float) -> tuple[float, ...]:
    """The fixed edges for a metric whose scores lie in ``[0, scale_max]`` (1 or 100)."""
    return EDGES_1 if scale_max <= 1.5 else EDGES_100


def histogram(differences: Sequence[float], edges: Sequence[float]) -> list[int]:
    """Counts per ``[edges[j], edges[j+1])``, the last bin closed; values outside go to the end bins."""
    import numpy as np

    values = np.clip(np.asarray(differences, dtype=float), edges[0], edges[-1])
    counts, _ = np.histogram(values, bins=np.asarray(edges, dtype=float))
    return [int(c) for c in counts]
