"""Hypothesis flags: empty, untranslated, untranslated-span, off-target."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evals.metrics.flags import (
    FLAG_DESCRIPTIONS,
    FLAGS,
    LanguageGuesser,
    flag_counts,
    flag_hypothesis,
    flag_many,
)

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_116abdeea9f99068.txt"
ZH = "特朗普周一表示，俄罗斯和乌克兰将立即开始停火谈判，他与普京通话了两个小时。"
EN = "Trump said on Monday that Russia and Ukraine would immediately start ceasefire talks after a two-hour call with Putin."


@pytest.fixture(scope="module")
def guesser() -> LanguageGuesser:
    return LanguageGuesser()


def flags(source: str, hypothesis: str, guesser: LanguageGuesser, tgt: str = "en", src: str = "zh") -> list[str]:
    return flag_hypothesis(source, hypothesis, tgt, src, guesser=guesser)


def test_copied_source_is_untranslated_and_off_target(guesser):
    assert flags(ZH, ZH, guesser) == ["untranslated", "off-target"]
    assert flags(ZH, "  " + ZH + "\n", guesser) == ["untranslated", "off-target"]
    assert flags(EN, EN, guesser, tgt="zh", src="en") == ["untranslated", "off-target"]


def test_good_translations_carry_no_flags(guesser):
    assert flags(ZH, EN, guesser) == []
    assert flags(EN, ZH, guesser, tgt="zh", src="en") == []
    assert flags("美国总统唐纳德·特朗普（Donald Trump）", "US President Donald Trump", guesser) == []


def test_seed_references_carry_no_flags(guesser):
    lines = SEED.read_text(encoding="utf-8").split("\n")
    chinese, english = lines[0:38], lines[39:77]
    assert flag_many(chinese, english, "en", "zh", guesser=guesser) == [[] for _ in english]


# Real `gloss` outputs for seed 000 (paragraphs 2, 9, 28, 34): word salad that
# must still identify as English, or every baseline row would be off-target.
GLOSS_OUTPUTS = [
    "Hold a conversation termination after, Trump Monday in oval office told reporter, he still be "
    "convinced Russia and Ukraine will very rapid reach agreement.",
    'Trump said, Russia and Ukraine will "immediately" begin cease fire negotiate, in and Putin hold a '
    "conversation after, he and Ukraine president Vladimir Zeliansiji as well as how much position NATO "
    'leader advance discuss. He also said, Vatican City "already said very have interest take charge of negotiate."',
    "Trump Monday said, and United States trade may is two countries peace negotiations motive power.",
    "Ukraine minister of foreign affairs Andeli Xibiha (Andrii Sybiha) Monday in X on write, Istanbul meeting "
    'conspicuous Moscow and Kyiv between "clear difference". "Ukraine is forward see, focus in all-around and '
    'immediately cease fire, to start genuine peace course of events."',
]


def test_gloss_word_salad_is_still_english(guesser):
    lines = SEED.read_text(encoding="utf-8").split("\n")
    sources = [lines[1], lines[8], lines[27], lines[33]]
    assert flag_many(sources, GLOSS_OUTPUTS, "en", "zh", guesser=guesser) == [[], [], [], []]


def test_language_guesser_matches_langid(guesser):
    """The sparse fast path is langid's classifier, not an approximation of it."""
    lines = SEED.read_text(encoding="utf-8").split("\n") + [
        "Le président a déclaré lundi que les négociations commenceraient immédiatement.",
        "トランプ大統領は月曜日、ロシアとウクライナが直ちに停戦交渉を開始すると述べた。",
        "",
        "1234 !!",
    ]
    for text in lines:
        fast, reference = guesser.classify(text), guesser.classify_reference(text)
        assert fast[0] == reference[0]
        assert fast[1] == pytest.approx(reference[1], abs=1e-6)


@pytest.mark.parametrize("hypothesis", ["", "   ", "\n\t"])
def test_blank_hypothesis_is_only_empty(guesser, hypothesis):
    assert flags(ZH, hypothesis, guesser) == ["empty"]


