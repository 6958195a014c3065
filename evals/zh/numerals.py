"""Chinese numerals: 三十, 两千, 一亿五千万, 二〇二五 — the one table, and two readings of it.

Both scripts' characters are in the table (两/兩, 万/萬, 亿/億): the lexicon
reads Traditional text as written, and the ``gloss`` system, which converts
to Simplified first, never sees the Traditional ones.

Two readings, because the callers ask different questions:

* ``parse_numeral`` — is this *word* a numeral, and which? Strict: ``None``
  for anything that is not one, and for digit pairs such as 三四 ("three or
  four") and 一一 ("one by one"). The ``gloss`` system renders the result.
* ``numbers_in_text`` — which numbers does a *sentence* mention? Lenient
  (runs of numeral characters, with the common words that look like numerals
  masked out), for the sentence aligner's number evidence.

They read malformed strings differently (a leading 万, a 零 before a unit);
each caller's output depends on its reading, so neither is bent to the other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

DIGITS: Mapping[str, int] = MappingProxyType(
    {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
     "九": 9}
)
#: Units inside a section of four digits.
SMALL_UNITS: Mapping[str, int] = MappingProxyType({"十": 10, "百": 100, "千": 1000})
#: Units that scale a whole section, largest first.
BIG_UNITS: Mapping[str, int] = MappingProxyType({"亿": 10**8, "億": 10**8, "万": 10**4, "萬": 10**4})
NUMERAL_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS)


def parse_numeral(text: str) -> int | None:
    """三十 → 30, 两 → 2, 一百一十二 → 112, 二〇二四 → 2024; None if not a numeral."""
    if not text or any(ch not in NUMERAL_CHARS for ch in text):
        return None
    if all(ch in DIGITS for ch in text):
        if len(text) > 1 and len(text) < 3 and "〇" not in text and "零" not in text:
            return None  # 三四 is "three or four", 一一 "one by one": not 34 or 11
        value = 0
        for ch in text:
            value = value * 10 + DIGITS[ch]
        return value
    for big, scale in BIG_UNITS.items():
        if big in text:
            left, _, right = text.rpartition(big)
            high = parse_numeral(left) if left else 1
            low = parse_numeral(right.lstrip("零")) if right.lstrip("零") else 0
            if high is None or low is None:
                return None
            return high * scale + low
    total, digit = 0, None
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * SMALL_UNITS[ch]
            digit = None
    return total + (digit or 0)


_NUMERAL_RUN = re.compile(f"[{NUMERAL_CHARS}]+")
# A lone digit counts only before a measure word: 三年, 两个小时, 两位领导人.
_MEASURE_WORDS = "年月日天个個位名次岁歲周週倍架人国國方小分秒种種场場项項点點家条條"
# Numeral-looking words that are not numbers.
_NOT_NUMBERS = ("十分", "万一", "萬一", "千万", "千萬", "一些", "一起", "一样", "一樣",
                "一直", "一致", "一定", "一般", "一切", "一边", "一邊", "百姓", "统一",
                "統一", "唯一", "一下", "一旦", "一点", "一點", "万万", "萬萬", "一再")  # fmt: skip


def _run_value(run: str) -> int:
    if not any(ch in SMALL_UNITS or ch in BIG_UNITS for ch in run):
        return int("".join(str(DIGITS[ch]) for ch in run))  # 二〇二五 -> 2025
    total = section = digit = 0
    for ch in run:
        if ch in DIGITS:
            digit = DIGITS[ch]
        elif ch in SMALL_UNITS:
            section += (digit or 1) * SMALL_UNITS[ch]
            digit = 0
        else:
            total += (section + digit) * BIG_UNITS[ch]
            section = digit = 0
    return total + section + digit


def numbers_in_text(text: str) -> set[str]:
    """Values of the Chinese numerals ``text`` mentions, as digit strings ("两个小时" → {"2"}).

    A lone 一 is skipped (it mostly means "a"), as is a lone digit not before
    a measure word, and a bare 万 or 亿 (a scale after an Arabic number, which
    the caller reads with the number).
    """
    masked = text
    for word in _NOT_NUMBERS:
        masked = masked.replace(word, "＿" * len(word))
    found = set()
    for match in _NUMERAL_RUN.finditer(masked):
        run = match.group()
        following = masked[match.end() : match.end() + 1]
        if len(run) == 1 and run in DIGITS and (run == "一" or following not in _MEASURE_WORDS):
            continue
        if len(run) == 1 and run in BIG_UNITS:
            continue
        found.add(str(_run_value(run)))
    return found
