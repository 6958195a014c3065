"""Per-segment hypothesis flags: cheap checks that explain a bad score.

Corpus metrics hide *why* a system scores badly. A handful of untranslated or
wrong-language outputs can sink chrF, and a neural model that echoes its input
looks fine to a reader skimming averages. Each flag is a stable name (stored,
filtered on, shown in reports) with a documented rule:

``empty``
    The hypothesis is blank (only whitespace). Other checks are skipped.
``untranslated``
    The hypothesis largely copies the source: it equals the source (ignoring
    case and spacing), or it contains at least ``COPY_SHARE`` (50%) of the
    source's characters in the source script. For a Chinese source that is the
    share of source Han characters (as a multiset) found again in the
    hypothesis; a real English translation contains none. For other sources it
    is the share of the source's character 3-grams (case-folded) found in the
    hypothesis; half is far above what shared names and numbers produce. Only
    judged when the source contains source-script text (a Chinese source that
    is only Latin names may legitimately be copied).
``untranslated-span``
    Part of the source was left untranslated, but not enough for
    ``untranslated``: for a non-CJK target, any CJK letter in the hypothesis
    (nothing legitimate puts Han characters in English news text; this is
    also how the ``gloss`` baseline's unknown characters surface). Two
    exceptions: 丨, a Han character that Chinese headlines use as a separator
    bar and that translators keep, is punctuation; and from a Chinese source
    a hypothesis with kana or Hangul is written in Japanese or Korean, its
    Han characters are that language's (off-target says so), not copies.
    For a Chinese target, a run of ``SPAN_MIN_WORDS`` (5) consecutive source
    words copied verbatim (names and titles are shorter).
``off-target``
    Mostly not in the target language. English target: letters of another
    script (Han, kana, Hangul, Cyrillic, Greek, ...) are at least
    ``OFF_TARGET_CJK_SHARE`` (30%) of the letters (a Han character carries
    about a word, four to five Latin letters, so at 30% more than half of the
    content is Chinese); or the Latin text reads as another language by its
    words *and* langid agrees. The words: of its ``content_words``
    (``evals.metrics.english_words``: no names, capitalised words,
    placeholders, URLs, numbers), at least ``OFF_TARGET_MIN_WORDS`` (5), at
    least ``FOREIGN_MIN_WORDS`` (3) and a quarter (``FOREIGN_SHARE``) are
    function words of another language or carry accented letters, and at
    least three times (``FOREIGN_OVER_ENGLISH``) as many as the English
    function words; langid, shown the text without placeholders, URLs and
    CJK (at least ``LANGID_MIN_LETTERS``, 40, Latin letters, about eight
    words, below which it is unreliable), must name another language with
    probability ≥ ``LANGID_MIN_PROB`` (0.95). langid alone called 38 English
    WMT22 hypotheses (titles, addresses, product lists, "et al." lists)
    another language at that probability; the word evidence is what a text
    in another language cannot lack. Other non-CJK targets: CJK characters
    ≥ 30% of the letters, or langid as above on texts of at least 40 Latin
    letters (no word lists for them). Chinese target: Han
    characters are under ``ZH_MIN_HAN_SHARE`` (30%) of the letters (the same
    content argument: Latin names alone do not get there), or langid names
    another language (typically Japanese) with high confidence for a text
    with at least ``LANGID_MIN_HAN`` (10) Han characters.

All checks are deterministic. langid is imported lazily and loaded (~2 s)
only when a check needs it, inside an explicit ``LanguageGuesser`` that
callers share; ``flag_many`` creates one for its whole batch and never loads
it when no hypothesis gets that far. For an English target that is rare: a
hypothesis that is ``plainly_english`` (all ASCII, English function words a
fifth of its words) is accepted at once, and one without word evidence of
another language never reaches langid; on the 22,500 WMT22 zh→en
hypotheses none does, so flagging them loads no model.

Precision and recall of each flag are measured on a hand-labelled set of
real WMT22 output (``tests/data/flags_wmt22_labelled.jsonl``, guidelines in
``tests/data/README.md``; ``scripts/flag_precision.py`` prints the table).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

from evals.metrics.english_words import content_words, plainly_english, strip_non_words, word_evidence
from evals.zh.script import cjk_re, han_re

EMPTY = "empty"
UNTRANSLATED = "untranslated"
UNTRANSLATED_SPAN = "untranslated-span"
OFF_TARGET = "off-target"

# Display and storage order.
FLAGS: tuple[str, ...] = (EMPTY, UNTRANSLATED, UNTRANSLATED_SPAN, OFF_TARGET)

#: Bump whenever a rule or threshold changes: cached flags carry this version.
FLAGS_VERSION = 2  # 2: English off-target needs word evidence; other scripts count; 丨 is punctuation


def flags_signature() -> str:
    """Identifies the flag rules, so flags can be cached like metric statistics."""
    return f"flags|v{FLAGS_VERSION}|" + ",".join(FLAGS)


def flags_to_mask(flags: Sequence[str]) -> int:
    return sum(1 << FLAGS.index(flag) for flag in flags)


def flags_from_mask(mask: int) -> list[str]:
    return [flag for bit, flag in enumerate(FLAGS) if mask & (1 << bit)]

FLAG_DESCRIPTIONS = MappingProxyType(
    {
        EMPTY: "empty hypothesis",
        UNTRANSLATED: "hypothesis largely copies the source",
        UNTRANSLATED_SPAN: "part of the source left untranslated",
        OFF_TARGET: "hypothesis is mostly not in the target language",
    }
)

COPY_SHARE = 0.5
OFF_TARGET_CJK_SHARE = 0.30
ZH_MIN_HAN_SHARE = 0.30
LANGID_MIN_LETTERS = 40
LANGID_MIN_HAN = 10
LANGID_MIN_PROB = 0.95
SPAN_MIN_WORDS = 5
# English off-target by words (see the module doc): content words, words of another language, their share.
OFF_TARGET_MIN_WORDS = 5
FOREIGN_MIN_WORDS = 3
FOREIGN_SHARE = 4
FOREIGN_OVER_ENGLISH = 3
# The one Han character that is punctuation in practice: the separator bar of Chinese headlines.
SEPARATOR_HAN = "丨"

CJK_TARGETS = frozenset({"zh", "ja", "ko"})


class LanguageGuesser:
    """langid.py with normalised probabilities, loaded on first use.

    Loading the model takes seconds, so create one per process (or per run)
    and pass it to every call; nothing is cached globally.

    ``classify`` computes langid's naive-Bayes scores over the non-zero
    features only. langid's own ``classify`` multiplies the dense uint32
    feature vector by the float32 model, converting the whole 7480×97 matrix
    on every call (~15 ms); the sparse product gives the same language and
    probabilities to 1e-6 (tested) in well under a millisecond.
    """

    def __init__(self) -> None:
        self._identifier: Any = None
        self._tables: Any = None

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded: flagging plain English output should never need it."""
        return self._identifier is not None

    def classify(self, text: str) -> tuple[str, float]:
        """(ISO 639-1 code, probability) of the most likely language."""
        import numpy as np

        identifier = self._load()
        features = identifier.instance2fv(text)
        active = np.flatnonzero(features)
        scores = features[active].astype(np.float64) @ identifier.nb_ptc[active].astype(np.float64)
        probabilities = identifier.norm_probs(scores + identifier.nb_pc)
        best = int(np.argmax(probabilities))
        return str(identifier.nb_classes[best]), float(probabilities[best])

    def classify_many(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """``classify`` for many texts at once: langid's automaton run in lock-step.

        langid walks a byte automaton in a Python loop, one byte at a time,
        which made language checks the slowest part of flagging a large
        corpus. Here every text of a chunk advances one byte per numpy step;
        each (text, state) visit count then adds that state's precomputed
        class scores (the sum of its output features' rows of ``nb_ptc``).
        Same language and probability as ``classify`` (to 1e-9: only the
        order of the float sums differs; tested).
        """
        import numpy as np

        if not texts:
            return []
        identifier = self._load()
        nextmove, state_scores = self._lockstep_tables()
        classes = identifier.nb_classes
        prior = identifier.nb_pc.astype(np.float64)
        out: list[tuple[str, float]] = []
        for start in range(0, len(texts), _LOCKSTEP_CHUNK):
            scores = _lockstep_scores(texts[start:start + _LOCKSTEP_CHUNK], nextmove, state_scores) + prior
            best = np.argmax(scores, axis=1)
            with np.errstate(over="ignore"):
                probability = 1.0 / np.exp(scores - scores[np.arange(len(best)), best][:, None]).sum(axis=1)
            out += [(str(classes[b]), float(p)) for b, p in zip(best, probability)]
        return out

    def _lockstep_tables(self) -> tuple[Any, Any]:
        """langid's transition table as an array, and each state's summed class scores."""
        import numpy as np

        if self._tables is None:
            identifier = self._load()
            nextmove = np.frombuffer(identifier.tk_nextmove, dtype=np.dtype(identifier.tk_nextmove.typecode))
            n_states = len(nextmove) >> 8
            ptc = identifier.nb_ptc.astype(np.float64)
            state_scores = np.zeros((n_states, ptc.shape[1]), dtype=np.float64)
            for state, features in identifier.tk_output.items():
                for feature in features:  # a feature may repeat: each occurrence counts, as in langid
                    state_scores[state] += ptc[feature]
            self._tables = (nextmove.astype(np.int64), state_scores)
        return self._tables

    def classify_reference(self, text: str) -> tuple[str, float]:
        """langid's own (dense, slow) classification, for parity checks."""
        language, probability = self._load().classify(text)
        return str(language), float(probability)

    def _load(self) -> Any:
        if self._identifier is None:
            from langid.langid import LanguageIdentifier, model

            self._identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)
        return self._identifier


