"""reading: strict decoding, newline normalisation, space normalisation, script detection."""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from evals.corpora.reading import (
    ZERO_WIDTH,
    ScriptDetector,
    detect_script,
    normalise_spaces,
    read_text,
    split_lines,
)
from evals.errors import InputError
from evals.inputs import line_of_offset

SIMPLIFIED = "特朗普透露他已经与普京谈论了乌克兰的战争。\n我们今天去北京，这里的天气很好。\n"
TRADITIONAL = "特朗普透露他已經與普京談論了烏克蘭的戰爭。\n我們今天去臺北，這裡的天氣很好。\n"


def write(tmp_path: Path, data: bytes, name: str = "seed.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- files that decode --------------------------------------------------------

GOOD = [
    # id, bytes, lines, encoding, had_bom, newline
    ("utf8", "你好\nworld\n".encode(), ["你好", "world"], "utf-8", False, "\n"),
    ("utf8-bom", codecs.BOM_UTF8 + "你好\nworld".encode(), ["你好", "world"], "utf-8-sig", True, "\n"),
    ("utf16-le-bom", "你好\r\nworld\r\n".encode("utf-16"), ["你好", "world"], "utf-16", True, "\r\n"),
    ("utf16-be-bom", codecs.BOM_UTF16_BE + "你好\nworld".encode("utf-16-be"), ["你好", "world"], "utf-16", True, "\n"),
    ("utf32-bom", "你好\nworld\n".encode("utf-32"), ["你好", "world"], "utf-32", True, "\n"),
    ("gb18030", SIMPLIFIED.encode("gb18030"), SIMPLIFIED.splitlines(), "gb18030", False, "\n"),
    ("gb18030-4byte", "欧元€和𠀀字，我们的。\n".encode("gb18030"), ["欧元€和𠀀字，我们的。"], "gb18030", False, "\n"),
    ("big5", TRADITIONAL.encode("big5"), TRADITIONAL.splitlines(), "big5", False, "\n"),
    ("big5-short", "我們".encode("big5"), ["我們"], "big5", False, "none"),
    ("gb-short", "我们".encode("gb18030"), ["我们"], "gb18030", False, "none"),
    ("crlf", b"one\r\ntwo\r\n", ["one", "two"], "utf-8", False, "\r\n"),
    ("lone-cr", b"one\rtwo\rthree", ["one", "two", "three"], "utf-8", False, "\r"),
    ("mixed", b"one\r\ntwo\nthree\rfour", ["one", "two", "three", "four"], "utf-8", False, "mixed"),
    ("no-newline", "一行".encode(), ["一行"], "utf-8", False, "none"),
    ("blank-lines-kept", b"a\n\n  \nb\n", ["a", "", "  ", "b"], "utf-8", False, "\n"),
    ("spaces-kept", "  \u3000缩进\u00a0 x\t \n".encode(), ["  \u3000缩进\u00a0 x\t "], "utf-8", False, "\n"),
    ("u2028-not-a-break", "a\u2028b\x0cc\n".encode(), ["a\u2028b\x0cc"], "utf-8", False, "\n"),
    ("inner-bom-kept", "a\ufeffb\n".encode(), ["a\ufeffb"], "utf-8", False, "\n"),
]


@pytest.mark.parametrize("raw, lines, encoding, had_bom, newline", [c[1:] for c in GOOD], ids=[c[0] for c in GOOD])
def test_read_text_decodes(tmp_path, raw, lines, encoding, had_bom, newline):
    path = write(tmp_path, raw)
    decoded = read_text(path)
    assert decoded.lines == lines
    assert decoded.encoding == encoding
    assert decoded.had_bom is had_bom
    assert decoded.newline == newline
    assert decoded.sha256 == hashlib.sha256(raw).hexdigest()
    assert decoded.path == str(path)
    assert "\r" not in decoded.text and not decoded.text.startswith("\ufeff")
    assert split_lines(decoded.text) == lines


def test_read_text_result_is_frozen(tmp_path):
    decoded = read_text(write(tmp_path, b"x\n"))
    with pytest.raises(AttributeError):
        decoded.text = "y"  # type: ignore[misc]


def test_seed_files_read_as_utf8():
    seeds = sorted(Path(__file__).resolve().parents[1].glob("seeds/*.txt"))
    for seed in seeds:
        decoded = read_text(seed)
        assert decoded.encoding in ("utf-8", "utf-8-sig")
        assert decoded.lines


# --- files that must fail, and where --------------------------------------------

BAD = [
    # id, bytes, substring of the message, line
    ("empty", b"", "file is empty", None),
    ("whitespace-only", b" \n\t\r\n\xe3\x80\x80\n", "file is empty", None),
    ("bom-only", codecs.BOM_UTF8, "file is empty", None),
    ("zero-width-only", "\u200b\n".encode(), "file is empty", None),
    ("latin1", "Ligne un\nDeuxième ligne: café\n".encode("latin-1"), "not valid UTF-8", 2),
    ("latin1-line3", "one\ntwo\nthree \xe9t\xe9 \xe0\n".encode("latin-1"), "byte 0xe9", 3),
    ("latin1-german-as-gb", "Grüße aus München, für Straße und Käse.\n".encode("latin-1"), "gb18030 decodes but", 1),
    ("big5-corrupt", ("第一行\n第二行\n".encode("big5") + b"\xa4\x40\xff\xff\n"), "reads as big5 up to byte 0xff", 3),
    ("nul", b"abc\ndef\x00ghi\n", "NUL bytes", 2),
    ("utf16-without-bom", "hello\nworld\n".encode("utf-16-le"), "UTF-16 without a byte-order mark", 1),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL bytes", 3),
    ("control-char", b"fine\nbad\x01line\n", "control character U+0001", 2),
    ("utf8-bom-then-invalid", codecs.BOM_UTF8 + b"ok\n\xff\n", "not valid UTF-8 despite its byte-order mark", 2),
    ("utf16-bom-nul-text", "a\x00b\n".encode("utf-16"), "control character U+0000", 1),
]


@pytest.mark.parametrize("raw, expected, line", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_read_text_rejects(tmp_path, raw, expected, line):
    path = write(tmp_path, raw)
    with pytest.raises(InputError) as info:
        read_text(path)
    error = info.value
    assert expected in str(error)
    assert error.path == str(path)
    assert error.line == line
    assert "\n" not in str(error)


def test_undecodable_error_names_offset_and_tried_encodings(tmp_path):
    raw = "Ligne un\nDeuxième ligne: café\n".encode("latin-1")
    with pytest.raises(InputError) as info:
        read_text(write(tmp_path, raw))
    message = str(info.value)
    offset = raw.index("è".encode("latin-1"))
    assert f"byte offset {offset}" in message
    assert "gb18030 fails at line 2" in message and "big5 fails at line 2" in message
    assert "re-save the file as UTF-8" in message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_text(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a directory"):
        read_text(tmp_path)


@pytest.mark.parametrize(
    "raw, offset, encoding, line",
    [
        (b"a\nb\nc", 4, "utf-8", 3),
        (b"a\r\nb\rc", 5, "utf-8", 3),
        (b"abc", 0, "utf-8", 1),
        ("a\nb\nc".encode("utf-16-le"), 8, "utf-16-le", 3),
    ],
)
def test_line_of_offset(raw, offset, encoding, line):
    assert line_of_offset(raw, offset, encoding) == line


# --- normalise_spaces -------------------------------------------------------------

SPACES = [
    ("plain", "hello world", "hello world"),
    ("nbsp", "10\u00a0km", "10 km"),
    ("narrow-nbsp", "10\u202fkm", "10 km"),
    ("ideographic-indent", "\u3000\u3000第一段。", "第一段。"),
    ("ideographic-inside", "第一章\u3000总则", "第一章 总则"),
    ("tabs-and-runs", "a\t\t b   c", "a b c"),
    ("ends", "  \t中文 \u00a0", "中文"),
    ("zwsp-in-chinese", "中\u200b文", "中文"),
    ("zwnj-zwj-latin", "a\u200cb\u200dc", "abc"),
    ("inner-bom", "a\ufeffb", "ab"),
    ("word-joiner", "a\u2060b", "ab"),
    ("zwsp-between-spaces", "a \u200b b", "a b"),
    ("emoji-zwj-kept", "家庭👨\u200d👩\u200d👧", "家庭👨\u200d👩\u200d👧"),
    ("fullwidth-and-punct-kept", "“ＡＢＣ”，（注）", "“ＡＢＣ”，（注）"),
    ("empty", "", ""),
    ("only-spaces", " \u3000\t\u200b", ""),
]


@pytest.mark.parametrize("line, expected", [c[1:] for c in SPACES], ids=[c[0] for c in SPACES])
def test_normalise_spaces(line, expected):
    assert normalise_spaces(line) == expected


def _visible(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and ch not in ZERO_WIDTH)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_normalise_spaces_is_idempotent_and_keeps_other_characters(line):
    once = normalise_spaces(line)
    assert normalise_spaces(once) == once
    assert _visible(once) == _visible(line)
    assert once == once.strip(" ")
    assert "  " not in once
    assert all(ch == " " or not ch.isspace() for ch in once)


# --- detect_script -------------------------------------------------------------------

SCRIPTS = [
    ("simplified", SIMPLIFIED, "zh-Hans"),
    ("traditional", TRADITIONAL, "zh-Hant"),
    ("english", "President Trump spoke with Putin on Monday.", "Latn"),
    ("empty", "", "Latn"),
    ("shared-characters-only", "中国人民大学", "zh-Hans"),
    ("traditional-with-taiwan-chars", "臺灣的台北市里長", "zh-Hant"),
    ("ambiguous-forms-do-not-count", "台里后干云", "zh-Hans"),
    ("mostly-simplified-with-a-name", "他们说后來的事情不会发生。", "zh-Hans"),
    ("english-with-one-hanzi", "The word 中 means middle.", "zh-Hans"),
]


@pytest.fixture(scope="module")
def detector() -> ScriptDetector:
    return ScriptDetector()  # reused: its OpenCC converters take ~0.1 s each to build


@pytest.mark.parametrize("text, expected", [c[1:] for c in SCRIPTS], ids=[c[0] for c in SCRIPTS])
def test_detect_script(detector, text, expected):
    assert detect_script(text, detector) == expected


def test_detect_script_without_a_detector():
    assert detect_script(TRADITIONAL) == "zh-Hant"


# --- round trips -----------------------------------------------------------------------

# Text a file may hold: anything but surrogates and the C0 controls read_text rejects.
_TEXT_CHARS = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters="".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r\x0b\x0c"),
)
# Common simplified Chinese (GB2312 level 1), Chinese punctuation, digits, spaces, newlines.
_GB_HANZI = [bytes([a, b]).decode("gb2312") for a in range(0xB0, 0xD8) for b in range(0xA1, 0xFF) if (a, b) < (0xD7, 0xFA)]
_GB_OTHER = list("，。！？、；：“”（）《》—…0123456789 \n") + ["\r\n", "\r"]
_GB_TEXT = st.lists(st.one_of(st.sampled_from(_GB_HANZI), st.sampled_from(_GB_OTHER)), min_size=1, max_size=60).map("".join)


def _expected(text: str) -> str:
    return re.sub(r"\r\n|\r", "\n", text)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """One file the property tests overwrite (module-scoped: hypothesis reruns the test body)."""
    return tmp_path_factory.mktemp("round-trip") / "x.txt"


def _round_trip(path: Path, raw: bytes) -> tuple[str, list[str], str]:
    path.write_bytes(raw)
    decoded = read_text(path)
    return decoded.text, decoded.lines, decoded.encoding


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=_TEXT_CHARS, min_size=1), bom=st.booleans())
def test_utf8_round_trip(scratch, text, bom):
    assume(not text.startswith("\ufeff"))  # would be read as a BOM
    assume(text.strip() and _visible(text))
    raw = (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")
    decoded_text, lines, encoding = _round_trip(scratch, raw)
    assert decoded_text == _expected(text)
    assert lines == split_lines(_expected(text))
    assert encoding == ("utf-8-sig" if bom else "utf-8")


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(text=_GB_TEXT)
def test_gb18030_chinese_round_trip(scratch, text):
    assume(any(ch in text for ch in _GB_HANZI))
    raw = text.encode("gb18030")
    try:
        raw.decode("utf-8")
        assume(False)  # UTF-8 is tried first by design; such bytes are UTF-8 text
    except UnicodeDecodeError:
        pass
    decoded_text, _, encoding = _round_trip(scratch, raw)
    assert (decoded_text, encoding) == (_expected(text), "gb18030")
