"""Baseline files: one system's results, committed next to the code, for the CI gate.

Why a file and not a run id: a CI job starts with an empty database, and a
baseline should change only when someone decides so (in a reviewed commit).
The file holds everything a paired test needs, so ``mteval check`` runs
against it without the database that produced it:

- the system-level score of every (corpus, metric), its confidence interval
  and the metric signature (a candidate scored differently is refused);
- per segment: id, document, sha256 of the source and of the reference --
  of the JSON list of its references when it has several
  (``sides.references_hash``), so a candidate scored against other
  references, or another number of them, is refused (so the candidate is
  checked to be on the *same* segments without storing the texts), the translation flags (for "no segment newly untranslated"), the
  segment score and the **sufficient statistics** (for paired resampling);
- optionally the hypotheses, so a report can show old and new output side by
  side (``--no-hypotheses`` leaves them out).

Layout (``format: mteval-baseline``, ``version: 1``)::

    {"format": "mteval-baseline", "version": 1, "created_at": "...",
     "system": {"name", "spec", "revision", "params"},
     "run": {"id", "suite_name", "git_commit", "mteval_version", ...},
     "corpora": {CORPUS: {
        "segments": [{"seg_id", "doc_id", "source_sha256", "reference_sha256", "flags", "hypothesis"?}],
        "metrics": {METRIC: {"signature", "options", "target_lang", "system", "ci", "details",
                             "documents": {DOC: score},
                             "segments": [{"seg_id", "score", "stats": [...]}]}}}}}

The JSON is written one segment per line so that a changed baseline gives a
readable diff.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evals.compare.runs import load_run_system
from evals.compare.sides import CorpusData, MetricData, SegmentRecord, SystemData
from evals.errors import InputError
from evals.inputs import read_text
from evals.outputs import output_target, write_output
from evals.jsoncheck import parse_json

if TYPE_CHECKING:
    from evals.store.api import Store

FORMAT = "mteval-baseline"
VERSION = 1


def baseline_dict(side: SystemData, include_hypotheses: bool = True) -> dict[str, Any]:
    """The baseline document of a loaded side (a run's system)."""
    from evals.metrics.base import score_levels
    from evals.stats import bootstrap_ci

    corpora: dict[str, Any] = {}
    for name, corpus in side.corpora.items():
        segments = []
        for record in corpus.segments.values():
            entry: dict[str, Any] = {
                "seg_id": record.seg_id, "doc_id": record.doc_id, "source_sha256": record.source_hash,
                "reference_sha256": record.reference_hash, "flags": list(record.flags),
            }
            if include_hypotheses:
                entry["hypothesis"] = record.hypothesis
            segments.append(entry)
        metrics: dict[str, Any] = {}
        for metric_name, data in corpus.metrics.items():
            metric = data.metric
            levels = score_levels(metric, data.stats, data.doc_ids)
            ci = data.details if "ci" in data.details else bootstrap_ci(metric, data.stats, data.doc_ids).details()
            metrics[metric_name] = {
                "signature": data.signature, "options": data.options, "target_lang": data.target_lang,
                "higher_is_better": metric.higher_is_better,
                "system": levels.system, "ci": ci.get("ci"),
                "details": {k: v for k, v in ci.items() if k != "segments"},
                "documents": levels.document,
                "segments": [
                    {"seg_id": seg_id, "score": _finite(score), "stats": metric.stats_to_json(row)}
                    for seg_id, score, row in zip(data.seg_ids, levels.segment, data.stats)
                ],
            }
        corpora[name] = {"segments": segments, "metrics": metrics}
    return {
        "format": FORMAT, "version": VERSION,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "system": side.info.get("system", {"name": side.system}),
        "run": side.info.get("run", {}),
        "corpora": corpora,
    }


def save_baseline(store: "Store", run: int | str, system: str | None, path: str | os.PathLike[str], *,
                  include_hypotheses: bool = True) -> dict[str, Any]:
    """Write a run's system as a baseline file at ``path`` (atomically); return a summary."""
    output_target(path, field="--out")  # a folder or a FIFO fails before the run is read
    side = load_run_system(store, run, system)
    if not side.corpora:
        raise InputError(f"{side.label} has no translations to save")
    document = baseline_dict(side, include_hypotheses)
    write_output(path, dumps(document), field="--out")
    return {
        "written": str(path), "run": side.run_id, "system": side.system,
        "corpora": {name: {"segments": len(c["segments"]), "metrics": sorted(c["metrics"])}
                    for name, c in document["corpora"].items()},
    }


def dumps(document: Any) -> str:
    """JSON with one line per segment entry (lists of scalars and flat objects stay on one line)."""
    return _dump(document, 0) + "\n"


def _dump(value: Any, depth: int) -> str:
    if _flat(value):
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    pad, inner = " " * depth, " " * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if not value:
        return "[]"
    return "[\n" + ",\n".join(inner + _dump(v, depth + 1) for v in value) + "\n" + pad + "]"


def _flat(value: Any) -> bool:
    """Scalars, lists of scalars, and objects whose values are scalars or lists of scalars."""
    scalar = (str, int, float, bool, type(None))
    if isinstance(value, scalar):
        return True
    if isinstance(value, list):
        return all(isinstance(v, scalar) for v in value)
    if isinstance(value, dict):
        return all(isinstance(v, scalar) or (isinstance(v, list) and all(isinstance(x, scalar) for x in v))
                   for v in value.values()) and "segments" not in value
    return False


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


# ---- reading -----------------------------------------------------------------------------------


def load_baseline(path: str | os.PathLike[str], system: str | None = None) -> SystemData:
    """Read and validate a baseline file as a comparison side (errors name the file and field)."""
    path = Path(path)
    text = read_text(path, what="baseline file",
                     missing_hint="write one with `mteval baseline save RUN:SYSTEM --out FILE`")
    document = parse_json(text, str(path))
    reader = _Reader(path)
    reader.require(isinstance(document, dict) and document.get("format") == FORMAT,
                   "not an mteval baseline file (no \"format\": \"mteval-baseline\")", "format")
    reader.require(document.get("version") == VERSION,
                   f"unsupported baseline version {document.get('version')!r} (this mteval reads {VERSION})",
                   "version")
    info = {"system": reader.mapping(document.get("system"), "system"),
            "run": reader.mapping(document.get("run", {}), "run")}
    name = info["system"].get("name")
    reader.require(isinstance(name, str) and name, "must name the system", "system.name")
    if system is not None and system != name:
        raise InputError(f"the baseline file holds system {name!r}, not {system!r}", path=path, field="system")
    corpora = {}
    for corpus, body in reader.mapping(document.get("corpora"), "corpora").items():
        corpora[corpus] = _read_corpus(reader, corpus, reader.mapping(body, f"corpora.{corpus}"))
    reader.require(bool(corpora), "has no corpora", "corpora")
    run_id = info["run"].get("id")
    label = f"{path}" + (f" (run {run_id}:{name})" if run_id is not None else f" ({name})")
    return SystemData(label=label, system=name, origin="file", run_id=None, corpora=corpora, info=info)


class _Reader:
    """Validation helpers that raise InputErrors naming the baseline file and field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, message: str, field: str) -> InputError:
        return InputError(message, path=self.path, field=field,
                          hint="re-create it with `mteval baseline save`")

    def require(self, condition: bool, message: str, field: str) -> None:
        if not condition:
            raise self.fail(message, field)

    def mapping(self, value: Any, field: str) -> dict[str, Any]:
        self.require(isinstance(value, dict), "must be an object", field)
        return value

    def listing(self, value: Any, field: str) -> list[Any]:
        self.require(isinstance(value, list), "must be a list", field)
        return value

    def string(self, value: Any, field: str, optional: bool = False) -> str | None:
        if optional and value is None:
            return None
        self.require(isinstance(value, str) and value != "", "must be a non-empty string", field)
        return value

    def number(self, value: Any, field: str, optional: bool = True) -> float | None:
        if optional and value is None:
            return None
        self.require(isinstance(value, (int, float)) and not isinstance(value, bool), "must be a number", field)
        return float(value)


def _read_corpus(reader: _Reader, corpus: str, body: dict[str, Any]) -> CorpusData:
    segments: dict[str, SegmentRecord] = {}
    for i, entry in enumerate(reader.listing(body.get("segments"), f"corpora.{corpus}.segments")):
        where = f"corpora.{corpus}.segments[{i}]"
        entry = reader.mapping(entry, where)
        seg_id = reader.string(entry.get("seg_id"), f"{where}.seg_id")
        reader.require(seg_id not in segments, f"duplicate segment id {seg_id!r}", f"{where}.seg_id")
        flags = reader.listing(entry.get("flags", []), f"{where}.flags")
        reader.require(all(isinstance(f, str) for f in flags), "flags must be strings", f"{where}.flags")
        hypothesis = entry.get("hypothesis")
        reader.require(hypothesis is None or isinstance(hypothesis, str), "must be a string", f"{where}.hypothesis")
        segments[seg_id] = SegmentRecord(
            corpus=corpus, seg_id=seg_id, doc_id=reader.string(entry.get("doc_id"), f"{where}.doc_id"),
            source_hash=reader.string(entry.get("source_sha256"), f"{where}.source_sha256"),
            reference_hash=reader.string(entry.get("reference_sha256"), f"{where}.reference_sha256", optional=True),
            flags=tuple(flags), hypothesis=hypothesis,
        )
    metrics = {}
    for name, data in reader.mapping(body.get("metrics", {}), f"corpora.{corpus}.metrics").items():
        metrics[name] = _read_metric(reader, corpus, name, reader.mapping(data, f"corpora.{corpus}.metrics.{name}"),
                                     segments)
    return CorpusData(corpus, segments, metrics)


def _read_metric(reader: _Reader, corpus: str, name: str, data: dict[str, Any],
                 segments: dict[str, SegmentRecord]) -> MetricData:
    where = f"corpora.{corpus}.metrics.{name}"
    rows, seg_ids = [], []
    width = None
    for i, entry in enumerate(reader.listing(data.get("segments"), f"{where}.segments")):
        at = f"{where}.segments[{i}]"
        entry = reader.mapping(entry, at)
        seg_id = reader.string(entry.get("seg_id"), f"{at}.seg_id")
        reader.require(seg_id in segments, f"segment {seg_id!r} is not in the corpus's segment list", f"{at}.seg_id")
        stats = reader.listing(entry.get("stats"), f"{at}.stats")
        reader.require(bool(stats) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in stats),
                       "statistics must be a non-empty list of numbers", f"{at}.stats")
        reader.require(width is None or len(stats) == width, f"expected {width} statistics", f"{at}.stats")
        width = len(stats)
        rows.append(stats)
        seg_ids.append(seg_id)
    reader.require(bool(rows), "has no segments", f"{where}.segments")
    reader.require(len(set(seg_ids)) == len(seg_ids), "a segment appears twice", f"{where}.segments")
    integral = all(isinstance(x, int) for row in rows for x in row)
    options = reader.mapping(data.get("options", {}), f"{where}.options")
    details = reader.mapping(data.get("details", {}), f"{where}.details")
    return MetricData(
        name=name, signature=reader.string(data.get("signature"), f"{where}.signature"), options=options,
        target_lang=reader.string(data.get("target_lang"), f"{where}.target_lang"),
        seg_ids=seg_ids, doc_ids=[segments[s].doc_id for s in seg_ids],
        stats=np.array(rows, dtype=np.int64 if integral else np.float64),
        system=reader.number(data.get("system"), f"{where}.system"), details=details, metric=None,
    )
