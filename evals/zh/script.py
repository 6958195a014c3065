"""Han characters: the one table of CJK ideograph blocks, and what is built from it.

Several stages ask "is this a Chinese character?": language identification of
corpus lines, the seed reader's encoding check, sentence splitting, the
lexicon's word runs, the ``gloss`` tokenizer and the off-target flags. They
must agree, or a line counted as Chinese by one is Latin to the next; so the
blocks are listed once, here, as Unicode 15.1 defines them (every extension
A through I, and both compatibility blocks: news text does use rare
ideographs of Extension B and later for names).

Blocks are whole Unicode blocks, unassigned code points at their ends
included: those never occur in real text, and a block is easier to check
against the standard than a list of assigned ranges.

The regular-expression classes are compiled on first use, never at import:
``re`` enumerates every code point of the supplementary blocks, which costs
about 10 ms per pattern — a price a fully cached re-run should not pay.
"""

from __future__ import annotations

import functools
import re

#: (first, last, name) of every Unicode block of Han ideographs, commonest first
#: (``is_han`` stops at the first block that matches).
HAN_BLOCKS: tuple[tuple[int, int, str], ...] = (
    (0x4E00, 0x9FFF, "CJK Unified Ideographs"),
    (0x3400, 0x4DBF, "CJK Unified Ideographs Extension A"),
    (0xF900, 0xFAFF, "CJK Compatibility Ideographs"),
    (0x20000, 0x2A6DF, "CJK Unified Ideographs Extension B"),
    (0x2A700, 0x2B73F, "CJK Unified Ideographs Extension C"),
    (0x2B740, 0x2B81F, "CJK Unified Ideographs Extension D"),
    (0x2B820, 0x2CEAF, "CJK Unified Ideographs Extension E"),
    (0x2CEB0, 0x2EBEF, "CJK Unified Ideographs Extension F"),
    (0x2EBF0, 0x2EE5F, "CJK Unified Ideographs Extension I"),
    (0x2F800, 0x2FA1F, "CJK Compatibility Ideographs Supplement"),
    (0x30000, 0x3134F, "CJK Unified Ideographs Extension G"),
    (0x31350, 0x323AF, "CJK Unified Ideographs Extension H"),
)

#: The body of a regex character class matching one Han character: use as ``f"[{HAN_CLASS}]"``.
#: A plain string (cheap to build); compiling it is what costs.
HAN_CLASS = "".join(f"{chr(first)}-{chr(last)}" for first, last, _ in HAN_BLOCKS)


def is_han(char: str) -> bool:
    """True for a Han ideograph of any block in ``HAN_BLOCKS``."""
    code = ord(char)
    return any(first <= code <= last for first, last, _ in HAN_BLOCKS)


def is_basic_han(char: str) -> bool:
    """True for the main CJK Unified Ideographs block (U+4E00–U+9FFF), the everyday repertoire."""
    return 0x4E00 <= ord(char) <= 0x9FFF


@functools.cache
def han_re() -> re.Pattern[str]:
    """One Han character."""
    return re.compile(f"[{HAN_CLASS}]")


@functools.cache
def han_run_re() -> re.Pattern[str]:
    """A run of Han characters (a Chinese "word" before segmentation)."""
    return re.compile(f"[{HAN_CLASS}]+")


@functools.cache
def cjk_re() -> re.Pattern[str]:
    """One Han, kana or Hangul character: the scripts an English hypothesis should not be written in."""
    return re.compile(f"[{HAN_CLASS}\u3040-\u30ff\uac00-\ud7af\u1100-\u11ff]")


def han_count(text: str) -> int:
    """Number of Han characters in ``text``."""
    return len(han_re().findall(text))
