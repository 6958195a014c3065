"""Quotation balance: where the source quotes, the hypothesis's quotes are opened and closed.

Items are the source's double quotations (“…”, 「…」, 『…』, "…" after NFKC;
one item a pair). They are all matched when the hypothesis's double quotes
are balanced, and all missed when they are not: a quote left open (the
hypothesis ends inside a quotation), a closing ” with none open, an opening “
inside an open quotation, or the marks turned round (”…“). A straight ``"``
closes an open quotation, else opens one, so mixed styles ("…”) balance.

Dropping quotation marks is not a miss: English writes ship names, festival
names and emphasised words without the quotes Chinese puts around them, and
on the labelled WMT22 sample a "fewer pairs than the source" rule was wrong
most of the time. Single quotes are not read: ’ and ' are apostrophes in
English far more often than quotes.
"""

from __future__ import annotations

from evals.phenomena.items import Item, normal_source

NAME = "quotes"
_OPEN, _CLOSE = "“「『«", "”」』»"


def balanced(text: str) -> bool:
    """Whether every double quotation ``text`` opens is closed, in order (see the module doc)."""
    inside = False
    for ch in text:
        if ch in _OPEN:
            if inside:
                return False
            inside = True
        elif ch in _CLOSE:
            if not inside:
                return False
            inside = False
        elif ch == '"':
            inside = not inside
    return not inside


def _pairs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each quotation of the source, read leniently (the source's own balance is no item)."""
    out, start = [], None
    for i, ch in enumerate(text):
        if start is None and (ch in _OPEN or ch == '"'):
            start = i
        elif start is not None and (ch in _CLOSE or ch == '"'):
            out.append((start, i + 1))
            start = None
    return out


def items(source: str) -> list[Item]:
    text = normal_source(source)
    return [Item(NAME, text[a:b], a, b, "quotation") for a, b in _pairs(text)]


def matched(found: list[Item], hypothesis: str) -> list[bool]:
    ok = balanced(hypothesis) if found else True
    return [ok] * len(found)
