"""Numbers an English text mentions, as values: digits, separators, scale words and number words.

``1,000``, ``1000``, ``one thousand``, ``1 thousand``, ``1k`` are all 1000;
``350 million``, ``0.35 billion`` and ``350,000,000`` are 350,000,000;
``24th`` and ``twenty-fourth`` are 24; ``31.2%`` and ``31.2 percent`` are 31.2.
A few words stand for small numbers in a faithful translation (``both``,
``twice``, ``a pair`` for 2; ``a dozen`` for 12) and count as them. The reader
is lenient on purpose: it answers "is this value in the text?", so a value it
reads too readily can only hide a miss, never invent one.
"""

from __future__ import annotations

import re
from types import MappingProxyType

UNITS = MappingProxyType({
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19})
TENS = MappingProxyType({"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                         "eighty": 80, "ninety": 90})
SCALES = MappingProxyType({"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9,
                           "trillion": 10**12})
ORDINALS = MappingProxyType({
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70,
    "eightieth": 80, "ninetieth": 90, "hundredth": 100, "thousandth": 1000})
#: Words a faithful translation uses for a small number.
SYNONYMS = MappingProxyType({
    "both": 2, "twice": 2, "double": 2, "pair": 2, "couple": 2, "twin": 2, "twins": 2, "thrice": 3,
    "triple": 3, "centenary": 100, "centennial": 100, "century": 100, "dozen": 12, "dozens": 12, "once": 1, "single": 1, "half": 0.5, "a": 1, "an": 1})
#: Decades in words (the eighties): 八十年代 is 80 as well as 1980.
DECADES = MappingProxyType({"twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60,
                            "seventies": 70, "eighties": 80, "nineties": 90})
_SHORT_SCALES = MappingProxyType({"k": 10**3, "m": 10**6, "mn": 10**6, "bn": 10**9, "b": 10**9})

_WORD = "|".join(sorted([*UNITS, *TENS, *SCALES, *ORDINALS], key=len, reverse=True))
_NUMBER_WORDS = re.compile(rf"\b(?:(?:{_WORD})(?:[\s-]+(?:and[\s-]+)?)?)+", re.IGNORECASE)
_DIGITS = re.compile(r"(?<!\d)(?<!\d\.)(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
                     r"(?:\s*-?\s*(hundred|thousand|million|billion|trillion)\b|(k|m|mn|bn|b)\b)?", re.IGNORECASE)


#: Roman numerals after the words that number parts of a text (Part III, Article XVII).
_ROMAN = re.compile(r"\b(?:part|article|chapter|section|volume|book|phase|grade|class|level|no\.?)\s+([IVXLC]+)\b",
                    re.IGNORECASE)
_ROMAN_VALUES = MappingProxyType({"I": 1, "V": 5, "X": 10, "L": 50, "C": 100})


def roman_value(numeral: str) -> int:
    """XVII → 17 (subtractive pairs read as usual)."""
    values = [_ROMAN_VALUES[ch] for ch in numeral.upper()]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def values_in_text(text: str) -> set[float]:
    """Every value the text mentions (see the module doc), as floats."""
    found: set[float] = {float(roman_value(m.group(1))) for m in _ROMAN.finditer(text)}
    for match in _DIGITS.finditer(text):
        base = float(match.group(1).replace(",", ""))
        found.add(base)
        scale = match.group(2) or match.group(3)
        if scale:
            found.add(base * (SCALES.get(scale.lower()) or _SHORT_SCALES[scale.lower()]))
    for match in _NUMBER_WORDS.finditer(text):
        value = words_value(match.group())
        if value is not None:
            found.add(float(value))
        for word in re.findall(r"[a-z]+", match.group().lower()):  # "two or three": each word too
            if word in UNITS or word in TENS or word in ORDINALS:
                found.add(float(UNITS.get(word, TENS.get(word, ORDINALS.get(word, 0)))))
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in SYNONYMS:
            found.add(float(SYNONYMS[word]))
        if word in DECADES:
            found.add(float(DECADES[word]))
    return found


def words_value(phrase: str) -> int | None:
    """``two hundred and forty-five thousand`` → 245000; None when the words are no number."""
    words = [w for w in re.split(r"[\s-]+", phrase.lower()) if w and w != "and"]
    if not words:
        return None
    total = current = 0
    seen = False
    for word in words:
        if word in UNITS:
            current += UNITS[word]
        elif word in TENS:
            current += TENS[word]
        elif word in ORDINALS:
            current += ORDINALS[word] if ORDINALS[word] < 100 else 0
            if ORDINALS[word] >= 100:
                current = (current or 1) * ORDINALS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in SCALES:
            total += (current or 1) * SCALES[word]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def contains_value(values: set[float], value: float) -> bool:
    """Whether ``value`` is among ``values`` (floats compared to a relative 1e-9)."""
    return any(abs(v - value) <= 1e-9 * max(1.0, abs(value)) for v in values)
