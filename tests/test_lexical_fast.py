"""The numba engine of BLEU, chrF and chrF++: every statistic equal to sacrebleu's ``_extract_corpus_statistics``.

The reference is a fresh sacrebleu metric object with the same options, fed
the same texts (several references as sacrebleu streams, ``None`` where a
segment has fewer). Checked on the 12 WMT22 zh-en systems against reference A
and references A+B, on random texts (Unicode whitespace, punctuation, CJK,
case, empty lines, variable numbers of references) under every option the
classes accept, and on the corner cases of the multi-reference rules.
"""

from __future__ import annotations

import pickle
import re
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sacrebleu.metrics import BLEU as SacreBLEU
from sacrebleu.metrics import CHRF as SacreCHRF

from evals.errors import InputError
from evals.metrics import get_metric
from evals.metrics.base import VARIABLE_REFS
from evals.metrics.ngram_match import available, chrf_f_scores

pytestmark = pytest.mark.skipif(not available(), reason="numba is not installed (pip install 'mteval-zh[fast]')")


def sacrebleu_rows(sacre, hyps: list[str], refs: list[tuple[str, ...]]) -> np.ndarray:
    """sacrebleu's own statistics; a segment with fewer references has None in the later streams."""
    width = max(map(len, refs))
    streams = [[item[j] if j < len(item) else None for item in refs] for j in range(width)]
    rows = sacre._extract_corpus_statistics(hyps, streams)
    return np.asarray(rows, dtype=np.int64).reshape(len(hyps), -1)


def n_refs(refs: list[tuple[str, ...]]) -> int:
    counts = set(map(len, refs))
    return counts.pop() if len(counts) == 1 else VARIABLE_REFS


def ours(name: str, hyps, refs, **options) -> np.ndarray:
    """Our rows: the metric class itself, so that any ``word_order`` can be given to "chrf"."""
    from evals.metrics.lexical import BLEU, ChrF

    if name != "bleu":
        options.setdefault("word_order", 2 if name == "chrf++" else 0)
    metric = (BLEU if name == "bleu" else ChrF)(n_refs=n_refs(refs), engine="numba", **options)
    assert metric.engine == "numba"
    return metric.segment_stats(hyps, refs)


# -- WMT22 ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wmt22():
    from tests.wmt22 import SYSTEMS, hypotheses, lines

    return {"A": lines("ref.A.en"), "B": lines("ref.B.en"), "systems": {name: hypotheses(name) for name in SYSTEMS}}


@pytest.mark.parametrize("refs_used", ["A", "AB"])
@pytest.mark.parametrize("name", ["bleu", "chrf", "chrf++"])
def test_wmt22_twelve_systems_equal_sacrebleu(wmt22, name, refs_used):
    """A mixture gives segment i the output of system (i + shift) mod 12: every system is checked on a
    twelfth of the set per mixture (two with reference A, one with A+B, to stay fast); the metric keeps its
    references across mixtures, as in a run. sacrebleu's side uses its own reference cache
    (``_ref_cache``), so it pays for the references once too."""
    systems = list(wmt22["systems"].values())
    refs = list(zip(*(wmt22[key] for key in refs_used)))
    if name == "bleu":
        sacre = SacreBLEU(force=True)
    else:
        sacre = SacreCHRF(word_order=2 if name == "chrf++" else 0)
    sacre._ref_cache = sacre._cache_references([wmt22[key] for key in refs_used])
    metric = get_metric(name, n_refs=len(refs_used), engine="numba")
    for shift in ((0, 6) if refs_used == "A" else (3,)):
        hyps = [systems[(i + shift) % len(systems)][i] for i in range(len(refs))]
        expected = np.asarray(sacre._extract_corpus_statistics(hyps, None), dtype=np.int64)
        assert np.array_equal(metric.segment_stats(hyps, refs), expected), shift
    if name != "bleu":  # chrF's sentence scores are computed for all rows at once: sacrebleu's floats
        assert metric.segment_scores(expected) == [sacre._compute_score_from_stats(row).score
                                                   for row in expected.tolist()]
    assert len(metric._references) == len(set(refs))


