"""Numbers: the source's numbers, Arabic or Chinese, scaled by 万/亿, found by value in the hypothesis.

Items are ``evals.zh.numerals.kept_number_spans`` of the NFKC source outside
dates (``evals.phenomena.dates``) and copied strings (placeholders, URLs). A
number matches when the hypothesis mentions its value in any form
(``evals.phenomena.english_numbers``): 3.5亿 matches "350 million",
"350,000,000" and "0.35 billion"; 两百多 matches "more than 200"; the hour of
a 24-hour time (18:40) also matches its 12-hour form (6:40 pm), a decade
(80年代) matches "1980s" and "the eighties". Digits that are part of a
Latin-script name (CMV-22B, F-35C) are the names check's.
"""

from __future__ import annotations

import re

from evals.phenomena import copies, dates
from evals.phenomena.english_numbers import contains_value, values_in_text
from evals.phenomena.items import Item, normal_source
from evals.zh.numerals import kept_number_spans

NAME = "numbers"
_LATIN_BEFORE = re.compile(r"[A-Za-z]-?$")


def items(source: str) -> list[Item]:
    text = normal_source(source)
    skip = dates.spans(source) + copies.spans(source)
    found = []
    for start, end, value in kept_number_spans(text):
        if any(a < end and start < b for a, b in skip) or _LATIN_BEFORE.search(text[max(0, start - 2):start]):
            continue  # CMV-22B, F-35C, PS5: a part of a Latin-script name, the names check's
        found.append(Item(NAME, text[start:end], start, end, (value, _alternatives(text, end, value))))
    return found


def _alternatives(text: str, end: int, value: float | str) -> tuple[float, ...]:
    """Other values a correct translation may give: 6 for the hour of 18:40, 1980 for 80年代, 19xx for 20世纪."""
    after = text[end:end + 3].lstrip()
    if isinstance(value, str):
        return ()
    if after.startswith(":") and 13 <= value <= 23:
        return (value - 12,)
    if after.startswith("年代") and value < 100:
        return (1900 + value, 2000 + value)
    if after.startswith("世纪") and value in (20, 21):
        return tuple(float(y) for y in range(int(value - 1) * 100, int(value) * 100))
    return ()


def matched(found: list[Item], hypothesis: str) -> list[bool]:
    values = values_in_text(hypothesis) if found else set()
    return [value in hypothesis if isinstance(value, str)
            else any(contains_value(values, v) for v in (value, *alternatives))
            for value, alternatives in (item.key for item in found)]
