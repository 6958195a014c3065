"""Reading: a raw text file on disk → decoded text split into numbered lines.

Seed articles and plain-text corpora arrive in whatever encoding the source
website or editor used. Guessing wrong silently turns Chinese into mojibake that
every later stage would happily translate and score, so decoding is strict:

* UTF-8 (with or without a BOM) is tried first, because it is what almost
  everything is; UTF-16/UTF-32 are accepted only with a BOM (without one they
  cannot be told apart from binary data).
* Otherwise GB18030 and Big5 are tried strictly, and a candidate is accepted
  only if the decoded text *looks like Chinese*: common CJK ideographs rather
  than kana, Cyrillic, private-use or rare characters, and not single
  ideographs glued inside Latin words (the signature of a Latin-1 file read as
  GB18030). If both pass (short texts), the one made of more frequent
  characters wins, GB18030 by default. charset-normalizer only words the hint
  of a decoding error ("it may be cp1252"); it never decides, because on short
  Chinese texts its guesses are confidently wrong.
* Anything else is an ``InputError`` naming the line and byte offset of the
  first undecodable byte and the encodings tried.

The decoded text is returned with newlines normalised to ``\\n`` and nothing
else changed; ``normalise_spaces`` is the separate, explicit step the cleaner
uses to tidy whitespace inside a line. ``detect_script`` tells simplified from
traditional Chinese and is reused by the loaders and the corpus builder.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from evals.errors import InputError

NEWLINE_KINDS = ("\n", "\r\n", "\r", "mixed", "none")

# Byte-order marks, longest first: the UTF-32-LE BOM starts with the UTF-16-LE one.
# Each: (BOM, encoding we report, codec for the bytes after the BOM).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
)
_LEGACY_CHINESE = ("gb18030", "big5")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")
# C0 controls that never belong in text; tab, LF, VT, FF and CR do. (DEL is
# left to the cleaner: JSON writers emit it unescaped, so it is not a sign of
# a binary file.)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")

# A decoded candidate must be at least this share of common Chinese among its
# "telling" characters (ideographs and foreign letters/private use)...
_MIN_CHINESE_SHARE = 0.9
# ...and at most this share of its ideographs may sit alone inside a Latin word.
_MAX_GLUED_SHARE = 0.5

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
    lines: list[str]
    encoding: str
    had_bom: bool
    newline: str
    sha256: str


def read_text(path: str | Path) -> DecodedText:
    """Read and strictly decode a text file; bad or ambiguous bytes raise InputError."""
    where = str(path)
    raw = _read_bytes(where)
    if not raw:
        raise InputError("file is empty (0 bytes)", path=where)
    text, encoding, had_bom = _decode(raw, where)
    _reject_binary(text, where)
    if not _has_visible(text):
        raise InputError("file is empty (whitespace only)", path=where)
    newline = _newline_kind(text)
    normalised = _LINE_BREAK.sub("\n", text)
    return DecodedText(
        path=where,
        text=normalised,
        lines=split_lines(normalised),
        encoding=encoding,
        had_bom=had_bom,
        newline=newline,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def decode_unicode(raw: bytes, where: str) -> str:
    """Decode bytes that must be Unicode text (suites, hypothesis files); no legacy guessing.

    UTF-8 with or without a BOM, or UTF-16/UTF-32 with a BOM (both are
    unambiguous). Unlike ``read_text`` there is no GB18030/Big5 fallback: these
    files are mostly ASCII or English, where such a guess cannot be checked.
    Failures name the line and byte offset, and say what the bytes probably are.
    """
    for bom, encoding, codec in _BOMS:
        if raw.startswith(bom):
            return _decode_after_bom(raw, len(bom), encoding, codec, where)
    _reject_nul(raw, where)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start
        guess = _guess_encoding(raw)
        raise InputError(
            f"not valid UTF-8: byte 0x{raw[offset]:02x} at byte offset {offset} ({exc.reason})",
            path=where,
            line=line_of_offset(raw, offset),
            hint=f"it may be {guess}; re-save the file as UTF-8" if guess else "re-save the file as UTF-8",
        ) from None


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
            if _is_cjk_ideograph(ch):
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
        candidates = [ch for ch in chars if not _encodable(ch, outside)]
        if not candidates:
            return []  # skip building a converter we do not need
        converted = self._converter(config).convert("\n".join(candidates)).split("\n")
        return [ch for ch, new in zip(candidates, converted) if new != ch]

    def _converter(self, config: str):
        if config not in self._converters:
            import opencc

            self._converters[config] = opencc.OpenCC(config)
        return self._converters[config]


def line_of_offset(raw: bytes, offset: int, encoding: str = "utf-8") -> int:
    """1-based line number of the byte at ``offset`` (CRLF, CR and LF all end lines)."""
    if encoding.startswith(("utf-16", "utf-32")):
        prefix = raw[:offset].decode(encoding, errors="replace")
        return len(_LINE_BREAK.findall(prefix)) + 1
    return len(_LINE_BREAK_BYTES.findall(raw[:offset])) + 1


# --- decoding ---------------------------------------------------------------


def _read_bytes(where: str) -> bytes:
    try:
        return Path(where).read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=where) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a text file", path=where) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=where) from None


def _decode(raw: bytes, where: str) -> tuple[str, str, bool]:
    """Return (text without BOM, encoding name, had_bom) or raise InputError."""
    for bom, encoding, codec in _BOMS:
        if raw.startswith(bom):
            return _decode_after_bom(raw, len(bom), encoding, codec, where), encoding, True
    _reject_nul(raw, where)
    try:
        return raw.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError as exc:
        utf8_error = exc
    text, encoding = _decode_legacy_chinese(raw, where, utf8_error)
    return text, encoding, False


def _decode_after_bom(raw: bytes, start: int, encoding: str, codec: str, where: str) -> str:
    """Decode what follows a BOM with the codec of the BOM's byte order."""
    try:
        return raw[start:].decode(codec)
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        raise InputError(
            f"not valid {_display_name(encoding)} despite its byte-order mark: "
            f"byte 0x{raw[offset]:02x} at byte offset {offset} ({exc.reason})",
            path=where,
            line=line_of_offset(raw, offset, codec),
        ) from None


