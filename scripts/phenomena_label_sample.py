"""Draw the rows of the hand-labelled phenomenon set from the shared WMT22 zh→en hypotheses.

For each check (``evals.phenomena.CHECKS``) the draw lists every item of every
segment of the 12 systems, split by what the check says (missed / matched),
and takes, seeded, up to ``MISSED`` missed items and ``MATCHED`` matched items
(uniformly over all systems' items; at most one item per (check, system,
line) so a long segment does not fill the sample). The rows go to
``tests/data/phenomena_wmt22_labelled.jsonl`` with ``error: null``, to be
labelled by hand (guidelines: ``tests/data/README.md``). Labels already in the
file are kept (matched by check, system, line and item); rows the draw no
longer makes are dropped. ``--check NAME`` (repeatable) redraws only those
checks and keeps every row of the others as it is in the file: a check whose
rules change is redrawn and labelled again without disturbing the rest.
``--top-up`` keeps every row and adds, per check, missed items (under the
current rules, seeded, not already in the file) until the file holds
``MISSED`` items the current check calls missed: after a rule fix has
removed false misses, the sample is brought back to size without redrawing
what is labelled.

    python scripts/phenomena_label_sample.py [--data ../shared/data/wmt22-zh-en] [--out FILE] [--check NAME]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.phenomena import CHECKS, check_segment  # noqa: E402

SEED = 18
MISSED = 45
MATCHED = 15
PREFIX = "generaltest2022.zh-en."
SYSTEMS = ("AISP-SJTU", "DLUT", "HuaweiTSC", "JDExploreAcademy", "Lan-Bridge", "LanguageX", "NiuTrans",
           "Online-A", "Online-B", "Online-G", "Online-W", "Online-Y")


def pools(data: Path, check: str) -> dict[bool, list[dict]]:
    """Every item of ``check`` in the 12 systems' output, by the check's verdict (one per verdict and segment)."""
    sources = (data / f"{PREFIX}src.zh").read_text("utf-8").splitlines()
    out: dict[bool, list[dict]] = {True: [], False: []}
    for system in SYSTEMS:
        hyps = (data / f"{PREFIX}hyp.{system}.en").read_text("utf-8").splitlines()
        for line, (source, hyp) in enumerate(zip(sources, hyps), 1):
            seen = set()
            for item, ok in check_segment(check, source, hyp):
                if ok not in seen:
                    seen.add(ok)
                    out[ok].append({"check": check, "system": system, "line": line, "item": item.text,
                                    "start": item.start, "matched": ok, "source": source, "hypothesis": hyp})
    return out


def top_up(data: Path, old: list[dict]) -> list[dict]:
    """Missed items to add so each check has ``MISSED`` rows it calls missed (see the module doc)."""
    keys = {(r["check"], r["system"], r["line"], r["item"]) for r in old}
    added = []
    for check in CHECKS:
        missed = pools(data, check)[False]
        have = sum(1 for r in missed if (r["check"], r["system"], r["line"], r["item"]) in keys)
        fresh = [r for r in missed if (r["check"], r["system"], r["line"], r["item"]) not in keys]
        rng = random.Random(f"{SEED}:{check}:top-up")
        picked = rng.sample(fresh, min(max(0, MISSED - have), len(fresh)))
        added += sorted(picked, key=lambda r: (r["system"], r["line"]))
        print(f"{check}: {have} missed items labelled, {len(picked)} added, {len(missed)} in all", file=sys.stderr)
    return added


def draw(data: Path, checks) -> list[dict]:
    rows = []
    for check in checks:
        found = pools(data, check)
        rng = random.Random(f"{SEED}:{check}")
        for ok, count in ((False, MISSED), (True, MATCHED)):
            pool = found[ok]
            rows += sorted(rng.sample(pool, min(count, len(pool))), key=lambda r: (r["system"], r["line"]))
        print(f"{check}: {len(found[False])} missed, {len(found[True])} matched items in all", file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "wmt22-zh-en")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "phenomena_wmt22_labelled.jsonl")
    parser.add_argument("--check", action="append", choices=list(CHECKS), help="redraw only these checks")
    parser.add_argument("--top-up", action="store_true", help="keep every row, add missed items up to MISSED")
    args = parser.parse_args()
    if args.top_up:
        existing = [json.loads(line) for line in args.out.read_text("utf-8").splitlines() if line.strip()]
        with args.out.open("a", encoding="utf-8") as stream:
            for row in top_up(args.data, existing):
                stream.write(json.dumps({**row, "error": None, "note": ""}, ensure_ascii=False) + "\n")
        return
    redraw = args.check or list(CHECKS)
    old, kept_rows = {}, []
    if args.out.exists():
        for line in args.out.read_text("utf-8").splitlines():
            row = json.loads(line)
            old[(row["check"], row["system"], row["line"], row["item"])] = row
            if row["check"] not in redraw:
                kept_rows.append(row)
    drawn = draw(args.data, redraw)
    with args.out.open("w", encoding="utf-8") as stream:
        for row in kept_rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        for row in drawn:
            kept = old.get((row["check"], row["system"], row["line"], row["item"]), {})
            row["error"] = kept.get("error")
            row["note"] = kept.get("note", "")
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
