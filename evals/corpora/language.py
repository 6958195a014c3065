"""Which language and script a line of text is in.

Cleaning and pairing decide by *language identification*, not by file layout:
a line is Chinese when CJK ideographs dominate its letters, English when
Latin letters dominate and ``langid`` agrees, and "other" when a confident
language-ID model says it is some third language (a Lithuanian blog footer,
say). Short Latin lines are too short for language ID; callers treat them by
shape instead (see ``cleaning``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from evals.corpora.model import LANGS, SCRIPTS
from evals.corpora.reading import detect_script
from evals.errors import InputError, UsageError, did_you_mean
from evals.zh.script import is_han

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)


def letter_counts(text: str) -> tuple[int, int, int]:
    """Return (CJK ideographs, ASCII/Latin letters, other letters) in ``text``."""
    cjk = latin = other = 0
    for char in text:
        if is_han(char):
            cjk += 1
        elif char.isalpha():
            if char.isascii() or unicodedata.name(char, "").startswith("LATIN"):
                latin += 1
            else:
                other += 1
    return cjk, latin, other


def cjk_ratio(text: str) -> float:
    """Share of CJK ideographs among all letters; 0.0 for text without letters.

    Chinese news text quotes Latin names ("唐纳德·特朗普(Donald Trump)"), so a
    Chinese line still scores well above 0.5; English lines score 0.
    """
    cjk, latin, other = letter_counts(text)
    letters = cjk + latin + other
    return cjk / letters if letters else 0.0


def words(text: str) -> list[str]:
    return _WORD.findall(text)


@dataclass(frozen=True)
class LineLanguage:
    lang: str  # "zh", "en", another ISO 639-1 code, or "none"
    confidence: float


class LanguageIdentifier:
    """Language ID for lines, with the ``langid`` model loaded once per instance.

    The model (a few MB, ~1 s to load) is only loaded when a Latin-script line
    is long enough to need it.
    """

    #: Latin lines with fewer words than this are not sent to langid: its
    #: guesses on one- or two-word strings are noise.
    MIN_WORDS = 2

    def __init__(self) -> None:
        self._model = None

    def _langid(self):
        if self._model is None:
            from langid import langid

            self._model = langid.LanguageIdentifier.from_modelstring(langid.model, norm_probs=True)
        return self._model

    def classify(self, text: str) -> LineLanguage:
        cjk, latin, other = letter_counts(text)
        letters = cjk + latin + other
        if letters == 0:
            return LineLanguage("none", 1.0)
        if cjk / letters >= 0.3:
            return LineLanguage("zh", cjk / letters)
        if len(words(text)) < self.MIN_WORDS:
            # Too short to identify; Latin script is all we know.
            return LineLanguage("en" if latin >= other else "none", 0.0)
        lang, prob = self._langid().classify(text)
        return LineLanguage(lang, float(prob))


# --- a loaded corpus: its languages and source script -----------------------------


def check_langs(src_lang: str, tgt_lang: str) -> None:
    """Both languages are ones mteval evaluates, and they differ (every loader checks this first)."""
    for name, value in (("src_lang", src_lang), ("tgt_lang", tgt_lang)):
        if value not in LANGS:
            message = f"unknown language '{value}' (known: {', '.join(LANGS)})"
            raise UsageError(message, field=name, hint=did_you_mean(value, LANGS))
    if src_lang == tgt_lang:
        raise UsageError(f"source and target language are both '{src_lang}'", field="tgt_lang")


def resolve_script(script: str | None, src_lang: str, source_text: str, where: str) -> str:
    """The given script, checked; else detected from the source text."""
    if script is not None:
        if script not in SCRIPTS:
            message = f"unknown script '{script}' (known: {', '.join(SCRIPTS)})"
            raise UsageError(message, field="script", hint=did_you_mean(script, SCRIPTS))
        return script
    if src_lang == "en":
        return "Latn"
    detected = detect_script(source_text)
    if detected == "Latn":
        raise InputError(
            "source language is zh but the source has no Chinese characters",
            path=where,
            hint="swapped source and reference? or pass src_lang='en'",
        )
    return detected
