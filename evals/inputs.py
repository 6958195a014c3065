"""Reading an input file: bytes on disk → text, with errors that name the file and line.

Every file a user hands us goes through here: seed articles and plain-text
corpora, ``file:`` hypothesis files, suites and the gate policy. One reader
means one set of rules and one wording for what can go wrong: a missing
file, a directory, unreadable bytes (``InputError`` naming the line and byte
offset of the first bad byte, and what the bytes probably are).

Decoding is strict, because a wrong guess silently turns Chinese into mojibake
that every later stage would happily translate and score:

* UTF-8 (with or without a BOM) is tried first; UTF-16/UTF-32 are accepted
  only with a BOM (without one they cannot be told apart from binary data).
* Only with ``legacy_chinese=True`` (seed articles, which arrive in whatever
  encoding the source website used) are GB18030 and Big5 tried next, strictly,
  and a candidate is accepted only if the decoded text *looks like Chinese*:
  common CJK ideographs rather than kana, Cyrillic, private-use or rare
  characters, and not single ideographs glued inside Latin words (the
  signature of a Latin-1 file read as GB18030). If both pass (short texts),
  the one made of more frequent characters wins, GB18030 by default. Suites,
  hypotheses and policies are mostly ASCII or English, where such a guess
  cannot be checked, so they get no fallback.
* charset-normalizer only words the hint of a decoding error ("it may be
  cp1252"); it never decides, because on short Chinese texts its guesses are
  confidently wrong.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from evals.errors import InputError
from evals.zh.script import is_basic_han, is_han

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
# A decoded candidate must be at least this share of common Chinese among its
# "telling" characters (ideographs and foreign letters/private use)...
_MIN_CHINESE_SHARE = 0.9
# ...and at most this share of its ideographs may sit alone inside a Latin word.
_MAX_GLUED_SHARE = 0.5


@dataclass(frozen=True)
class Decoded:
    """Decoded text (BOM removed, newlines as written) and how the bytes were stored."""

    text: str
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "utf-32", "gb18030" or "big5"
    had_bom: bool


def read_text(path: str | Path, *, what: str = "file", legacy_chinese: bool = False,
              missing_hint: str | None = None) -> str:
    """The decoded text of ``path`` (see ``decode``); ``what`` names the file in errors ("suite file")."""
    where = str(path)
    return decode(read_bytes(where, what=what, missing_hint=missing_hint), where,
                  legacy_chinese=legacy_chinese).text


def read_bytes(path: str | Path, *, what: str = "file", missing_hint: str | None = None) -> bytes:
    """The bytes of ``path``; a missing file, a directory, a non-regular file or an OS error is an ``InputError``.

    Only regular files (or symlinks to them) are read: a FIFO, a socket or a
    device such as ``/dev/zero`` may never end, and reading one whole would
    hang or exhaust memory. The kind is checked before opening (opening a FIFO
    waits for a writer) and again on the opened descriptor, which is opened
    non-blocking so that a file swapped for a FIFO in between cannot hang us.
    ``missing_hint`` tells the user how to make a missing file.
    """
    where = str(path)
    try:
        _require_regular(os.stat(path).st_mode, where, what)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{what} not found", path=where, hint=missing_hint) from None
    except IsADirectoryError:
        raise InputError(f"is a directory, expected a {what}", path=where) from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", path=where) from None
    except ValueError:  # a NUL or a lone surrogate in the path: no file can have that name
        raise InputError(f"cannot read {what}: the path contains a character no file name can hold",
                         path=printable_name(where)) from None
    with os.fdopen(fd, "rb") as handle:
        try:
            _require_regular(os.fstat(handle.fileno()).st_mode, where, what)
            return handle.read()
        except OSError as exc:
            raise InputError(f"cannot read {what}: {exc.strerror or exc}", path=where) from None


def require_regular_file(path: str | Path, *, what: str = "file") -> None:
    """Refuse a path that exists but is not a regular file or a directory (a FIFO, a device...).

    For readers that hand a path to another library (``datasets``) instead of reading it here.
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return  # missing or unnameable: the reader says so in its own words
    if not stat.S_ISDIR(mode):
        _require_regular(mode, str(path), what)


