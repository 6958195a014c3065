"""Latin-script names and brands given in the source appear in the hypothesis: 特朗普(Donald Trump) → "Donald Trump".

Items are runs of Latin-script words in the NFKC source (words joined by
spaces, ``-``, ``&``, ``.``, ``'``) that contain an upper-case letter and at
least two letters: names, brands, acronyms (``Olive Oil``, ``PMP``,
``iPhone 13``). All-lower-case words are left out: in chat and e-commerce
text they are mostly code-mixed English (我 order 了) or units (km, ml) that a
translation rewrites. Placeholders, URLs and e-mail addresses are the
``copies`` check's. A name matches when the hypothesis contains it ignoring
case, spacing and punctuation (``Wi-Fi`` matches ``WiFi``).
"""

from __future__ import annotations

import re

from evals.phenomena import copies
from evals.phenomena.items import Item, normal_source

NAME = "names"
_RUN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[ .&'’+-]+[A-Za-z0-9]+)*[+]*")


def _compact(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def items(source: str) -> list[Item]:
    text = normal_source(source)
    skip = copies.spans(source)
    found = []
    for match in _RUN.finditer(text):
        start, end = match.span()
        name = match.group()
        if any(a < end and start < b for a, b in skip):
            continue
        if not any(ch.isupper() for ch in name) or sum(ch.isalpha() for ch in name) < 2:
            continue
        found.append(Item(NAME, name, start, end, _compact(name)))
    return found


def matched(found: list[Item], hypothesis: str) -> list[bool]:
    compact = _compact(hypothesis) if found else ""
    return [item.key in compact for item in found]