def test_wmt22_tokenizer_equals_sacrebleu_on_every_line(wmt22):
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
    from sacrebleu.tokenizers.tokenizer_zh import TokenizerZh

    from evals.metrics.tokenize_fast import faster
    from tests.wmt22 import lines

    texts = wmt22["A"] + wmt22["B"] + [line for hyps in wmt22["systems"].values() for line in hyps[::6]]
    fast = faster(Tokenizer13a())
    assert type(fast._post_tokenizer).__name__ == "_FastRegexp"
    assert [fast(t) for t in texts] == [Tokenizer13a()(t) for t in texts]
    sources = lines("src.zh")
    assert [faster(TokenizerZh())(t) for t in sources] == [TokenizerZh()(t) for t in sources]


# -- random texts, every option ---------------------------------------------------------------------

_PIECES = st.sampled_from([
    "a", "b", "ab", "The", "the", "İ", "ß", "Straße", "é", "e\u0301", "1", "2", "3.5", "10,000", "-", "--", ".", ",",
    "..", ",.", "!", "?", "(", ")", "\"", "'", "&", "&amp;", "&quot;", "<skipped>", "@", "/", "~", "[", "]", "{",
    "}", "$", "€", "…", "—", "“", "”", "我", "爱", "北京", "。", "，", "\U00020000", "\u4db6", "\u9fff", "한",
    "カ", "😀", "\ud800", "\x00", " ", "  ", "\t", "\n", "\r", "\xa0", "\u2003", "\u3000", "\x1c", "\x85", "-\n",
])
_TEXT = st.lists(_PIECES, max_size=14).map("".join)
_SEGMENTS = st.lists(st.tuples(_TEXT, st.lists(_TEXT, min_size=1, max_size=3).map(tuple)), min_size=1, max_size=6)
_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(segments=_SEGMENTS, tokenize=st.sampled_from(["13a", "zh", "intl", "char", "none"]),
       lowercase=st.booleans(), order=st.integers(1, 6), target=st.sampled_from(["en", "zh"]))
def test_property_bleu_equals_sacrebleu(segments, tokenize, lowercase, order, target):
    hyps, refs = [h for h, _ in segments], [r for _, r in segments]
    sacre = SacreBLEU(tokenize=tokenize, lowercase=lowercase, max_ngram_order=order, force=True)
    expected = sacrebleu_rows(sacre, hyps, refs)
    got = ours("bleu", hyps, refs, tokenize=tokenize, lowercase=lowercase, max_ngram_order=order,
               target_lang=target)
    assert np.array_equal(got, expected)


@_SETTINGS
@given(segments=_SEGMENTS)
def test_property_bleu_default_tokenizers_per_target(segments):
    hyps, refs = [h for h, _ in segments], [r for _, r in segments]
    for target, tokenize in (("en", "13a"), ("zh", "zh")):
        expected = sacrebleu_rows(SacreBLEU(tokenize=tokenize, force=True), hyps, refs)
        assert np.array_equal(ours("bleu", hyps, refs, target_lang=target), expected), target


@_SETTINGS
@given(segments=_SEGMENTS, char_order=st.integers(1, 7), word_order=st.integers(0, 3), beta=st.integers(0, 3),
       lowercase=st.booleans(), whitespace=st.booleans(), eps=st.booleans())
def test_property_chrf_equals_sacrebleu(segments, char_order, word_order, beta, lowercase, whitespace, eps):
    hyps, refs = [h for h, _ in segments], [r for _, r in segments]
    options = dict(char_order=char_order, word_order=word_order, beta=beta, lowercase=lowercase,
                   whitespace=whitespace, eps_smoothing=eps)
    expected = sacrebleu_rows(SacreCHRF(**options), hyps, refs)
    assert np.array_equal(ours("chrf", hyps, refs, **options), expected)