# What a non-regular file is, for the error that refuses it.
_FILE_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _require_regular(mode: int, where: str, what: str) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise InputError(f"is a directory, expected a {what}", path=where)
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")
    raise InputError(f"is {kind}, expected a {what}: only regular files are read", path=where,
                     hint="a stream may never end; save it to a file first")


# --- values inside a decoded file -------------------------------------------------

#: The integers a file may hold: what SQLite (and numpy's int64) can store.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")


def first_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text`` (None if there is none).

    Decoded bytes never hold one (strict decoding refuses them), but escapes
    do: JSON's ``"\\ud800"`` and YAML's ``"\\ud800"`` give a string no file,
    database or terminal can encode, so every parser of escapes checks here.
    """
    found = _SURROGATE.search(text)
    return None if found is None else found.group()


def surrogate_message(char: str, what: str = "a string") -> str:
    return (f"{what} holds a lone surrogate U+{ord(char):04X}, which is not a character "
            f"(an escape such as \\u{ord(char):04x} without its pair)")


def int_out_of_range(value: int) -> str | None:
    """Why an integer cannot be stored (None if it can): beyond 64 bits."""
    if INT64_MIN <= value <= INT64_MAX:
        return None
    shown = str(value) if abs(value) < 10**40 else "of more than 40 digits"  # str() of a huge int is refused
    return f"integer {shown} is out of range (at most 64-bit integers, up to {INT64_MAX})"


def printable_name(name: str) -> str:
    """A key or path as it can be shown: lone surrogates as escapes (an error message must print)."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def decode(raw: bytes, where: str, *, legacy_chinese: bool = False) -> Decoded:
    """Decode bytes strictly: UTF-8 (BOM or not) or UTF-16/32 with a BOM, plus GB18030/Big5 if asked.

    Failures are ``InputError`` at ``where`` naming the line and byte offset,
    and saying what the bytes probably are.
    """
    for bom, encoding, codec in _BOMS:
        if raw.startswith(bom):
            return Decoded(_decode_after_bom(raw, len(bom), encoding, codec, where), encoding, True)
    _reject_nul(raw, where)
    try:
        return Decoded(raw.decode("utf-8"), "utf-8", False)
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if legacy_chinese:
        text, encoding = _decode_legacy_chinese(raw, where, utf8_error)
        return Decoded(text, encoding, False)
    offset = utf8_error.start
    guess = _guess_encoding(raw)
    raise InputError(
        f"not valid UTF-8: byte 0x{raw[offset]:02x} at byte offset {offset} ({utf8_error.reason})",
        path=where,
        line=line_of_offset(raw, offset),
        hint=f"it may be {guess}; re-save the file as UTF-8" if guess else "re-save the file as UTF-8",
    )


def line_of_offset(raw: bytes, offset: int, encoding: str = "utf-8") -> int:
    """1-based line number of the byte at ``offset`` (CRLF, CR and LF all end lines)."""
    if encoding.startswith(("utf-16", "utf-32")):
        prefix = raw[:offset].decode(encoding, errors="replace")
        return len(_LINE_BREAK.findall(prefix)) + 1
    return len(_LINE_BREAK_BYTES.findall(raw[:offset])) + 1



# --- decoding ---------------------------------------------------------------


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
    ideographs = [ch for ch in text if is_han(ch)]
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


def _is_common_ideograph(ch: str) -> bool:
    """In the basic block and in GB2312 or Big5, the everyday character sets."""
    return is_basic_han(ch) and (encodable(ch, "gb2312") or encodable(ch, "big5"))


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
    if is_han(ch):
        return is_basic_han(ch)  # basic block but not in GB2312/Big5
    return "LATIN" not in unicodedata.name(ch, "")  # fullwidth Ａ is Latin too


def _ascii_letter_at(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isascii() and text[i].isalpha()


def encodable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


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


