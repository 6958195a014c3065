"""Compiled TER (``evals.metrics.ter_compiled``): the rows are sacrebleu's, exactly.

The reference is sacrebleu's own TER (``sacrebleu.metrics.ter.TER`` and
``lib_ter.translation_edit_rate``) on the same text. Compared are whole rows,
``[edits, mean reference length]``, value and type, on

- WMT22 zh→en: segments of all 12 systems against reference A, reference B
  and both (a spread subset by default, since sacrebleu's Python needs ~50 ms
  per segment; ``MTEVAL_TER_ALL_SEGMENTS=1`` checks every segment, about an
  hour; ``scripts/bench_ter.py`` checks every segment against reference A);
- random sentences from small vocabularies (so words repeat and shifts
  happen), with punctuation, case, Chinese, empty strings, several
  references and every tokeniser option;
- the corners of the algorithm: extreme length ratios (the beam widens),
  long sentences (the beam cuts), the 1000-candidate cap.

And the fallback: without numba the metric warns once and runs sacrebleu.
"""

from __future__ import annotations

import os
import pickle
import random
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sacrebleu.metrics import lib_ter
from sacrebleu.metrics.ter import TER as SacreTER

from evals.metrics import get_metric
from evals.metrics.ter_compiled import FALLBACK_MESSAGE, CompiledTER
from tests.wmt22 import SYSTEMS, hypotheses, lines, require_wmt22

numba = pytest.importorskip("numba", reason="the compiled TER needs numba (pip install 'mteval-zh[fast]')")
from evals.metrics.ter_numba import ter_edits  # noqa: E402  (after the skip: it imports numba)

OPTIONS = ("normalized", "no_punct", "asian_support", "case_sensitive")


def sacrebleu_rows(options: dict, hyps: list[str], refs: list[tuple[str, ...]]) -> list[list]:
    """sacrebleu's own rows: ``_extract_corpus_statistics`` (what ``corpus_score`` sums), one stream per reference."""
    streams = [list(stream) for stream in zip(*refs)]
    return SacreTER(**options)._extract_corpus_statistics(hyps, streams)


def compiled_rows(options: dict, hyps: list[str], refs: list[tuple[str, ...]]) -> list[list]:
    streams = [list(stream) for stream in zip(*refs)]
    return CompiledTER(**options)._extract_corpus_statistics(hyps, streams)


def assert_same_rows(ours: list[list], theirs: list[list]) -> None:
    assert [[type(v) for v in row] for row in ours] == [[type(v) for v in row] for row in theirs]
    assert ours == theirs


# -- WMT22 -------------------------------------------------------------------------------------------


def _wmt22_items() -> list[tuple[str, int]]:
    """(system, line) pairs: every line, or a spread subset -- each system its own lines, all lengths."""
    total = len(lines("ref.A.en"))
    if os.environ.get("MTEVAL_TER_ALL_SEGMENTS") == "1":
        return [(system, i) for system in SYSTEMS for i in range(total)]
    stride = 640  # 3 lines per system, 36 in all, no line twice, spread over the test set
    return [(system, i) for k, system in enumerate(SYSTEMS) for i in range(k * stride // len(SYSTEMS), total, stride)]


@pytest.mark.slow
def test_wmt22_rows_equal_sacrebleu_one_and_two_references():
    require_wmt22()
    ref_a, ref_b = lines("ref.A.en"), lines("ref.B.en")
    items = _wmt22_items()
    outputs = {system: hypotheses(system) for system in SYSTEMS}
    hyps = [outputs[system][i] for system, i in items]
    for refs in ([(ref_a[i],) for _, i in items], [(ref_b[i],) for _, i in items],
                 [(ref_a[i], ref_b[i]) for _, i in items]):
        theirs = sacrebleu_rows({}, hyps, refs)
        assert_same_rows(compiled_rows({}, hyps, refs), theirs)
        metric = get_metric("ter", n_jobs=1, n_refs=len(refs[0]))
        assert metric.backend == "numba"
        assert metric.segment_stats(hyps, refs).tolist() == np.array(theirs, dtype=np.float64).tolist()
    assert any(row[0] > 0 for row in theirs)


def test_wmt22_every_segment_compiles_to_the_same_rows_in_workers():
    """All 1875 lines of a system: one process, two forked workers, a copy unpickled (as spawn pools get it)."""
    require_wmt22()
    refs = [(ref,) for ref in lines("ref.A.en")]
    hyps = hypotheses("Online-B")
    single = get_metric("ter", n_jobs=1).segment_stats(hyps, refs)
    forked = get_metric("ter", n_jobs=2, min_parallel_segments=2).segment_stats(hyps, refs)
    copy = pickle.loads(pickle.dumps(CompiledTER()))
    assert single.tolist() == forked.tolist()
    assert copy._extract_corpus_statistics(hyps, [[r for (r,) in refs]]) == single.tolist()


# -- random text, every option ---------------------------------------------------------------------

WORDS = ["the", "The", "cat", "CAT", "sat", "on", "mat", "a", "dog", "Dog's", "it's", "3.5", "1,000", "U.S.",
         "&quot;hi&quot;", "&amp;", "(", ")", ",", ".", "!", "?", ":", ";", "-", "--", "x-y", "e.g.",
         "我", "爱", "北京", "天安门", "。", "，", "「", "」", "！", "（", "）", "ｱ", "カタカナ", "ひらがな", "㈱", "\u3400"]

sentences = st.lists(st.sampled_from(WORDS), max_size=24).map(" ".join)
# joined without spaces too: punctuation glued to words, Chinese unsegmented
glued = st.lists(st.sampled_from(WORDS), max_size=12).map("".join)
texts = st.one_of(sentences, glued, st.just(""), st.just("  "))
flags = st.fixed_dictionaries({name: st.booleans() for name in OPTIONS})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(options=flags, data=st.lists(st.tuples(texts, st.lists(texts, min_size=1, max_size=3)), min_size=1,
                                     max_size=3))
def test_random_sentences_equal_sacrebleu(options, data):
    n_refs = len(data[0][1])
    hyps = [hyp for hyp, _ in data]
    refs = [tuple((refs * n_refs)[:n_refs]) for _, refs in data]
    assert_same_rows(compiled_rows(options, hyps, refs), sacrebleu_rows(options, hyps, refs))


def test_reference_info_from_sacrebleu_itself():
    """Reference words extracted by sacrebleu's class (no ids in them): the ids are made on the spot."""
    hyp = "on the mat the cat sat"
    info = SacreTER()._extract_reference_info(["the cat sat on the mat", "a cat on a mat"])
    assert CompiledTER()._compute_segment_statistics(hyp, info) == SacreTER()._compute_segment_statistics(hyp, info)


def _kernel(hyp_words: list[str], ref_words: list[str]) -> int:
    vocabulary: dict[str, int] = {}
    ref = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in ref_words], dtype=np.int64)
    hyp = np.array([vocabulary.get(w, -1) for w in hyp_words], dtype=np.int64)
    return int(ter_edits(hyp, ref))


