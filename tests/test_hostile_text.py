"""Hostile text through the CLI (issue 16): a table of cases, each one line with file, line and field (exit 2),
or, where the text is legitimately valid, exit 0 with the stored text equal to the input.

Complements ``tests/test_hostile_loaders.py`` (a lone surrogate in a corpus ``source`` and a ``file:``
``hypothesis``, 10**30, 200k-deep nesting, fr/Cyrl, FIFOs) and ``tests/test_bad_input.py`` (UTF-16 without
a BOM, Latin-1 bytes, a U+0001 control character, empty files): here the surrogates go into every other
field of every loader, and the text is hostile in the ways a real file is -- NUL bytes, invalid UTF-8 at a
known line, a BOM in the middle, U+2028/U+2029, bidi controls, combining-mark floods, a 10 MB line, CRLF
mixtures, full-width and ideographic spaces in ids.

Each case runs ``evals.cli.main`` in-process (``tests.test_bad_input.cli``) on a fresh store path: a
refused input must not create it; an accepted one is read back from it.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from evals.store import open_store
from tests.test_bad_input import CORPUS_LINES, HYP_LINES, HYPS, SEGMENTS, cli, hyps_with, jline, scored_store, \
    segment_obj

SUITE = "name: hostile\ncorpora: [{corpus}]\nsystems:\n  - {{spec: '{system}', name: model}}\nmetrics: [bleu]\n"


def corpus(line2: str | None = None, **fields) -> str:
    """The good corpus with line 2 replaced (by ``line2``, or by segment s2 with ``fields`` changed)."""
    lines = list(CORPUS_LINES)
    lines[1] = line2 if line2 is not None else jline({**segment_obj(*SEGMENTS[1]), **fields})
    return "\n".join(lines) + "\n"


def escaped(obj: dict) -> str:
    """A JSONL line with every non-ASCII character escaped (so a lone surrogate is the escape ``\\udXXX``)."""
    return json.dumps(obj, ensure_ascii=True)


def hyp_lines(line3: str | None = None, **fields) -> str:
    lines = list(HYP_LINES)
    lines[2] = line3 if line3 is not None else escaped({"seg_id": "s3", "hypothesis": HYPS[2], **fields})
    return hyps_with(lines)


def text_hyps(line3: str) -> str:
    return hyps_with([*HYPS[:2], line3, HYPS[3]])


@dataclass
class Case:
    id: str
    files: dict[str, str | bytes]
    fragments: list[str] = field(default_factory=list)  # exit 2: each in the one line
    stored: tuple[str, str, str] | None = None  # exit 0: (seg_id, column, text) read back from the store
    corpus: str = "news.jsonl"
    system: str = "file:hyps.jsonl"
    command: str = "run"  # or "suite" (the case's own YAML file), or "check" (the scored store's gate)


BASE = {"news.jsonl": "\n".join(CORPUS_LINES) + "\n", "hyps.jsonl": hyps_with(HYP_LINES),
        "hyps.txt": hyps_with(HYPS)}
SURROGATE_FIELDS = {"seg_id": "s\udc00", "doc_id": "d\ud800", "reference": "Many\udbff people.", "corpus": "n\udfff"}
COMBINING = "e" + "\u0301" * 10_000
TEN_MB = ("lorem ipsum dolor " * 600_000)[:10_000_000]

CASES = [
    # lone surrogates in every field the campaign did not cover yet
    *[Case(f"surrogate-corpus-{name}", {"bad.jsonl": corpus(escaped({**segment_obj(*SEGMENTS[1]), name: value}))},
           ["bad.jsonl:2", f"[{name}]", "surrogate"], corpus="bad.jsonl", system="copy")
      for name, value in SURROGATE_FIELDS.items()],
    Case("surrogate-hyp-seg-id", {"bad.jsonl": hyp_lines(seg_id="s\ud800")}, ["bad.jsonl:3", "[seg_id]", "surrogate"],
         system="file:bad.jsonl"),
    Case("surrogate-hyp-doc-id", {"bad.jsonl": hyp_lines(doc_id="\udfff")}, ["bad.jsonl:3", "[doc_id]", "surrogate"],
         system="file:bad.jsonl"),
    Case("surrogate-hyp-key", {"bad.jsonl": hyp_lines('{"seg_id": "s3", "hypothesis": "x", "\\ud800": 1}')},
         ["bad.jsonl:3", "surrogate"], system="file:bad.jsonl"),
    Case("surrogate-bytes-text-hyps", {"bad.txt": text_hyps("He \udc80 works").encode("utf-8", "surrogatepass")},
         ["bad.txt:3", "not valid UTF-8"], system="file:bad.txt"),
    Case("surrogate-suite-name", {"bad.yaml": 'name: "x\\ud800"\ncorpora: [news.jsonl]\nsystems: [copy]\n'
                                              'metrics: [bleu]\n'}, ["bad.yaml:1", "[name]", "surrogate"],
         command="suite"),
    Case("surrogate-suite-system-name", {"bad.yaml": "name: s\ncorpora: [news.jsonl]\nsystems:\n"
                                                     "  - {spec: copy, name: \"\\udc00\"}\nmetrics: [bleu]\n"},
         ["bad.yaml:4", "[name]", "surrogate"], command="suite"),
    # NUL bytes: raw in each kind of file, escaped in a JSON string
    Case("nul-raw-corpus", {"bad.jsonl": corpus().replace("公园里", "公\x00园里").encode()},
         ["bad.jsonl:2", "NUL"], corpus="bad.jsonl", system="copy"),
    # an escaped U+0000 is a character the writer meant: JSON allows it and the store keeps it exactly
    Case("nul-escaped-corpus-source", {"ok.jsonl": corpus(source="公园\u0000里有很多人在跑步。")},
         stored=("s2", "source", "公园\u0000里有很多人在跑步。"), corpus="ok.jsonl", system="copy"),
    Case("nul-escaped-hypothesis", {"ok.jsonl": hyp_lines(hypothesis="He works\u0000 in a bank.")},
         stored=("s3", "hypothesis", "He works\u0000 in a bank."), system="file:ok.jsonl"),
    Case("nul-raw-text-hyps", {"bad.txt": text_hyps("He works\x00 in a bank.")}, ["bad.txt:3", "NUL"],
         system="file:bad.txt"),
    # option names that collide with the factory's own parameter (found by tests/test_fuzz_loaders.py)
    Case("suite-metric-option-named-name", {"bad.yaml": "name: s\ncorpora: [news.jsonl]\nsystems: [copy]\n"
                                                        "metrics:\n  - {name: bleu, options: {name: -1}}\n"},
         ["bad.yaml:5", "[name]", "metric 'bleu' has no option 'name'"], command="suite"),
    Case("suite-system-option-named-spec", {"bad.yaml": "name: s\ncorpora: [news.jsonl]\nsystems:\n"
                                                        "  - {spec: copy, options: {spec: x}}\nmetrics: [bleu]\n"},
         ["bad.yaml:4", "[spec]", "has no option 'spec'"], command="suite"),
    Case("nul-raw-suite", {"bad.yaml": "name: s\x00\ncorpora: [news.jsonl]\nsystems: [copy]\nmetrics: [bleu]\n"},
         ["bad.yaml:1"], command="suite"),
    # invalid UTF-8 at a known line
    Case("invalid-utf8-corpus-line-3", {"bad.jsonl": corpus().encode().replace("他在".encode(), b"\xe4\xbb\xff")},
         ["bad.jsonl:3"], corpus="bad.jsonl", system="copy"),
    Case("invalid-utf8-hyps-jsonl-line-4",
         {"bad.jsonl": hyps_with(HYP_LINES).encode().replace(b"interesting", b"inter\xc3esting")},
         ["bad.jsonl:4", "not valid UTF-8"], system="file:bad.jsonl"),
    Case("truncated-utf8-text-hyps-last-line", {"bad.txt": hyps_with(HYPS).encode()[:-1] + b"\xe2\x80"},
         ["bad.txt:4", "not valid UTF-8"], system="file:bad.txt"),
    Case("invalid-utf8-text-set-reference-line-2",
         {"src.zh": "".join(row[2] + "\n" for row in SEGMENTS),
          "ref.en": "".join(row[3] + "\n" for row in SEGMENTS).encode().replace(b"Many", b"M\xe9ny")},
         ["ref.en:2"], corpus='"src.zh:ref.en"', system="copy"),
    Case("surrogate-bytes-text-set-source-line-3",
         {"src.zh": "".join(row[2] + "\n" for row in SEGMENTS).replace("北京", "北\udcff京"),
          "ref.en": "".join(row[3] + "\n" for row in SEGMENTS)}, ["src.zh:3"], corpus='"src.zh:ref.en"', system="copy"),
    # a byte-order mark in the middle (a concatenation of two files)
    Case("bom-mid-corpus", {"bad.jsonl": corpus("\ufeff" + CORPUS_LINES[1])},
         ["bad.jsonl:2", "byte-order mark"], corpus="bad.jsonl", system="copy"),
    Case("bom-mid-hyps-jsonl", {"bad.jsonl": hyp_lines("\ufeff" + HYP_LINES[2])}, ["bad.jsonl:3", "byte-order mark"],
         system="file:bad.jsonl"),
    Case("bom-mid-text-hyps", {"bad.txt": text_hyps("\ufeff" + HYPS[2])}, ["bad.txt:3", "[hypothesis]",
                                                                             "byte-order mark"], system="file:bad.txt"),
    Case("bom-start-text-hyps", {"ok.txt": b"\xef\xbb\xbf" + hyps_with(HYPS).encode()},
         stored=("s1", "hypothesis", HYPS[0]), system="file:ok.txt"),
    Case("zwnbsp-inside-text-hypothesis", {"ok.txt": text_hyps("He works\ufeffin a bank.")},
         stored=("s3", "hypothesis", "He works\ufeffin a bank."), system="file:ok.txt"),
    # U+2028/U+2029 are content, not line breaks: kept as written
    Case("u2028-text-hyps", {"ok.txt": text_hyps("He works\u2028in a bank.")}, stored=("s3", "hypothesis",
         "He works\u2028in a bank."), system="file:ok.txt"),
    Case("u2029-hypothesis-jsonl", {"ok.jsonl": hyp_lines(hypothesis="He works.\u2029In a bank.")},
         stored=("s3", "hypothesis", "He works.\u2029In a bank."), system="file:ok.jsonl"),
    Case("u2028-corpus-reference", {"ok.jsonl": corpus(reference="Many people\u2028were running.")},
         stored=("s2", "reference", "Many people\u2028were running."), corpus="ok.jsonl", system="copy"),
    # bidi controls and combining-mark floods: content, kept exactly
    Case("bidi-hypothesis", {"ok.jsonl": hyp_lines(hypothesis="He works \u202ekab a ni\u202c in Beijing.")},
         stored=("s3", "hypothesis", "He works \u202ekab a ni\u202c in Beijing."), system="file:ok.jsonl"),
    Case("bidi-isolates-text-hyps", {"ok.txt": text_hyps("\u2067\u05e9\u05dc\u05d5\u05dd\u2069 works")},
         stored=("s3", "hypothesis", "\u2067\u05e9\u05dc\u05d5\u05dd\u2069 works"), system="file:ok.txt"),
    Case("combining-flood-hypothesis", {"ok.txt": text_hyps(COMBINING)}, stored=("s3", "hypothesis", COMBINING),
         system="file:ok.txt"),
    Case("combining-flood-source", {"ok.jsonl": corpus(source="公园" + "\u0301" * 10_000 + "。")},
         stored=("s2", "source", "公园" + "\u0301" * 10_000 + "。"), corpus="ok.jsonl", system="copy"),
    # a 10 MB single line
    Case("ten-mb-text-hypothesis", {"ok.txt": text_hyps(TEN_MB)}, stored=("s3", "hypothesis", TEN_MB),
         system="file:ok.txt"),
    # CRLF mixtures
    Case("crlf-mixed-text-hyps", {"ok.txt": f"{HYPS[0]}\r\n{HYPS[1]}\n{HYPS[2]}\r\n{HYPS[3]}\n"},
         stored=("s3", "hypothesis", HYPS[2]), system="file:ok.txt"),
    Case("crlf-mixed-corpus", {"ok.jsonl": "\r\n".join(CORPUS_LINES[:2]) + "\n" + "\r\n".join(CORPUS_LINES[2:]) + "\n"},
         stored=("s2", "reference", SEGMENTS[1][3]), corpus="ok.jsonl", system="copy"),
    Case("crlf-mixed-hyps-jsonl", {"ok.jsonl": HYP_LINES[0] + "\r\n" + "\n".join(HYP_LINES[1:]) + "\r\n"},
         stored=("s1", "hypothesis", HYPS[0]), system="file:ok.jsonl"),
    # only \n ends a line of a text file (a CR before it is dropped): a lone CR is content
    Case("cr-inside-text-hypothesis", {"ok.txt": text_hyps("He works\rin a bank.")},
         stored=("s3", "hypothesis", "He works\rin a bank."), system="file:ok.txt"),
    # full-width and ideographic spaces in ids: ids are compared exactly, and the error names them
    Case("ideographic-space-hyp-id", {"bad.jsonl": hyp_lines(seg_id="s3\u3000")}, ["bad.jsonl [seg_id]", "extra id",
                                                                                   "'s3\u3000' (line 3)"],
         system="file:bad.jsonl"),
    Case("fullwidth-hyp-id", {"bad.jsonl": hyp_lines(seg_id="\uff53\uff13")}, ["bad.jsonl [seg_id]", "extra id",
                                                                               "'\uff53\uff13' (line 3)"],
         system="file:bad.jsonl"),
    Case("ideographic-space-only-corpus-seg-id", {"bad.jsonl": corpus(seg_id="\u3000")},
         ["bad.jsonl:2", "[seg_id]"], corpus="bad.jsonl", system="copy"),
    Case("fullwidth-corpus-seg-id", {"ok.jsonl": corpus(seg_id="\uff53\uff12")},
         stored=("\uff53\uff12", "source", SEGMENTS[1][2]), corpus="ok.jsonl", system="copy"),
]


def baseline_with(home: Path, change) -> str:
    document = json.loads((home / "base.json").read_text(encoding="utf-8"))
    change(document)
    return json.dumps(document, ensure_ascii=True)


def _rename(document: dict) -> None:
    document["system"]["name"] = "a\ud800"


def _bad_seg_id(document: dict) -> None:
    corpus = next(iter(document["corpora"].values()))
    corpus["segments"][1]["seg_id"] = "\udc00"


CHECK_CASES = {  # name: (file name, text or a change to the good baseline, extra args, fragments)
    "surrogate-baseline-system-name": ("bad.json", _rename, [], ["bad.json", "[system.name]", "surrogate"]),
    "surrogate-baseline-seg-id": ("bad.json", _bad_seg_id, [], ["bad.json", "segments[1].seg_id", "surrogate"]),
    "surrogate-policy-test": ("bad.yaml", 'version: 1\ntest: "boot\\udfffstrap"\n', ["--policy", "bad.yaml"],
                              ["bad.yaml:2", "[test]", "surrogate"]),
    "surrogate-policy-metric-key": ("bad.yaml", 'version: 1\nmetrics:\n  "\\ud800": {tolerance: 1.0}\n',
                                    ["--policy", "bad.yaml"], ["bad.yaml:3", "surrogate"]),
    "nul-raw-policy": ("bad.yaml", "version: 1\nseed: 1\x00\n", ["--policy", "bad.yaml"], ["bad.yaml:2"]),
    "bom-mid-baseline": ("bad.json", lambda d: None, [], ["bad.json", "byte-order mark"]),
}


@pytest.fixture(scope="module")
def check_home(tmp_path_factory) -> Path:
    return scored_store(tmp_path_factory.mktemp("hostile-check"))


@pytest.mark.parametrize("name", sorted(CHECK_CASES))
def test_hostile_text_in_gate_files(name, check_home, monkeypatch, capsys):
    """Baseline JSON and policy YAML through ``mteval check``: one line naming file, line and field;
    the store (a reader's) untouched."""
    monkeypatch.chdir(check_home)
    target, content, extra, fragments = CHECK_CASES[name]
    if callable(content):
        content = baseline_with(check_home, content)
        if name == "bom-mid-baseline":
            content = content.replace('"version"', '\ufeff"version"', 1)
    (check_home / target).write_text(content, encoding="utf-8")
    before = (check_home / "s.db").read_bytes()
    baseline = target if target.endswith(".json") else "base.json"
    outcome = cli(["check", "--db", "s.db", "--run", "1", "--system", "b.txt", "--baseline", baseline, *extra],
                  capsys)
    assert "Traceback" not in outcome.text, outcome.text[-3000:]
    assert outcome.code == 2, outcome.text[-3000:]
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), outcome.err
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert (check_home / "s.db").read_bytes() == before


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_text(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name, data in {**BASE, **case.files}.items():
        if isinstance(data, bytes):
            (tmp_path / name).write_bytes(data)
        else:
            (tmp_path / name).write_text(data, encoding="utf-8", errors="surrogatepass")
    if case.command == "suite":
        suite = next(name for name in case.files if name.endswith(".yaml"))
    else:
        suite = "suite.yaml"
        (tmp_path / suite).write_text(SUITE.format(corpus=case.corpus, system=case.system), encoding="utf-8")
    db = tmp_path / "store.db"
    outcome = cli(["run", suite, "--db", db, "--quiet", "--format", "json"], capsys)
    assert "Traceback" not in outcome.text, outcome.text[-3000:]
    if case.stored is None:
        assert outcome.code == 2, outcome.text[-3000:]
        lines = outcome.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), outcome.err
        for fragment in case.fragments:
            assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
        assert not db.exists()
    else:
        assert outcome.code == 0, outcome.text[-3000:]
        seg_id, column, text = case.stored
        with open_store(db) as store:
            rows = store.translations_df("latest")
        (value,) = rows[rows["seg_id"] == seg_id][column]
        assert value == text


