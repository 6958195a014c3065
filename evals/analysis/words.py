"""Words of a translation: tokens, frequencies, and word accuracy (compare-mt's F-measure of words).

Tokens are sacrebleu's ``13a`` tokens, lower-cased: the tokenisation BLEU
uses on English, so "a word" means the same here as in the scores.

Word accuracy asks which *kinds* of reference words a system gets right.
For each segment and each word type ``w`` the hypothesis matches
``min(count_ref(w), count_hyp(w))`` occurrences. A bucket (of word
frequency, say) pools, over the segments, the matches, the reference counts and
the hypothesis counts of its word types: recall = matches / reference words,
precision = matches / hypothesis words, F = their harmonic mean. Hypothesis
words are bucketed by the same property as reference words (a word never seen
in the references has frequency 0).

Frequency files (``--frequencies FILE``): one ``WORD COUNT`` pair a line
(whitespace between, the count a non-negative integer; blank lines and lines
starting with ``#`` are skipped; the word is lower-cased, repeated words add
up). Anything else is an ``InputError`` naming the file and line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.errors import InputError


def tokenizer() -> Callable[[str], list[str]]:
    """Lower-cased ``13a`` tokens of a text (sacrebleu's tokenizer, the project's faster equal form)."""
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    from evals.metrics.tokenize_fast import faster

    tokenize = faster(Tokenizer13a())
    return lambda text: tokenize(text or "").lower().split()


def reference_frequencies(references: Sequence[Sequence[str]]) -> Counter:
    """How often each word occurs in the (tokenised) references."""
    counts: Counter = Counter()
    for tokens in references:
        counts.update(tokens)
    return counts


def read_frequencies(path: str | Path) -> Counter:
    """A ``WORD COUNT`` per line file (see the module docstring) as word -> count."""
    from evals.inputs import read_text

    text = read_text(path, what="frequency file")
    counts: Counter = Counter()
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = stripped.split()
        if len(parts) != 2 or not parts[1].isascii() or not parts[1].isdigit():
            raise InputError(f"expected 'WORD COUNT' (a word, whitespace, a non-negative integer), got {stripped[:60]!r}",
                             path=path, line=number, field="frequencies")
        counts[parts[0].lower()] += int(parts[1])
    if not counts:
        raise InputError("no 'WORD COUNT' lines", path=path, field="frequencies")
    return counts


@dataclass(frozen=True)
class WordCounts:
    """Pooled word-accuracy counts of one bucket."""

    matched: int
    reference: int
    hypothesis: int

    @property
    def recall(self) -> float:
        return 100.0 * self.matched / self.reference if self.reference else 0.0

    @property
    def precision(self) -> float:
        return 100.0 * self.matched / self.hypothesis if self.hypothesis else 0.0

    @property
    def f_measure(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def word_accuracy(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
                  bucket_of: Callable[[str], Hashable]) -> dict[Hashable, WordCounts]:
    """Pooled matches, reference and hypothesis counts per bucket of word (``bucket_of(word)``)."""
    matched: Counter = Counter()
    in_reference: Counter = Counter()
    in_hypothesis: Counter = Counter()
    known: dict[str, Hashable] = {}

    def bucket(word: str) -> Hashable:
        if word not in known:
            known[word] = bucket_of(word)
        return known[word]

    for hyp, ref in zip(hypotheses, references, strict=True):
        hyp_counts, ref_counts = Counter(hyp), Counter(ref)
        for word, count in ref_counts.items():
            key = bucket(word)
            in_reference[key] += count
            matched[key] += min(count, hyp_counts.get(word, 0))
        for word, count in hyp_counts.items():
            in_hypothesis[bucket(word)] += count
    keys = set(in_reference) | set(in_hypothesis)
    return {k: WordCounts(matched[k], in_reference[k], in_hypothesis[k]) for k in keys}
