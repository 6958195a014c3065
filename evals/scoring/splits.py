"""Scores of a corpus's parts: WMT's source- and target-original halves, and its domains.

WMT reports a test set's source-original documents (written in the source
language, then translated) apart from its target-original ones (translated
*into* the source language first), because systems score very differently
on "translationese" input; it also reads scores per domain. A segment says
which part it belongs to in its ``origlang`` and ``domain`` fields (the WMT
XML loader fills them).

A split is stored as a corpus of its own, named ``CORPUS · FIELD=VALUE``
(``split_name``), holding only pooled system-level rows: pooled from the
statistics rows the corpus was scored with (no recomputation), with their
own bootstrap interval. It has no translations or segments of its own, so
comparisons and the gate, which work from a run's translations, never see
it; the leaderboard, ``mteval show`` and the dashboard list it next to its
corpus. No document rows: a WMT document lies wholly inside one half and one
domain, so its score is already the corpus's document row.

A field that is unset everywhere, or has one value for every segment, gives
no split: that part would be the corpus itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evals.corpora.model import Segment

#: The Segment fields a corpus is split by, in display order.
SPLIT_FIELDS = ("origlang", "domain")
SEPARATOR = " · "


def split_name(corpus: str, field: str, value: str) -> str:
    """The corpus name a split's scores are stored under, e.g. ``wmt22 · origlang=zh``."""
    return f"{corpus}{SEPARATOR}{field}={value}"


def corpus_splits(corpus: str, segments: Sequence["Segment"]) -> dict[str, list[int]]:
    """Each split's name and the positions (in ``segments``) of its segments; empty when nothing splits.

    Values appear in order of first appearance; segments without a value for
    a field are in none of its splits.
    """
    out: dict[str, list[int]] = {}
    for field in SPLIT_FIELDS:
        groups: dict[str, list[int]] = {}
        for index, segment in enumerate(segments):
            value = getattr(segment, field)
            if value is not None:
                groups.setdefault(value, []).append(index)
        if len(groups) == 1 and len(next(iter(groups.values()))) == len(segments):
            continue  # the whole corpus
        out.update((split_name(corpus, field, value), positions) for value, positions in groups.items())
    return out