LONG = "x" * 300  # longer than any file name the OS allows (ENAMETOOLONG, found by tests/test_fuzz_loaders.py)
LONG_NAME_CASES = {
    "suite-corpus-entry": (["run", "long.yaml"], "corpus file not found"),
    "suite-argument": (["run", LONG], "no built-in suite"),
    "text-set-spec": (["run", "--only", "--corpus", f"{LONG}:{LONG}.en", "--system", "copy", "--metric", "bleu"],
                      "File name too long"),
    "xml-spec": (["run", "--only", "--corpus", f"xml:{LONG}", "--system", "copy", "--metric", "bleu"],
                 "File name too long"),
    "compare-side": (["compare", "1:a.txt", LONG], "RUN[:SYSTEM] or a baseline file"),
}


@pytest.mark.parametrize("name", sorted(LONG_NAME_CASES))
def test_a_file_name_too_long_is_one_line(name, check_home, tmp_path, monkeypatch, capsys):
    """``Path.exists`` raises OSError for a name too long to exist (main: a traceback, exit 1)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "long.yaml").write_text(f"name: s\ncorpora: [{LONG}]\nsystems: [copy]\nmetrics: [bleu]\n",
                                        encoding="utf-8")
    shutil.copyfile(check_home / "s.db", tmp_path / "s.db")
    before = (tmp_path / "s.db").read_bytes()
    args, fragment = LONG_NAME_CASES[name]
    outcome = cli([*args, "--db", tmp_path / "s.db"], capsys)
    assert "Traceback" not in outcome.text and outcome.code == 2, outcome.text[-3000:]
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], outcome.err
    assert (tmp_path / "s.db").read_bytes() == before
