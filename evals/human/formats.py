"""The human-score formats, one registry: each format's reader and what it can do.

Capabilities are declared here, never probed: ``system_scores`` (the format can carry a system-level
file, e.g. WMT's ``ad-sys-scores``; otherwise a system's human score is the mean of its segment
scores), ``errors`` (error spans are stored), ``options`` (the ``--option`` keys it takes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evals.errors import UsageError
from evals.human.options import check_options
from evals.human.records import HumanFile
from evals.plugins import Plugin, PluginTable


@dataclass(frozen=True)
class Format(Plugin):
    """A human-score format: ``target`` is its reader, ``"module:function"``, imported on first use.

    ``checks_own_options``: the reader validates its ``--option`` keys and values itself (MQM's
    weight, severity and category families); otherwise ``options``/``option_families`` are checked here.
    """

    system_scores: bool = False
    errors: bool = False
    options: tuple[str, ...] = ()
    option_families: tuple[str, ...] = ()
    checks_own_options: bool = False
    description: str = ""


FORMATS: PluginTable[Format] = PluginTable("human-score format", (
    Format("wmt-da", "evals.human.wmt_da:read", system_scores=True, options=("field",),
           description="WMT DA ad-seg-scores (SYS SID RAW.SCR Z.SCR N) [+ ad-sys-scores]"),
    Format("mqm", "evals.human.mqm:read", errors=True, option_families=("weight", "severity", "category"),
           checks_own_options=True, description="Google MQM TSV (error rows, <v>…</v> spans)"),
    Format("esa", "evals.human.tables:read_esa", errors=True,
           description="ESA JSONL {system, seg_id, score 0-100, rater?, errors?}"),
    Format("tsv", "evals.human.tables:read_tsv", description="TSV: system, seg_id, score[, rater]"),
    Format("jsonl", "evals.human.tables:read_jsonl", description="JSONL {system, seg_id, score, rater?}"),
), field="--format")


def get_format(name: str) -> Format:
    """The format registered as ``name`` (an unknown one is a "did you mean" error)."""
    return FORMATS.entry(name)


def read_human(path: Path, fmt: str, options: dict[str, str], system_path: Path | None = None) -> HumanFile:
    """Read ``path`` as ``fmt``; ``system_path`` only for formats with system scores."""
    spec = get_format(fmt)
    if system_path is not None and not spec.system_scores:
        raise UsageError(f"format {fmt} has no system-score file", field="--system-scores")
    if not spec.checks_own_options:
        check_options(options, fmt, spec.options, spec.option_families)
    return FORMATS.load(fmt)(Path(path), options, system_path)
