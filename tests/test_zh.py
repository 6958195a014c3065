"""evals.zh: the one Han-block table, its helpers, and the numeral readings."""

from __future__ import annotations

import unicodedata

from evals.zh.numerals import numbers_in_text, parse_numeral
from evals.zh.script import HAN_BLOCKS, han_count, han_re, han_run_re, is_han


def test_table_agrees_with_the_unicode_database():
    """Every ideograph Python's Unicode database names is in the table, and the table holds nothing else it names."""
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        name = unicodedata.name(char, "")
        ideograph = name.startswith(("CJK UNIFIED IDEOGRAPH-", "CJK COMPATIBILITY IDEOGRAPH-"))
        if name:
            assert is_han(char) == ideograph, hex(code)
        assert (han_re().fullmatch(char) is not None) == is_han(char), hex(code)


def test_every_extension_block_is_listed():
    names = {name for _, _, name in HAN_BLOCKS}
    for letter in "ABCDEFGHI":
        assert f"CJK Unified Ideographs Extension {letter}" in names
    assert {"CJK Unified Ideographs", "CJK Compatibility Ideographs",
            "CJK Compatibility Ideographs Supplement"} <= names
    assert is_han("\U00031350") and is_han("\U0002EBF0")  # Extensions H and I (Unicode 15.0, 15.1)


def test_helpers():
    text = "特朗普(Trump)说𠀀好"
    assert han_count(text) == 6
    assert han_run_re().findall(text) == ["特朗普", "说𠀀好"]
    assert not is_han("ア") and not is_han("한") and not is_han("A")


def test_numeral_readings():
    assert parse_numeral("一萬") == 10000 and parse_numeral("兩千") == 2000
    assert parse_numeral("三四") is None
    assert numbers_in_text("两个小时后，他们在二〇二五年签了三十份协议") == {"2", "2025", "30"}
    assert numbers_in_text("十分重要，一起去") == set()
