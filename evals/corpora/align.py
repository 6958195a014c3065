"""Sentence alignment inside one Chinese/English paragraph pair.

A translated paragraph rarely maps sentence for sentence: translators merge,
split and drop sentences. ``align_sentences`` finds the most likely sequence of
*beads* — 1-1, 1-2, 2-1, 2-2, 1-0 or 0-1 ("zh-en" sentence counts) — by dynamic
programming (Gale & Church 1993) over a score that adds up

* a prior for the bead kind (most beads are 1-1),
* a length term: English characters should be about ``ratio`` times the Chinese
  ones, with a spread growing with the length (Gale–Church's normal model), and
* lexical evidence, as a log-likelihood ratio "translations vs. unrelated
  sentences": Chinese content words whose CC-CEDICT translations occur in the
  English, English content words that translate some Chinese word, and numbers
  and Latin-script names found on both sides.

Each bead's ``score`` is its posterior probability under the same model
(forward–backward over all alignments), times the probability that the two
paragraphs translate each other at all. ``AlignmentResult.reliable``
summarises the paragraph: the caller keeps a paragraph as one segment when it
is False.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from evals.corpora.lexicon import Lexicon, english_content_words, latin_tokens, numbers
from evals.corpora.sentences import split_en, split_zh
from evals.errors import InputError

# (zh sentences, en sentences) a bead consumes, in the order ties are broken.
BEAD_SHAPES: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1), (2, 2), (1, 0), (0, 1))
BEAD_KINDS: tuple[str, ...] = tuple(f"{dz}-{de}" for dz, de in BEAD_SHAPES)
DEFAULT_RATIO = 3.0  # English characters per Chinese character in news text

Cell = tuple[int, int]
Step = tuple[int, int, int, int]  # (i, j, dz, de): zh[i:i+dz] with en[j:j+de]


@dataclass(frozen=True)
class Bead:
    """Sentences ``zh`` of the Chinese side aligned with sentences ``en`` of the English."""

    zh: tuple[int, ...]
    en: tuple[int, ...]
    kind: str
    score: float


@dataclass(frozen=True)
class AlignmentResult:
    """The beads of one paragraph pair, with the sentences they index."""

    beads: tuple[Bead, ...]
    score: float
    reliable: bool
    zh_sentences: tuple[str, ...]
    en_sentences: tuple[str, ...]
    ratio: float


@dataclass(frozen=True)
class AlignParams:
    """Model constants. Probabilities, not weights, so each has a reading.

    Set from the statistics of seeds 000 and 001 (matched-word rates of
    sentence pairs that translate each other and of unrelated pairs from the
    same article, length spread), then checked against the gold alignment in
    tests/fixtures/gold_align_001.json and the stress cases derived from it.
    """

    priors: tuple[tuple[str, float], ...] = (
        ("1-1", 0.85),
        ("1-2", 0.05),
        ("2-1", 0.05),
        ("2-2", 0.01),
        ("1-0", 0.02),
        ("0-1", 0.02),
    )
    # sd(English characters) ≈ sqrt(length_variance * ratio * Chinese characters).
    length_variance: float = 4.0
    # P(a Chinese content word's translation is in the English) for a true pair;
    # for an unrelated pair, 1 - (1 - zh_word_chance) ** (English content words).
    zh_word_hit: float = 0.65
    zh_word_chance: float = 0.008
    # The same for English content words and the Chinese side's translations.
    en_word_hit: float = 0.6
    en_word_chance: float = 0.008
    # Numbers and Latin-script names: almost always carried over, rarely by chance.
    token_hit: float = 0.9
    token_chance: float = 0.05
    # A paragraph is reliable when its mean bead score reaches min_score and at
    # most max_unaligned of either side's characters sit in 1-0/0-1 beads.
    min_score: float = 0.6
    max_unaligned: float = 0.34
    # Only cells within this many sentences of the diagonal are searched
    # (or a tenth of the longer side if that is more): paragraphs are never
    # that long, whole documents stay fast.
    band: int = 12

    def __post_init__(self) -> None:
        kinds = [kind for kind, _ in self.priors]
        if sorted(kinds) != sorted(BEAD_KINDS):
            raise InputError(f"priors must give each of {', '.join(BEAD_KINDS)} once", field="priors")
        probabilities = [p for _, p in self.priors] + [
            self.zh_word_hit, self.zh_word_chance, self.en_word_hit, self.en_word_chance,
            self.token_hit, self.token_chance,
        ]  # fmt: skip
        if not all(0 < p < 1 for p in probabilities):
            raise InputError("priors and hit/chance rates must be probabilities in (0, 1)", field="priors")
        if self.length_variance <= 0 or self.band < 1:
            raise InputError("length_variance must be positive and band at least 1", field="length_variance")


DEFAULT_PARAMS = AlignParams()


def estimate_ratio(zh_texts: Sequence[str], en_texts: Sequence[str]) -> float:
    """English characters per Chinese character over the given texts.

    Pass a whole document to get a stable ratio for all its paragraphs; a
    single short paragraph gives a noisy one. Clamped to [1.5, 6] so a
    dropped paragraph cannot make every length look wrong; ``DEFAULT_RATIO``
    when either side is empty.
    """
    zh_chars = sum(_zh_length(t) for t in zh_texts)
    en_chars = sum(_en_length(t) for t in en_texts)
    if not zh_chars or not en_chars:
        return DEFAULT_RATIO
    return min(6.0, max(1.5, en_chars / zh_chars))


def _zh_length(text: str) -> int:
    return len("".join(text.split()))


def _en_length(text: str) -> int:
    return len(" ".join(text.split()))


@dataclass(frozen=True)
class _Sentence:
    """What the score needs to know about one sentence.

    ``words`` holds, for a Chinese sentence, the translation set of each content
    word that CC-CEDICT knows; for an English one, each distinct content stem.
    """

    length: int
    words: tuple[frozenset[str], ...]
    vocabulary: frozenset[str]  # union of ``words``
    numbers: frozenset[str]
    names: frozenset[str]


def _zh_sentence(text: str, lexicon: Lexicon) -> _Sentence:
    glosses = tuple(t for t in (lexicon.translations(w) for w in lexicon.content_words(text)) if t)
    return _Sentence(
        _zh_length(text),
        glosses,
        frozenset().union(*glosses),
        frozenset(numbers(text)),
        frozenset(latin_tokens(text)),
    )


def _en_sentence(text: str) -> _Sentence:
    stems = tuple(dict.fromkeys(english_content_words(text)))
    return _Sentence(
        _en_length(text),
        tuple(frozenset((s,)) for s in stems),
        frozenset(stems),
        frozenset(numbers(text)),
        frozenset(latin_tokens(text)),
    )


def _log_normal_tail(delta: float) -> float:
    """log P(|Z| >= |delta|) for a standard normal Z, safe far into the tail."""
    tail = math.erfc(abs(delta) / math.sqrt(2))
    if tail > 1e-300:
        return math.log(tail)
    return -(delta * delta) / 2 - math.log(abs(delta) * math.sqrt(math.pi / 2))


def _llr_weights(p_true: float, p_chance: float) -> tuple[float, float]:
    """(log-ratio of a hit, log-ratio of a miss): P(obs | translation) over P(obs | unrelated)."""
    p_chance = min(max(p_chance, 1e-6), p_true - 1e-3)  # no words on the other side: no chance hits
    return math.log(p_true / p_chance), math.log((1 - p_true) / (1 - p_chance))


class _Scorer:
    """Evidence of beads for one zh/en sentence list pair.

    Word matches are computed once per (zh sentence, en sentence) as bit masks
    over the sentence's words, so scoring a bead is a few ORs and bit counts.
    """

    def __init__(self, zh: list[_Sentence], en: list[_Sentence], ratio: float, params: AlignParams) -> None:
        self.zh, self.en, self.ratio, self.params = zh, en, ratio, params
        self.log_prior = {kind: math.log(p) for kind, p in params.priors}
        self._zh_masks: dict[Cell, int] = {}
        self._en_masks: dict[Cell, int] = {}
        self._weights: dict[tuple[str, int], tuple[float, float]] = {}
        self._token_weights = _llr_weights(params.token_hit, params.token_chance)

    def _zh_mask(self, i: int, j: int) -> int:
        """Bit k set: the k-th content word of zh[i] has a translation in en[j]."""
        mask = self._zh_masks.get((i, j))
        if mask is None:
            stems = self.en[j].vocabulary
            mask = sum(1 << k for k, glosses in enumerate(self.zh[i].words) if not glosses.isdisjoint(stems))
            self._zh_masks[i, j] = mask
        return mask

    def _en_mask(self, i: int, j: int) -> int:
        """Bit k set: the k-th content stem of en[j] translates a word of zh[i]."""
        mask = self._en_masks.get((i, j))
        if mask is None:
            glosses = self.zh[i].vocabulary
            mask = sum(1 << k for k, (stem,) in enumerate(self.en[j].words) if stem in glosses)
            self._en_masks[i, j] = mask
        return mask

    def _word_weights(self, side: str, other_words: int) -> tuple[float, float]:
        """Hit/miss log-ratios for one side's words; chance hits grow with the other side."""
        key = (side, other_words)
        weights = self._weights.get(key)
        if weights is None:
            p = self.params
            hit, chance = (
                (p.zh_word_hit, p.zh_word_chance) if side == "zh" else (p.en_word_hit, p.en_word_chance)
            )
            weights = self._weights[key] = _llr_weights(hit, 1 - (1 - chance) ** other_words)
        return weights

    def lexical(self, zh: range, en: range) -> float:
        en_words = sum(len(self.en[j].words) for j in en)
        zh_words = sum(len(self.zh[i].words) for i in zh)
        zh_hits = en_hits = 0
        for i in zh:
            mask = 0
            for j in en:
                mask |= self._zh_mask(i, j)
            zh_hits += mask.bit_count()
        for j in en:
            mask = 0
            for i in zh:
                mask |= self._en_mask(i, j)
            en_hits += mask.bit_count()
        hit, miss = self._word_weights("zh", en_words)
        total = zh_hits * hit + (zh_words - zh_hits) * miss
        hit, miss = self._word_weights("en", zh_words)
        total += en_hits * hit + (en_words - en_hits) * miss
        # Numbers count on both sides (a number on one side only is a miss),
        # names only from the Chinese side (every English word is Latin script).
        zh_numbers = frozenset().union(*(self.zh[i].numbers for i in zh))
        en_numbers = frozenset().union(*(self.en[j].numbers for j in en))
        zh_names = frozenset().union(*(self.zh[i].names for i in zh))
        en_names = frozenset().union(*(self.en[j].names for j in en))
        hits = len(zh_numbers & en_numbers) + len(zh_names & en_names)
        misses = len(zh_numbers | en_numbers) + len(zh_names) - hits
        hit, miss = self._token_weights
        return total + hits * hit + misses * miss

    def length(self, zh: range, en: range) -> float:
        zh_chars = sum(self.zh[i].length for i in zh)
        en_chars = sum(self.en[j].length for j in en)
        spread = math.sqrt(self.params.length_variance * self.ratio * max(zh_chars, 1))
        return _log_normal_tail((en_chars - self.ratio * zh_chars) / spread)

    def evidence(self, step: Step) -> float:
        """Log-odds that the bead's two sides translate each other (0 for 1-0/0-1)."""
        i, j, dz, de = step
        if not (dz and de):
            return 0.0
        zh, en = range(i, i + dz), range(j, j + de)
        return self.length(zh, en) + self.lexical(zh, en)


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    if top == -math.inf:
        return top
    return top + math.log(sum(math.exp(v - top) for v in values))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    return math.exp(x) / (1 + math.exp(x))


