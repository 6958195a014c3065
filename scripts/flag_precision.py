"""Precision and recall of each flag on the hand-labelled sets, before (version-1 rules) and now.

"Before" is the ``flags_v1`` column stored with every row (what the rules of
``FLAGS_VERSION`` 1 said, frozen when the set was drawn); "now" runs this
checkout's rules on the same rows. Columns:

* TP / FP / FN and precision / recall on the labelled WMT22 rows (all parts);
* ``recall~``: recall over all 22,500 hypotheses, estimated from the
  ``flagged`` and ``random`` parts (``tests/flag_labels.py`` says how);
* the same counts on the constructed set (other languages, hard negatives).

With the shared WMT22 data present it also flags all 22,500 hypotheses with
the current rules and reports those outside the labelled set (their
precision is unmeasured: there should be none) and whether langid had to be
loaded. Timing is ``scripts/bench_flags.py``'s.

    python scripts/flag_precision.py [--data ../shared/data/wmt22-zh-en]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.flag_labels import (  # noqa: E402
    CONSTRUCTED,
    WMT22_LABELLED,
    confusion,
    current_flags,
    estimated_recall,
    load,
    unflagged_miss_bound,
)

DATA = REPO.parent / "shared" / "data" / "wmt22-zh-en"
PREFIX = "generaltest2022.zh-en."
SYSTEMS = ("AISP-SJTU", "DLUT", "HuaweiTSC", "JDExploreAcademy", "Lan-Bridge", "LanguageX", "NiuTrans",
           "Online-A", "Online-B", "Online-G", "Online-W", "Online-Y")


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{100 * value:5.1f}%"


def table(title: str, rows: list[dict], estimate: bool) -> None:
    from evals.metrics.flags import FLAGS, LanguageGuesser

    print(f"\n{title} ({len(rows)} rows)")
    head = f"{'flag':<18} {'rules':<7} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}"
    print(head + (f" {'recall~':>8}" if estimate else ""))
    versions = {"before": [row["flags_v1"] for row in rows], "now": current_flags(rows, LanguageGuesser())}
    for flag in FLAGS:
        for name, predicted in versions.items():
            counts = confusion(rows, predicted)[flag]
            line = (f"{flag:<18} {name:<7} {counts.tp:>4} {counts.fp:>4} {counts.fn:>4} "
                    f"{_fmt(counts.precision):>9} {_fmt(counts.recall):>7}")
            if estimate:
                line += f" {_fmt(estimated_recall(rows, predicted, flag)):>8}"
            print(line)


def whole_set(data: Path, labelled: list[dict]) -> None:
    """Current flags on all 22,500 hypotheses: the unlabelled ones, and whether langid was needed."""
    sources = (data / f"{PREFIX}src.zh").read_text("utf-8").splitlines()
    hyps = {s: (data / f"{PREFIX}hyp.{s}.en").read_text("utf-8").splitlines() for s in SYSTEMS}
    from evals.metrics.flags import LanguageGuesser, flag_many

    guesser = LanguageGuesser()
    flags = {s: flag_many(sources, hyps[s], "en", "zh", guesser=guesser) for s in SYSTEMS}
    known = {(row["system"], row["line"]) for row in labelled}
    outside = [(s, i) for s in SYSTEMS for i, f in enumerate(flags[s], 1) if f and (s, i) not in known]
    total = sum(len(v) for v in flags.values())
    print(f"\nall {total} WMT22 hypotheses, current rules: {sum(map(bool, sum(flags.values(), [])))} flagged, "
          f"{len(outside)} of them outside the labelled set; langid loaded: {guesser.loaded}")
    for system, line in outside:
        print(f"  unlabelled: {system}:{line} {flags[system][line - 1]} {hyps[system][line - 1][:100]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    wmt = load(WMT22_LABELLED)
    parts: dict[str, int] = {}
    for row in wmt:
        parts[row["part"].split(":")[0]] = parts.get(row["part"].split(":")[0], 0) + 1
    table("WMT22 zh-en labelled rows: " + ", ".join(f"{k} {v}" for k, v in parts.items()), wmt, estimate=True)
    n, bound = unflagged_miss_bound(wmt)
    print(f"recall~: flagged part + random part weighted by unflagged/sampled per system; with no positive among "
          f"the {n} random rows, at 95% at most {100 * bound:.1f}% of the unflagged hypotheses "
          f"(~{bound * (12 * 1875 - sum(r['part'] == 'flagged' for r in wmt)):.0f}) could be misses")
    table("Constructed rows (other languages, hard negatives)", load(CONSTRUCTED), estimate=False)
    if args.data.is_dir():
        whole_set(args.data, wmt)
    else:
        print(f"\n(no WMT22 data at {args.data}: the whole-set check is skipped)")


if __name__ == "__main__":
    main()
