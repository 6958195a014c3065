"""The hand-labelled flag sets in ``tests/data`` and the precision and recall of flag rules on them.

Used by ``tests/test_flag_labels.py`` (the goals) and ``scripts/flag_precision.py``
(the table). Labelling guidelines and how the rows were drawn:
``tests/data/README.md`` and ``scripts/flag_label_sample.py``.

Two sets:

* ``flags_wmt22_labelled.jsonl``: real output of the 12 WMT22 zh→en systems.
  Parts: ``flagged`` (every hypothesis the version-1 rules flagged),
  ``random`` (25 unflagged hypotheses per system, uniform), ``hard:*``
  (unflagged hypotheses picked for being hard: short, pinyin, addresses...).
* ``flags_constructed_labelled.jsonl``: hypotheses written for the purpose,
  since no WMT22 system writes French or Russian: translations of WMT22
  sources into other languages (off-target positives) and English or
  language-less hard negatives.

Precision counts every labelled row. Recall on the labelled rows is biased
(the ``flagged`` part holds every version-1 flag, the ``hard`` part was
chosen on purpose), so ``estimated_recall`` extrapolates to all 22,500
hypotheses the only way the draw allows: the ``flagged`` part counts once
(it is the whole population of version-1 flags), each system's ``random``
rows stand for all of that system's unflagged hypotheses (weight
``unflagged / sampled``), and ``hard`` rows are left out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals.metrics.flags import FLAGS

DATA = Path(__file__).resolve().parent / "data"
WMT22_LABELLED = DATA / "flags_wmt22_labelled.jsonl"
CONSTRUCTED = DATA / "flags_constructed_labelled.jsonl"
SEGMENTS_PER_SYSTEM = 1875


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def current_flags(rows: Sequence[dict], guesser=None) -> list[list[str]]:
    """The flags the rules in this checkout give each row (zh→en)."""
    from evals.metrics.flags import flag_many

    return flag_many([r["source"] for r in rows], [r["hypothesis"] for r in rows], "en", "zh", guesser=guesser)


@dataclass(frozen=True)
class Counts:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def confusion(rows: Sequence[dict], predicted: Sequence[Sequence[str]]) -> dict[str, Counts]:
    """Per flag, TP/FP/FN of ``predicted`` against the hand labels of ``rows``."""
    out = {}
    for flag in FLAGS:
        pairs = [(flag in flags, row["labels"][flag]) for row, flags in zip(rows, predicted, strict=True)]
        out[flag] = Counts(tp=sum(p and t for p, t in pairs), fp=sum(p and not t for p, t in pairs),
                           fn=sum(t and not p for p, t in pairs))
    return out


def _weights(rows: Sequence[dict]) -> list[float]:
    """Each row's weight in the population estimate: 1 (flagged), unflagged/sampled (random), 0 (hard)."""
    flagged: dict[str, int] = {}
    sampled: dict[str, int] = {}
    for row in rows:
        if row["part"] == "flagged":
            flagged[row["system"]] = flagged.get(row["system"], 0) + 1
        elif row["part"] == "random":
            sampled[row["system"]] = sampled.get(row["system"], 0) + 1
    weights = []
    for row in rows:
        if row["part"] == "flagged":
            weights.append(1.0)
        elif row["part"] == "random":
            system = row["system"]
            weights.append((SEGMENTS_PER_SYSTEM - flagged.get(system, 0)) / sampled[system])
        else:
            weights.append(0.0)
    return weights


def estimated_recall(rows: Sequence[dict], predicted: Sequence[Sequence[str]], flag: str) -> float | None:
    """Recall of ``flag`` over all 22,500 hypotheses, estimated from the draw (see the module doc)."""
    weights = _weights(rows)
    positives = sum(w for w, row in zip(weights, rows) if row["labels"][flag])
    found = sum(w for w, row, flags in zip(weights, rows, predicted) if row["labels"][flag] and flag in flags)
    return found / positives if positives else None


def unflagged_miss_bound(rows: Sequence[dict], confidence: float = 0.95) -> tuple[int, float]:
    """(random rows, upper bound on the share of positives among unflagged hypotheses) when none was found.

    The exact binomial bound for zero events in n draws: 1 - (1 - confidence)^(1/n)
    (the "rule of three", about 3/n). It bounds what the random part cannot see.
    """
    n = sum(row["part"] == "random" for row in rows)
    return n, 1 - (1 - confidence) ** (1 / n)