def test_partially_untranslated(guesser):
    half = "Trump said on Monday that Russia and Ukraine would 立即开始停火谈判."
    assert flags(ZH, half, guesser) == ["untranslated-span"]
    mostly = "Trump said 俄罗斯和乌克兰将立即开始停火谈判，他与普京通话了两个小时。"
    assert flags(ZH, mostly, guesser) == ["untranslated", "off-target"]
    kept_char = "Trump said the talks would start 𠀾 soon."
    assert flags(ZH, kept_char, guesser) == ["untranslated-span"]
    copied_run = "特朗普周一表示，Russia and Ukraine would immediately start ceasefire talks。"
    assert "untranslated-span" in flags(EN, copied_run, guesser, tgt="zh", src="en")


def test_wrong_language(guesser):
    french = "Le président a déclaré lundi que les négociations de cessez-le-feu commenceraient immédiatement."
    assert flags(ZH, french, guesser) == ["off-target"]
    japanese = "トランプ大統領は月曜日、ロシアとウクライナが直ちに停戦交渉を開始すると述べた。"
    assert flags(EN, japanese, guesser, tgt="zh", src="en") == ["off-target"]
    assert "off-target" in flags(ZH, japanese, guesser)


def test_short_or_letterless_hypotheses_are_not_judged_by_langid(guesser):
    assert flags(ZH, "Merci beaucoup", guesser) == []
    assert flags("2024年", "2024", guesser) == []
    assert flags("JD Vance", "JD Vance", guesser) == []  # nothing Chinese to translate


def test_language_codes_are_normalised(guesser):
    assert flag_hypothesis(ZH, ZH, "EN", "zh-Hant", guesser=guesser) == ["untranslated", "off-target"]
    assert flag_hypothesis(EN, ZH, "zh-Hans", "en_US", guesser=guesser) == []


def test_flag_many_matches_single_calls_and_checks_lengths(guesser):
    sources = [ZH, ZH, ZH]
    hypotheses = [EN, ZH, ""]
    expected = [flags(s, h, guesser) for s, h in zip(sources, hypotheses)]
    assert flag_many(sources, hypotheses, "en", "zh", guesser=guesser) == expected
    assert flag_many(sources, hypotheses, ["en"] * 3, ["zh"] * 3, guesser=guesser) == expected
    assert flag_counts(expected) == {"empty": 1, "untranslated": 1, "untranslated-span": 0, "off-target": 1}
    with pytest.raises(ValueError):
        flag_many(sources, hypotheses[:2], "en", "zh", guesser=guesser)
    with pytest.raises(ValueError):
        flag_many(sources, hypotheses, ["en"], "zh", guesser=guesser)


def test_every_flag_has_a_description():
    assert set(FLAG_DESCRIPTIONS) == set(FLAGS)
    with pytest.raises(TypeError):
        FLAG_DESCRIPTIONS["new"] = "x"  # type: ignore[index]


LANGS = st.sampled_from(["en", "zh", "zh-Hant", "ja", "fr", "", "EN"])


@settings(max_examples=200, deadline=None)
@given(source=st.text(), hypothesis=st.text(), tgt=LANGS, src=LANGS)
def test_flags_never_crash_and_are_deterministic(guesser, source, hypothesis, tgt, src):
    first = flag_hypothesis(source, hypothesis, tgt, src, guesser=guesser)
    assert first == flag_hypothesis(source, hypothesis, tgt, src, guesser=guesser)
    assert first == [flag for flag in FLAGS if flag in first]
    if not hypothesis.strip():
        assert first == ["empty"]


@settings(max_examples=50, deadline=None)
@given(
    words=st.lists(st.sampled_from(["Trump", "said", "Монday", "talks", "停火", "la", "2024", "—", "ü"]), max_size=40)
)
def test_flags_on_mixed_script_word_lists(guesser, words):
    text = " ".join(words)
    assert flag_hypothesis(ZH, text, "en", "zh", guesser=guesser) == flag_hypothesis(
        ZH, text, "en", "zh", guesser=guesser
    )


def test_character_classes_match_their_code_point_ranges():
    """The regex classes flagging uses are exactly the documented Unicode ranges."""
    from evals.metrics import flags as module
    from evals.zh.script import han_re

    def han(code: int) -> bool:  # every CJK ideograph block (Unicode 15.1), compatibility blocks included
        return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF
                or 0x20000 <= code <= 0x2A6DF or 0x2A700 <= code <= 0x2EE5F or 0x2F800 <= code <= 0x2FA1F
                or 0x30000 <= code <= 0x323AF)

    def cjk(code: int) -> bool:
        return han(code) or 0x3040 <= code <= 0x30FF or 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF

    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        assert (han_re().match(char) is not None) == han(code), hex(code)
        assert (module._cjk_re().match(char) is not None) == cjk(code), hex(code)


