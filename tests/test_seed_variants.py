"""The builder on new files of the same kinds as the seeds (not written to the five seeds)."""

from __future__ import annotations

import subprocess
import sys

import opencc
import pytest

from evals.corpora.builder import _Tools, documents_from_seed
from evals.errors import InputError
from tests.conftest import SEEDS

PAIRED = (SEEDS / "001_497e44a6f89bd7b7.txt").read_text(encoding="utf-8").split("\n")
ZH, EN_TITLE, EN = PAIRED[:19], PAIRED[19], PAIRED[20:]
OTHER_EN = (SEEDS / "000_116abdeea9f99068.txt").read_text(encoding="utf-8").split("\n")[39:]


@pytest.fixture(scope="module")
def tools():
    return _Tools()


def build(tmp_path, tools, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return documents_from_seed(path, tools)


def utf8(lines, sep="\n"):
    return sep.join(lines).encode("utf-8")


def assert_paired(docs, pairs=19):
    assert [d.kind for d in docs] == ["paired"]
    assert len(docs[0].paragraphs) == len(docs[0].ref_paragraphs) == pairs
    return docs[0]


def test_crlf_and_bom(tmp_path, tools):
    doc = assert_paired(build(tmp_path, tools, "x.txt", b"\xef\xbb\xbf" + utf8(PAIRED, "\r\n")))
    assert doc.paragraphs[0] == ZH[0]


def test_blank_line_separated_paragraphs(tmp_path, tools):
    assert_paired(build(tmp_path, tools, "x.txt", utf8(PAIRED, "\n\n")))


def test_title_on_both_sides(tmp_path, tools):
    lines = ["特朗普称30天停火“本来会很艰难”"] + ZH + [EN_TITLE] + EN
    doc = assert_paired(build(tmp_path, tools, "x.txt", utf8(lines)))
    assert doc.title == "特朗普称30天停火“本来会很艰难”" and doc.ref_title == EN_TITLE
    assert doc.pairing.zh_title and doc.pairing.en_title


def test_english_half_first(tmp_path, tools):
    doc = assert_paired(build(tmp_path, tools, "x.txt", utf8([EN_TITLE] + EN + ZH)))
    assert doc.ref_paragraphs[0] == EN[0] and doc.paragraphs[0] == ZH[0]


def test_traditional_paired_detected_from_text_not_name(tmp_path, tools):
    s2t = opencc.OpenCC("s2twp")
    lines = [s2t.convert(line) for line in ZH] + [EN_TITLE] + EN
    doc = assert_paired(build(tmp_path, tools, "simplified_zh-Hans.txt", utf8(lines)))
    assert doc.script == "zh-Hant"


def test_halves_of_very_different_size_are_not_paired(tmp_path, tools):
    docs = build(tmp_path, tools, "x.txt", utf8(ZH + [EN_TITLE] + EN[:5]))
    assert [d.kind for d in docs] == ["mono-zh", "mono-en"]
    assert [d.doc_id for d in docs] == ["x-zh", "x-en"]
    assert "19 Chinese vs 6 English" in docs[0].pairing.reason


def test_unrelated_halves_of_equal_size_are_not_paired(tmp_path, tools):
    docs = build(tmp_path, tools, "x.txt", utf8(ZH + [EN_TITLE] + OTHER_EN[:19]))
    assert [d.kind for d in docs] == ["mono-zh", "mono-en"]
    assert not docs[0].pairing.paired
    assert "confidence" in docs[0].pairing.reason


def test_all_noise_file_is_a_clear_error(tmp_path, tools):
    noise = ["me0qy", "", "图源:CBC", "", "免责声明:转载请联系 a@b.com", "", "发表评论"]
    with pytest.raises(InputError, match="no article text left after cleaning"):
        build(tmp_path, tools, "noise.txt", utf8(noise))


def test_empty_file_is_a_clear_error(tmp_path, tools):
    with pytest.raises(InputError, match="empty"):
        build(tmp_path, tools, "empty.txt", b"")


def test_gb18030_seed(tmp_path, tools):
    text = (SEEDS / "002_5c32315b3d20ba13.txt").read_text(encoding="utf-8").replace("\u00a0", " ")
    docs = build(tmp_path, tools, "gb.txt", text.encode("gb18030"))
    assert [d.kind for d in docs] == ["mono-zh"] and docs[0].encoding == "gb18030"
    assert docs[0].script == "zh-Hans"


def test_big5_traditional_seed(tmp_path, tools):
    text = (SEEDS / "004_5f2541cb0ac2fadf.txt").read_text(encoding="utf-8")
    data = text.encode("big5", errors="ignore")
    docs = build(tmp_path, tools, "big5.txt", data)
    assert [d.kind for d in docs] == ["mono-zh"] and docs[0].script == "zh-Hant"
    assert docs[0].encoding == "big5"


def test_hard_wrapped_english_is_rejoined(tmp_path, tools):
    import textwrap

    paragraphs = [EN[0], EN[4], EN[7]]
    wrapped = "\n\n".join(textwrap.fill(p, 60) for p in paragraphs)
    docs = build(tmp_path, tools, "wrapped.txt", wrapped.encode("utf-8"))
    assert docs[0].kind == "mono-en"
    assert docs[0].paragraphs == paragraphs


def test_cli_reports_bad_seed_with_file_name(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "bad.txt").write_bytes(b"\xff\xfe\xfa not text \x00\x00")
    run = subprocess.run([sys.executable, "-m", "evals", "corpus", "build", "--seeds", str(seeds),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    assert "bad.txt" in run.stderr and "Traceback" not in run.stderr
