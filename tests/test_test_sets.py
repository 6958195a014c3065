"""Real test sets in: text sets of any extension, WMT XML, sacrebleu's cache, from suites and --corpus."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
import sacrebleu
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evals.corpora.loaders import load_segments, load_text_set
from evals.corpora.sacrebleu_sets import load_sacrebleu
from evals.corpora.wmtxml import load_wmt_xml, parse_wmt_xml
from evals.errors import InputError, UsageError
from evals.suite import load_suite
from evals.systems.registry import build_system
from tests.conftest import REPO

SHARED = REPO.parent / "shared" / "data" / "wmt22-zh-en"

ZH = ["今天天气很好。", "我们去公园散步。", "他说谢谢。", "新闻报道说经济在增长。"]
EN_A = ["The weather is nice today.", "We go for a walk in the park.", "Thank you, he said.",
        "The news says the economy is growing."]
EN_B = ["It is a fine day.", "We take a walk in the park.", "Thank you, he said.",
        "Reports say the economy grows."]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def one_line_error(call, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    assert "\n" not in str(info.value)
    return info.value


def mteval(*args, cwd, check=True, env=None):
    run = subprocess.run([sys.executable, "-m", "evals", *args], capture_output=True, text=True, cwd=cwd,
                         env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})
    if check:
        assert run.returncode == 0, run.stderr
    return run


@pytest.fixture
def text_set(tmp_path):
    """WMT's layout: .zh/.en files, two references, a docid file."""
    return {
        "src": write_lines(tmp_path / "test.src.zh", ZH),
        "ref_a": write_lines(tmp_path / "test.ref.A.en", EN_A),
        "ref_b": write_lines(tmp_path / "test.ref.B.en", EN_B),
        "docids": write_lines(tmp_path / "test.docid", ["d1", "d1", "d2", "d2"]),
    }


# --- text sets --------------------------------------------------------------------------------


def test_text_set_with_two_references_and_docids(text_set):
    segments = load_text_set(text_set["src"], [text_set["ref_a"], text_set["ref_b"]], docids=text_set["docids"],
                             name="wmt")
    assert [s.source for s in segments] == ZH
    assert [s.reference for s in segments] == EN_A
    assert [s.more_references for s in segments] == [(b,) for b in EN_B]
    assert [s.references for s in segments] == [(a, b) for a, b in zip(EN_A, EN_B)]  # identical A and B allowed
    assert [(s.doc_id, s.para) for s in segments] == [("d1", 0), ("d1", 1), ("d2", 0), ("d2", 1)]
    assert [s.seg_id for s in segments] == ["wmt:1", "wmt:2", "wmt:3", "wmt:4"]
    assert {s.corpus for s in segments} == {"wmt"} and {s.script for s in segments} == {"zh-Hans"}


def test_text_set_without_docids_is_one_document_like_text_pairs(text_set):
    segments = load_text_set(text_set["src"], [text_set["ref_a"]])
    assert {s.doc_id for s in segments} == {"test.src"} and [s.para for s in segments] == [0, 1, 2, 3]
    assert all(s.more_references == () for s in segments)


def test_text_set_without_source_has_empty_sources(text_set):
    segments = load_text_set(None, [text_set["ref_a"], text_set["ref_b"]])
    assert [s.source for s in segments] == [""] * 4 and [s.reference for s in segments] == EN_A
    assert {s.script for s in segments} == {"zh-Hans"}


def test_any_extension_spec_equals_the_library_call(text_set):
    src, ref_a, ref_b = text_set["src"], text_set["ref_a"], text_set["ref_b"]
    assert load_segments(f"{src}:{ref_a},{ref_b}") == load_text_set(src, [ref_a, ref_b])
    assert load_segments(f"{src}:{ref_a}") == load_text_set(src, [ref_a])
    assert load_segments(src) == load_text_set(src, [])
    # relative to a base directory (a suite's)
    assert load_segments(f"{src.name}:{ref_a.name}", base=src.parent) == load_text_set(src, [ref_a])


