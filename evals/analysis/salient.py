"""Salient n-grams: the reference n-grams one system matches and another misses most (compare-mt's analysis).

For every reference n-gram (n = 1..4, lower-cased ``13a`` tokens), each
system's *matches* are summed over the corpus: per segment,
``min(count in reference, count in hypothesis)``, BLEU's clipped count. With
``a`` and ``b`` the two systems' totals, the n-gram's score is the smoothed
share of the matches that went to the first system,

    score = (a + alpha) / (a + b + 2 * alpha)            (alpha = 1)

so an n-gram matched 12 times against 3 scores higher than one matched 1
against 0: the smoothing keeps rare n-grams from topping the list on a
single occurrence. The top ``k`` in each direction are reported, each with
the first segments where the better system matched it more often.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

ALPHA = 1.0
MAX_ORDER = 4


@dataclass(frozen=True)
class SalientNgram:
    ngram: str
    n: int
    better: int  # matches of the better system
    worse: int
    score: float
    examples: tuple[str, ...]

    def to_json(self) -> dict:
        return {"ngram": self.ngram, "n": self.n, "better": self.better, "worse": self.worse,
                "score": round(self.score, 4), "examples": list(self.examples)}


def ngrams(tokens: Sequence[str], max_order: int = MAX_ORDER) -> Counter:
    """Every n-gram of ``tokens`` (n = 1..max_order, as tuples) and how often it occurs."""
    counts: Counter = Counter()
    for n in range(1, max_order + 1):
        counts.update(zip(*(tokens[i:] for i in range(n))))
    return counts


def matched_ngrams(hypothesis: Sequence[str], reference: Sequence[str] | Counter,
                   max_order: int = MAX_ORDER) -> Counter:
    """Clipped matches of each reference n-gram in one segment (``reference``: tokens, or their ``ngrams``)."""
    ref = reference if isinstance(reference, Counter) else ngrams(reference, max_order)
    hyp = ngrams(hypothesis, max_order)
    return Counter({g: min(c, ref[g]) for g, c in hyp.items() if g in ref})


def salient_ngrams(seg_ids: Sequence[str], first: Sequence[Counter], second: Sequence[Counter], *,
                   top: int = 10, examples: int = 3, alpha: float = ALPHA) -> tuple[list[SalientNgram], list[SalientNgram]]:
    """(n-grams the first system matches more, n-grams the second matches more), ``top`` each.

    ``first[i]``/``second[i]``: each system's ``matched_ngrams`` in segment ``seg_ids[i]``.
    """
    a_total: Counter = Counter()
    b_total: Counter = Counter()
    for a, b in zip(first, second, strict=True):
        a_total.update(a)
        b_total.update(b)

    def score(g) -> float:
        return (a_total[g] + alpha) / (a_total[g] + b_total[g] + 2 * alpha)

    def pick(better: Counter, worse: Counter, better_rows: Sequence[Counter], worse_rows: Sequence[Counter],
             key) -> list[SalientNgram]:
        import heapq

        ranked = heapq.nsmallest(top, (g for g in better if better[g] > worse[g]), key=key)
        out = []
        for g in ranked:
            where = tuple(seg_ids[i] for i in range(len(seg_ids)) if better_rows[i][g] > worse_rows[i][g])[:examples]
            s = (better[g] + alpha) / (better[g] + worse[g] + 2 * alpha)
            out.append(SalientNgram(" ".join(g), len(g), better[g], worse[g], s, where))
        return out

    # Highest share first; among equal shares the n-gram with more matches, then alphabetical (stable output).
    first_better = pick(a_total, b_total, first, second, lambda g: (-score(g), -a_total[g], g))
    second_better = pick(b_total, a_total, second, first, lambda g: (score(g), -b_total[g], g))
    return first_better, second_better
