"""The phenomenon checks as metrics: per segment ``[matched items, items]``, scored 100·Σmatched/Σitems.

Because they are metrics, everything the harness does with a metric works on
them unchanged: per-system accuracy with bootstrap intervals, the store and
its caches, the dashboard, paired tests and the gate ("number accuracy must
not drop significantly" is a policy entry on ``numbers``).

No items, no errors: a segment (or a document, a corpus, a bootstrap
resample) whose source has no item of the check scores 100. A segment score
must be finite (``evals.metrics.base.check_finite``) and a missing value
would drop the segment from paired tests; 100 says truthfully that nothing
was got wrong. Corpus and document scores pool the rows, so segments without
items add nothing to either sum and do not move the accuracy: the corpus
score is exactly the share of the corpus's items that were matched. Sentence
scores of item-less segments are 100 too, which is why these metrics make no
claim to order segments by quality (``segment_ranking`` 0).

The checks read zh→en text (Chinese numerals and dates in the source,
English number words and month names in the hypothesis); the target
language is in the signature, so a cache never mixes targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from evals.errors import InputError
from evals.metrics.base import Metric

#: Bump when a check's rules change: cached statistics carry it in the signature.
PHENOMENA_VERSION = 1
EMPTY_SCORE = 100.0


class Phenomenon(Metric):
    """Accuracy of one phenomenon check (``check``: a name of ``evals.phenomena.CHECKS``)."""

    needs_reference = False
    needs_source = True
    higher_is_better = True
    stats_dtype = "int64"
    segment_ranking: ClassVar[int] = 0

    def __init__(self, check: str, target_lang: str = "en") -> None:
        from evals.phenomena import CHECKS

        if check not in CHECKS:
            raise InputError(f"unknown phenomenon check {check!r}", field="check")
        self.name = check
        self.check = check
        self.target_lang = target_lang
        self._module = CHECKS[check]

    @classmethod
    def configure(cls, options: dict[str, Any], *, target_lang: str, jobs: int | None = None,
                  n_refs: int = 1) -> dict[str, Any]:
        return {**options, "target_lang": target_lang}

    @property
    def n_stats(self) -> int:
        return 2

    def signature(self) -> str:
        return f"metric:{self.check}|phenomena:v{PHENOMENA_VERSION}|src:zh|tgt:{self.target_lang}|empty:100"

    def segment_stats(self, hyps: Sequence[str], refs: Sequence[Any] | None, *,
                      sources: Sequence[str] | None = None):
        import numpy as np

        if sources is None or len(sources) != len(hyps):
            raise InputError(f"{self.name}: needs one source per hypothesis", field="source")
        rows = np.zeros((len(hyps), 2), dtype=np.int64)
        for i, (source, hyp) in enumerate(zip(sources, hyps)):
            found = self._module.items(source or "")
            if found:
                rows[i] = (sum(self._module.matched(found, hyp or "")), len(found))
        return rows

    def _score_pooled(self, pooled) -> float:
        matched, total = int(pooled[0]), int(pooled[1])
        return EMPTY_SCORE if total == 0 else 100.0 * matched / total

    def segment_score(self, stats_row: Any) -> float:
        return self._score_pooled(stats_row)

    def system_details(self, stats: Any) -> dict[str, Any]:
        """How many items the accuracy is of (an accuracy of 3 items is no evidence)."""
        import numpy as np

        rows = np.asarray(stats)
        return {"items": int(rows[:, 1].sum()), "matched": int(rows[:, 0].sum()),
                "segments_with_items": int((rows[:, 1] > 0).sum())}
