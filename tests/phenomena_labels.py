"""The hand-labelled phenomenon sample in ``tests/data`` and the precision of the current checks on it.

Used by ``tests/test_phenomena_labels.py`` (the goal: ≥ 95%) and
``scripts/phenomena_precision.py`` (the table). How the rows were drawn:
``scripts/phenomena_label_sample.py``; labelling guidelines: ``tests/data/README.md``.

Each row is one item of one system's segment, labelled ``error``: whether the
translation really gets that item wrong. The checks are re-run on every row,
so the table measures today's rules: a row is *flagged* when the current check
still finds the item (same check, same start and text in the NFKC source) and
calls it missed, *matched* when it finds it and calls it matched, and *gone*
when the current rules no longer take it as an item (a rule fixed after
labelling: 三四五六年级 is no year).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

LABELLED = Path(__file__).resolve().parent / "data" / "phenomena_wmt22_labelled.jsonl"


def rows(path: Path = LABELLED) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def verdict(row: dict) -> bool | None:
    """The current check on the row's item: True matched, False missed, None no longer an item."""
    from evals.phenomena import check_segment

    for item, ok in check_segment(row["check"], row["source"], row["hypothesis"]):
        if item.start == row["start"] and item.text == row["item"]:
            return ok
    return None


@dataclass(frozen=True)
class Precision:
    check: str
    flagged: int        # labelled rows the check calls missed
    flagged_errors: int  # of those, real errors
    matched: int
    matched_correct: int  # of the matched, really rendered right
    gone: int

    @property
    def missed_precision(self) -> float:
        return self.flagged_errors / self.flagged if self.flagged else float("nan")

    @property
    def matched_precision(self) -> float:
        return self.matched_correct / self.matched if self.matched else float("nan")


def precision(labelled: list[dict] | None = None) -> list[Precision]:
    from evals.phenomena import CHECKS

    labelled = rows() if labelled is None else labelled
    out = []
    for check in CHECKS:
        counts = {"flagged": 0, "flagged_errors": 0, "matched": 0, "matched_correct": 0, "gone": 0}
        for row in (r for r in labelled if r["check"] == check):
            ok = verdict(row)
            if ok is None:
                counts["gone"] += 1
            elif ok:
                counts["matched"] += 1
                counts["matched_correct"] += not row["error"]
            else:
                counts["flagged"] += 1
                counts["flagged_errors"] += bool(row["error"])
        out.append(Precision(check, **counts))
    return out