def test_text_set_bad_input(tmp_path, text_set):
    src, ref_a = text_set["src"], text_set["ref_a"]
    short = write_lines(tmp_path / "short.en", EN_A[:3])
    error = one_line_error(load_text_set, src, [ref_a, short])
    assert str(src) in error.message and str(short) in error.message and "4 lines" in error.message
    assert "has 3" in error.message
    error = one_line_error(load_text_set, src, [ref_a], docids=write_lines(tmp_path / "ids", ["d1"] * 5))
    assert "ids" in str(error) and "5" in error.message and "4 lines" in error.message
    holed = write_lines(tmp_path / "holed.zh", [ZH[0], "", ZH[2], ZH[3]])
    error = one_line_error(load_text_set, holed, [ref_a])
    assert f"{holed}:2" in str(error) and "empty line" in error.message
    error = one_line_error(load_text_set, src, [ref_a, tmp_path / "." / ref_a.name])
    assert "given twice" in error.message
    bad = tmp_path / "bad.zh"
    bad.write_bytes("今天\n天气\xff".encode("utf-8").replace("\xff".encode("utf-8"), b"\xff"))
    error = one_line_error(load_text_set, bad, [])
    assert f"{bad}:2" in str(error)


# --- WMT XML ------------------------------------------------------------------------------------

# Three documents (zh- and en-original, with and without domain), two references, two systems.
DOCS = [
    {"id": "news-1", "origlang": "zh", "domain": "news", "paras": [[ZH[0], ZH[1]], [ZH[3]]],
     "ref": {"A": [EN_A[0], EN_A[1], EN_A[3]], "B": [EN_B[0], EN_B[1], EN_B[3]]},
     "hyp": {"sysX": ["The weather is good today.", "We walk in the park.", "News says economy grows."],
             "sysY": ["Today weather good.", "We park walk.", "The economy is growing."]}},
    {"id": "chat-7", "origlang": "en", "domain": None, "paras": [[ZH[2]]],
     "ref": {"B": [EN_B[2]], "A": [EN_A[2]]},
     "hyp": {"sysY": ["Thanks, he said."], "sysX": ["He said thank you."]}},
    {"id": "news-2", "origlang": "zh", "domain": "news", "paras": [[ZH[1], ZH[0]]],
     "ref": {"A": [EN_A[1], EN_A[0]], "B": [EN_B[1], EN_B[0]]},
     "hyp": {"sysX": ["We walk.", "It is nice."], "sysY": ["A walk in the park.", "The weather is nice today."]}},
]


