"""URLs, e-mail addresses and placeholders (WMT22's ``#PRS_ORG#``, ``#NUMBER#``): copied exactly.

Each occurrence in the source is an item; the hypothesis matches as many
occurrences of a string as it contains (two ``#PRS_ORG#`` in the source and
one in the hypothesis: one of two matched). Exact means byte for byte:
``# PRS_ORG #`` or a translated placeholder is a miss. A URL's trailing
sentence punctuation is not part of it.
"""

from __future__ import annotations

import re
from collections import Counter

from evals.phenomena.items import Item, normal_source

NAME = "copies"
PLACEHOLDER = re.compile(r"#[A-Z][A-Z_]*#")
URL = re.compile(r"(?:https?://|www\.)[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef，。；：！？、（）]+", re.IGNORECASE)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_TRAILING = ".,;:!?)]}'\""


def spans(source: str) -> list[tuple[int, int]]:
    """Where the copied strings are in the NFKC source (for other checks to skip them)."""
    return [(i.start, i.end) for i in items(source)]


def items(source: str) -> list[Item]:
    text = normal_source(source)
    found: list[Item] = []
    taken: list[tuple[int, int]] = []
    for pattern in (URL, EMAIL, PLACEHOLDER):
        for match in pattern.finditer(text):
            start, end = match.span()
            while end > start and text[end - 1] in _TRAILING:
                end -= 1
            if any(a < end and start < b for a, b in taken) or end == start:
                continue
            taken.append((start, end))
            found.append(Item(NAME, text[start:end], start, end, text[start:end]))
    return sorted(found, key=lambda i: i.start)


def matched(found: list[Item], hypothesis: str) -> list[bool]:
    available = Counter({key: hypothesis.count(key) for key in {i.key for i in found}})
    out = []
    for item in found:
        out.append(available[item.key] > 0)
        available[item.key] -= 1
    return out
