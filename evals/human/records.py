"""What a human-score reader yields: ratings, error spans and (when the file has them) system scores.

Readers keep every rating with the file line it came from, so later checks (a duplicate
(system, segment, rater) with a different score) can name the line. ``HumanFile.segment_scores``
averages a segment's ratings over its raters, the one aggregation every format shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.errors import InputError


@dataclass(frozen=True)
class Rating:
    """One rater's score of one (system, segment); ``rater`` is '' when the file does not say."""

    system: str
    seg_id: str
    value: float
    rater: str
    line: int
    n: int = 1  # how many ratings the value already averages (WMT DA's N column)


@dataclass(frozen=True)
class ErrorSpan:
    """One annotated error: character offsets into the hypothesis text (marks removed), or None without a span."""

    system: str
    seg_id: str
    rater: str
    start: int | None
    end: int | None
    category: str
    severity: str
    weight: float


@dataclass(frozen=True)
class SystemRating:
    """A system-level score a file states itself (WMT's ``ad-sys-scores``)."""

    system: str
    value: float
    n: int
    line: int


@dataclass(frozen=True)
class SegmentScore:
    """A segment's human score: the mean over its raters, with each rater's score in ``raters``."""

    system: str
    seg_id: str
    value: float
    n: int
    raters: dict[str, float]


@dataclass
class HumanFile:
    """Everything one human-score file says, before it is matched to a run."""

    path: Path
    format: str
    signature: str
    ratings: list[Rating] = field(default_factory=list)
    errors: list[ErrorSpan] = field(default_factory=list)
    system_ratings: list[SystemRating] = field(default_factory=list)
    texts: dict[tuple[str, str], str] = field(default_factory=dict)  # (system, seg_id) -> annotated text
    system_path: Path | None = None
    aliases: dict[str, str] = field(default_factory=dict)  # the format's own name map (MQM's ref-A -> ref)
    extra: dict[str, Any] = field(default_factory=dict)  # format-specific (MQM: each segment's doc and source)

    def segment_scores(self) -> list[SegmentScore]:
        """One score per rated (system, segment): the mean of its raters' scores; duplicates checked."""
        by_item: dict[tuple[str, str], dict[str, Rating]] = {}
        for rating in self.ratings:
            raters = by_item.setdefault((rating.system, rating.seg_id), {})
            seen = raters.get(rating.rater)
            if seen is not None:
                if seen.value != rating.value:
                    who = f", rater {rating.rater!r}" if rating.rater else ""
                    raise InputError(
                        f"system {rating.system!r}, segment {rating.seg_id!r}{who} is rated twice with different "
                        f"scores ({seen.value:g} on line {seen.line}, {rating.value:g} here)",
                        path=self.path, line=rating.line, field="score")
                continue
            raters[rating.rater] = rating
        out = []
        for (system, seg_id), raters in by_item.items():
            values = [r.value for r in raters.values()]
            out.append(SegmentScore(system, seg_id, sum(values) / len(values), sum(r.n for r in raters.values()),
                                    {name: r.value for name, r in raters.items()}))
        return out


def number(text: str, path: Path, line: int, field_name: str) -> float:
    """A finite number from a file cell, or an ``InputError`` naming file, line and field."""
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"not a number: {text[:40]!r}", path=path, line=line, field=field_name) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(f"not a finite number: {text[:40]!r}", path=path, line=line, field=field_name)
    return value


def count(text: str, path: Path, line: int, field_name: str) -> int:
    """A non-negative whole number from a file cell."""
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise InputError(f"not a count: {text[:40]!r}", path=path, line=line, field=field_name)
    return int(text)
