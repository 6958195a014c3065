"""Which references a system is scored against: all of the corpus's, or all but the one it is.

A system whose hypotheses are one of the corpus's own references
(``reference:K``, ``System.holds_out_reference``) must not be scored against
itself: with references A and B, ``reference:2`` (translator B as a system)
is scored against A alone, while every MT system of the run is scored against
both. The runner and comparisons of stored runs build the statistics, their
cache keys and the metric (``nrefs`` in its signature) from the references
this module gives, so a held-out system's statistics are keyed by its own
reference set and never mix with the full-reference ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from evals.errors import UsageError

if TYPE_CHECKING:
    from evals.corpora.model import Segment


def held_out_reference(system: Any) -> int | None:
    """The (0-based) reference ``system``'s hypotheses are, which it is not scored against; None for MT systems."""
    return system.reference_index if system.holds_out_reference else None


def held_out_of_spec(spec: str) -> int | None:
    """``held_out_reference`` of a stored system, from its spec (a backend this mteval lacks holds none out).

    Only a system that declares ``holds_out_reference`` is built (cheaply:
    it reads no file), so comparing a stored run needs no system's files.
    """
    from evals.systems.registry import build_system, system_class

    try:
        if not system_class(spec).holds_out_reference:
            return None
        return held_out_reference(build_system(spec))
    except UsageError:
        return None


def scored_references(references: Sequence[str], held_out: int | None) -> tuple[str, ...]:
    """The references a segment is scored against: ``references`` without the held-out one."""
    references = tuple(references)
    if held_out is None:
        return references
    return references[:held_out] + references[held_out + 1:]


def scored_segments(segments: Sequence["Segment"], held_out: int | None) -> Sequence["Segment"]:
    """The corpus as a held-out system is scored on: each segment without the held-out reference.

    ``segments`` itself (not copied) when nothing is held out. The system
    checked before the run (``System.check``) that every segment keeps at
    least one reference.
    """
    if held_out is None:
        return segments
    out = []
    for segment in segments:
        kept = scored_references(segment.references, held_out)
        out.append(replace(segment, reference=kept[0] if kept else None, more_references=kept[1:]))
    return out