def wmt_xml(docs, drop_hyp_seg: tuple[str, str, int] | None = None, refs: tuple[str, ...] | None = None) -> str:
    """A WMT XML file in wmt-format-tools' layout; seg ids count within each document from 1."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<dataset id="test2022">',
           '  <collection id="general">']

    def block(tag, attrs, paras, texts, skip=None):
        out.append(f"      <{tag} {attrs}>")
        number = 0
        for para in paras:
            out.append("        <p>")
            for _ in para:
                number += 1
                if number != skip:
                    out.append(f'          <seg id="{number}">{escape(texts[number - 1])}</seg>')
            out.append("        </p>")
        out.append(f"      </{tag}>")

    for doc in docs:
        domain = f" domain={quoteattr(doc['domain'])}" if doc.get("domain") else ""
        out.append(f"    <doc id={quoteattr(doc['id'])} origlang={quoteattr(doc['origlang'])}{domain}>")
        block("src", 'lang="zh"', doc["paras"], [t for para in doc["paras"] for t in para])
        for translator, texts in doc["ref"].items():
            if refs is None or translator in refs:
                block("ref", f'lang="en" translator={quoteattr(translator)}', doc["paras"], texts)
        for system, texts in doc["hyp"].items():
            skip = drop_hyp_seg[2] if drop_hyp_seg and drop_hyp_seg[:2] == (doc["id"], system) else None
            block("hyp", f'lang="en" system={quoteattr(system)}', doc["paras"], texts, skip)
        out.append("    </doc>")
    out += ["  </collection>", "</dataset>", ""]
    return "\n".join(out)


@pytest.fixture
def xml_file(tmp_path):
    path = tmp_path / "test2022.zh-en.all.xml"
    path.write_text(wmt_xml(DOCS), encoding="utf-8")
    return path


def test_wmt_xml_documents_references_and_metadata(xml_file):
    parsed = parse_wmt_xml(xml_file)
    segments = parsed.segments
    assert [s.doc_id for s in segments] == ["news-1"] * 3 + ["chat-7"] + ["news-2"] * 2
    assert [s.seg_id for s in segments] == ["news-1:1", "news-1:2", "news-1:3", "chat-7:1", "news-2:1", "news-2:2"]
    assert [s.para for s in segments] == [0, 0, 1, 0, 0, 0]
    assert [s.source for s in segments] == [ZH[0], ZH[1], ZH[3], ZH[2], ZH[1], ZH[0]]
    # references ordered by translator, whatever the file's order (chat-7 lists B first)
    assert [s.references for s in segments] == [
        (EN_A[0], EN_B[0]), (EN_A[1], EN_B[1]), (EN_A[3], EN_B[3]), (EN_A[2], EN_B[2]),
        (EN_A[1], EN_B[1]), (EN_A[0], EN_B[0])]
    assert [s.origlang for s in segments] == ["zh", "zh", "zh", "en", "zh", "zh"]
    assert [s.domain for s in segments] == ["news", "news", "news", None, "news", "news"]
    assert {(s.src_lang, s.tgt_lang, s.corpus) for s in segments} == {("zh", "en", "test2022.zh-en.all")}
    assert parsed.systems == ["sysX", "sysY"]
    assert parsed.hypotheses["sysY"]["chat-7:1"] == "Thanks, he said."
    assert load_segments(f"xml:{xml_file}") == segments == load_segments(xml_file)
    assert load_wmt_xml(xml_file, corpus="wmt")[0].corpus == "wmt"


def test_xml_system_serves_its_hyp(xml_file):
    segments = load_wmt_xml(xml_file)
    system = build_system(f"xml:{xml_file}#sysX")
    assert system.name == "sysX" and system.keyed_by_segment
    assert system.translate(segments[3:4]) == ["He said thank you."]
    assert system.describe().params == {"system": "sysX"}
    with pytest.raises(InputError, match="did you mean 'sysX'"):
        build_system(f"xml:{xml_file}#sysXX")
    other = load_text_set(write_lines(xml_file.parent / "s.zh", ZH[:1]), [])
    with pytest.raises(InputError, match="no hypothesis for segment"):
        system.translate(other)


def test_xml_every_system_expands_in_suites(tmp_path, xml_file):
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"name: s\ncorpora: ['xml:{xml_file.name}']\nsystems: ['xml:{xml_file}#*']\n"
                     "metrics: [bleu]\n", encoding="utf-8")
    assert [s.spec for s in load_suite(suite).systems] == [f"xml:{xml_file}#sysX", f"xml:{xml_file}#sysY"]
    suite.write_text(f"name: s\ncorpora: [a.xml]\nsystems: [{{spec: 'xml:{xml_file}#*', name: all}}]\n"
                     "metrics: [bleu]\n", encoding="utf-8")
    with pytest.raises(InputError, match="stands for 2 systems"):
        load_suite(suite)
    with pytest.raises(UsageError, match="expanded"):
        build_system(f"xml:{xml_file}#*")


@pytest.mark.parametrize("mutate, expected", [
    (lambda text: text.replace("</p>", "</q>", 1), "malformed XML at column"),
    (lambda text: text.replace('id="chat-7"', 'id="news-1"'), "duplicate document id 'news-1'"),
    (lambda text: text.replace('<seg id="2">', '<seg id="1">', 1), "duplicate segment id '1'"),
    (lambda text: text.replace('translator="B"', 'translator="A"', 1), "duplicate <ref translator='A'>"),
    (lambda text: text.replace('system="sysY"', 'system="sysX"', 1), "duplicate <hyp system='sysX'>"),
])
def test_wmt_xml_bad_input(tmp_path, mutate, expected):
    path = tmp_path / "bad.xml"
    path.write_text(mutate(wmt_xml(DOCS)), encoding="utf-8")
    error = one_line_error(load_wmt_xml, path)
    assert expected in error.message and error.path == str(path) and error.line is not None


def test_wmt_xml_hyp_lacking_segments_and_bad_bytes(tmp_path):
    path = tmp_path / "short.xml"
    path.write_text(wmt_xml(DOCS, drop_hyp_seg=("news-1", "sysY", 2)), encoding="utf-8")
    error = one_line_error(load_wmt_xml, path)
    assert "<hyp system='sysY'> of document 'news-1' lacks segment(s) 2" in error.message
    text = wmt_xml(DOCS)
    assert text.splitlines()[6].strip().startswith('<seg id="1">')
    lines = text.encode("utf-8").split(b"\n")
    lines[6] = lines[6].replace("今".encode(), b"\xff")
    path.write_bytes(b"\n".join(lines))
    error = one_line_error(load_wmt_xml, path)
    assert error.line == 7 and "UTF-8" in error.message


def test_xml_campaign_through_the_cli(tmp_path):
    """One reference, so document scores are sacrebleu's on each document's lines whatever the metric
    does with several references."""
    xml = tmp_path / "one-ref.xml"
    xml.write_text(wmt_xml(DOCS, refs=("A",)), encoding="utf-8")
    db = tmp_path / "db.sqlite"
    run = mteval("run", "--only", "--corpus", f"xml:{xml.name}", "--system", f"xml:{xml.name}#*", "--metric", "bleu",
                 "--db", str(db), "--format", "json", "-q", cwd=tmp_path)
    rows = json.loads(run.stdout)
    assert {r["system"] for r in rows} == {"sysX", "sysY"}
    docs = mteval("show", "--docs", "--format", "json", "--db", str(db), cwd=tmp_path)
    by_doc = {(r["system"], r["doc_id"]): r for r in json.loads(docs.stdout)}
    for doc in DOCS:
        for system, hyps in doc["hyp"].items():
            expected = sacrebleu.corpus_bleu(hyps, [doc["ref"]["A"]]).score
            row = by_doc[(system, doc["id"])]
            assert row["bleu"] == pytest.approx(expected, abs=1e-6)


# --- sacrebleu's cache ------------------------------------------------------------------------


@pytest.fixture
def sacrebleu_cache(tmp_path, monkeypatch):
    """wmt22 zh-en laid out as `sacrebleu -t wmt22 -l zh-en --echo src` leaves it (see the module doc)."""
    root = tmp_path / "sacrebleu-cache"
    folder = root / "wmt22"
    folder.mkdir(parents=True)
    stem = folder / "wmt22.zh-en"
    write_lines(Path(f"{stem}.src"), ZH)
    write_lines(Path(f"{stem}.ref-B"), [EN_B[0], "", EN_B[2], EN_B[3]])  # B skipped segment 2
    write_lines(Path(f"{stem}.ref-A"), EN_A)
    write_lines(Path(f"{stem}.docid"), ["d1", "d1", "d2", "d3"])
    write_lines(Path(f"{stem}.origlang"), ["zh", "zh", "en", "zh"])
    write_lines(Path(f"{stem}.sysX"), EN_A)  # a system output: not a reference
    monkeypatch.setenv("SACREBLEU", str(root))
    return root


def test_sacrebleu_test_set_from_its_cache(sacrebleu_cache):
    segments = load_sacrebleu("wmt22", "zh-en")
    assert [s.source for s in segments] == ZH
    assert [s.references for s in segments] == [(EN_A[0], EN_B[0]), (EN_A[1],), (EN_A[2], EN_B[2]),
                                                (EN_A[3], EN_B[3])]
    assert [s.doc_id for s in segments] == ["d1", "d1", "d2", "d3"]
    assert [s.origlang for s in segments] == ["zh", "zh", "en", "zh"]
    assert load_segments("sacrebleu:wmt22:zh-en") == segments
    assert {s.corpus for s in segments} == {"sacrebleu-wmt22-zh-en"}


def test_sacrebleu_offline_without_cache_says_how_to_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("SACREBLEU", str(tmp_path / "empty"))
    error = one_line_error(load_sacrebleu, "wmt22", "zh-en")
    assert "sacrebleu -t wmt22 -l zh-en --echo src" in str(error)
    with pytest.raises(UsageError, match="did you mean 'wmt22'"):
        load_sacrebleu("wmt222", "zh-en")
    run = mteval("run", "--only", "--corpus", "sacrebleu:wmt22:zh-en", "--db", str(tmp_path / "db"), "-q",
                 cwd=tmp_path, check=False, env={"SACREBLEU": str(tmp_path / "empty")})
    assert run.returncode == 2 and "sacrebleu -t wmt22 -l zh-en --echo src" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


# --- suites and --corpus -------------------------------------------------------------------------


def test_suite_text_set_mapping_is_relative_to_the_suite(tmp_path, text_set):
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "name: wmt\ncorpora:\n"
        "  - source: test.src.zh\n    references: [test.ref.A.en, test.ref.B.en]\n    docids: test.docid\n"
        "    name: wmt\n"
        "  - test.src.zh:test.ref.A.en\n"
        "systems: [copy]\nmetrics: [bleu]\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = mteval("run", str(suite), "--db", str(tmp_path / "db"), "--format", "json", "-q", cwd=elsewhere)
    assert {r["corpus"] for r in json.loads(run.stdout)} == {"wmt", "test.src"}
    from evals.corpora.specs import load_suite_corpora

    corpora = load_suite_corpora(load_suite(suite))
    assert [s.references for s in corpora["wmt"]][0] == (EN_A[0], EN_B[0])


@pytest.mark.parametrize("entry, message", [
    ("  - source: test.src.zh\n    references: [test.ref.A.en, test.ref.A.en]\n", "listed twice"),
    ("  - {path: test.src.zh, docids: test.docid}\n", "belongs to a text set"),
    ("  - {path: x.jsonl, source: test.src.zh}\n", "either a path"),
])
def test_bad_suite_corpus_entries(tmp_path, text_set, entry, message):
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"name: s\ncorpora:\n{entry}systems: [copy]\nmetrics: [bleu]\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        load_suite(suite)
    assert info.value.line is not None


@pytest.mark.parametrize("corpus", ["test.src.zh:short.en", "test.src.zh:test.ref.A.en,test.ref.A.en"])
def test_bad_corpus_on_the_command_line_stores_nothing(tmp_path, text_set, corpus):
    write_lines(tmp_path / "short.en", EN_A[:2])
    db = tmp_path / "db.sqlite"
    run = mteval("run", "--only", "--corpus", corpus, "--system", "copy", "--metric", "bleu", "--db", str(db),
                 cwd=tmp_path, check=False)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "Traceback" not in run.stderr
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("select count(*) from runs").fetchone()[0] == 0


def test_hypothesis_file_line_count_mismatch_is_one_line(tmp_path, text_set):
    hyps = write_lines(tmp_path / "hyp.sys.en", EN_A[:3])
    run = mteval("run", "--only", "--corpus", "test.src.zh:test.ref.A.en", "--system", f"file:{hyps.name}",
                 "--metric", "bleu", "--db", str(tmp_path / "db"), cwd=tmp_path, check=False)
    assert run.returncode == 2 and "hyp.sys.en" in run.stderr and "3 lines" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared WMT22 data not found at {SHARED}")
def test_shared_wmt22_text_set_equals_sacrebleu(tmp_path):
    """The acceptance command on the real data: single-reference BLEU/chrF equal the sacrebleu CLI's."""
    src, ref_a, ref_b = (SHARED / f"generaltest2022.zh-en.{part}" for part in ("src.zh", "ref.A.en", "ref.B.en"))
    hyp = SHARED / "generaltest2022.zh-en.hyp.JDExploreAcademy.en"
    two = load_segments(f"{src}:{ref_a},{ref_b}")
    assert len(two) == 1875 and all(len(s.references) == 2 for s in two)
    run = mteval("run", "--only", "--corpus", f"{src}:{ref_a}", "--system", f"file:{hyp}", "--metric", "bleu",
                 "--metric", "chrf", "--db", str(tmp_path / "db"), "--format", "json", "-q", cwd=tmp_path)
    (row,) = [r for r in json.loads(run.stdout) if r["level"] == "system"]
    cli = subprocess.run([str(Path(sys.executable).parent / "sacrebleu"), str(ref_a), "-i", str(hyp), "-m", "bleu",
                          "chrf", "-b", "-w", "6"], capture_output=True, text=True, check=True)
    bleu, chrf = json.loads(cli.stdout)
    assert row["bleu"] == pytest.approx(bleu, abs=1e-5) and row["chrf"] == pytest.approx(chrf, abs=1e-5)