def _band_cells(n: int, m: int, band: int) -> list[Cell]:
    """Lattice cells near the diagonal from (0, 0) to (n, m), in DP order."""
    width = max(band, math.ceil(max(n, m) / 10))
    cells = []
    for i in range(n + 1):
        centre = i * m / n if n else 0
        low, high = max(0, math.floor(centre - width)), min(m, math.ceil(centre + width))
        if not n:
            low, high = 0, m
        cells.extend((i, j) for j in range(low, high + 1))
    return cells


def _lattice(scorer: _Scorer, cells: list[Cell]) -> tuple[dict[Step, float], dict[Step, float]]:
    """(log weight, evidence) of every bead between two cells of the band."""
    inside = set(cells)
    weights: dict[Step, float] = {}
    evidence: dict[Step, float] = {}
    for i, j in cells:
        for dz, de in BEAD_SHAPES:
            if (i + dz, j + de) in inside:
                step = (i, j, dz, de)
                evidence[step] = scorer.evidence(step)
                weights[step] = scorer.log_prior[f"{dz}-{de}"] + evidence[step]
    return weights, evidence


def _best_path(weights: dict[Step, float], cells: list[Cell], end: Cell) -> list[Step]:
    """Viterbi over the lattice; ties go to the earlier shape in BEAD_SHAPES."""
    best = {(0, 0): 0.0}
    back: dict[Cell, Step] = {}
    for i, j in cells:
        for dz, de in BEAD_SHAPES:
            step = (i - dz, j - de, dz, de)
            if step not in weights or (i - dz, j - de) not in best:
                continue
            value = best[i - dz, j - de] + weights[step]
            if (i, j) not in best or value > best[i, j]:
                best[i, j] = value
                back[i, j] = step
    path = []
    cell = end
    while cell != (0, 0):
        step = back[cell]
        path.append(step)
        cell = (step[0], step[1])
    return path[::-1]


