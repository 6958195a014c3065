"""Sentence splitters: abbreviations, quotes, ellipses, and the no-text-lost invariant."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evals.corpora.sentences import en_sentence_spans, split_en, split_zh, zh_sentence_spans

# --- English -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "The State Department said the U.S., as of Jan. 20, had provided aid. That has slowed.",
            ["The State Department said the U.S., as of Jan. 20, had provided aid.", "That has slowed."],
        ),
        (
            "D. Trump considers this unacceptable. A compromise is needed.",
            ["D. Trump considers this unacceptable.", "A compromise is needed."],
        ),
        (
            "He met Vice President J.D. Vance and President Volodymyr Zelenskyy. Those tools resumed.",
            ["He met Vice President J.D. Vance and President Volodymyr Zelenskyy.", "Those tools resumed."],
        ),
        (
            "Mr. Smith met Mrs. Jones and Dr. Who. They talked.",
            ["Mr. Smith met Mrs. Jones and Dr. Who.", "They talked."],
        ),
        (
            "Gen. Kellogg, Sen. Graham, Rep. Wilson, Gov. Abbott and Lt. Col. Vindman attended.",
            ["Gen. Kellogg, Sen. Graham, Rep. Wilson, Gov. Abbott and Lt. Col. Vindman attended."],
        ),
        (
            "Talks begin Sept. 3 and end Aug. 9 at St. Petersburg.",
            ["Talks begin Sept. 3 and end Aug. 9 at St. Petersburg."],
        ),
        ("Officials at the U.N. and the E.U. and the U.K. Foreign Office agreed.", None),
        ("It starts at 9 a.m. Moscow time and ends at 5 p.m. Kyiv time.", None),
        ("Item No. 5 was signed by Martin Luther King Jr. Whatever.", None),
        ("Compare apples vs. Oranges, e.g. Fuji, i.e. Japanese ones, etc. Fine.", None),
        # An acronym ends a sentence when a typical sentence opener follows.
        ("He flew to the U.S. The talks start today.", ["He flew to the U.S.", "The talks start today."]),
        ("It is over! Really? Yes.", ["It is over!", "Really?", "Yes."]),
        ("Prices rose 2.5 percent. 2024 was worse.", ["Prices rose 2.5 percent.", "2024 was worse."]),
        ("lowercase after a period. does not split.", ["lowercase after a period. does not split."]),
    ],
)
def test_english_abbreviations(text: str, expected: list[str] | None) -> None:
    assert split_en(text) == (expected if expected is not None else [text])


def test_english_closing_quotes_stay_with_their_sentence() -> None:
    text = '"It\'s hard to tell. It\'s hard to answer," Zelenskyy responded. "I count on it." He left.'
    assert split_en(text) == [
        "\"It's hard to tell.",
        "It's hard to answer,\" Zelenskyy responded.",
        '"I count on it."',
        "He left.",
    ]


def test_english_elision_after_a_sentence_stays_with_it() -> None:
    # Seed 001: the "..." marks words left out between two sentences.
    text = '"I think we had a great call. ... Talked about a lot of things. And other things also."'
    assert split_en(text) == [
        '"I think we had a great call. ...',
        "Talked about a lot of things.",
        'And other things also."',
    ]


def test_english_bare_ellipsis_is_not_a_break_unless_the_quote_ends() -> None:
    assert split_en("We will see ... Maybe later.") == ["We will see ... Maybe later."]
    assert split_en('"We will see..." Then he left.') == ['"We will see..."', "Then he left."]


def test_english_attribution_after_a_question_stays_with_the_quote() -> None:
    text = '"I said, \'When are we going to end this, Vladimir?\'" Trump said. "It\'s a bloodbath."'
    assert split_en(text) == [
        "\"I said, 'When are we going to end this, Vladimir?'\" Trump said.",
        '"It\'s a bloodbath."',
    ]


# --- Chinese -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("他说。她笑了！真的吗？是的；好", ["他说。", "她笑了！", "真的吗？", "是的；", "好"]),
        ("ASCII也行!对吗?好;走", ["ASCII也行!", "对吗?", "好;", "走"]),
        # Closing quotes and brackets go with the sentence they close.
        (
            "白宫补充说:“这场冲突本不应该开始。”“各国领导人同意。这些谈判将立即开始。”",
            ["白宫补充说:“这场冲突本不应该开始。”", "“各国领导人同意。", "这些谈判将立即开始。”"],
        ),
        (
            "「我同意。」『好的！』（完了。）《书名》",
            ["「我同意。」", "『好的！』", "（完了。）", "《书名》"],
        ),
        # "." after a Han character or a closing quote is a full stop; in 2.5 it is not.
        ("增长了2.5个百分点.他说“好”.然后", ["增长了2.5个百分点.", "他说“好”.", "然后"]),
        # Terminator, quote, terminator: one sentence, no "。" fragment.
        ("特朗普写道:“我们同意停火。”。白宫表示", ["特朗普写道:“我们同意停火。”。", "白宫表示"]),
        # No break before a comma.
        ("他说“好！”，然后走了。", ["他说“好！”，然后走了。"]),
    ],
)
def test_chinese_terminators_and_closers(text: str, expected: list[str]) -> None:
    assert split_zh(text) == expected


def test_chinese_ascii_quotes_from_the_seeds() -> None:
    # Seed 001 line 11: the second quotation is typed with ASCII quotes and ".".
    text = '“两位领导人一致认为,有着巨大的好处,”报道称。"这包括巨大的经济交易和地缘政治稳定."'
    assert split_zh(text) == [
        "“两位领导人一致认为,有着巨大的好处,”报道称。",
        '"这包括巨大的经济交易和地缘政治稳定."',
    ]
    # Seed 001 line 5: a curly opening quote closed by an ASCII one.
    text = '“他们还强调需要改善关系。乌克兰和俄罗斯应该满足人民的需求。"'
    assert split_zh(text) == ["“他们还强调需要改善关系。", '乌克兰和俄罗斯应该满足人民的需求。"']


def test_chinese_ellipses() -> None:
    # After a full stop, the ellipsis stays on the sentence before it (seed 001 line 3).
    assert split_zh("“我认为我们打了一个很棒的电话。...谈了很多事情。”") == [
        "“我认为我们打了一个很棒的电话。...",
        "谈了很多事情。”",
    ]
    # Inside a sentence it is no break, however it is typed.
    assert split_zh("他说……我们再看吧。然后") == ["他说……我们再看吧。", "然后"]
    assert split_zh("他说...我们再看吧。") == ["他说...我们再看吧。"]
    # Trailing off at the end of a quotation ends the sentence.
    assert split_zh("“我们会……”他走了。") == ["“我们会……”", "他走了。"]


def test_chinese_attribution_after_a_quoted_exclamation_stays_with_it() -> None:
    text = "梵蒂冈表达了浓厚兴趣。“让这个过程开始吧!”特朗普写道。"
    assert split_zh(text) == ["梵蒂冈表达了浓厚兴趣。", "“让这个过程开始吧!”特朗普写道。"]


def test_whitespace_between_sentences_is_dropped_and_pieces_are_trimmed() -> None:
    assert split_zh("  第一句。\n 第二句。  ") == ["第一句。", "第二句。"]
    assert split_en("  One.\n\n  Two.  ") == ["One.", "Two."]


@pytest.mark.parametrize("split", [split_zh, split_en])
def test_empty_and_punctuation_only_inputs(split) -> None:
    assert split("") == []
    assert split(" \n\t ") == []
    assert split("。”") == ["。”"]
    assert split("!!! ...") == ["!!! ..."]


# --- invariants (property tests) -------------------------------------------------

_ATOMS = [
    "特朗普", "普京", "停火", "说", "A", "the", "U.S.", "Mr.", "J.D.", "Jan.", "20", "2,000",
    "。", "！", "？", "；", "…", "……", "...", ".", "!", "?", ";", ",", "，", "、", ":",
    "“", "”", "‘", "’", "「", "」", "『", "』", "（", "）", "《", "》", "(", ")", "\"", "'",
    " ", "  ", "\n", "\t", "\u3000", "Trump", "said", "He", "特朗普写道", "Trump said",
]  # fmt: skip
_texts = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(_ATOMS), max_size=40).map("".join),
)


def _check_invariants(text: str, spans: list[tuple[int, int]], pieces: list[str]) -> None:
    assert pieces == [text[s:e] for s, e in spans]
    position = 0
    for start, end in spans:
        assert position <= start < end, "spans must be ordered, non-empty, non-overlapping"
        assert not text[position:start].strip(), "only whitespace may fall between pieces"
        position = end
    assert not text[position:].strip()
    for piece in pieces:
        assert piece and piece == piece.strip()
    # No text lost: the pieces are the text without the whitespace between them.
    assert re.sub(r"\s+", "", text) == re.sub(r"\s+", "", "".join(pieces))
    # Punctuation is never split off on its own when there is any content.
    if any(ch.isalnum() for ch in text):
        assert all(any(ch.isalnum() for ch in piece) for piece in pieces)


@settings(max_examples=400, deadline=None)
@given(_texts)
def test_split_zh_loses_no_text(text: str) -> None:
    _check_invariants(text, zh_sentence_spans(text), split_zh(text))


@settings(max_examples=400, deadline=None)
@given(_texts)
def test_split_en_loses_no_text(text: str) -> None:
    _check_invariants(text, en_sentence_spans(text), split_en(text))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["第一句话。", "“引用的话！”", "他说：“好。”", "没有句号"]), min_size=1, max_size=8
    )
)
def test_split_zh_finds_every_plain_sentence(sentences: list[str]) -> None:
    text = "".join(sentences)
    pieces = split_zh(text)
    assert "".join(pieces) == text
    assert len(pieces) <= len(sentences)