# --- property tests: generated files round-trip ----------------------------------------------------

# Line text the readers keep as written: no line breaks, controls, surrogates, BOM-like format chars.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Cn", "Co", "Zl", "Zp")), min_size=1,
               max_size=20).map(str.strip).filter(bool)
ZH_TEXT = st.builds(lambda text: "中" + text, TEXT)
ROW = st.tuples(ZH_TEXT, TEXT, TEXT, st.sampled_from(["d1", "d2", "doc-3"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=12))
def test_text_set_round_trip(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("textset")
    src = write_lines(folder / "s.zh", [r[0] for r in rows])
    refs = [write_lines(folder / "a.en", [r[1] for r in rows]), write_lines(folder / "b.en", [r[2] for r in rows])]
    ids = write_lines(folder / "ids", [r[3] for r in rows])
    segments = load_text_set(src, refs, docids=ids)
    assert [(s.source, s.references, s.doc_id) for s in segments] == [(r[0], (r[1], r[2]), r[3]) for r in rows]
    for doc in {r[3] for r in rows}:
        assert [s.para for s in segments if s.doc_id == doc] == list(range(sum(r[3] == doc for r in rows)))


SEG = st.tuples(ZH_TEXT, TEXT, TEXT, TEXT)
DOC = st.lists(st.lists(SEG, min_size=1, max_size=3), min_size=1, max_size=3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(DOC, min_size=1, max_size=4), origlangs=st.lists(st.sampled_from(["zh", "en"]), min_size=4,
                                                                          max_size=4))
def test_wmt_xml_round_trip(tmp_path_factory, docs, origlangs):
    spec = []
    for number, (paras, origlang) in enumerate(zip(docs, origlangs)):
        flat = [seg for para in paras for seg in para]
        spec.append({"id": f"doc-{number}", "origlang": origlang, "domain": "news" if number % 2 else None,
                     "paras": [[seg[0] for seg in para] for para in paras],
                     "ref": {"A": [seg[1] for seg in flat]}, "hyp": {"sys": [seg[2] for seg in flat],
                                                                     "other": [seg[3] for seg in flat]}})
    path = tmp_path_factory.mktemp("xml") / "gen.xml"
    path.write_text(wmt_xml(spec), encoding="utf-8")
    parsed = parse_wmt_xml(path)
    expected = [(doc["id"], index, text, ref, hyp, doc["origlang"], doc["domain"])
                for doc in spec
                for index, (text, ref, hyp) in enumerate(zip([t for p in doc["paras"] for t in p],
                                                             doc["ref"]["A"], doc["hyp"]["sys"]))]
    got = [(s.doc_id, int(s.seg_id.rpartition(":")[2]) - 1, s.source, s.reference,
            parsed.hypotheses["sys"][s.seg_id], s.origlang, s.domain) for s in parsed.segments]
    assert got == expected and parsed.systems == ["sys", "other"]
