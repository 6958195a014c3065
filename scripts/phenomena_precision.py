"""Print the precision of each phenomenon check on the hand-labelled WMT22 sample.

    python scripts/phenomena_precision.py

Precision of *missed*: of the labelled items the check calls missed, the share
that really are errors of the translation. Precision of *matched*: of those it
calls matched, the share really rendered right. Rows and guidelines:
``tests/data/phenomena_wmt22_labelled.jsonl``, ``tests/data/README.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.phenomena_labels import precision  # noqa: E402


def main() -> None:
    print(f"{'check':<8} {'flagged':>7} {'real errors':>11} {'precision (missed)':>18} "
          f"{'matched':>7} {'precision (matched)':>19} {'gone':>4}")
    for p in precision():
        print(f"{p.check:<8} {p.flagged:>7} {p.flagged_errors:>11} {100 * p.missed_precision:>17.1f}% "
              f"{p.matched:>7} {100 * p.matched_precision:>18.1f}% {p.gone:>4}")


if __name__ == "__main__":
    main()
