"""Google's MQM annotations (``mqm_*.tsv``): one row per error, segment score from the error weights.

Columns (tab-separated, by header): ``system doc doc_id seg_id rater source target category severity``.
``target`` marks the error span with ``<v>…</v>`` (a source error may mark ``source`` instead:
such an error is kept without a span, the hypothesis has none); spans are stored as character offsets into the
target with the marks removed (the hypothesis). A rater's score of a segment is minus the sum of
its error weights; the segment's score is the mean over its raters (the publishers' method).

Weights (``--option weight.KEY=W`` overrides or adds; all recorded in the signature): a key is a
severity (``Major`` 5, ``Minor`` 1, ``No-error`` 0), ``SEVERITY:CATEGORY`` (``Minor:Fluency/Punctuation``
0.1) or ``*:CATEGORY`` for every severity (``*:Non-translation`` 25). The most specific key wins;
categories match by their top level too (``*:Accuracy`` applies to ``Accuracy/Omission``). An unknown
severity or category is an error naming it, unless mapped: ``--option severity.Critical=Major``,
``--option category.Non-translation!=Non-translation``.

Reference names: the annotations call the references ``ref`` and ``refB``, the publishers' averages
file ``ref-A`` and ``ref-B``; ``REFERENCE_NAMES`` is that map (used for matching and the averages).
"""

from __future__ import annotations

from pathlib import Path

from evals.errors import InputError
from evals.human.options import check_options
from evals.human.records import ErrorSpan, HumanFile, Rating, number
from evals.inputs import read_text

COLUMNS = ("system", "doc", "doc_id", "seg_id", "rater", "source", "target", "category", "severity")
DEFAULT_WEIGHTS = {"Major": 5.0, "Minor": 1.0, "No-error": 0.0, "Minor:Fluency/Punctuation": 0.1,
                   "*:Non-translation": 25.0}
CATEGORIES = ("Accuracy", "Fluency", "Style", "Terminology", "Locale convention", "Source error",
              "Non-translation", "Other", "No-error")
REFERENCE_NAMES = {"ref-A": "ref", "ref-B": "refB"}  # averages file name -> annotation name
OPTIONS = ()
OPTION_FAMILIES = ("weight", "severity", "category")


def strip_marks(target: str) -> tuple[str, int | None, int | None]:
    """The target without ``<v>``/``</v>`` and the span's character offsets in it (None, None without one).

    An unclosed ``<v>`` spans to the end of the text.
    """
    start = target.find("<v>")
    end = target.find("</v>")
    text = target.replace("<v>", "").replace("</v>", "")
    if start < 0 or (0 <= end < start):
        return text, None, None
    if end < 0:  # an unclosed <v> (the published TED file has one): the span runs to the end
        return text, start, len(text)
    return text, start, end - len("<v>")


class Weights:
    """The weight table and the severity/category maps of one import: ``weight(severity, category)``."""

    def __init__(self, options: dict[str, str], path: Path) -> None:
        check_options(options, "mqm", OPTIONS, OPTION_FAMILIES)
        self.path = path
        self.table = dict(DEFAULT_WEIGHTS)
        self.severities: dict[str, str] = {}
        self.categories: dict[str, str] = {}
        for key, value in options.items():
            family, _, name = key.partition(".")
            if family == "weight":
                self.table[name] = number(value, path, None, f"--option {key}")  # type: ignore[arg-type]
            elif family == "severity":
                self.severities[name] = value
            else:
                self.categories[name] = value
        self.known_severities = {k for k in self.table if ":" not in k}
        self.known_categories = set(CATEGORIES) | {k.split(":", 1)[1] for k in self.table if ":" in k}

    def signature(self) -> str:
        parts = [f"{k}={v:g}" for k, v in sorted(self.table.items())]
        parts += [f"severity.{k}={v}" for k, v in sorted(self.severities.items())]
        parts += [f"category.{k}={v}" for k, v in sorted(self.categories.items())]
        return "mqm|weights:" + ",".join(parts) + "|score:-sum per rater, mean over raters"

    def weight(self, severity: str, category: str, line: int) -> tuple[str, str, float]:
        """(severity, category) after the maps, and the weight; unknown names are errors naming them."""
        severity = self.severities.get(severity, severity)
        category = self.categories.get(category, category)
        if severity not in self.known_severities:
            raise InputError(f"unknown MQM severity {severity!r} (not in the weight table)", path=self.path,
                             line=line, field="severity",
                             hint=f"map it with --option severity.{severity}=Major, or give --option weight.{severity}=W")
        top = category.split("/", 1)[0]
        if category not in self.known_categories and top not in self.known_categories:
            raise InputError(f"unknown MQM category {category!r}", path=self.path, line=line, field="category",
                             hint=f"map it with --option 'category.{category}=Other'")
        for key in (f"{severity}:{category}", f"{severity}:{top}", f"*:{category}", f"*:{top}", severity):
            if key in self.table:
                return severity, category, self.table[key]
        raise AssertionError("unreachable: the severity is known")  # pragma: no cover


