"""Sentence aligner: hand-checked gold for seed 001, derived stress cases, unit cases."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evals.corpora.align import (
    AlignmentResult,
    AlignParams,
    Bead,
    align,
    align_paragraph,
    align_sentences,
    estimate_ratio,
)
from evals.corpora.lexicon import Lexicon, latin_tokens, normalise, numbers
from evals.corpora.sentences import split_en, split_zh
from evals.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
GOLD_PATH = ROOT / "tests" / "fixtures" / "gold_align_001.json"
SEED_000 = ROOT / "seeds" / "000_116abdeea9f99068.txt"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


@pytest.fixture(scope="module")
def gold() -> dict:
    return json.loads(GOLD_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_lines(gold: dict) -> list[str]:
    raw = (ROOT / gold["seed"]).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == gold["seed_sha256"], "seed 001 changed: redo the gold alignment"
    return raw.decode("utf-8").splitlines()


@pytest.fixture(scope="module")
def doc_ratio(gold: dict, seed_lines: list[str]) -> float:
    paragraphs = gold["paragraphs"]
    return estimate_ratio(
        [seed_lines[p["zh_line"] - 1] for p in paragraphs],
        [seed_lines[p["en_line"] - 1] for p in paragraphs],
    )


def _gold_beads(paragraph: dict) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
    return {(tuple(b["zh"]), tuple(b["en"])) for b in paragraph["beads"]}


def _found(beads: list[Bead] | tuple[Bead, ...]) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
    return {(b.zh, b.en) for b in beads}


# --- gold ----------------------------------------------------------------------


def test_gold_fixture_is_well_formed(gold: dict) -> None:
    assert len(gold["paragraphs"]) == 19
    for paragraph in gold["paragraphs"]:
        zh_covered = sorted(i for b in paragraph["beads"] for i in b["zh"])
        en_covered = sorted(i for b in paragraph["beads"] for i in b["en"])
        assert zh_covered == list(range(len(paragraph["zh"]))), paragraph["para"]
        assert en_covered == list(range(len(paragraph["en"]))), paragraph["para"]


def test_splitters_still_produce_the_gold_sentences(gold: dict, seed_lines: list[str]) -> None:
    """The gold beads index splitter output; if that changes, the gold must be redone by hand."""
    for paragraph in gold["paragraphs"]:
        zh = split_zh(seed_lines[paragraph["zh_line"] - 1])
        en = split_en(seed_lines[paragraph["en_line"] - 1])
        assert (zh, en) == (paragraph["zh"], paragraph["en"]), (
            f"split_zh/split_en output changed for paragraph {paragraph['para']} of {gold['seed']}: "
            "re-read that paragraph pair and re-check its gold beads in tests/fixtures/gold_align_001.json"
        )


def test_aligner_reproduces_the_gold(
    gold: dict, seed_lines: list[str], lexicon: Lexicon, doc_ratio: float
) -> None:
    total = reproduced = 0
    misses = []
    for paragraph in gold["paragraphs"]:
        result = align_paragraph(
            seed_lines[paragraph["zh_line"] - 1],
            seed_lines[paragraph["en_line"] - 1],
            lexicon,
            ratio=doc_ratio,
        )
        expected = _gold_beads(paragraph)
        hits = expected & _found(result.beads)
        total += len(expected)
        reproduced += len(hits)
        misses += [(paragraph["para"], bead) for bead in sorted(expected - hits)]
        assert result.reliable, f"paragraph {paragraph['para']} judged unreliable (score {result.score})"
    accuracy = reproduced / total
    print(f"\ngold beads reproduced: {reproduced}/{total} = {accuracy:.1%} (misses: {misses})")
    assert accuracy >= 0.95


def _document_sentences(
    gold: dict,
) -> tuple[list[str], list[str], list[tuple[tuple[int, ...], tuple[int, ...]]]]:
    """All gold sentences in order, paragraph boundaries hidden, with document-level gold beads."""
    zh: list[str] = []
    en: list[str] = []
    beads = []
    for paragraph in gold["paragraphs"]:
        for bead in paragraph["beads"]:
            beads.append((tuple(len(zh) + i for i in bead["zh"]), tuple(len(en) + j for j in bead["en"])))
        zh += paragraph["zh"]
        en += paragraph["en"]
    return zh, en, beads


def test_gold_without_paragraph_boundaries(gold: dict, lexicon: Lexicon, doc_ratio: float) -> None:
    zh, en, beads = _document_sentences(gold)
    found = _found(align(zh, en, lexicon, ratio=doc_ratio))
    accuracy = len(found & set(beads)) / len(beads)
    print(f"\ndocument-level alignment ({len(zh)} x {len(en)} sentences): {accuracy:.1%} of gold beads")
    assert accuracy >= 0.95


@pytest.mark.parametrize("every", [3, 4, 5])
def test_gold_with_english_sentences_dropped(
    gold: dict, lexicon: Lexicon, doc_ratio: float, every: int
) -> None:
    """Delete every n-th English sentence: its Chinese sentence should become a 1-0 bead."""
    zh, en, beads = _document_sentences(gold)
    assert all(len(z) == 1 and len(e) == 1 for z, e in beads)  # the gold is all 1-1
    kept = [j for j in range(len(en)) if j % every != every - 1]
    new_index = {old: new for new, old in enumerate(kept)}
    expected = {((i,), (new_index[j],)) if j in new_index else ((i,), ()) for (i,), (j,) in beads}
    found = _found(align(zh, [en[j] for j in kept], lexicon, ratio=doc_ratio))
    accuracy = len(found & expected) / len(expected)
    print(f"\nevery {every}-th English sentence dropped: {accuracy:.1%} of expected beads")
    assert accuracy >= 0.9


@pytest.mark.parametrize("every", [3, 5])
def test_gold_with_english_sentences_merged(
    gold: dict, lexicon: Lexicon, doc_ratio: float, every: int
) -> None:
    """Join pairs of English sentences: the two Chinese sentences should form a 2-1 bead."""
    zh, en, _ = _document_sentences(gold)
    merged: list[str] = []
    expected = set()
    j = 0
    while j < len(en):
        if j % every == 1 and j + 1 < len(en):
            merged.append(f"{en[j]} {en[j + 1]}")
            expected.add(((j, j + 1), (len(merged) - 1,)))
            j += 2
        else:
            merged.append(en[j])
            expected.add(((j,), (len(merged) - 1,)))
            j += 1
    found = _found(align(zh, merged, lexicon, ratio=doc_ratio))
    accuracy = len(found & expected) / len(expected)
    print(f"\nEnglish sentence pairs merged (every {every}): {accuracy:.1%} of expected beads")
    assert accuracy >= 0.9


def test_mismatched_paragraphs_are_unreliable(
    gold: dict, seed_lines: list[str], lexicon: Lexicon, doc_ratio: float
) -> None:
    paragraphs = gold["paragraphs"]
    for k, paragraph in enumerate(paragraphs):
        other = paragraphs[(k + 3) % len(paragraphs)]
        result = align_paragraph(
            seed_lines[paragraph["zh_line"] - 1], seed_lines[other["en_line"] - 1], lexicon, ratio=doc_ratio
        )
        assert not result.reliable, (paragraph["para"], other["para"], result)


# --- real cases from seed 000 (not in the gold file) ----------------------------------


def test_seed_000_attribution_merge_is_a_2_1_bead(lexicon: Lexicon) -> None:
    lines = [line for line in SEED_000.read_text(encoding="utf-8").splitlines() if line.strip()]
    # Paragraph 7: the Chinese splits off "“特朗普说。”", the English keeps '..." Trump said.' whole.
    result = align_paragraph(lines[6], lines[6 + 39], lexicon)
    assert result.beads[0].kind == "2-1"
    assert [b.kind for b in result.beads[1:]] == ["1-1", "1-1", "1-1"]
    assert result.reliable


# --- unit cases ------------------------------------------------------------------------

ZH = [
    "特朗普和普京周二通话。",
    "白宫表示,双方同意暂停攻击能源基础设施,技术谈判将在中东立即开始。",
    "乌克兰表示,任何协议都需要获得批准。",
]
EN = [
    "Trump and Putin spoke on Tuesday.",
    "The White House said both sides agreed to pause attacks on energy infrastructure, "
    "and technical negotiations will begin immediately in the Middle East.",
    "Ukraine has said it would need to approve any agreement.",
]


def _kinds(beads: list[Bead]) -> list[str]:
    return [b.kind for b in beads]


def test_one_to_one(lexicon: Lexicon) -> None:
    beads = align(ZH, EN, lexicon)
    assert _found(beads) == {((0,), (0,)), ((1,), (1,)), ((2,), (2,))}
    assert all(0.9 <= b.score <= 1 for b in beads)


def test_one_to_two_split(lexicon: Lexicon) -> None:
    en = [
        EN[0],
        "The White House said both sides agreed to pause attacks on energy infrastructure.",
        "Technical negotiations will begin immediately in the Middle East.",
        EN[2],
    ]
    beads = align(ZH, en, lexicon)
    assert _kinds(beads) == ["1-1", "1-2", "1-1"]
    assert beads[1] == Bead(zh=(1,), en=(1, 2), kind="1-2", score=beads[1].score)


def test_dropped_sentence(lexicon: Lexicon) -> None:
    zh = [ZH[0], "莫斯科的天气很冷,气温降到零下二十度,大雪封路。", ZH[1], ZH[2]]
    beads = align(zh, EN, lexicon)
    assert _kinds(beads) == ["1-1", "1-0", "1-1", "1-1"]
    assert beads[1].zh == (1,) and beads[1].en == ()
    beads = align(
        ZH,
        [EN[0], "Snow closed the roads in Moscow, where it was twenty degrees below zero.", *EN[1:]],
        lexicon,
    )
    assert _kinds(beads) == ["1-1", "0-1", "1-1", "1-1"]


def test_deterministic(lexicon: Lexicon) -> None:
    first = align_sentences(ZH, EN, lexicon)
    second = align_sentences(list(ZH), list(EN), lexicon)
    assert first == second


def test_empty_inputs(lexicon: Lexicon) -> None:
    assert align([], [], lexicon) == []
    assert _kinds(align(ZH[:2], [], lexicon)) == ["1-0", "1-0"]
    assert _kinds(align([], EN[:1], lexicon)) == ["0-1"]
    result = align_paragraph("", "", lexicon)
    assert result == AlignmentResult((), 0.0, False, (), (), result.ratio)
    assert not align_paragraph(" ".join(ZH), "", lexicon).reliable


def test_bad_parameters_are_input_errors(lexicon: Lexicon) -> None:
    with pytest.raises(InputError, match="ratio"):
        align(ZH, EN, lexicon, ratio=0)
    with pytest.raises(InputError, match="priors"):
        AlignParams(priors=(("1-1", 1.0),))
    with pytest.raises(InputError, match="probabilities"):
        AlignParams(zh_word_hit=1.5)


def test_estimate_ratio() -> None:
    assert estimate_ratio(["一二三四五"], ["a" * 15]) == 3.0
    assert estimate_ratio([], ["abc"]) == 3.0  # default when a side is empty
    assert estimate_ratio(["一"], ["a" * 100]) == 6.0  # clamped


_TINY = Lexicon.from_words(
    {"停火": ["ceasefire"], "谈判": ["negotiations"], "能源": ["energy"], "和平": ["peace"]}
)
_ZH_POOL = ["停火。", "谈判开始。", "能源和平。", "今天。", "停火谈判。"]
_EN_POOL = ["A ceasefire.", "Negotiations began.", "Energy and peace.", "Today.", "Ceasefire talks."]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_ZH_POOL), max_size=6), st.lists(st.sampled_from(_EN_POOL), max_size=6))
def test_beads_partition_both_sides_in_order(zh: list[str], en: list[str]) -> None:
    result = align_sentences(zh, en, _TINY)
    assert [i for b in result.beads for i in b.zh] == list(range(len(zh)))
    assert [j for b in result.beads for j in b.en] == list(range(len(en)))
    for bead in result.beads:
        assert bead.kind == f"{len(bead.zh)}-{len(bead.en)}"
        assert bead.kind in {"1-1", "1-2", "2-1", "2-2", "1-0", "0-1"}
        assert 0.0 <= bead.score <= 1.0
    assert 0.0 <= result.score <= 1.0


# --- lexicon -------------------------------------------------------------------------


def test_lexicon_translations(lexicon: Lexicon) -> None:
    assert normalise("negotiations") in lexicon.translations("谈判")
    assert normalise("negotiation") == normalise("negotiations") == normalise("negotiating")
    assert "trump" in lexicon.translations("特朗普")
    assert "trump" in lexicon.translations("川普")  # "(Tw) surname Trump": kept for multi-char words
    assert "wu" not in lexicon.translations("乌")  # "surname Wu": dropped for single characters
    assert normalise("Ukraine") in lexicon.translations("乌")  # via "abbr. for 乌克兰"
    assert lexicon.translations("談判") == lexicon.translations("谈判")  # traditional headwords
    assert "trump" in lexicon.translations("特朗普与")  # jieba glue: known parts
    assert not any(w.startswith("cl") for w in lexicon.translations("能源"))  # "CL:個|个[ge4]" dropped
    assert logging.getLogger("jieba").level >= logging.WARNING


def test_lexicon_segmentation(lexicon: Lexicon) -> None:
    words = lexicon.content_words("在上周二乌克兰同意30天停火后,这两个工具被恢复。")
    assert "乌克兰" in words and "停火" in words and "的" not in words


def test_numbers_and_latin_tokens() -> None:
    assert {"2000"} <= numbers("2,000 troops") and {"2000"} <= numbers("2000 troops")
    assert numbers("30天的停火") == numbers("a 30-day ceasefire") == {"30"}
    assert "30" in numbers("三十天") and "2" in numbers("两个小时") and "2" in numbers("two hours")
    assert "65900000000" in numbers("$65.9 billion") and "65900000000" in numbers("659亿美元")
    assert numbers("一些人一起") == set()
    assert latin_tokens("副总统JD Vance和X平台") == {"jd", "vance", "x"}
    assert {"jd", "vance"} <= latin_tokens("Vice President J.D. Vance")
