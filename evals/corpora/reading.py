"""Reading: a raw text file on disk → decoded text split into numbered lines.

Seed articles and plain-text corpora arrive in whatever encoding the source
website or editor used: ``evals.inputs`` reads and strictly decodes them
(UTF-8, UTF-16/32 with a BOM, then GB18030 or Big5 only if the result reads as
Chinese). On top of that a corpus file must not be empty or binary (control
characters), and its newline convention is recorded.

The decoded text is returned with newlines normalised to ``\\n`` and nothing
else changed; ``normalise_spaces`` is the separate, explicit step the cleaner
uses to tidy whitespace inside a line. ``detect_script`` tells simplified from
traditional Chinese and is reused by the loaders and the corpus builder.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from evals.errors import InputError
from evals.inputs import decode, encodable, read_bytes
from evals.zh.script import is_han

NEWLINE_KINDS = ("\n", "\r\n", "\r", "mixed", "none")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# C0 controls that never belong in text; tab, LF, VT, FF and CR do. (DEL is
# left to the cleaner: JSON writers emit it unescaped, so it is not a sign of
# a binary file.)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")

# Invisible characters the space normaliser deletes rather than turning into a
# space: they have no width, so a reader sees no gap where they are.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_ZWJ = "\u200d"
# Anything a reader would see: not whitespace (str.isspace) and not zero-width.
_VISIBLE = re.compile(r"[^\s\u200b\u200c\u200d\u2060\ufeff]")


@dataclass(frozen=True)
class DecodedText:
    """A text file as decoded: normalised text, its lines, and how it was stored."""

    path: str
    text: str
    encoding: str
    had_bom: bool
    newline: str
    sha256: str

    @cached_property
    def lines(self) -> list[str]:
        """The lines, split on first use (``iter_lines`` reads them without holding a list)."""
        return split_lines(self.text)

    def iter_lines(self) -> Iterator[str]:
        """The lines one at a time: what a large file's loader walks without a second copy of the text."""
        return iter_lines(self.text)


def read_text(path: str | Path) -> DecodedText:
    """Read and strictly decode a text file; bad or ambiguous bytes raise InputError."""
    where = str(path)
    raw = read_bytes(where)
    if not raw:
        raise InputError("file is empty (0 bytes)", path=where)
    sha256 = hashlib.sha256(raw).hexdigest()
    decoded = decode(raw, where, legacy_chinese=True)
    # The bytes go before the text is split: a million-segment corpus would otherwise hold its bytes,
    # its text, a normalised copy and its lines at once (most of the peak memory of a large run).
    del raw
    text = decoded.text
    _reject_binary(text, where)
    if not _has_visible(text):
        raise InputError("file is empty (whitespace only)", path=where)
    newline = _newline_kind(text)
    normalised = _LINE_BREAK.sub("\n", text) if "\r" in text else text
    del text
    return DecodedText(
        path=where,
        text=normalised,
        encoding=decoded.encoding,
        had_bom=decoded.had_bom,
        newline=newline,
        sha256=sha256,
    )


def iter_lines(text: str) -> Iterator[str]:
    """``split_lines(text)`` one line at a time, without building the list."""
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start)
        if stop < 0:
            yield text[start:]
            return
        yield text[start:stop]
        start = stop + 1


def split_lines(text: str) -> list[str]:
    """Split ``\\n``-normalised text into lines; a final newline ends the last line.

    Only ``\\n`` splits: ``str.splitlines`` would also split on U+2028, form
    feeds and other characters that are content, not line structure.
    """
    if not text:
        return []
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return lines