# Texts advanced together by ``classify_many`` (bounds its (texts x bytes) arrays).
_LOCKSTEP_CHUNK = 512


def _lockstep_scores(texts: Sequence[str], nextmove: Any, state_scores: Any) -> Any:
    """Unnormalised class scores of each text (langid's ``instance2fv`` then ``@ nb_ptc``)."""
    import numpy as np

    encoded = [text.encode("utf-8") for text in texts]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    order = np.argsort(-lengths, kind="stable")  # longest first: live texts are a prefix
    width = int(lengths.max(initial=0))
    scores = np.zeros((len(texts), state_scores.shape[1]), dtype=np.float64)
    if width == 0:
        return scores
    data = np.zeros((len(texts), width), dtype=np.int64)
    for row, index in enumerate(order):
        data[row, : lengths[index]] = np.frombuffer(encoded[index], dtype=np.uint8)
    sorted_lengths = lengths[order]
    visited = np.full((len(texts), width), -1, dtype=np.int64)
    state = np.zeros(len(texts), dtype=np.int64)
    for position in range(width):
        live = int(np.searchsorted(-sorted_lengths, -position, side="left"))  # texts longer than position
        state[:live] = nextmove[(state[:live] << 8) + data[:live, position]]
        visited[:live, position] = state[:live]
    rows = np.broadcast_to(np.arange(len(texts))[:, None], visited.shape)
    mask = visited >= 0
    keys = rows[mask] * state_scores.shape[0] + visited[mask]
    unique, counts = np.unique(keys, return_counts=True)
    text_rows, states = np.divmod(unique, state_scores.shape[0])
    contributions = state_scores[states] * counts[:, None].astype(np.float64)
    starts = np.flatnonzero(np.r_[True, text_rows[1:] != text_rows[:-1]])
    scores[order[text_rows[starts]]] = np.add.reduceat(contributions, starts, axis=0)
    return scores