def _posteriors(weights: dict[Step, float], cells: list[Cell], end: Cell) -> dict[Step, float]:
    """P(bead is part of the alignment) for every bead in the lattice (forward–backward)."""
    forward = {(0, 0): 0.0}
    for i, j in cells:
        if (i, j) != (0, 0):
            incoming = [
                forward[i - dz, j - de] + weights[i - dz, j - de, dz, de]
                for dz, de in BEAD_SHAPES
                if (i - dz, j - de, dz, de) in weights and (i - dz, j - de) in forward
            ]
            if incoming:
                forward[i, j] = _logsumexp(incoming)
    backward = {end: 0.0}
    for i, j in reversed(cells):
        if (i, j) != end:
            outgoing = [
                weights[i, j, dz, de] + backward[i + dz, j + de]
                for dz, de in BEAD_SHAPES
                if (i, j, dz, de) in weights and (i + dz, j + de) in backward
            ]
            if outgoing:
                backward[i, j] = _logsumexp(outgoing)
    total = forward[end]
    return {
        step: math.exp(forward[step[0], step[1]] + w + backward[step[0] + step[2], step[1] + step[3]] - total)
        for step, w in weights.items()
        if (step[0], step[1]) in forward and (step[0] + step[2], step[1] + step[3]) in backward
    }