def normalise_spaces(line: str) -> str:
    """Collapse odd whitespace in one line to single ASCII spaces and strip the ends.

    NBSP, the ideographic space U+3000 (indentation at the start of Chinese
    paragraphs, a separator inside headings), tabs and every other Unicode
    space become one ASCII space; runs collapse. Zero-width characters
    (U+200B/C/D, U+2060, a stray U+FEFF) are deleted, not spaced, because a
    reader sees no gap there — except a zero-width joiner inside an emoji
    sequence, which is part of the emoji. Every other character is kept as
    written.
    """
    out: list[str] = []
    for i, ch in enumerate(line):
        if ch in ZERO_WIDTH and not (ch == _ZWJ and _joins_emoji(line, i)):
            continue
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            continue
        out.append(ch)
    if out and out[-1] == " ":
        out.pop()
    return "".join(out)


def detect_script(text: str, detector: ScriptDetector | None = None) -> str:
    """Return "zh-Hant", "zh-Hans" or "Latn" for a text (see ``ScriptDetector``).

    Pass a ``ScriptDetector`` when detecting many texts: building its OpenCC
    converters costs about 0.1 s each.
    """
    return (detector or ScriptDetector()).detect(text)


class ScriptDetector:
    """Tells simplified from traditional Chinese by characters only one script uses.

    A traditional-only character is one OpenCC ``t2s`` changes and that is not
    in GB2312 (so 乾, 著 do not count); a simplified-only character is one
    ``s2t`` changes and that is not in Big5 (so 台, 里, 后 do not count): the
    two charsets are each script's everyday repertoire, and OpenCC alone would
    count characters both scripts write. Traditional wins only when it clearly
    outnumbers simplified (at least two to one); any other text with CJK
    ideographs is simplified; text without them is Latin.

    Converters are built on first need and kept by the instance.
    """

    def __init__(self) -> None:
        self._converters: dict[str, object] = {}

    def detect(self, text: str) -> str:
        counts: dict[str, int] = {}
        for ch in text:
            if is_han(ch):
                counts[ch] = counts.get(ch, 0) + 1
        if not counts:
            return "Latn"
        traditional = sum(counts[ch] for ch in self._changed_by("t2s", counts, outside="gb2312"))
        simplified = sum(counts[ch] for ch in self._changed_by("s2t", counts, outside="big5"))
        if traditional > 0 and traditional >= 2 * simplified:
            return "zh-Hant"
        return "zh-Hans"

    def _changed_by(self, config: str, chars: Iterable[str], outside: str) -> list[str]:
        """Characters not in charset ``outside`` that OpenCC ``config`` converts."""
        candidates = [ch for ch in chars if not encodable(ch, outside)]
        if not candidates:
            return []  # skip building a converter we do not need
        converted = self._converter(config).convert("\n".join(candidates)).split("\n")
        return [ch for ch, new in zip(candidates, converted) if new != ch]

    def _converter(self, config: str):
        if config not in self._converters:
            import opencc

            self._converters[config] = opencc.OpenCC(config)
        return self._converters[config]


# --- checks on the decoded text ---------------------------------------------


def _reject_binary(text: str, where: str) -> None:
    match = _CONTROL.search(text)
    if match is None:
        return
    line = len(_LINE_BREAK.findall(text, 0, match.start())) + 1
    raise InputError(
        f"contains control character U+{ord(match.group()):04X}: binary or corrupted file",
        path=where,
        line=line,
    )


def _has_visible(text: str) -> bool:
    return _VISIBLE.search(text) is not None


def _newline_kind(text: str) -> str:
    kinds = set(_LINE_BREAK.findall(text))
    if not kinds:
        return "none"
    if len(kinds) > 1:
        return "mixed"
    return kinds.pop()


def _joins_emoji(line: str, i: int) -> bool:
    """A ZWJ between two emoji parts (👨‍👩‍👧) is part of the emoji, not junk."""
    before = line[i - 1] if i > 0 else ""
    after = line[i + 1] if i + 1 < len(line) else ""
    return _emoji_part(before) and _emoji_part(after)


def _emoji_part(ch: str) -> bool:
    if not ch:
        return False
    # Emoji are "So"; U+FE0F asks for emoji presentation; U+1F3FB-F are skin tones.
    return unicodedata.category(ch) == "So" or ch == "\ufe0f" or 0x1F3FB <= ord(ch) <= 0x1F3FF
