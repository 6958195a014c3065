"""Quotation balance: the source's quotations are quotations in the hypothesis, each closed.

The source's double quotation marks (“”, 「」, 『』, straight ``"``, after NFKC)
make ``pairs`` items. The hypothesis matches as many of them as it has
balanced pairs, and none when its quotes are unbalanced: a curly quote opened
and never closed (or closed without being opened), or an odd number of
straight ``"``. Single quotes are not counted: in English ’ and ' are
apostrophes far more often than quotes.
"""

from __future__ import annotations

from evals.phenomena.items import Item, normal_source

NAME = "quotes"
_OPEN, _CLOSE = "“「『«", "”」』»"


def pairs(text: str) -> tuple[int, bool]:
    """(number of quotation pairs, whether every quote is closed) of ``text``."""
    depth = count = 0
    balanced = True
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            if depth == 0:
                balanced = False
            else:
                depth -= 1
                count += 1
    straight = text.count('"')
    return count + straight // 2, balanced and depth == 0 and straight % 2 == 0


def items(source: str) -> list[Item]:
    text = normal_source(source)
    n, _ = pairs(text)
    marks = [i for i, ch in enumerate(text) if ch in _OPEN or ch == '"' and text[:i].count('"') % 2 == 0]
    return [Item(NAME, text[s:s + 1], s, s + 1, k) for k, s in enumerate((marks + [0] * n)[:n])]


def matched(found: list[Item], hypothesis: str) -> list[bool]:
    n, balanced = pairs(hypothesis)
    have = n if balanced else 0
    return [k < have for k in range(len(found))]