def _paragraph_factor(path: list[Step], evidence: dict[Step, float]) -> float:
    """P(the two sides translate each other at all), from the chosen beads' evidence.

    Bead posteriors compare ways to cut the *same* paragraph pair; when the
    paragraphs are unrelated, 1-1 can still beat the rare 1-0 + 0-1. Summing
    the evidence of the paired beads (even prior odds) exposes that, while a
    short sentence without dictionary matches ("It's a bloodbath." /
    "这是一场大屠杀。") keeps the confidence its well-matched neighbours give it.
    """
    return _sigmoid(sum(evidence[step] for step in path if step[2] and step[3]))


def align_sentences(
    zh: Sequence[str],
    en: Sequence[str],
    lexicon: Lexicon,
    *,
    ratio: float | None = None,
    params: AlignParams = DEFAULT_PARAMS,
) -> AlignmentResult:
    """Align two sentence lists; ``ratio`` defaults to ``estimate_ratio(zh, en)``.

    Deterministic: the same input gives the same beads and scores.
    """
    if ratio is not None and not (isinstance(ratio, (int, float)) and math.isfinite(ratio) and ratio > 0):
        raise InputError(f"ratio must be a positive number, got {ratio!r}", field="ratio")
    ratio = estimate_ratio(zh, en) if ratio is None else float(ratio)
    zh_features = [_zh_sentence(s, lexicon) for s in zh]
    en_features = [_en_sentence(s) for s in en]
    n, m = len(zh), len(en)
    cells = _band_cells(n, m, params.band)
    weights, evidence = _lattice(_Scorer(zh_features, en_features, ratio, params), cells)
    posterior = _posteriors(weights, cells, (n, m))
    path = _best_path(weights, cells, (n, m))
    factor = _paragraph_factor(path, evidence)
    beads = tuple(
        Bead(
            zh=tuple(range(i, i + dz)),
            en=tuple(range(j, j + de)),
            kind=f"{dz}-{de}",
            score=round(min(1.0, posterior[i, j, dz, de]) * (factor if dz and de else 1.0), 6),
        )
        for i, j, dz, de in path
    )
    score, reliable = _summarise(beads, zh_features, en_features, params)
    return AlignmentResult(beads, score, reliable, tuple(zh), tuple(en), ratio)