def flag_hypothesis(
    source: str,
    hypothesis: str,
    tgt_lang: str,
    src_lang: str,
    *,
    guesser: LanguageGuesser | None = None,
) -> list[str]:
    """Flags for one hypothesis, in ``FLAGS`` order (empty list when clean).

    Pass a shared ``guesser`` when flagging many hypotheses; without one a
    fresh langid model is loaded whenever the langid check is reached.
    """
    if not hypothesis.strip():
        return [EMPTY]
    target, origin = _base_language(tgt_lang), _base_language(src_lang)
    flags: list[str] = []
    if is_untranslated(source, hypothesis, origin):
        flags.append(UNTRANSLATED)
    elif has_untranslated_span(source, hypothesis, target, origin):
        flags.append(UNTRANSLATED_SPAN)
    if is_off_target(hypothesis, target, guesser or LanguageGuesser()):
        flags.append(OFF_TARGET)
    return flags


def flag_many(
    sources: Sequence[str],
    hypotheses: Sequence[str],
    tgt_lang: str | Sequence[str],
    src_lang: str | Sequence[str],
    *,
    guesser: LanguageGuesser | None = None,
) -> list[list[str]]:
    """``flag_hypothesis`` over aligned lists, sharing one langid model.

    ``tgt_lang``/``src_lang`` are one code for all, or one per hypothesis.
    """
    count = len(hypotheses)
    targets = _per_item(tgt_lang, count, "tgt_lang")
    origins = _per_item(src_lang, count, "src_lang")
    if len(sources) != count:
        raise ValueError(f"{len(sources)} sources but {count} hypotheses")
    shared = guesser or LanguageGuesser()
    base = {code: _base_language(code) for code in {*targets, *origins}}  # a handful of codes, 1e5 segments
    flag_lists: list[list[str]] = []
    questions: list[tuple[int, str, frozenset[str]]] = []  # (hypothesis index, text, accepted)
    for index, (source, hypothesis, target, origin) in enumerate(zip(sources, hypotheses, targets, origins)):
        target = base[target]
        flags = _flags_before_langid(source, hypothesis, target, base[origin])
        verdict = None if flags == [EMPTY] else _off_target_rule(hypothesis, target)
        if verdict is True:
            flags.append(OFF_TARGET)
        elif isinstance(verdict, tuple):
            questions.append((index, *verdict))
        flag_lists.append(flags)
    guesses = shared.classify_many([text for _, text, _ in questions])
    for (index, _, accepted), guess in zip(questions, guesses):
        if _is_other(guess, accepted):
            flag_lists[index].append(OFF_TARGET)
    return flag_lists