def _display_name(encoding: str) -> str:
    return "UTF-8" if encoding == "utf-8-sig" else encoding.upper()


def _decode_legacy_chinese(raw: bytes, where: str, utf8_error: UnicodeDecodeError) -> tuple[str, str]:
    """Try GB18030 and Big5; keep a candidate only if it reads as Chinese."""
    accepted: dict[str, str] = {}
    failures: list[str] = []
    # Where decoding breaks, per encoding: the headline of the error is the
    # break under the encoding the file most plausibly is in.
    breaks = [("utf-8", utf8_error)]
    for encoding in _LEGACY_CHINESE:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            failures.append(_failure(encoding, raw, exc))
            if _not_chinese_reason(raw[: exc.start].decode(encoding)) is None:
                breaks.append((encoding, exc))
            continue
        problem = _not_chinese_reason(text)
        if problem:
            failures.append(f"{encoding} decodes but {problem}")
        else:
            accepted[encoding] = text
    if len(accepted) == 1:
        (encoding, text), = accepted.items()
        return text, encoding
    if len(accepted) > 1:
        encoding = _break_tie(accepted)
        return accepted[encoding], encoding
    encoding, error = max(breaks, key=lambda item: item[1].start)
    offset = error.start
    guess = _guess_encoding(raw)
    if encoding == "utf-8":
        headline = f"byte 0x{raw[offset]:02x} at byte offset {offset} is not valid UTF-8 ({error.reason})"
    else:
        headline = (
            f"reads as {encoding} up to byte 0x{raw[offset]:02x} at byte offset {offset} ({error.reason})"
        )
    utf8_failure = _failure("utf-8", raw, utf8_error)
    raise InputError(
        f"cannot decode: {headline}; tried utf-8, gb18030, big5: {'; '.join([utf8_failure, *failures])}",
        path=where,
        line=line_of_offset(raw, offset),
        hint=f"it may be {guess}; re-save the file as UTF-8" if guess else "re-save the file as UTF-8",
    )


def _failure(encoding: str, raw: bytes, error: UnicodeDecodeError) -> str:
    return f"{encoding} fails at line {line_of_offset(raw, error.start)}, byte offset {error.start}"


def _guess_encoding(raw: bytes) -> str | None:
    """charset-normalizer's best guess, only to word the hint of a decoding error.

    It never decides how a file is decoded: its guesses on short or mixed
    Chinese text are unreliable, and a wrong guess there would be silent.
    """
    import charset_normalizer

    best = charset_normalizer.from_bytes(raw[:65536]).best()
    return best.encoding if best is not None else None


