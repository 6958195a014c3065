"""How many resamples (or trials) a family of tests needs for its p-values to mean something.

Why: a resampling p-value is ``(count + 1) / (n + 1)``, so the smallest one
attainable is ``1 / (n + 1)``; Holm multiplies the smallest p of m tests by m.
With sacrebleu's 1,000 resamples and m >= 51 tests no test can ever be
significant at alpha = 0.05, however large the difference: a gate over 18
corpora x 3 metrics (m = 54) passed a candidate 7 BLEU worse on every corpus,
every check printing ``p (adj.) 0.0539``. The fix is resolution that fits the
family: pick n so that the smallest attainable *adjusted* p, ``m / (n + 1)``,
is ``margin`` times below alpha::

    n = max(minimum, ceil(m / alpha * margin) - 1),   capped at ``maximum``

With the defaults (minimum 1,000 = sacrebleu's count, margin 10) a family of
up to five tests at alpha 0.05 keeps exactly sacrebleu's 1,000 resamples, so
p-values stay identical to ``sacrebleu --paired-bs``; 54 tests get 10,799.
The cost is linear in n and the bootstrap core streams its resamples in
chunks (``evals.stats.bootstrap``), so memory stays bounded whatever n is;
``MAX_RESAMPLES`` bounds the time. When the cap binds, ``capped`` says so and
reports print it: the family is then too large for the resolution asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from evals.errors import InputError

#: Never fewer than this (sacrebleu's ``--paired-bs-n`` default): small families keep sacrebleu's p-values.
MIN_RESAMPLES = 1000
#: Smallest attainable adjusted p is at most ``alpha / MARGIN``.
MARGIN = 10.0
#: Upper bound on automatic resamples (time is linear in it; memory is bounded by chunking).
MAX_RESAMPLES = 200_000


@dataclass(frozen=True)
class Resolution:
    """The number of resamples chosen for a family of ``tests`` tests at ``alpha``, and why."""

    n: int
    tests: int
    alpha: float
    margin: float
    rule: str  # "auto" (chosen here) or "fixed" (given by the user or policy)
    capped: bool = False

    @property
    def smallest_p(self) -> float:
        """The smallest attainable raw p-value, ``1 / (n + 1)``."""
        return 1.0 / (self.n + 1)

    @property
    def smallest_adjusted_p(self) -> float:
        """The smallest attainable Holm-adjusted p-value of the family, ``m / (n + 1)`` (at most 1)."""
        return min(1.0, self.tests / (self.n + 1))

    @property
    def can_reject(self) -> bool:
        """Whether any test of the family can be significant at ``alpha`` at all."""
        return self.smallest_adjusted_p < self.alpha

    def describe(self) -> str:
        """One line for reports: the count, and the rule that chose it."""
        base = f"{self.n:,} resamples"
        if self.rule == "auto":
            why = (f"auto: {self.tests} test{'s' if self.tests != 1 else ''}, smallest adjusted p "
                   f"{self.smallest_adjusted_p:.2g} <= alpha {self.alpha:g} / {self.margin:g}")
            if self.capped:
                why = (f"auto, capped at {self.n:,}: smallest adjusted p of {self.tests} tests is "
                       f"{self.smallest_adjusted_p:.2g}")
        else:
            why = f"fixed; smallest adjusted p of {self.tests} tests {self.smallest_adjusted_p:.2g}"
        warning = "" if self.can_reject else f", so nothing can be significant at {self.alpha:g}"
        return f"{base} ({why}{warning})"

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "rule": self.rule, "tests": self.tests, "alpha": self.alpha, "margin": self.margin,
                "capped": self.capped, "smallest_p": self.smallest_p,
                "smallest_adjusted_p": self.smallest_adjusted_p, "can_reject": self.can_reject}


def resamples_for(
    tests: int,
    alpha: float = 0.05,
    *,
    margin: float = MARGIN,
    minimum: int = MIN_RESAMPLES,
    maximum: int = MAX_RESAMPLES,
) -> Resolution:
    """Resamples for ``tests`` tests corrected together (Holm or Bonferroni) at ``alpha``."""
    if isinstance(tests, bool) or not isinstance(tests, int) or tests < 1:
        raise InputError(f"the number of tests must be an integer >= 1, got {tests!r}", field="tests")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, got {alpha!r}", field="alpha")
    if not margin >= 1:
        raise InputError(f"the resolution margin must be >= 1, got {margin!r}", field="margin")
    if not 1 <= minimum <= maximum:
        raise InputError(f"need 1 <= minimum <= maximum resamples, got {minimum} and {maximum}", field="samples")
    needed = max(minimum, math.ceil(tests / alpha * margin - 1e-9) - 1)
    return Resolution(min(needed, maximum), tests, alpha, margin, "auto", capped=needed > maximum)


def fixed_resamples(n: int, tests: int, alpha: float = 0.05, margin: float = MARGIN) -> Resolution:
    """A count given by the user or the policy, described like an automatic one."""
    return Resolution(n, max(1, tests), alpha, margin, "fixed")
