"""One phenomenon item: a span of the source a translation must render, and the source text it is read from."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Item:
    """A thing found in the source (``text`` at ``start:end`` of the NFKC source) and what must match it.

    ``key`` is what the hypothesis must contain, in the check's own terms
    (a number's value, a month and day, a name, an exact string).
    """

    check: str
    text: str
    start: int
    end: int
    key: Any


def normal_source(source: str) -> str:
    """The source as every check reads it: NFKC (full-width digits, letters and ＃ become ASCII)."""
    return unicodedata.normalize("NFKC", source)