def _flags_before_langid(source: str, hypothesis: str, target: str, origin: str) -> list[str]:
    """``flag_hypothesis``'s flags except off-target, which may need langid."""
    if not hypothesis.strip():
        return [EMPTY]
    if is_untranslated(source, hypothesis, origin):
        return [UNTRANSLATED]
    if has_untranslated_span(source, hypothesis, target, origin):
        return [UNTRANSLATED_SPAN]
    return []


def flag_counts(flag_lists: Sequence[Sequence[str]]) -> dict[str, int]:
    """How many hypotheses carry each flag (every flag present, zeros included)."""
    counts = Counter(flag for flags in flag_lists for flag in flags)
    return {flag: counts.get(flag, 0) for flag in FLAGS}


# --- the checks --------------------------------------------------------------------


def is_untranslated(source: str, hypothesis: str, src_lang: str) -> bool:
    """Equal to the source, or ≥ COPY_SHARE of its source-script text copied.

    An empty source (a test set scored without one, ``mteval score`` without
    ``-s``) has nothing to copy: never untranslated.
    """
    if src_lang in ("zh", "ja") and hypothesis.isascii():
        return False  # the first branch below, without scanning the source: no Han character copied
    source_han = _han_chars(source)
    letters = _count_letters(source)
    if src_lang in ("zh", "ja") or (source_han and len(source_han) * 2 >= letters):
        if not source_han:
            return False  # only names/numbers to copy: copying them is right
        if hypothesis.isascii():
            return False  # no Han character copied, and it cannot equal a source that has some
        if _squash(source) == _squash(hypothesis):
            return True
        copied = Counter(source_han) & Counter(_han_chars(hypothesis))
        return sum(copied.values()) / len(source_han) >= COPY_SHARE
    if not any(ch.isalpha() for ch in source):
        return False
    if _squash(source) == _squash(hypothesis):
        return True
    grams = _trigrams(source)
    if not grams:
        return False
    return len(grams & _trigrams(hypothesis)) / len(grams) >= COPY_SHARE


def has_untranslated_span(source: str, hypothesis: str, tgt_lang: str, src_lang: str = "") -> bool:
    """CJK letters in a non-CJK hypothesis (see the module doc); a long copied run in a Chinese one."""
    if tgt_lang not in CJK_TARGETS:
        if hypothesis.isascii():
            return False
        if not any(ch.isalpha() and ch != SEPARATOR_HAN for ch in cjk_re().findall(hypothesis)):
            return False
        return not (src_lang == "zh" and _KANA_HANGUL_RE.search(hypothesis))
    source_words = _latin_words(source)
    if len(source_words) < SPAN_MIN_WORDS:
        return False
    runs = {tuple(source_words[i : i + SPAN_MIN_WORDS]) for i in range(len(source_words) - SPAN_MIN_WORDS + 1)}
    words = _latin_words(hypothesis)
    return any(tuple(words[i : i + SPAN_MIN_WORDS]) in runs for i in range(len(words) - SPAN_MIN_WORDS + 1))


def is_off_target(hypothesis: str, tgt_lang: str, guesser: LanguageGuesser) -> bool:
    """Mostly written in another language than ``tgt_lang`` (see module doc)."""
    verdict = _off_target_rule(hypothesis, tgt_lang)
    if isinstance(verdict, bool):
        return verdict
    text, accepted = verdict
    return _other_language(text, accepted, guesser)


