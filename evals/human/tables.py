"""Plain human-score tables: ``tsv``, ``jsonl`` and ``esa``.

* ``tsv``: tab-separated with a header; columns ``system``, ``seg_id``, ``score`` and optionally
  ``rater`` (other columns are ignored).
* ``jsonl``: one object a line, ``{"system", "seg_id", "score", "rater"?}``.
* ``esa`` (Error Span Annotation, Kocmi et al. 2024): JSONL, one rater's judgement of one segment a
  line: ``{"system", "seg_id", "score": 0..100, "rater"?, "errors"?: [{"start", "end", "severity":
  "minor"|"major", "category"?}]}`` with character offsets into the hypothesis. The segment score is
  the rater's 0–100 score (averaged over raters); spans are kept, weighted minor 1, major 5.

A segment id may be a JSON string or integer. A (system, segment, rater) given twice with
different scores is an error; the same score twice is kept once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.errors import InputError
from evals.human.records import ErrorSpan, HumanFile, Rating, number
from evals.inputs import read_text
from evals.jsoncheck import JsonReader

ESA_WEIGHTS = {"minor": 1.0, "major": 5.0}


def read_tsv(path: Path, options: dict[str, str], system_path: Path | None = None) -> HumanFile:
    out = HumanFile(path=path, format="tsv", signature="tsv|score:mean over raters")
    lines = read_text(path, what="human-score file").splitlines()
    header = lines[0].split("\t") if lines else []
    missing = [c for c in ("system", "seg_id", "score") if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)} (header: system, seg_id, score[, rater])",
                         path=path, line=1, field=missing[0])
    for line, text in enumerate(lines[1:], 2):
        if not text.strip():
            continue
        cells = text.split("\t")
        if len(cells) != len(header):
            raise InputError(f"{len(cells)} tab-separated columns, the header has {len(header)}", path=path,
                             line=line)
        row = dict(zip(header, cells))
        out.ratings.append(Rating(_name(row["system"], path, line, "system"), _name(row["seg_id"], path, line, "seg_id"),
                                  number(row["score"], path, line, "score"), row.get("rater", "").strip(), line))
    return out


def read_jsonl(path: Path, options: dict[str, str], system_path: Path | None = None) -> HumanFile:
    out = HumanFile(path=path, format="jsonl", signature="jsonl|score:mean over raters")
    for line, obj in _objects(path, ("system", "seg_id", "score", "rater")):
        out.ratings.append(_rating(obj, path, line))
    return out


def read_esa(path: Path, options: dict[str, str], system_path: Path | None = None) -> HumanFile:
    out = HumanFile(path=path, format="esa", signature="esa|score:0-100, mean over raters|spans:minor=1,major=5")
    for line, obj in _objects(path, ("system", "seg_id", "score", "rater", "errors")):
        rating = _rating(obj, path, line)
        if not 0 <= rating.value <= 100:
            raise InputError(f"an ESA score is 0-100, got {rating.value:g}", path=path, line=line, field="score")
        out.ratings.append(rating)
        errors = obj.get("errors", [])
        if not isinstance(errors, list):
            raise InputError("errors must be a list of spans", path=path, line=line, field="errors")
        for k, span in enumerate(errors):
            out.errors.append(_span(span, rating, path, line, f"errors[{k}]"))
    return out


def _objects(path: Path, allowed: tuple[str, ...]):
    reader = JsonReader(str(path))
    for line, text in enumerate(read_text(path, what="human-score file").splitlines(), 1):
        if not text.strip():
            continue
        obj = reader.parse(text, line)
        if not isinstance(obj, dict):
            raise InputError("each line must be a JSON object", path=path, line=line)
        for key in obj:
            if key not in allowed:
                raise InputError(f"unknown key (allowed: {', '.join(allowed)})", path=path, line=line, field=key)
        for key in ("system", "seg_id", "score"):
            if key not in obj:
                raise InputError("missing", path=path, line=line, field=key)
        yield line, obj


def _rating(obj: dict[str, Any], path: Path, line: int) -> Rating:
    score = obj["score"]
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        raise InputError(f"not a number: {str(score)[:40]!r}", path=path, line=line, field="score")
    rater = obj.get("rater", "")
    if not isinstance(rater, str):
        raise InputError("must be a string", path=path, line=line, field="rater")
    return Rating(_name(obj["system"], path, line, "system"), _seg_id(obj["seg_id"], path, line),
                  number(repr(float(score)), path, line, "score"), rater.strip(), line)


def _span(span: Any, rating: Rating, path: Path, line: int, where: str) -> ErrorSpan:
    if not isinstance(span, dict):
        raise InputError("a span is an object {start, end, severity, category?}", path=path, line=line, field=where)
    start, end = span.get("start"), span.get("end")
    for key, value in (("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError("a character offset (integer >= 0)", path=path, line=line, field=f"{where}.{key}")
    if end < start:
        raise InputError(f"end {end} is before start {start}", path=path, line=line, field=f"{where}.end")
    severity = span.get("severity")
    if not isinstance(severity, str) or severity not in ESA_WEIGHTS:
        raise InputError(f"unknown ESA severity {str(severity)[:40]!r} (minor or major)", path=path, line=line,
                         field=f"{where}.severity")
    category = span.get("category", "")
    if not isinstance(category, str):
        raise InputError("must be a string", path=path, line=line, field=f"{where}.category")
    return ErrorSpan(rating.system, rating.seg_id, rating.rater, start, end, category, severity, ESA_WEIGHTS[severity])


def _seg_id(value: Any, path: Path, line: int) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError("a segment id is a string or an integer", path=path, line=line, field="seg_id")
    return _name(str(value), path, line, "seg_id")


def _name(value: Any, path: Path, line: int, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError("must be a non-empty string", path=path, line=line, field=field)
    return value.strip()
