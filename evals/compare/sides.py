"""The side data model: one system's outputs and statistics, and how a user names a side.

At the bottom of ``evals.compare``: everything else builds these, nothing here
imports upward.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.errors import InputError, UsageError, did_you_mean

if TYPE_CHECKING:
    import numpy as np

    from evals.metrics.base import Metric


def text_hash(text: str | None) -> str | None:
    """sha256 of a text (UTF-8), or None: how baseline files identify sources and references."""
    return None if text is None else hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def references_hash(references: Sequence[str]) -> str | None:
    """What identifies a segment's references in records and baseline files (``reference_sha256``).

    None without a reference; one reference: ``text_hash`` of it, as before
    several references existed (older baseline files keep matching); several:
    sha256 of their JSON list, in order, so other texts or another count never
    match.
    """
    references = list(references)
    if not references:
        return None
    if len(references) == 1:
        return text_hash(references[0])
    return text_hash(json.dumps(references, ensure_ascii=False))


@dataclass(frozen=True)
class SegmentRecord:
    """One translated segment of a side; texts may be absent (baseline files keep hashes)."""

    corpus: str
    seg_id: str
    doc_id: str
    source_hash: str
    reference_hash: str | None
    flags: tuple[str, ...] = ()
    source: str | None = None
    reference: str | None = None
    hypothesis: str | None = None
    #: Every reference (``reference`` is the first); empty where texts are absent or there is none.
    references: tuple[str, ...] = ()


@dataclass
class MetricData:
    """One metric's per-segment statistics for one corpus of one side.

    ``stats[i]`` belongs to ``seg_ids[i]`` (segments with a reference, for
    reference-based metrics). ``system`` is the stored system-level score and
    ``details`` its stored details (CI, resampling...). ``metric`` is the
    metric instance when the side could build it (stored runs), else None.
    """

    name: str
    signature: str
    options: dict[str, Any]
    target_lang: str
    seg_ids: list[str]
    doc_ids: list[str]
    stats: "np.ndarray"
    system: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    metric: "Metric | None" = None


@dataclass
class CorpusData:
    name: str
    segments: dict[str, SegmentRecord]  # by seg_id, in corpus order
    metrics: dict[str, MetricData]


@dataclass
class SystemData:
    """One system's outputs and statistics: a side of a comparison."""

    label: str
    system: str
    origin: str  # "run" or "file"
    run_id: int | None
    corpora: dict[str, CorpusData]
    info: dict[str, Any] = field(default_factory=dict)


def signature_keys(signature: str) -> dict[str, str]:
    """``"nrefs:1|tok:13a|..."`` as ``{"nrefs": "1", "tok": "13a", ...}``."""
    keys: dict[str, str] = {}
    for part in signature.split("|"):
        key, _, value = part.partition(":")
        keys[key] = value
    return keys


def describe_signature_difference(a: str, b: str) -> str:
    """The keys two signatures disagree on, e.g. ``tok: 13a vs zh``."""
    left, right = signature_keys(a), signature_keys(b)
    differing = [
        f"{key}: {left.get(key, '(absent)')} vs {right.get(key, '(absent)')}"
        for key in dict.fromkeys([*left, *right])
        if left.get(key) != right.get(key)
    ]
    return "; ".join(differing) or "they differ"


def check_names(requested: Sequence[str] | None, available: list[str], what: str, message: str) -> list[str]:
    """``requested`` names in ``available`` order (all when none are requested); an unknown one is an error."""
    if not requested:
        return available
    for name in requested:
        if name not in available:
            raise InputError(f"{message} {name!r}", field=what,
                             hint=did_you_mean(name, available) or f"available: {', '.join(available) or 'none'}")
    return [name for name in available if name in requested]


def missing_value(value: Any) -> bool:
    """A stored value that is absent (None, or NaN as pandas reads NULL)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


# ---- side specs: "RUN[:SYSTEM]" or a baseline file --------------------------------------------


@dataclass(frozen=True)
class SideSpec:
    """What the user named: a run (id or "latest") and system, or a baseline file."""

    run: str | None = None
    system: str | None = None
    path: Path | None = None

    def __str__(self) -> str:
        if self.path is not None:
            return str(self.path) + (f":{self.system}" if self.system else "")
        return f"{self.run}:{self.system}" if self.system else str(self.run)


def parse_side(text: str) -> SideSpec:
    """``3``, ``3:gloss``, ``latest:my-model``, ``baselines/main.json`` (or ``...json:SYSTEM``).

    The run part is an id or ``latest``; everything after the first ``:`` is
    the system name (system names may contain ``:``, e.g. ``file:out.jsonl``).
    """
    text = text.strip()
    if not text:
        raise UsageError("empty system spec", hint="write RUN[:SYSTEM] or a baseline .json file")
    if os.path.isfile(text) or text.lower().endswith(".json"):  # False, not OSError, for too long a name
        return SideSpec(path=Path(text))
    head, sep, tail = text.partition(":")
    if head.isascii() and head.isdigit() or head.lower() == "latest":
        return SideSpec(run=head.lower(), system=tail if sep and tail else None)
    if ".json:" in text:
        path, _, system = text.rpartition(":")
        return SideSpec(path=Path(path), system=system or None)
    raise UsageError(f"cannot read {text!r} as RUN[:SYSTEM] or a baseline file",
                     hint="e.g. 3:gloss, latest:my-model or baselines/main.json")
