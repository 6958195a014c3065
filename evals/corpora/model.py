"""The records every stage of mteval passes around: documents and segments.

A ``Segment`` is the unit a system translates and a metric scores. Its JSON
form is the line format of ``corpora/*.jsonl`` (schema in corpora/README.md);
``Segment.from_json`` validates a parsed line and names the offending field.
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from evals.errors import InputError

KINDS = ("paired", "mono-zh", "mono-en")
SCRIPTS = ("zh-Hans", "zh-Hant", "Latn")
LANGS = ("zh", "en")
#: The scripts a source in each language may be written in (``Segment.script`` is the source's).
SOURCE_SCRIPTS = {"zh": ("zh-Hans", "zh-Hant"), "en": ("Latn",)}
#: The largest ``para``: SQLite stores 64-bit integers.
MAX_PARA = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Segment:
    """One source segment, its reference if any, and where it came from.

    Slotted: a million-segment corpus is a million of these in memory, and
    slots save about 40% of each one.
    """

    corpus: str
    doc_id: str
    seg_id: str
    para: int
    source: str
    reference: str | None
    src_lang: str
    tgt_lang: str
    script: str
    bead: str = "1-1"
    score: float | None = None
    #: The second, third, ... references (WMT's reference B), in order; ``reference`` is the first.
    more_references: tuple[str, ...] = ()
    #: The language the document was first written in (WMT's ``origlang``): source- vs target-original.
    origlang: str | None = None
    #: The document's domain where the test set names one (WMT22: news, e-commerce, social, conversation).
    domain: str | None = None

    @property
    def references(self) -> tuple[str, ...]:
        """Every reference, the first one first; empty when the segment has none."""
        return () if self.reference is None else (self.reference, *self.more_references)

    def to_json(self) -> dict[str, Any]:
        """The JSONL form: one reference as ``reference``, several as ``references``; unset extras left out.

        Left out rather than null, so a corpus without them is byte-for-byte
        what it was before they existed (and hashes the same).
        """
        # Every field is a plain value, so no deep copy (asdict's) is needed; this runs per segment.
        out = {name: getattr(self, name) for name in _BASE_FIELDS}
        if self.more_references:
            del out["reference"]
            out["references"] = list(self.references)
        if self.origlang is not None:
            out["origlang"] = self.origlang
        if self.domain is not None:
            out["domain"] = self.domain
        return out

    @classmethod
    def from_json(cls, obj: Any, path: str | None = None, line: int | None = None) -> "Segment":
        """Validate one parsed JSONL object; errors name file, line and field."""

        def fail(message: str, fld: str | None = None) -> InputError:
            return InputError(message, path=path, line=line, field=fld)

        if not isinstance(obj, dict):
            raise fail(f"expected a JSON object, got {type(obj).__name__}")
        unknown = sorted(set(obj) - _JSON_FIELDS)
        if unknown:
            raise fail(f"unknown field(s) {', '.join(unknown)}", unknown[0])
        required_str = ("corpus", "doc_id", "seg_id", "source", "src_lang", "tgt_lang", "script")
        for name in required_str:
            if name not in obj:
                raise fail("missing required field", name)
            if not isinstance(obj[name], str):
                raise fail(f"must be a string, got {type(obj[name]).__name__}", name)
        for name in ("corpus", "doc_id", "seg_id", "src_lang", "tgt_lang", "script"):
            if not obj[name].strip():
                raise fail("must not be empty", name)
        if not obj["source"].strip():
            raise fail("source text is empty or whitespace only", "source")
        _check_pair(obj["src_lang"], obj["tgt_lang"], obj["script"], fail)
        reference = obj.get("reference")
        if reference is not None and not isinstance(reference, str):
            raise fail(f"must be a string or null, got {type(reference).__name__}", "reference")
        more: tuple[str, ...] = ()
        if "references" in obj:
            references = obj["references"]
            if "reference" in obj:
                raise fail("give either 'reference' or 'references', not both", "references")
            if not isinstance(references, list) or not references:
                raise fail("must be a non-empty list of strings", "references")
            for index, text in enumerate(references):
                if not isinstance(text, str):
                    raise fail(f"reference {index + 1} must be a string, got {type(text).__name__}", "references")
                if not text.strip():
                    raise fail(f"reference {index + 1} is empty or whitespace only", "references")
            reference, more = references[0], tuple(references[1:])
        meta = {}
        for name in ("origlang", "domain"):
            value = obj.get(name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise fail("must be a non-empty string or null", name)
            meta[name] = None if value is None else sys.intern(value)
        para = obj.get("para", 0)
        if isinstance(para, bool) or not isinstance(para, int) or not 0 <= para <= MAX_PARA:
            raise fail(f"must be a non-negative integer up to {MAX_PARA}", "para")
        score = obj.get("score")
        if score is not None:
            if isinstance(score, bool) or not isinstance(score, (int, float)) or not _finite(score):
                raise fail("must be a finite number or null", "score")
            score = float(score)
        bead = obj.get("bead", "1-1")
        if not isinstance(bead, str):
            raise fail("must be a string", "bead")
        # Interned: every segment of a corpus repeats these few values, and a
        # million-segment corpus would otherwise hold a million copies of each.
        return cls(
            corpus=sys.intern(obj["corpus"]),
            doc_id=sys.intern(obj["doc_id"]),
            seg_id=obj["seg_id"],
            para=para,
            source=obj["source"],
            reference=reference,
            src_lang=sys.intern(obj["src_lang"]),
            tgt_lang=sys.intern(obj["tgt_lang"]),
            script=sys.intern(obj["script"]),
            bead=sys.intern(bead),
            score=score,
            more_references=more,
            **meta,
        )


def _check_pair(src_lang: str, tgt_lang: str, script: str, fail: Any) -> None:
    """A direction mteval evaluates (zh→en, en→zh) and a script the source language is written in.

    Anything else would be scored as if it were one of them (a French target
    against English tokenisation) and named wrongly in every report.
    """
    directions = ", ".join(f"{a}→{b}" for a in LANGS for b in LANGS if a != b)
    if src_lang not in LANGS:
        raise fail(f"unsupported source language '{src_lang}' (mteval evaluates {directions}: "
                   f"src_lang is one of {', '.join(LANGS)})", "src_lang")
    if tgt_lang not in LANGS or tgt_lang == src_lang:
        allowed = ", ".join(lang for lang in LANGS if lang != src_lang)
        raise fail(f"unsupported target language '{tgt_lang}' for source language '{src_lang}' (mteval "
                   f"evaluates {directions}: tgt_lang is {allowed})", "tgt_lang")
    scripts = SOURCE_SCRIPTS[src_lang]
    if script not in scripts:
        raise fail(f"unsupported script '{script}' for source language '{src_lang}' "
                   f"(allowed: {', '.join(scripts)})", "script")


def _finite(number: int | float) -> bool:
    """``math.isfinite`` without its OverflowError on integers beyond a float's range."""
    try:
        return math.isfinite(number)
    except OverflowError:
        return False


