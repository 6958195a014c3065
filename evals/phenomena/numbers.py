"""Numbers: the source's numbers, Arabic or Chinese, scaled by 万/亿, found by value in the hypothesis.

Items are ``evals.zh.numerals.kept_number_spans`` of the NFKC source outside
dates (``evals.phenomena.dates``) and copied strings (placeholders, URLs). A
number matches when the hypothesis mentions its value in any form
(``evals.phenomena.english_numbers``): 3.5亿 matches "350 million",
"350,000,000" and "0.35 billion"; 两百多 matches "more than 200"; the hour of
a 24-hour time (18:40) also matches its 12-hour form (6:40 pm).
"""

from __future__ import annotations

from evals.phenomena import copies, dates
from evals.phenomena.english_numbers import contains_value, values_in_text
from evals.phenomena.items import Item, normal_source
from evals.zh.numerals import kept_number_spans

NAME = "numbers"


def items(source: str) -> list[Item]:
    text = normal_source(source)
    skip = dates.spans(source) + copies.spans(source)
    found = []
    for start, end, value in kept_number_spans(text):
        if any(a < end and start < b for a, b in skip):
            continue
        hour = value if text[end:end + 1] == ":" and 13 <= value <= 23 else None
        found.append(Item(NAME, text[start:end], start, end, (value, hour)))
    return found


def matched(found: list[Item], hypothesis: str) -> list[bool]:
    values = values_in_text(hypothesis) if found else set()
    return [contains_value(values, value) or (hour is not None and contains_value(values, hour - 12))
            for value, hour in (item.key for item in found)]
