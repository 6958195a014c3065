"""WMT direct assessment (``ad-seg-scores-*.csv``, ``ad-sys-scores-*.csv``): space-separated, columns by header.

Segment file: ``SYS SID RAW.SCR Z.SCR N`` — ``SYS`` is ``NAME.K`` (the ``.K`` is WMT's system number
and is stripped), ``SID`` the 1-based line of the test set (the run's ``seg_id`` for plain-text
corpora), ``N`` how many ratings the row averages. System file: ``RAW.SCR Z.SCR N SYS N.ALL``.
Option ``field``: ``z`` (default, the rater-standardised score WMT ranks by) or ``raw`` (0–100).
"""

from __future__ import annotations

import re
from pathlib import Path

from evals.errors import InputError
from evals.human.records import HumanFile, Rating, SystemRating, count, number
from evals.inputs import read_text

FIELDS = {"z": "Z.SCR", "raw": "RAW.SCR"}
SEGMENT_COLUMNS = ("SYS", "SID", "RAW.SCR", "Z.SCR", "N")
SYSTEM_COLUMNS = ("RAW.SCR", "Z.SCR", "N", "SYS")
_NUMBERED = re.compile(r"(.+)\.([0-9]+)")


def da_name(name: str) -> str:
    """``JDExploreAcademy.6`` → ``JDExploreAcademy`` (WMT's ``SYS.K``); other names unchanged."""
    found = _NUMBERED.fullmatch(name)
    return found.group(1) if found else name


def system_file_for(path: Path) -> Path | None:
    """The ``ad-sys-scores-X.csv`` beside an ``ad-seg-scores-X.csv``, if it is there (auto-detection)."""
    if "ad-seg-scores" not in path.name:
        return None
    candidate = path.with_name(path.name.replace("ad-seg-scores", "ad-sys-scores"))
    return candidate if candidate.is_file() else None


def _field(options: dict[str, str], path: Path) -> str:
    choice = options.get("field", "z")
    if choice not in FIELDS:
        raise InputError(f"field must be one of {', '.join(FIELDS)}, got {choice!r}", path=path,
                         field="--option field")
    return FIELDS[choice]


def _table(path: Path, required: tuple[str, ...]):
    """(line number, {column: cell}) for every data row; missing columns or short rows are errors."""
    lines = read_text(path, what="human-score file").splitlines()
    if not lines or not lines[0].split():
        raise InputError("empty file: expected a header line", path=path, line=1)
    header = lines[0].split()
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)} (header: {' '.join(header)[:120]})",
                         path=path, line=1, field=missing[0])
    for number_, text in enumerate(lines[1:], 2):
        cells = text.split()
        if not cells:
            continue
        if len(cells) != len(header):
            raise InputError(f"{len(cells)} columns, the header has {len(header)}", path=path, line=number_,
                             field=header[min(len(cells), len(header) - 1)])
        yield number_, dict(zip(header, cells))


def read(path: Path, options: dict[str, str], system_path: Path | None = None) -> HumanFile:
    column = _field(options, path)
    out = HumanFile(path=path, format="wmt-da", signature=f"wmt-da|field:{column}", system_path=system_path)
    for line, row in _table(path, SEGMENT_COLUMNS):
        out.ratings.append(Rating(system=da_name(row["SYS"]), seg_id=row["SID"],
                                  value=number(row[column], path, line, column), rater="", line=line,
                                  n=count(row["N"], path, line, "N")))
    if system_path is not None:
        for line, row in _table(system_path, SYSTEM_COLUMNS):
            out.system_ratings.append(SystemRating(system=da_name(row["SYS"]),
                                                   value=number(row[column], system_path, line, column),
                                                   n=count(row["N"], system_path, line, "N"), line=line))
        seen: dict[str, int] = {}
        for rating in out.system_ratings:
            if rating.system in seen:
                raise InputError(f"system {rating.system!r} is listed twice (also line {seen[rating.system]})",
                                 path=system_path, line=rating.line, field="SYS")
            seen[rating.system] = rating.line
    return out