TEXTS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300) | st.sampled_from(
    [EN, ZH, "Bonjour à tous, voici une phrase française assez longue pour langid.",
     "日本語の文章です。東京は日本の首都です。", "Das ist ein deutscher Satz mit einigen Wörtern darin."])


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(TEXTS, max_size=30))
def test_batched_language_guesses_equal_single_ones(guesser, texts):
    """classify_many walks langid's automaton for many texts at once; it must agree with classify."""
    for text, (language, probability) in zip(texts, guesser.classify_many(texts)):
        single_language, single_probability = guesser.classify(text)
        assert language == single_language
        assert probability == pytest.approx(single_probability, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(TEXTS, TEXTS, LANGS, LANGS), max_size=20))
def test_flag_many_equals_flag_hypothesis_one_by_one(guesser, pairs):
    sources, hypotheses, tgts, srcs = (list(column) for column in zip(*pairs)) if pairs else ([], [], [], [])
    expected = [flag_hypothesis(s, h, t, o, guesser=guesser) for s, h, t, o in pairs]
    assert flag_many(sources, hypotheses, tgts, srcs, guesser=guesser) == expected


# --- the plain-English shortcut (no langid for text langid would certainly accept) ---------------

WMT22 = Path(__file__).resolve().parents[2] / "shared" / "data" / "wmt22-zh-en"


def _shortcut_agrees_with_langid(texts, guesser) -> int:
    """Every text ``plainly_english`` accepts gets no non-English langid verdict; returns how many it took.

    Only texts long enough to be asked (``LANGID_MIN_LETTERS``): below that
    langid is unreliable ("If you can't get it, don't get it" is Dutch to
    it) and never consulted.
    """
    import re

    from evals.metrics.flags import LANGID_MIN_LETTERS, LANGID_MIN_PROB, plainly_english

    taken = [t for t in texts if len(re.findall("[A-Za-z]", t)) >= LANGID_MIN_LETTERS and plainly_english(t)]
    guesses = guesser.classify_many(taken)
    wrong = [(t, g) for t, g in zip(taken, guesses) if g[0] != "en" and g[1] >= LANGID_MIN_PROB]
    assert not wrong
    return len(taken)


def test_plain_english_shortcut_agrees_with_langid_on_the_seeds(guesser, repo):
    import json

    texts = [json.loads(line)["source"] for line in (repo / "corpora" / "mono-en.jsonl").read_text().splitlines()]
    lines = SEED.read_text(encoding="utf-8").split("\n")
    texts += lines[39:77] + GLOSS_OUTPUTS
    assert _shortcut_agrees_with_langid(texts, guesser) > len(texts) // 4


def test_plain_english_shortcut_declines_other_languages_and_accents():
    from evals.metrics.flags import plainly_english

    assert plainly_english(EN)
    assert not plainly_english("Le président a déclaré lundi que les négociations commenceraient immédiatement.")
    assert not plainly_english("Der Präsident sagte am Montag, dass die Verhandlungen sofort beginnen würden.")
    assert not plainly_english("De president zei maandag dat de onderhandelingen onmiddellijk zouden beginnen.")
    assert not plainly_english("The café was where the président had his meetings with the Russians.")  # é
    assert not plainly_english("Cost engineer continuing education cost standard")  # no function words


@pytest.mark.skipif(not WMT22.is_dir(), reason=f"the shared WMT22 data is not at {WMT22}")
def test_plain_english_shortcut_keeps_every_wmt22_flag(guesser):
    """On the 12 WMT22 systems and both references the shortcut never takes a text langid would flag."""
    texts = [line for path in sorted(WMT22.glob("generaltest2022.zh-en.*.en"))
             for line in path.read_text(encoding="utf-8").split("\n")[:-1]]
    assert len(texts) == 14 * 1875
    assert _shortcut_agrees_with_langid(texts, guesser) > len(texts) // 2


def test_an_empty_source_never_makes_a_hypothesis_untranslated(guesser):
    """``mteval score`` without ``-s``: segments have the source "", nothing can be copied from it."""
    assert flag_many(["", ""], [EN, "Trump"], "en", "zh", guesser=guesser) == [[], []]
    assert flags("", ZH, guesser) == ["untranslated-span", "off-target"]  # about the hypothesis itself
    assert flags("", EN, guesser, tgt="zh", src="en") == ["off-target"]
