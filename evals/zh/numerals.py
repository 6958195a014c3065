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


# -- a third reading: which numbers must a translation keep ---------------------------------------

#: Arabic numbers with thousands separators and decimals: 1,000 / 3.5 / 31.2.
_ARABIC = r"\d+[万萬]\d{4}(?!\d)|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
#: Dotted codes (model numbers, 424.10.37.20.01.001): one item, kept as written.
_CODE = re.compile(r"(?<![\d.])\d+(?:\.\d+){2,}(?![\d.])")
#: A dotted date (2021.6.11): no code, and not a number a translation keeps as written.
_DOTTED_DATE = re.compile(r"(?:19|20)\d\d\.(?:1[0-2]|0?[1-9])\.(?:3[01]|[12]\d|0?[1-9])")
#: Scale words after a number: 3万, 3.5亿, 10余万, 2千万, 1万亿.
_SCALE = r"(?:\s?[多余]?(?:万亿|萬億|千万|千萬|百万|百萬|亿|億|万|萬|千|百)(?![分之]))?"
#: Numeral-looking words that are not numbers a translation keeps as a number (vague quantities,
#: fractions and idioms): masked before runs are read.
_NOT_KEPT = re.compile(
    r"[几幾数數]+[十百千万萬亿億]+|[十百千万萬]+[几幾来來]|上[百千万萬]|成[千百]|千[方军軍]|百[花货貨般]"
    r"|万[一岁歲物]|萬[一歲物]|一[些起样樣直致定般切边邊下旦点點再]|百姓|[统統唯]一|千[万萬](?![元人个個])"
    r"|十分(?!钟|鐘)|[零〇一二两兩三四五六七八九十百千万萬亿億\d]+分之[零〇一二两兩三四五六七八九十百千万萬亿億\d]+"
    r"|双十[一二]|雙十[一二]|星期[一二三四五六日天]|礼拜[一二三四五六日天]|禮拜[一二三四五六日天]"
    r"|[周週][一二三四五六日天]|十[一二三四]五|红十字|紅十字|十足|四周|三位一体|第二天|一百分|百分二百")


def kept_number_spans(text: str) -> list[tuple[int, int, float | str]]:
    """(start, end, value) of every number a translation of ``text`` should render as that number.

    Arabic numbers with their Chinese scales (3.5亿 → 350,000,000, 3万 → 30,000)
    and Chinese numerals read with ``parse_numeral`` (strict: 三四 is "three or
    four", not 34), scaled the same way. Left out, because a correct
    translation need not contain the value: vague quantities (几十, 上万, 十几),
    fractions other than 百分之 (三分之一 is "a third"), weekdays (周一),
    Double Eleven (双十一), idioms (千方百计, 一些), a lone 一 or 1 (mostly
    "a"), and a lone Chinese digit that is not before a measure word (三星 is
    Samsung). A dotted code (a model number: 424.10.37.20.01.001) is one
    span whose value is its text. Callers that read dates mask those spans first.
    """
    spans: list[tuple[int, int, float]] = []
    # 百分之三十 is a percentage, kept; other X分之Y are fractions: hide 百分之 from the fraction mask.
    masked = _NOT_KEPT.sub(lambda m: "＿" * len(m.group()), text.replace("百分之", "ΠΠΠ")).replace("ΠΠΠ", "百分之")
    for match in _CODE.finditer(masked):
        if _DOTTED_DATE.fullmatch(match.group()):
            continue
        spans.append((match.start(), match.end(), match.group()))
    masked = _CODE.sub(lambda m: "＿" * len(m.group()), masked)
    for match in re.finditer(f"({_ARABIC}){_SCALE}", masked):
        digits = match.group(1).replace(",", "")
        if "万" in digits or "萬" in digits:
            high, _, low = digits.replace("萬", "万").partition("万")
            digits = str(int(high) * 10**4 + int(low))
        value = float(digits) * _scale_of(match.group()[len(match.group(1)):])
        if value == 1 and digits == "1" and not match.group()[len(match.group(1)):]:
            continue
        spans.append((match.start(), match.end(), value))
    for match in _NUMERAL_RUN.finditer(masked):
        run, start = match.group(), match.start()
        if start and masked[start - 1].isdigit() or start and masked[start - 1] in ".,":
            continue  # the scale of an Arabic number, read above
        value = parse_numeral(run)
        if value is None or (len(run) > 2 and all(ch in DIGITS for ch in run) and not set(run) & set("〇零")):
            continue  # 一二三年级 is "grades one, two and three"; digit by digit is a year only with 〇
        following = masked[match.end():match.end() + 1]
        measures = _TWO_MEASURE_WORDS if run in "两兩" else _MEASURE_WORDS_KEPT
        if len(run) == 1 and (run in "一零〇" or (run in DIGITS and (not following or following not in measures))
                              or run in "百千万萬亿億"):
            continue
        if following == "成" and value < 10:  # 四成: four tenths, "40%"
            value *= 10
        spans.append((start, match.end(), float(value)))
    return sorted(spans)


#: Measure words after a lone Chinese digit that make it a quantity (``_MEASURE_WORDS`` and more).
#: Not 人, 国 or 方 (父母两人, 两国 and 三方 are "the parents", "both countries", "tripartite").
_MEASURE_WORDS_KEPT = ("".join(ch for ch in _MEASURE_WORDS if ch not in "人国國方")
                       + "元块塊件只隻张張台臺辆輛米斤本部所座篇首句招层層期届屆款双雙对對组組份排成")

#: A lone 两 is a number a translation keeps only before units of time, money and measure: 两个组织,
#: 两日 (after 21日、22日) and 两个大局 are "the two", "both", or left implicit by good translations.
_TWO_MEASURE_WORDS = "年月天周週倍元块塊岁歲次件张張台臺辆輛米斤本部座篇期届屆款小分秒"


def _scale_of(suffix: str) -> float:
    """The multiplier of a scale suffix (多/余 "more than" does not change the value)."""
    value = 1.0
    for ch in suffix:
        if ch in BIG_UNITS:
            value *= BIG_UNITS[ch]
        elif ch in SMALL_UNITS:
            value *= SMALL_UNITS[ch]
    return value