def _summarise(
    beads: tuple[Bead, ...], zh: list[_Sentence], en: list[_Sentence], params: AlignParams
) -> tuple[float, bool]:
    """Mean bead score (each side's characters weigh half), and whether to trust it.

    Reliable needs a mean score of at least ``min_score`` and, on each side,
    at most ``max_unaligned`` of the characters in 1-0/0-1 beads: a paragraph
    whose translation skips a third of it is better kept whole.
    """
    zh_total = sum(s.length for s in zh)
    en_total = sum(s.length for s in en)
    if not beads or not zh_total or not en_total:
        return 0.0, False
    weighted = zh_unaligned = en_unaligned = 0.0
    for bead in beads:
        zh_share = sum(zh[k].length for k in bead.zh) / zh_total
        en_share = sum(en[k].length for k in bead.en) / en_total
        weighted += (zh_share + en_share) / 2 * bead.score
        if not bead.en:
            zh_unaligned += zh_share
        if not bead.zh:
            en_unaligned += en_share
    score = round(weighted, 6)
    unaligned = max(zh_unaligned, en_unaligned)
    return score, score >= params.min_score and unaligned <= params.max_unaligned


def align(
    zh: Sequence[str],
    en: Sequence[str],
    lexicon: Lexicon,
    *,
    ratio: float | None = None,
    params: AlignParams = DEFAULT_PARAMS,
) -> list[Bead]:
    """The beads of ``align_sentences`` (see there)."""
    return list(align_sentences(zh, en, lexicon, ratio=ratio, params=params).beads)


def align_paragraph(
    zh_text: str,
    en_text: str,
    lexicon: Lexicon,
    *,
    ratio: float | None = None,
    params: AlignParams = DEFAULT_PARAMS,
) -> AlignmentResult:
    """Split a paragraph pair into sentences (``split_zh``/``split_en``) and align them.

    Pass ``ratio=estimate_ratio(doc_zh_paragraphs, doc_en_paragraphs)`` when
    aligning a document paragraph by paragraph: a per-paragraph estimate
    absorbs exactly the length mismatch that should count against a dropped
    sentence.
    """
    return align_sentences(split_zh(zh_text), split_en(en_text), lexicon, ratio=ratio, params=params)
