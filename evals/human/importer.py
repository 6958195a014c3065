"""``mteval human import``: read a human-score file, match it to a run, store it as a human metric.

Everything is read, checked and matched before the one write transaction, so bad input stores
nothing. System-level human scores come from the file when the format has them (WMT DA's
``ad-sys-scores``, given with ``system_path`` or found beside ``ad-seg-scores``), else they are the
mean of the system's matched segment scores.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.errors import InputError
from evals.human.formats import get_format, read_human
from evals.human.matching import RunSystem, choose_corpus, match_systems, segment_finder
from evals.human.records import HumanFile
from evals.human.wmt_da import system_file_for
from evals.inputs import read_bytes

SHOWN = 20  # unmatched names listed in the one-line summary (all of them in JSON)


@dataclass
class ImportSummary:
    run_id: int
    name: str
    format: str
    corpus: str
    metric_id: int | None = None
    system_source: str = "segments"  # "file" (the format's system scores) or "segments" (their mean)
    matched_systems: dict[str, str] = field(default_factory=dict)  # human name -> run system
    unmatched_systems: list[str] = field(default_factory=list)
    segment_scores: int = 0
    system_scores: int = 0
    errors: int = 0
    unmatched_segments: list[str] = field(default_factory=list)
    unmatched_segment_scores: int = 0  # ratings of matched systems on segments the corpus lacks
    unmatched_system_scores: int = 0  # ratings of systems the run lacks
    spans_off_hypothesis: int = 0  # segments whose annotated text differs from the run's hypothesis

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def lines(self) -> list[str]:
        out = [f"run {self.run_id}: human metric {self.name!r} ({self.format}, corpus {self.corpus}): "
               f"{self.segment_scores} segment scores, {self.system_scores} system scores "
               f"(from {'the file' if self.system_source == 'file' else 'the mean of segment scores'}), "
               f"{self.errors} error spans"]
        out.append(f"matched systems ({len(self.matched_systems)}): " + ", ".join(
            h if h == r else f"{h}→{_short(r)}" for h, r in sorted(self.matched_systems.items())))
        if self.unmatched_systems:
            out.append(f"unmatched systems ({len(self.unmatched_systems)}, {self.unmatched_system_scores} scores "
                       f"not stored): {_listed(self.unmatched_systems)}")
        if self.unmatched_segments:
            out.append(f"unmatched segments ({len(self.unmatched_segments)} ids, {self.unmatched_segment_scores} "
                       f"scores not stored): {_listed(self.unmatched_segments)}")
        if self.spans_off_hypothesis:
            out.append(f"{self.spans_off_hypothesis} annotated segments differ from the run's hypothesis: "
                       "their error offsets refer to the annotated text")
        return out


def _short(name: str) -> str:
    """``file:/long/path/x.hyp.DLUT.en`` → ``file:…/x.hyp.DLUT.en`` (the summary only; JSON keeps names whole)."""
    if name.startswith("file:") and "/" in name:
        return "file:…/" + name.rsplit("/", 1)[1]
    return name


def _listed(names: list[str]) -> str:
    more = f", … ({len(names) - SHOWN} more)" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def import_human(store, path: str | Path, fmt: str, *, name: str | None = None, run: int | str = "latest",
                 corpus: str | None = None, mapping: dict[str, str] | None = None, replace: bool = False,
                 options: dict[str, str] | None = None, system_path: str | Path | None = None) -> ImportSummary:
    """Import ``path`` into ``run`` of ``store`` (opened for writing); see the module docstring."""
    spec = get_format(fmt)
    options = dict(options or {})
    path = Path(path)
    if system_path is None and spec.system_scores:
        system_path = system_file_for(path)
    human = read_human(path, fmt, options, Path(system_path) if system_path is not None else None)
    seg_scores = human.segment_scores()
    run_id = store.resolve_run(run)
    info = store.get_run(run_id)
    run_systems = [RunSystem(s["id"], s["name"], s["spec"]) for s in info["systems"]]
    index = store.run_segment_index(run_id)
    corpus = choose_corpus(index, corpus, run_id)
    seg_index = segment_finder(index[corpus], corpus)
    names = {s.system for s in seg_scores} | {s.system for s in human.system_ratings}
    matched, unmatched = match_systems(names, run_systems, mapping or {}, human.aliases)
    summary = ImportSummary(run_id=run_id, name=name or fmt, format=fmt, corpus=corpus,
                            matched_systems={h: s.name for h, s in matched.items()}, unmatched_systems=unmatched)

    score_rows = _segment_rows(seg_scores, matched, seg_index, corpus, summary)
    if not score_rows:
        raise InputError(f"nothing in the file matches run {run_id} (corpus {corpus}): "
                         f"{len(matched)} of {len(names)} systems matched, none of their segment ids "
                         f"is in the corpus" if matched else
                         f"nothing in the file matches run {run_id}: none of its {len(names)} systems "
                         f"({_listed(sorted(names))}) is a system of the run", path=path,
                         hint="--map HUMAN=RUNSYSTEM maps names; --corpus picks the corpus")
    score_rows += _system_rows(human, score_rows, matched, corpus, summary)
    error_rows = _error_rows(store, human, matched, seg_index, run_id, summary)
    metric = {"name": summary.name, "format": fmt, "signature": human.signature, "source_path": str(path),
              "source_sha256": _sha256(path, human.system_path), "options": options}
    summary.metric_id = store.add_human_metric(run_id, metric, score_rows, error_rows, replace=replace)
    return summary


def _segment_rows(seg_scores, matched, seg_index, corpus, summary) -> list[dict[str, Any]]:
    rows = []
    missing: set[str] = set()
    for score in seg_scores:
        system = matched.get(score.system)
        if system is None:
            summary.unmatched_system_scores += 1
            continue
        segment_id = seg_index(score.seg_id)
        if segment_id is None:
            missing.add(score.seg_id)
            summary.unmatched_segment_scores += 1
            continue
        rows.append({"system_id": system.id, "level": "segment", "corpus": corpus, "scope": f"seg:{segment_id}",
                     "segment_id": segment_id, "value": score.value, "n_ratings": score.n,
                     "details_json": json.dumps({"raters": {r: v for r, v in score.raters.items() if r}}, sort_keys=True,
                                                  ensure_ascii=False)})
    summary.segment_scores = len(rows)
    summary.unmatched_segments = sorted(missing, key=lambda s: (len(s), s))
    return rows


def _system_rows(human: HumanFile, segment_rows, matched, corpus, summary) -> list[dict[str, Any]]:
    rows = []
    if human.system_ratings:
        summary.system_source = "file"
        for rating in human.system_ratings:
            system = matched.get(rating.system)
            if system is None:
                summary.unmatched_system_scores += 1
                continue
            rows.append(_system_row(system.id, corpus, rating.value, rating.n,
                                    {"from": "file", "file": str(human.system_path), "line": rating.line}))
    else:
        by_system: dict[int, list[float]] = defaultdict(list)
        for row in segment_rows:
            by_system[row["system_id"]].append(row["value"])
        for system_id, values in by_system.items():
            rows.append(_system_row(system_id, corpus, sum(values) / len(values), len(values),
                                    {"from": "mean of segment scores"}))
    summary.system_scores = len(rows)
    return rows


def _system_row(system_id: int, corpus: str, value: float, n: int, details: dict) -> dict[str, Any]:
    return {"system_id": system_id, "level": "system", "corpus": corpus, "scope": "", "segment_id": None,
            "value": value, "n_ratings": n, "details_json": json.dumps(details, sort_keys=True, ensure_ascii=False)}


def _error_rows(store, human: HumanFile, matched, seg_index, run_id: int, summary) -> list[dict[str, Any]]:
    if not human.errors:
        return []
    hypotheses = store.run_hypotheses(run_id, [s.id for s in matched.values()])
    rows, differing = [], set()
    for error in human.errors:
        system = matched.get(error.system)
        segment_id = seg_index(error.seg_id)
        if system is None or segment_id is None:
            continue
        text = human.texts.get((error.system, error.seg_id))
        if text is not None and hypotheses.get((system.id, segment_id)) != text:
            differing.add((system.id, segment_id))
        rows.append({"system_id": system.id, "segment_id": segment_id, "rater": error.rater,
                     "span_start": error.start, "span_end": error.end, "category": error.category,
                     "severity": error.severity, "weight": error.weight})
    summary.errors = len(rows)
    summary.spans_off_hypothesis = len(differing)
    return rows


def _sha256(path: Path, system_path: Path | None) -> str:
    digest = hashlib.sha256(read_bytes(path))
    if system_path is not None:
        digest.update(b"\0" + read_bytes(system_path))
    return digest.hexdigest()