_WORDS = st.lists(st.sampled_from(["a", "b", "c", "a,", "(b", "b)", ".", "ab"]), max_size=12).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(segments=st.lists(st.tuples(_WORDS, st.lists(_WORDS, min_size=1, max_size=4).map(tuple)),
                         min_size=1, max_size=8),
       beta=st.integers(0, 3), eps=st.booleans())
def test_property_small_vocabulary_many_references(segments, beta, eps):
    """Few distinct words: many repeated n-grams (clipping) and near-ties between references."""
    hyps, refs = [h for h, _ in segments], [r for _, r in segments]
    for order in (1, 4):
        expected = sacrebleu_rows(SacreBLEU(max_ngram_order=order, force=True), hyps, refs)
        assert np.array_equal(ours("bleu", hyps, refs, max_ngram_order=order), expected)
    for word_order in (0, 2):
        sacre = SacreCHRF(word_order=word_order, beta=beta, eps_smoothing=eps)
        got = ours("chrf", hyps, refs, word_order=word_order, beta=beta, eps_smoothing=eps)
        assert np.array_equal(got, sacrebleu_rows(sacre, hyps, refs))


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(st.integers(0, 40), min_size=9, max_size=9), min_size=1, max_size=20),
       beta=st.integers(0, 4), eps=st.booleans())
def test_property_f_scores_are_sacrebleus_floats(rows, beta, eps):
    """The f-score that picks the best reference: bit-equal to sacrebleu's ``_compute_f_score``."""
    sacre = SacreCHRF(char_order=2, word_order=1, beta=beta, eps_smoothing=eps)
    stats = np.array(rows, np.int64)
    got = chrf_f_scores(stats, beta, 3, eps)
    assert got.tolist() == [sacre._compute_f_score(row) for row in rows]


# -- multi-reference rules -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bleu", "chrf", "chrf++"])
def test_references_in_either_order(name):
    hyps = ["abcd", "the cat sat on the mat", "a b c d e"]
    first = [("abxy", "abcwxyzq"), ("the cat", "a cat sat on a mat today"), ("a b c d", "a b c d e f")]
    for refs in (first, [tuple(reversed(item)) for item in first]):
        sacre = SacreBLEU(force=True) if name == "bleu" else SacreCHRF(word_order=2 if name == "chrf++" else 0)
        assert np.array_equal(ours(name, hyps, refs), sacrebleu_rows(sacre, hyps, refs))


def test_chrf_tie_keeps_the_first_reference():
    """Different statistics, the same f-score (beta 1: 2m / (h + r) = 0.5 for both): the first one wins."""
    options = dict(char_order=1, beta=1)
    refs = ("abxy", "abcwxyzq")
    a = ours("chrf", ["abcd"], [refs], **options)[0].tolist()
    b = ours("chrf", ["abcd"], [refs[::-1]], **options)[0].tolist()
    assert a == [4, 4, 2] and b == [4, 8, 3]
    for item in (refs, refs[::-1]):
        assert ours("chrf", ["abcd"], [item], **options).tolist() == \
            sacrebleu_rows(SacreCHRF(**options), ["abcd"], [item]).tolist()


def test_bleu_length_tie_takes_the_shorter_reference():
    for refs in (("a b c d", "a b c d e f"), ("a b c d e f", "a b c d")):
        row = ours("bleu", ["a b c d e"], [refs])[0]
        assert row[1] == 4
        assert row.tolist() == sacrebleu_rows(SacreBLEU(force=True), ["a b c d e"], [refs])[0].tolist()


# -- the reference cache ---------------------------------------------------------------------------


