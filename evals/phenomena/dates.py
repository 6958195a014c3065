"""Dates and weekdays: 周一/星期一/礼拜一 → Monday, 3月5日 → March 5 / 5 March, 2021年 → 2021.

Items, read from the NFKC source:

* a weekday (周, 週, 星期, 礼拜 + 一…六/日/天): the English day name or its
  three-letter abbreviation must appear;
* a month and day (3月5日, 三月五日, 3月5号): the month's name (or its
  abbreviation) and the day's number (5, 5th, fifth) must appear;
* a month alone (12月, not 12个月 "twelve months"): the month's name;
* a day alone (11日, 今（11）日, the news style for "on the 11th"): its number;
* a year (2021年, 二〇二一年): its four digits.

Numbers inside dates are this check's, not the number check's
(``spans`` tells it which).
"""

from __future__ import annotations

import re

from evals.phenomena.english_numbers import contains_value, values_in_text
from evals.phenomena.items import Item, normal_source
from evals.zh.numerals import DIGITS, parse_numeral

NAME = "dates"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
_ZH_DAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_NUM = r"\d{1,2}|[一二三四五六七八九十]{1,3}"
_WEEKDAY = re.compile(r"(?:星期|礼拜|禮拜|[周週])([一二三四五六日天])")
_MONTH_DAY = re.compile(rf"(?<![\d个個])({_NUM})\s?月(?:份)?\s?({_NUM})\s?[日号號]")
_MONTH_RANGE = re.compile(rf"(?<![\d个個])({_NUM})\s?[至到~-]\s?({_NUM})\s?月(?!份?\s?(?:{_NUM})\s?[日号號])")
_MONTH = re.compile(rf"(?<![\d个個一二三四五六七八九十])({_NUM})\s?月(?!份?\s?(?:{_NUM})\s?[日号號])")
_DAY = re.compile(rf"(?<![\d月])(?:[（(]\s*)?(\d{{1,2}}|[一二三四五六七八九十]{{1,3}})(?:\s*[）)])?日")
#: Years in Chinese digits start 一九 or 二〇/二零 (三四五六年级 is "grades 3 to 6").
_YEAR = re.compile(r"(?<!\d)(\d{4}|(?<![零〇一二三四五六七八九])(?:一九|二[〇零])[零〇一二三四五六七八九]{2})年")
#: Months of the lunar calendar (农历十一月): "the eleventh lunar month", no month name.
_LUNAR = re.compile(r"(?:农历|農曆|阴历|陰曆)\s?$")


def _value(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if len(text) == 4 and all(ch in DIGITS for ch in text):
        return int("".join(str(DIGITS[ch]) for ch in text))
    return parse_numeral(text) if len(text) > 1 or text != "一" else 1


def items(source: str) -> list[Item]:
    text = normal_source(source)
    found: list[Item] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match, key) -> None:
        start, end = match.span()
        if key is not None and key[0] in ("month", "month-day") and _LUNAR.search(text[max(0, start - 3):start]):
            key = None
        if key is None or any(a < end and start < b for a, b in taken):
            return
        taken.append((start, end))
        found.append(Item(NAME, match.group(), start, end, key))

    for match in _WEEKDAY.finditer(text):
        if text[match.end():match.end() + 1] == "年":  # 周一年 is no weekday
            continue
        add(match, ("weekday", _ZH_DAY[match.group(1)]))
    for match in _MONTH_DAY.finditer(text):
        month, day = _value(match.group(1)), _value(match.group(2))
        if month and day and 1 <= month <= 12 and 1 <= day <= 31:
            add(match, ("month-day", month, day))
    for match in _MONTH_RANGE.finditer(text):  # 3至6月: March to June, two items
        first, last = _value(match.group(1)), _value(match.group(2))
        if first and last and 1 <= first < last <= 12:
            start = match.start()
            for month, span in ((first, match.span(1)), (last, match.span(2))):
                found.append(Item(NAME, match.group(), *span, ("month", month)))
            taken.append(match.span())
    for match in _YEAR.finditer(text):
        add(match, ("year", _value(match.group(1))))
    for match in _MONTH.finditer(text):
        month = _value(match.group(1))
        if text[match.end():match.end() + 1] in _ZH_DAY and not text[match.end():match.end() + 2].startswith("日"):
            continue  # 二月二 (the lunar festival): a day of the lunar calendar
        if month and 1 <= month <= 12:
            add(match, ("month", month))
    for match in _DAY.finditer(text):
        day = _value(match.group(1))
        if day and 1 <= day <= 31 and (match.group(1).isdigit() or len(match.group(1)) > 1):
            add(match, ("day", day))
    return sorted(found, key=lambda i: i.start)


def spans(source: str) -> list[tuple[int, int]]:
    return [(i.start, i.end) for i in items(source)]


def _has_name(names: tuple[str, ...], index: int, hypothesis: str) -> bool:
    name = names[index]
    return re.search(rf"\b(?:{name}|{name[:3]}\.?)\b", hypothesis, re.IGNORECASE) is not None


def _numeric_date(month: int, day: int, hypothesis: str) -> bool:
    """2022-01-17, 1/17, 17/1, 17.1.: a month and day written in digits."""
    m, d = rf"0?{month}", rf"0?{day}"
    return re.search(rf"(?<!\d)(?:{m}[-/.]{d}|{d}[-/.]{m})(?!\d)", hypothesis) is not None


def matched(found: list[Item], hypothesis: str) -> list[bool]:
    values = values_in_text(hypothesis) if found else set()
    out = []
    for item in found:
        kind, *rest = item.key
        if kind == "weekday":
            ok = _has_name(WEEKDAYS, rest[0], hypothesis)
        elif kind == "month-day":
            ok = (_has_name(MONTHS, rest[0] - 1, hypothesis) and contains_value(values, rest[1])
                  or _numeric_date(rest[0], rest[1], hypothesis))
        elif kind == "month":
            ok = _has_name(MONTHS, rest[0] - 1, hypothesis)
        elif kind == "day":
            ok = contains_value(values, rest[0])
        else:
            ok = re.search(rf"(?<!\d){rest[0]}(?!\d)", hypothesis) is not None
        out.append(ok)
    return out
