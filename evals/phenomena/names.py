"""Latin-script names and brands given in the source appear in the hypothesis: 特朗普(Donald Trump) → "Donald Trump".

Items are runs of Latin-script words in the NFKC source (words joined by
spaces, ``-``, ``&``, ``.``, ``'``) that contain an upper-case letter and at
least two letters: names, brands, acronyms (``Olive Oil``, ``PMP``,
``iPhone 13``). All-lower-case words are left out: in chat and e-commerce
text they are mostly code-mixed English (我 order 了) or units (km, ml) that a
translation rewrites, and so is a lone English function word in capitals
(最IN的搭配, "the trendiest outfit"). Placeholders, URLs and e-mail addresses are the
``copies`` check's. A name matches when the hypothesis contains it ignoring
case, spacing and punctuation (``Wi-Fi`` matches ``WiFi``) and British or
American spelling (``Catalogue`` matches ``Catalog``).
"""

from __future__ import annotations

import re

from evals.metrics.english_words import ENGLISH_FUNCTION_WORDS
from evals.phenomena import copies
from evals.phenomena.items import Item, normal_source

NAME = "names"
_RUN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[ .&'’+-]+[A-Za-z0-9]+)*[+]*")


#: Short English words Chinese slang writes in capitals (最IN, OUT了, 太NO了): adjectives, not names.
_SLANG = frozenset({"in", "out", "on", "up", "go", "so", "no"})
#: British and American spellings of the same word (Catalogue/Catalog, Colour/Color) are the same name.
_SPELLINGS = ((re.compile("ogue"), "og"), (re.compile("our"), "or"), (re.compile("ise"), "ize"))


def _compact(text: str) -> str:
    compact = "".join(ch for ch in text.casefold() if ch.isalnum())
    for pattern, replacement in _SPELLINGS:
        compact = pattern.sub(replacement, compact)
    return compact


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
        if name.casefold() in ENGLISH_FUNCTION_WORDS or name.casefold() in _SLANG:  # 最IN的搭配: slang "trendiest", no name
            continue
        found.append(Item(NAME, name, start, end, _compact(name)))
    return found


def matched(found: list[Item], hypothesis: str) -> list[bool]:
    compact = _compact(hypothesis) if found else ""
    return [item.key in compact for item in found]