def _corpus(n: int, seed: int = 3) -> tuple[list[str], list[tuple[str, ...]]]:
    import random

    rng = random.Random(seed)
    words = "the of a talks Trump said Monday peace , . Ukraine Russia ceasefire 2 hour call".split()
    refs = [tuple(" ".join(rng.choices(words, k=rng.randint(0, 15))) for _ in range(rng.randint(1, 2)))
            for _ in range(n)]
    hyps = [" ".join(rng.choices(words, k=rng.randint(0, 15))) for _ in range(n)]
    return hyps, refs


@pytest.mark.parametrize("name", ["bleu", "chrf++"])
def test_calls_mixing_references_of_several_calls(name):
    """Overlapping calls (entries from two blocks), repeats within a call, a full cache: rows never change."""
    hyps, refs = _corpus(60)
    metric = get_metric(name, n_refs=VARIABLE_REFS, engine="numba")
    fresh = get_metric(name, n_refs=VARIABLE_REFS, engine="sacrebleu")
    expected = fresh.segment_stats(hyps, refs)
    assert np.array_equal(metric.segment_stats(hyps[:30], refs[:30]), expected[:30])
    assert np.array_equal(metric.segment_stats(hyps[20:], refs[20:]), expected[20:])
    order = [5, 50, 5, 21, 59, 0, 5]
    assert np.array_equal(metric.segment_stats([hyps[i] for i in order], [refs[i] for i in order]),
                          expected[order])
    assert list(metric._references) == list(dict.fromkeys(refs))
    small = get_metric(name, n_refs=VARIABLE_REFS, engine="numba")
    small.REFERENCE_CACHE = 7
    for _ in range(2):
        assert np.array_equal(small.segment_stats(hyps, refs), expected)
    assert list(small._references) == list(dict.fromkeys(refs))[:7]
    copy = pickle.loads(pickle.dumps(metric))
    assert copy._references == {} and np.array_equal(copy.segment_stats(hyps, refs), expected)


def test_words_unknown_to_earlier_references_match_later_ones():
    """A hypothesis word first seen with no reference using it must match once a reference brings it."""
    metric = get_metric("chrf++", engine="numba")
    sacre = SacreCHRF(word_order=2)
    for refs in ([("a b",)], [("zebra, x",)], [("a b",)]):
        hyps = ["zebra, x"]
        assert np.array_equal(metric.segment_stats(hyps, refs), sacrebleu_rows(sacre, hyps, refs)), refs


def test_warm_up_loads_the_kernels():
    from evals.metrics.ngram_match import warm_up

    warm_up()
    assert "numba" in sys.modules


def test_engine_option():
    assert get_metric("bleu").engine == "numba" and get_metric("chrf").engine == "numba"
    assert get_metric("chrf++", engine="sacrebleu").engine == "sacrebleu"
    assert get_metric("ter").engine == "sacrebleu"
    with pytest.raises(InputError) as caught:
        get_metric("bleu", engine="numpy")
    assert caught.value.field == "engine" and caught.value.hint == "did you mean 'numba'?"
    assert get_metric("bleu", engine="sacrebleu").signature() == get_metric("bleu").signature()


def test_13a_symbol_class_is_ascii():
    """The first 13a rule's class, which the translation to ``str.replace`` reads from ASCII only."""
    from sacrebleu.tokenizers.tokenizer_re import TokenizerRegexp

    pattern = TokenizerRegexp()._re[0][0]
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    assert max(map(ord, pattern.findall(everything))) < 128
    assert re.fullmatch(r"[ -&(-+/:-@\[-`{-~]+", "".join(sorted(set(pattern.findall(everything)))))


@settings(max_examples=400, deadline=None)
@given(line=st.text(alphabet=st.sampled_from(list("ab19 .,-\n\t\xa0-.,") + ["&", "(", "'"]), max_size=20))
def test_property_post_tokenizer_equals_sacrebleus(line):
    from sacrebleu.tokenizers.tokenizer_re import TokenizerRegexp

    from evals.metrics.tokenize_fast import _FastRegexp

    original = TokenizerRegexp()
    assert _FastRegexp(original._re)(line) == original(line)
