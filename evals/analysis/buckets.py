"""Buckets: a partition of a corpus's segments by one property, in order.

A bucket analysis asks "where does a system gain or lose?": short or long
sources, rare or frequent words, easy or hard segments. Every segment lands in
exactly one bucket and buckets never overlap, so their segment counts add up to
the corpus and a bucket's score is a corpus score over its own segments.

Three ways to cut:

* ``quantile_buckets``: numeric values (lengths, sentence scores) into at most
  ``k`` buckets of about equal size; equal values always share a bucket, so a
  bucket is the closed range ``[lo, hi]`` of the values it holds;
* ``edge_buckets``: integers into fixed ranges (word frequencies: 0, 1, 2, 3,
  4, 5–9, 10–99, ..., the last one open);
* ``category_buckets``: one bucket per label (document, domain, origlang).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

#: compare-mt's word-frequency ranges: exact counts up to 4, then decades; the last is open.
FREQUENCY_EDGES = (0, 1, 2, 3, 4, 5, 10, 100, 1000)


@dataclass(frozen=True)
class Bucket:
    """Segments (row indices) whose property lies in ``[lo, hi]`` (``hi`` None: open) or equals ``label``."""

    label: str
    lo: float | int | None
    hi: float | int | None
    indices: tuple[int, ...] = field(default=())

    @property
    def n(self) -> int:
        return len(self.indices)


def number_label(value: float | int) -> str:
    """An integer as itself, any other number with one decimal."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def range_label(lo: float | int, hi: float | int | None) -> str:
    if hi is None:
        return f"{number_label(lo)}+"
    if lo == hi:
        return number_label(lo)
    return f"{number_label(lo)}–{number_label(hi)}"


def quantile_buckets(values: Sequence[float], k: int = 5) -> list[Bucket]:
    """At most ``k`` buckets of about ``len(values) / k`` values each, ordered by value.

    Walks the distinct values in order and closes a bucket once it holds its
    share of the cumulative count, so ties never straddle two buckets (a value
    repeated more than ``n / k`` times fills a bucket alone, and there are
    then fewer than ``k``). NaN values are left out (no bucket can hold them).
    """
    if k < 1:
        raise ValueError("k must be >= 1")
    order = sorted((v, i) for i, v in enumerate(values) if not math.isnan(v))
    n = len(order)
    buckets: list[Bucket] = []
    start = 0
    position = 0
    while position < n:
        value = order[position][0]
        end = position
        while end < n and order[end][0] == value:
            end += 1
        target = (len(buckets) + 1) * n / k
        if end >= target or end == n:
            members = order[start:end]
            lo, hi = members[0][0], members[-1][0]
            buckets.append(Bucket(range_label(lo, hi), lo, hi, tuple(sorted(i for _, i in members))))
            start = end
        position = end
    return buckets


def edge_buckets(values: Sequence[int], edges: Sequence[int] = FREQUENCY_EDGES, *,
                 keep_empty: bool = True) -> list[Bucket]:
    """Integers into ``[edges[j], edges[j+1] - 1]``, the last range open; values below ``edges[0]`` are left out."""
    members: list[list[int]] = [[] for _ in edges]
    for index, value in enumerate(values):
        slot = edge_index(value, edges)
        if slot is not None:
            members[slot].append(index)
    out = []
    for j, lo in enumerate(edges):
        hi = edges[j + 1] - 1 if j + 1 < len(edges) else None
        if members[j] or keep_empty:
            out.append(Bucket(range_label(lo, hi), lo, hi, tuple(members[j])))
    return out


def edge_index(value: int, edges: Sequence[int]) -> int | None:
    """The range of ``edge_buckets`` that holds ``value`` (None below the first edge)."""
    import bisect

    slot = bisect.bisect_right(edges, value) - 1
    return None if slot < 0 else slot


def category_buckets(labels: Sequence[str | None], *, missing: str = "(none)",
                     order: Callable[[str], object] | None = None) -> list[Bucket]:
    """One bucket per distinct label, in first-appearance order (or sorted by ``order``)."""
    members: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(missing if label is None else str(label), []).append(index)
    names = list(members) if order is None else sorted(members, key=order)
    return [Bucket(name, None, None, tuple(members[name])) for name in names]