def _break_tie(accepted: dict[str, str]) -> str:
    """Both GB18030 and Big5 read as Chinese (only happens for short texts).

    The wrong reading still yields valid characters, but more of them rare
    ones; the right reading is mostly characters from the frequent halves of
    GB2312 and Big5 (their "level 1"). When that does not separate them,
    GB18030 wins: mainland sources dominate our seeds. (charset-normalizer is
    no help here: on a handful of bytes it always answers Big5.)
    """
    shares = {encoding: _frequent_share(text) for encoding, text in accepted.items()}
    best = max(shares, key=shares.__getitem__)
    if shares[best] - min(shares.values()) >= 0.1:
        return best
    return "gb18030" if "gb18030" in accepted else best


def _frequent_share(text: str) -> float:
    """Share of ideographs in GB2312 level 1 or Big5 level 1 (the frequent ones)."""
    ideographs = [ch for ch in text if _is_cjk_ideograph(ch)]
    if not ideographs:
        return 0.0
    frequent = {ch for ch in set(ideographs) if _is_frequent(ch)}
    return sum(ch in frequent for ch in ideographs) / len(ideographs)


def _is_frequent(ch: str) -> bool:
    try:
        if ch.encode("gb2312") < b"\xd8\x00":  # level 1 ends at 0xD7F9
            return True
    except UnicodeEncodeError:
        pass
    try:
        return b"\xa4\x40" <= ch.encode("big5") <= b"\xc6\x7e"  # Big5 level 1
    except UnicodeEncodeError:
        return False


def _not_chinese_reason(text: str) -> str | None:
    """Why a decoded candidate does not look like Chinese, or None if it does."""
    common_chars = {ch for ch in set(text) if _is_common_ideograph(ch)}
    common = foreign = glued = 0
    for i, ch in enumerate(text):
        if ord(ch) < 0x80:
            continue
        if ch in common_chars:
            common += 1
            if _ascii_letter_at(text, i - 1) and _ascii_letter_at(text, i + 1):
                glued += 1
        elif _is_foreign(ch):
            foreign += 1
    if common == 0:
        return "contains no common Chinese characters"
    share = common / (common + foreign)
    if share < _MIN_CHINESE_SHARE:
        return f"only {share:.0%} of its non-Latin letters are common Chinese characters"
    if glued / common > _MAX_GLUED_SHARE:
        return "its Chinese characters sit alone inside Latin words (a Latin-1 or Windows-1252 file?)"
    return None


def _is_cjk_ideograph(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF  # CJK Unified Ideographs
        or 0x3400 <= cp <= 0x4DBF  # Extension A
        or 0x20000 <= cp <= 0x323AF  # Extensions B-H
        or 0xF900 <= cp <= 0xFAFF  # Compatibility Ideographs
    )


def _is_common_ideograph(ch: str) -> bool:
    """In the basic block and in GB2312 or Big5, the everyday character sets."""
    return 0x4E00 <= ord(ch) <= 0x9FFF and (_encodable(ch, "gb2312") or _encodable(ch, "big5"))


def _is_foreign(ch: str) -> bool:
    """Characters that, in bulk, mean a candidate decoding is wrong.

    Private-use and unassigned code points, rare ideographs of the basic
    block, box drawing, and letters of other scripts (kana, Greek, Cyrillic,
    Hangul...) — what Big5 bytes turn into when read as GB18030, and Latin-1
    bytes when read as either. Ideographs of the extension blocks are neutral:
    in GB18030 they need four-byte sequences that wrong readings do not
    produce, so they are real (rare) characters. Latin letters with accents
    (pinyin), digits, punctuation and symbols are neutral too.
    """
    category = unicodedata.category(ch)
    if category in ("Co", "Cn", "Cs"):
        return True
    if 0x2500 <= ord(ch) <= 0x257F:  # box drawing: GB18030 row 0xA9
        return True
    if not category.startswith("L"):
        return False
    if _is_cjk_ideograph(ch):
        return 0x4E00 <= ord(ch) <= 0x9FFF  # basic block but not in GB2312/Big5
    return "LATIN" not in unicodedata.name(ch, "")  # fullwidth Ａ is Latin too


def _ascii_letter_at(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isascii() and text[i].isalpha()


def _encodable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


# --- checks on the decoded text ---------------------------------------------


def _reject_nul(raw: bytes, where: str) -> None:
    offset = raw.find(b"\x00")
    if offset < 0:
        return
    hint = "a binary file?"
    if raw[1::2].count(0) > len(raw) // 4 or raw[0::2].count(0) > len(raw) // 4:
        hint = "UTF-16 without a byte-order mark? re-save it as UTF-8"
    raise InputError(
        f"contains NUL bytes (first at byte offset {offset}): not a text file",
        path=where,
        line=line_of_offset(raw, offset),
        hint=hint,
    )


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