def read(path: Path, options: dict[str, str], system_path: Path | None = None) -> HumanFile:
    weights = Weights(options, path)
    out = HumanFile(path=path, format="mqm", signature=weights.signature(), aliases=dict(REFERENCE_NAMES))
    lines = read_text(path, what="MQM file").split("\n")
    header = lines[0].rstrip("\r").split("\t") if lines else []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)} (an MQM file is tab-separated with the header "
                         f"{' '.join(COLUMNS)})", path=path, line=1, field=missing[0])
    sums: dict[tuple[str, str, str], tuple[float, int]] = {}
    for line, text in enumerate(lines[1:], 2):
        text = text.rstrip("\r")
        if not text:
            continue
        cells = text.split("\t")
        if len(cells) != len(header):
            raise InputError(f"{len(cells)} tab-separated columns, the header has {len(header)}", path=path,
                             line=line, field=header[min(len(cells), len(header) - 1)])
        row = dict(zip(header, cells))
        system, seg_id, rater = row["system"], row["seg_id"].strip(), row["rater"]
        for name in ("system", "seg_id", "rater"):
            if not row[name].strip():
                raise InputError(f"empty {name}", path=path, line=line, field=name)
        severity, category, weight = weights.weight(row["severity"], row["category"], line)
        hypothesis, start, end = strip_marks(row["target"])
        key = (system, seg_id)
        if key not in out.texts:
            out.texts[key] = hypothesis
            out.extra.setdefault("rows", {})[key] = {"doc": row["doc"], "source": strip_marks(row["source"])[0],
                                                     "line": line}
        elif out.texts[key] != hypothesis:
            out.extra.setdefault("conflicts", []).append((key, line))
        total, _ = sums.get((system, seg_id, rater), (0.0, line))
        sums[(system, seg_id, rater)] = (total + weight, line)
        if severity != "No-error":
            out.errors.append(ErrorSpan(system, seg_id, rater, start, end, category, severity, weight))
    for (system, seg_id, rater), (total, line) in sums.items():
        out.ratings.append(Rating(system, seg_id, -total if total else 0.0, rater, line))
    return out


def read_averages(path: Path) -> dict[tuple[str, str], float | None]:
    """The publishers' ``avg_seg_scores`` file: {(annotation system name, seg_id): score, None if unrated}.

    Published with a TAB then a SPACE between columns (header ``system mqm_avg_score seg_id``).
    """
    out: dict[tuple[str, str], float | None] = {}
    for line, text in enumerate(read_text(path, what="MQM averages file").splitlines()[1:], 2):
        cells = text.split()
        if not cells:
            continue
        if len(cells) != 3:
            raise InputError(f"{len(cells)} columns, expected 3 (system mqm_avg_score seg_id)", path=path, line=line)
        system, score, seg_id = cells
        value = None if score == "None" else number(score, path, line, "mqm_avg_score")
        out[(REFERENCE_NAMES.get(system, system), seg_id)] = value
    return out