def _off_target_rule(hypothesis: str, tgt_lang: str) -> bool | tuple[str, frozenset[str]]:
    """The verdict, or the (text, accepted languages) langid must judge.

    Split from the langid call so ``flag_many`` can send every langid
    question of a batch to ``LanguageGuesser.classify_many`` at once.
    """
    if tgt_lang == "en":
        return _english_rule(hypothesis)
    letters = _count_letters(hypothesis)
    if not letters:
        return False  # numbers and punctuation: nothing to judge
    if tgt_lang == "zh":
        han = sum(1 for ch in _han_chars(hypothesis) if ch.isalpha())
        if han / letters < ZH_MIN_HAN_SHARE:
            return True
        return (hypothesis, frozenset({"zh"})) if han >= LANGID_MIN_HAN else False
    if tgt_lang in CJK_TARGETS:
        return (hypothesis, frozenset({tgt_lang})) if letters >= LANGID_MIN_HAN else False
    if hypothesis.isascii():
        if len(_ASCII_LETTER_RE.findall(hypothesis)) < LANGID_MIN_LETTERS:
            return False  # (no CJK in ASCII text; its letters are all Latin)
        return hypothesis, frozenset({tgt_lang})
    cjk = _cjk_letters(hypothesis)
    if cjk / letters >= OFF_TARGET_CJK_SHARE:
        return True
    if _latin_letters(hypothesis) < LANGID_MIN_LETTERS:
        return False
    # CJK text is judged by the share rule above; left in, it would sway langid.
    return _cjk_re().sub("", hypothesis), frozenset({tgt_lang})


def _english_rule(hypothesis: str) -> bool | tuple[str, frozenset[str]]:
    """``_off_target_rule`` for an English target (see the module doc)."""
    if hypothesis.isascii():
        if plainly_english(hypothesis):
            return False
    else:
        hypothesis = hypothesis.replace(SEPARATOR_HAN, "|")
        letters = _count_letters(hypothesis)
        if letters and (letters - _latin_letters(hypothesis)) / letters >= OFF_TARGET_CJK_SHARE:
            return True
    words = content_words(hypothesis)
    if len(words) < OFF_TARGET_MIN_WORDS:
        return False
    english, foreign = word_evidence(words)
    if foreign < FOREIGN_MIN_WORDS or foreign * FOREIGN_SHARE < len(words) or foreign < FOREIGN_OVER_ENGLISH * english:
        return False
    text = strip_non_words(hypothesis)
    if _latin_letters(text) < LANGID_MIN_LETTERS:
        return False
    return text, frozenset({"en"})


def _other_language(text: str, accepted: frozenset[str], guesser: LanguageGuesser) -> bool:
    return _is_other(guesser.classify(text), accepted)


def _is_other(guess: tuple[str, float], accepted: frozenset[str]) -> bool:
    language, probability = guess
    return language not in accepted and probability >= LANGID_MIN_PROB


# --- character classes ---------------------------------------------------------------


_ASCII_LETTER_RE = re.compile("[A-Za-z]")
_KANA_HANGUL_RE = re.compile("[\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff\uac00-\ud7af\u1100-\u11ff]")  # not ・

# Compiled on first use (``evals.zh.script``): ``re`` enumerates every code point of the
# Han blocks (~10 ms), which a run that flags nothing (a fully cached re-run) should not pay.
_cjk_re = cjk_re


def _is_latin(ch: str) -> bool:
    return (ch.isascii() and ch.isalpha()) or "LATIN" in unicodedata.name(ch, "")


def _han_chars(text: str) -> list[str]:
    """The Han characters of ``text`` that are text (not the separator bar 丨)."""
    return [ch for ch in han_re().findall(text) if ch != SEPARATOR_HAN]


def _count_letters(text: str) -> int:
    return sum(map(str.isalpha, text))


def _cjk_letters(text: str) -> int:
    """CJK characters that are letters (kana punctuation such as ・ is in the ranges, not a letter)."""
    return sum(1 for ch in _cjk_re().findall(text) if ch.isalpha() and ch != SEPARATOR_HAN)


def _latin_letters(text: str) -> int:
    ascii_letters = len(_ASCII_LETTER_RE.findall(text))
    if text.isascii():
        return ascii_letters
    return ascii_letters + sum(1 for ch in text if not ch.isascii() and ch.isalpha() and _is_latin(ch))


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _trigrams(text: str) -> set[str]:
    squashed = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return {squashed[i : i + 3] for i in range(len(squashed) - 2)}


_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’][A-Za-z\u00c0-\u024f]+)?")


def _latin_words(text: str) -> list[str]:
    return [word.casefold() for word in _LATIN_WORD.findall(text)]


def _base_language(code: str) -> str:
    """"zh-Hans" → "zh", "EN" → "en"."""
    return re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0] if code else ""


def _per_item(value: str | Sequence[str], count: int, name: str) -> Sequence[str]:
    if isinstance(value, str):
        return [value] * count
    if len(value) != count:
        raise ValueError(f"{len(value)} values for {name} but {count} hypotheses")
    return value
