"""Find the Chinese and English halves of a seed and pair their paragraphs.

A paired seed is one run of Chinese paragraphs and one run of English
paragraphs (either order), each possibly opened by a title. Pairing is 1:1
after removing titles, and only when the evidence says the pairing is right:

* the paragraph counts must agree for some choice of titles;
* English/Chinese length ratios must be consistent across pairs;
* anchors — numbers and Latin-script names quoted in the Chinese — must be
  found in the paired English paragraph far more often than in its neighbours;
* the pairing must beat the same halves shifted by one paragraph.

When the evidence is weak the seed is *not* paired: it is kept as monolingual
documents and the report says why. We never pair by guesswork.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass

from evals.corpora.cleaning import Paragraph
from evals.corpora.language import cjk_ratio
from evals.corpora.model import PairingReport

#: Below this confidence two halves are not paired.
MIN_CONFIDENCE = 0.6
#: A pair's English/Chinese length ratio may differ from the median by this factor.
RATIO_TOLERANCE = 2.2
#: Plausible English characters per Chinese character for a single pair.
ABSOLUTE_RATIO_RANGE = (0.8, 8.0)

_NUMBER = re.compile(r"\d+(?:[,.]\d+)*")
_LATIN_NAME = re.compile(r"[A-Z][A-Za-z]+(?:[ .-][A-Z][A-Za-z]*)*|\b[A-Z]{1,4}\b")
_TITLE_MAX = {"zh": 50, "en": 160}
_SENTENCE_END = ("。", ".", "．")


@dataclass
class Halves:
    """The outcome of looking for two halves in one cleaned seed."""

    kind: str  # "paired" | "mono-zh" | "mono-en" | "split"
    zh: list[Paragraph]
    en: list[Paragraph]
    zh_title: Paragraph | None = None
    en_title: Paragraph | None = None
    report: PairingReport | None = None


def language_runs(paragraphs: list[Paragraph]) -> list[tuple[str, list[Paragraph]]]:
    """Consecutive paragraphs of one language, as (language, paragraphs) runs."""
    runs: list[tuple[str, list[Paragraph]]] = []
    for paragraph in paragraphs:
        lang = "zh" if cjk_ratio(paragraph.text) >= 0.3 else "en"
        if runs and runs[-1][0] == lang:
            runs[-1][1].append(paragraph)
        else:
            runs.append((lang, [paragraph]))
    return runs


def looks_like_title(paragraph: Paragraph, lang: str, following: list[Paragraph]) -> bool:
    """A first paragraph that is short, does not end a sentence, and opens longer text."""
    text = paragraph.text.rstrip("\"'”’ ")
    if not following or len(paragraph.text) > _TITLE_MAX[lang]:
        return False
    if text.endswith(_SENTENCE_END):
        return False
    longest_after = max(len(p.text) for p in following)
    return len(paragraph.text) < longest_after


def find_halves(paragraphs: list[Paragraph]) -> Halves:
    runs = language_runs(paragraphs)
    zh = [p for lang, run in runs if lang == "zh" for p in run]
    en = [p for lang, run in runs if lang == "en" for p in run]
    if not en:
        return _mono("mono-zh", zh, [])
    if not zh:
        return _mono("mono-en", [], en)
    if len(runs) != 2:
        report = _unpaired(
            f"languages interleave ({len(runs)} runs of Chinese and English paragraphs); "
            "only files with one Chinese half and one English half are paired",
            zh, en,
        )
        return _split(zh, en, report)
    return pair_halves(zh, en)


def _mono(kind: str, zh: list[Paragraph], en: list[Paragraph]) -> Halves:
    body = zh or en
    lang = "zh" if zh else "en"
    title = body[0] if looks_like_title(body[0], lang, body[1:]) else None
    rest = body[1:] if title else body
    if lang == "zh":
        return Halves(kind, rest, [], zh_title=title)
    return Halves(kind, [], rest, en_title=title)


def _split(zh: list[Paragraph], en: list[Paragraph], report: PairingReport) -> Halves:
    zh_half = _mono("mono-zh", zh, [])
    en_half = _mono("mono-en", [], en)
    return Halves("split", zh_half.zh, en_half.en, zh_half.zh_title, en_half.en_title, report)


def _unpaired(reason: str, zh: list[Paragraph], en: list[Paragraph], checks=None) -> PairingReport:
    return PairingReport(
        paired=False, confidence=0.0, reason=reason, zh_paragraphs=len(zh), en_paragraphs=len(en),
        zh_title=False, en_title=False, checks=checks or {},
    )


def pair_halves(zh: list[Paragraph], en: list[Paragraph]) -> Halves:
    """Pair two halves 1:1 after choosing titles, or split them with a reason."""
    candidates = []
    for zh_title in (False, True):
        for en_title in (False, True):
            if zh_title and not looks_like_title(zh[0], "zh", zh[1:]):
                continue
            if en_title and not looks_like_title(en[0], "en", en[1:]):
                continue
            body_zh, body_en = zh[int(zh_title):], en[int(en_title):]
            if body_zh and len(body_zh) == len(body_en):
                checks = pairing_checks(body_zh, body_en)
                candidates.append((checks["confidence"], zh_title, en_title, checks))
    if not candidates:
        return _split(zh, en, _unpaired(
            f"paragraph counts cannot be matched: {len(zh)} Chinese vs {len(en)} English "
            "paragraphs (allowing a title on either side)", zh, en,
        ))
    confidence, zh_title, en_title, checks = max(candidates, key=lambda c: (c[0], c[1] + c[2]))
    body_zh, body_en = zh[int(zh_title):], en[int(en_title):]
    if confidence < MIN_CONFIDENCE:
        return _split(zh, en, _unpaired(
            f"pairing confidence {confidence:.2f} is below {MIN_CONFIDENCE}: "
            f"{_weakest_check(checks)}", zh, en, checks,
        ))
    report = PairingReport(
        paired=True, confidence=round(confidence, 4),
        reason=f"{len(body_zh)} paragraph pairs, 1:1"
        + (", Chinese title" if zh_title else "") + (", English title" if en_title else ""),
        zh_paragraphs=len(body_zh), en_paragraphs=len(body_en), zh_title=zh_title, en_title=en_title,
        checks=checks,
    )
    return Halves(
        "paired", body_zh, body_en,
        zh[0] if zh_title else None, en[0] if en_title else None, report,
    )


def _weakest_check(checks: dict[str, float]) -> str:
    parts = [f"length ratios consistent in {checks['length_consistency']:.0%} of pairs"]
    if checks.get("anchors", 0):
        parts.append(f"{checks['anchor_match']:.0%} of numbers/names found in the paired paragraph")
    if "shift_margin" in checks:
        parts.append(f"margin over a one-paragraph shift {checks['shift_margin']:+.2f}")
    return "; ".join(parts)


def _anchors(text: str) -> set[str]:
    numbers = {n.replace(",", "") for n in _NUMBER.findall(text)}
    names = {m.lower() for m in _LATIN_NAME.findall(text) if len(m) >= 2 or m.isupper()}
    return numbers | names


def _anchor_hits(zh: Paragraph, en: Paragraph) -> tuple[int, int]:
    wanted = _anchors(zh.text)
    if not wanted:
        return 0, 0
    english = en.text.replace(",", "").lower()
    return sum(1 for a in wanted if a in english), len(wanted)


def _zh_len(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def _pair_score(zh: list[Paragraph], en: list[Paragraph], offset: int) -> float:
    """Mean agreement (anchors + length) of zh[i] with en[i + offset]."""
    scores = []
    ratios = [len(e.text) / max(1, _zh_len(z.text)) for z, e in zip(zh, en)]
    median = statistics.median(ratios)
    for i, z in enumerate(zh):
        j = i + offset
        if not 0 <= j < len(en):
            continue
        hit, total = _anchor_hits(z, en[j])
        ratio = len(en[j].text) / max(1, _zh_len(z.text))
        length_ok = 1.0 if median / RATIO_TOLERANCE <= ratio <= median * RATIO_TOLERANCE else 0.0
        scores.append((hit / total if total else 0.5) * 0.5 + length_ok * 0.5)
    return sum(scores) / len(scores) if scores else 0.0


def pairing_checks(zh: list[Paragraph], en: list[Paragraph]) -> dict[str, float]:
    """The evidence for pairing ``zh[i]`` with ``en[i]``, and a confidence in [0, 1]."""
    ratios = [len(e.text) / max(1, _zh_len(z.text)) for z, e in zip(zh, en)]
    median = statistics.median(ratios)
    low, high = ABSOLUTE_RATIO_RANGE
    consistent = sum(
        1 for r in ratios
        if median / RATIO_TOLERANCE <= r <= median * RATIO_TOLERANCE and low <= r <= high
    ) / len(ratios)
    hits = totals = 0
    for z, e in zip(zh, en):
        hit, total = _anchor_hits(z, e)
        hits, totals = hits + hit, totals + total
    checks: dict[str, float] = {
        "pairs": float(len(zh)),
        "length_ratio_median": round(median, 4),
        "length_consistency": round(consistent, 4),
        "anchors": float(totals),
        "anchor_match": round(hits / totals, 4) if totals else 0.0,
    }
    components = [consistent]
    if totals:
        components.append(hits / totals)
    if len(zh) >= 3:
        aligned = _pair_score(zh, en, 0)
        shifted = max(_pair_score(zh, en, -1), _pair_score(zh, en, 1))
        margin = aligned - shifted
        checks["shift_margin"] = round(margin, 4)
        components.append(1.0 if margin >= 0.1 else max(0.0, margin * 10))
        checks["length_correlation"] = round(_log_length_correlation(zh, en), 4)
    checks["confidence"] = round(sum(components) / len(components), 4)
    return checks


def _log_length_correlation(zh: list[Paragraph], en: list[Paragraph]) -> float:
    xs = [math.log(max(1, _zh_len(z.text))) for z in zh]
    ys = [math.log(max(1, len(e.text))) for e in en]
    if len(set(xs)) < 2 or len(set(ys)) < 2:
        return 0.0
    return statistics.correlation(xs, ys)