# The fields every JSONL line may carry; ``references`` replaces ``reference`` when there are several.
_BASE_FIELDS = ("corpus", "doc_id", "seg_id", "para", "source", "reference", "src_lang", "tgt_lang", "script",
                "bead", "score")
_JSON_FIELDS = frozenset((*_BASE_FIELDS, "references", "origlang", "domain"))


@dataclass(frozen=True)
class CleaningAction:
    """One thing the cleaner did to a seed line, and why."""

    line: int
    action: str  # "dropped" | "normalised" | "edited"
    reason: str
    text: str


@dataclass(frozen=True)
class PairingReport:
    """How (and how confidently) the two halves of a file were paired."""

    paired: bool
    confidence: float
    reason: str
    zh_paragraphs: int
    en_paragraphs: int
    zh_title: bool
    en_title: bool
    checks: dict[str, float] = field(default_factory=dict)


@dataclass
class Document:
    """One article: source paragraphs, reference paragraphs if paired, provenance."""

    doc_id: str
    kind: str
    src_lang: str
    script: str
    title: str | None
    paragraphs: list[str]
    origin: str
    origin_sha256: str
    encoding: str
    ref_title: str | None = None
    ref_paragraphs: list[str] | None = None
    pairing: PairingReport | None = None
    cleaning_log: list[CleaningAction] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
