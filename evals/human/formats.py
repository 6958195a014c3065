"""The human-score formats, one registry: each format's reader and what it can do.

Capabilities are declared here, never probed: ``system_scores`` (the format can carry a system-level
file, e.g. WMT's ``ad-sys-scores``; otherwise a system's human score is the mean of its segment
scores), ``errors`` (error spans are stored), ``options`` (the ``--option`` keys it takes).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from evals.errors import UsageError, did_you_mean
from evals.human.options import check_options
from evals.human.records import HumanFile


@dataclass(frozen=True)
class Format:
    name: str
    reader: str  # "module:function"
    system_scores: bool = False
    errors: bool = False
    options: tuple[str, ...] = ()
    option_families: tuple[str, ...] = ()
    description: str = ""


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("wmt-da", "evals.human.wmt_da:read", system_scores=True, options=("field",),
           description="WMT DA ad-seg-scores (SYS SID RAW.SCR Z.SCR N) [+ ad-sys-scores]"),
    Format("mqm", "evals.human.mqm:read", errors=True, option_families=("weight", "severity", "category"),
           description="Google MQM TSV (error rows, <v>…</v> spans)"),
    Format("esa", "evals.human.tables:read_esa", errors=True,
           description="ESA JSONL {system, seg_id, score 0-100, rater?, errors?}"),
    Format("tsv", "evals.human.tables:read_tsv", description="TSV: system, seg_id, score[, rater]"),
    Format("jsonl", "evals.human.tables:read_jsonl", description="JSONL {system, seg_id, score, rater?}"),
)}


def get_format(name: str) -> Format:
    if name not in FORMATS:
        raise UsageError(f"unknown human-score format {name!r} (known: {', '.join(FORMATS)})", field="--format",
                         hint=did_you_mean(name, list(FORMATS)))
    return FORMATS[name]


def read_human(path: Path, fmt: str, options: dict[str, str], system_path: Path | None = None) -> HumanFile:
    """Read ``path`` as ``fmt``; ``system_path`` only for formats with system scores."""
    spec = get_format(fmt)
    if system_path is not None and not spec.system_scores:
        raise UsageError(f"format {fmt} has no system-score file", field="--system-scores")
    if fmt != "mqm":  # MQM checks its own option families with their values
        check_options(options, fmt, spec.options, spec.option_families)
    module, _, function = spec.reader.partition(":")
    return getattr(importlib.import_module(module), function)(Path(path), options, system_path)