tiny = st.lists(st.sampled_from("abcde"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(hyp=tiny, ref=tiny)
def test_edit_counts_equal_sacrebleu_on_repetitive_words(hyp, ref):
    """Five words, up to 40 of them: many equal-gain shifts, so every tie-break rule is exercised."""
    assert _kernel(hyp, ref) == lib_ter.translation_edit_rate(hyp, ref)[0]


def _candidates_checked(hyp: list[str], ref: list[str]) -> int:
    """How many shift candidates sacrebleu evaluates (its own ``_shift`` loop), to show the cap is reached."""
    cached = lib_ter.BeamEditDistance(ref)
    checked, words = 0, hyp
    while True:
        delta, shifted, checked = lib_ter._shift(words, ref, cached, checked)
        if checked >= lib_ter._MAX_SHIFT_CANDIDATES or delta <= 0:
            return checked
        words = shifted


def test_corner_cases_equal_sacrebleu():
    rng = random.Random(15)
    cases = [
        ([], []), (["a"], []), ([], ["a", "b"]), (["a", "b"], ["b", "a"]),
        (["x", "a"], list("ab") * 75),  # reference 75x longer: the beam widens past 25
        (list("ab") * 60, ["a"]),  # hypothesis 120x longer
        ("one two three four five six seven eight nine ten eleven twelve".split() * 5,  # the beam cuts
         "six seven eight nine ten eleven twelve one two three four five".split() * 5),
    ]
    for hyp, ref in cases:
        assert _kernel(hyp, ref) == lib_ter.translation_edit_rate(hyp, ref)[0], (hyp, ref)


def test_candidate_cap_equal_sacrebleu():
    """Sentences where sacrebleu stops at 1000 shift candidates (and drops that round's best shift)."""
    rng = random.Random(15)
    for vocabulary, n_hyp, n_ref in (("abcdef", 60, 55),):  # longer than the beam, too
        hyp = [rng.choice(vocabulary) for _ in range(n_hyp)]
        ref = [rng.choice(vocabulary) for _ in range(n_ref)]
        assert _candidates_checked(hyp, ref) >= lib_ter._MAX_SHIFT_CANDIDATES
        assert _kernel(hyp, ref) == lib_ter.translation_edit_rate(hyp, ref)[0]


def test_chinese_target_rows_equal_sacrebleu():
    hyps = ["我爱北京天安门。", "今天天气很好，我们去公园吧！", "", "北京 is the capital（首都）"]
    refs = [("我爱上海天安门。",), ("天气很好，今天我们去公园！",), ("空",), ("首都是北京。",)]
    metric = get_metric("ter", target_lang="zh", n_jobs=1)
    theirs = sacrebleu_rows({"normalized": True, "asian_support": True}, hyps, refs)
    assert metric.segment_stats(hyps, refs).tolist() == np.array(theirs, dtype=np.float64).tolist()


# -- backend and fallback -------------------------------------------------------------------------


def test_signature_unchanged_and_backend_recorded():
    metric = get_metric("ter")
    assert metric.backend == "numba"
    sacre = SacreTER()
    sacre.num_refs = 1
    assert metric.sacrebleu_signature() == sacre.get_signature().format()


def test_without_numba_falls_back_to_sacrebleu_with_one_warning(monkeypatch):
    hyps = ["the cat sat on the mat", "on the mat the cat sat", ""]
    refs = [("the cat sat on the mat",), ("the cat sat on the mat",), ("a b",)]
    expected = get_metric("ter", n_jobs=1).segment_stats(hyps, refs).tolist()
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` now raises ImportError
    monkeypatch.delitem(sys.modules, "evals.metrics.ter_numba")
    metric = get_metric("ter", n_jobs=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = metric.segment_stats(hyps, refs).tolist()
        second = metric.segment_stats(hyps, refs).tolist()
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and messages[0].startswith(FALLBACK_MESSAGE.split("(")[0])
    assert "mteval-zh[fast]" in messages[0]
    assert metric.backend == "python"
    assert first == second == expected == np.array(sacrebleu_rows({}, hyps, refs), dtype=np.float64).tolist()
    assert "evals.metrics.ter_numba" not in sys.modules
