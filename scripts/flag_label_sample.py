"""Draw the rows of the hand-labelled flag set from the shared WMT22 zh→en hypotheses.

The labelled set (``tests/data/flags_wmt22_labelled.jsonl``, guidelines in
``tests/data/README.md``) measures the precision and recall of each flag on
real MT output. Its rows come in three parts, drawn here so the draw can be
repeated and checked:

``flagged``
    every hypothesis of the 12 systems that the rules before issue 15
    (``FLAGS_VERSION`` 1) flagged with anything: all of them, so precision is
    measured on the whole population of flags, not a sample;
``random``
    ``RANDOM_PER_SYSTEM`` hypotheses per system drawn uniformly (seeded) from
    that system's unflagged ones: the only part recall may be extrapolated
    from (``scripts/flag_precision.py`` weights it by the system's unflagged
    count);
``hard:CATEGORY``
    up to ``HARD_PER_CATEGORY`` unflagged hypotheses per category of text that
    language checks get wrong (short lines, pinyin names, addresses, product
    titles, URLs, placeholders, all-caps, numbers, title case, diacritics, and
    what the old rules sent to langid), drawn (seeded) from those matching the
    category's pattern and not already in another part. Chosen on purpose, so
    they test precision of changed rules; they say nothing about recall in
    the population.

Labels are not drawn: they are read from the existing file (matched by system
and line) and new rows get ``null`` labels, to be filled in by hand; rows of
the file that the draw does not make (added by hand) are kept. The
``flagged`` part is the rows whose ``flags_v1`` is not empty; building from
scratch (no file yet) needs the version-1 rules and computes them.

    python scripts/flag_label_sample.py [--data ../shared/data/wmt22-zh-en] [--out tests/data/flags_wmt22_labelled.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "wmt22-zh-en"
OUT = REPO / "tests" / "data" / "flags_wmt22_labelled.jsonl"
PREFIX = "generaltest2022.zh-en."
SYSTEMS = ("AISP-SJTU", "DLUT", "HuaweiTSC", "JDExploreAcademy", "Lan-Bridge", "LanguageX", "NiuTrans",
           "Online-A", "Online-B", "Online-G", "Online-W", "Online-Y")
SEED = 15
RANDOM_PER_SYSTEM = 25
HARD_PER_CATEGORY = 12
#: More of what the old rules asked langid about: the texts every change of the langid path must keep right.
HARD_LANGID_ASKED = 36

_PINYIN_SYLLABLE = (r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
                    r"(?:iang|iong|uang|ang|eng|ing|ong|iao|ian|uai|uan|ai|ei|ao|ou|an|en|er|ia|ie|iu|in|ua|uo|ui|un"
                    r"|a|o|e|i|u)")
_PINYIN_NAME = re.compile(rf"\b[A-Z](?i:{_PINYIN_SYLLABLE}){{2,}}\b")
_WORD = re.compile(r"[A-Za-z]+")
_HAS_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _letters(text: str) -> int:
    return sum(map(str.isalpha, text))


def _asked_langid_v1(text: str) -> bool:
    """What the version-1 rules sent to langid: ≥ 40 ASCII letters, ASCII, not plainly English."""
    from evals.metrics.flags import plainly_english

    return text.isascii() and len(_WORD.findall(text)) and sum(map(len, _WORD.findall(text))) >= 40 \
        and not plainly_english(text)


def _title_case(text: str) -> bool:
    words = _WORD.findall(text)
    return len(words) >= 5 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


#: name → test on (source, hypothesis). Order matters only for reading the file.
CATEGORIES = {
    "short": lambda s, h: 0 < len(_WORD.findall(h)) <= 3,
    "numbers": lambda s, h: sum(map(str.isdigit, h)) >= max(3, _letters(h) / 2),  # no WMT22 line is only numbers
    "placeholder": lambda s, h: re.search(r"#[A-Z_]+\s*#", h) is not None,
    "url": lambda s, h: re.search(r"https?://|www\.|\.com\b|\.cn\b|@", h) is not None,
    "allcaps": lambda s, h: len(re.findall(r"\b[A-Z]{3,}\b", re.sub(r"#[A-Z_]+\s*#", "", h))) >= 2,
    "pinyin": lambda s, h: len(_PINYIN_NAME.findall(h)) >= 2,
    "address": lambda s, h: re.search(r"[路街号楼区县镇村省]", s) is not None
    and re.search(r"\b(Road|Street|Avenue|District|Floor|Building|Room|Province|County|Town|Village)\b", h) is not None,
    "product": lambda s, h: re.search(r"[【】]|正版|包邮|发货|款|套装", s) is not None,
    "titlecase": lambda s, h: _title_case(h),
    "diacritics": lambda s, h: any(not ch.isascii() and ch.isalpha() and not _HAS_CJK.match(ch) for ch in h),
    "langid-asked": lambda s, h: _asked_langid_v1(h),
}


def _read(data: Path, name: str) -> list[str]:
    return (data / f"{PREFIX}{name}").read_text("utf-8").splitlines()


def _v1_flags(data: Path, existing: dict[tuple[str, int], dict]) -> dict[tuple[str, int], list[str]]:
    if existing:
        return {key: row["flags_v1"] for key, row in existing.items() if row["part"] == "flagged"}
    from evals.metrics.flags import FLAGS_VERSION, flag_many

    if FLAGS_VERSION != 1:
        sys.exit("no labelled file to read the version-1 flags from, and the rules are not version 1")
    sources = _read(data, "src.zh")
    out = {}
    for system in SYSTEMS:
        for line, flags in enumerate(flag_many(sources, _read(data, f"hyp.{system}.en"), "en", "zh"), 1):
            if flags:
                out[(system, line)] = flags
    return out


def draw(data: Path, existing: dict[tuple[str, int], dict]) -> list[dict]:
    sources = _read(data, "src.zh")
    hyps = {system: _read(data, f"hyp.{system}.en") for system in SYSTEMS}
    flagged = _v1_flags(data, existing)
    rows: list[dict] = []
    taken: set[tuple[str, int]] = set()

    def add(system: str, line: int, part: str) -> None:
        key = (system, line)
        taken.add(key)
        old = existing.get(key, {})
        rows.append({"system": system, "line": line, "part": part, "source": sources[line - 1],
                     "hypothesis": hyps[system][line - 1], "flags_v1": flagged.get(key, []),
                     "labels": old.get("labels"), "borderline": old.get("borderline", []),
                     "reason": old.get("reason", "")})

    for system in SYSTEMS:
        for line in range(1, len(sources) + 1):
            if (system, line) in flagged:
                add(system, line, "flagged")
    rng = random.Random(SEED)
    for system in SYSTEMS:
        clean = [line for line in range(1, len(sources) + 1) if (system, line) not in flagged]
        for line in sorted(rng.sample(clean, RANDOM_PER_SYSTEM)):
            add(system, line, "random")
    for name, test in CATEGORIES.items():
        pool = [(system, line) for system in SYSTEMS for line in range(1, len(sources) + 1)
                if (system, line) not in flagged and (system, line) not in taken
                and test(sources[line - 1], hyps[system][line - 1])]
        size = HARD_LANGID_ASKED if name == "langid-asked" else HARD_PER_CATEGORY
        for system, line in sorted(rng.sample(pool, min(size, len(pool)))):
            add(system, line, f"hard:{name}")
    # Rows added by hand (say, a hypothesis that new rules flag): kept as they are.
    return rows + [row for key, row in existing.items() if key not in taken]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    existing: dict[tuple[str, int], dict] = {}
    if args.out.is_file():
        for text in args.out.read_text("utf-8").splitlines():
            row = json.loads(text)
            existing[(row["system"], row["line"])] = row
    rows = draw(args.data, existing)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as stream:
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    unlabelled = sum(row["labels"] is None for row in rows)
    print(f"{len(rows)} rows ({unlabelled} unlabelled) -> {args.out}")


if __name__ == "__main__":
    main()
