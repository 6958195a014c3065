"""The seed corpora: counts, cleanliness, determinism and the committed copy."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from tests.conftest import CORPORA, SEEDS

NOISE = [
    "me0qy", "ueuci", "2afan", "vnigw", "图源", "来源:加西周末综合", "免责声明", "itop366",
    "发表评论", "您的电子邮箱地址不会被公开", "Komentarų nėra", "Rašyti komentarą",
    "Cullison, Alan", "Wall Street Journal, Eastern edition", "[1]", "\u00a0",
]


def load(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_documents_kinds_and_scripts(fresh_build):
    _, report = fresh_build
    kinds = Counter(d.kind for d in report.documents)
    assert kinds == {"paired": 2, "mono-zh": 2, "mono-en": 1}
    paired = [d for d in report.documents if d.kind == "paired"]
    assert sum(len(d.paragraphs) for d in paired) == 57
    assert all(len(d.paragraphs) == len(d.ref_paragraphs) for d in paired)
    assert all(d.ref_title and d.title is None for d in paired)  # English title only
    scripts = sorted(d.script for d in report.documents if d.kind == "mono-zh")
    assert scripts == ["zh-Hans", "zh-Hant"]
    assert {d.script for d in paired} == {"zh-Hans"}
    for d in report.documents:
        assert d.origin in {p.name for p in SEEDS.glob("*.txt")}
        assert d.doc_id == d.origin.removesuffix(".txt")
        assert len(d.origin_sha256) == 64


def test_no_noise_in_any_segment(fresh_build):
    out, _ = fresh_build
    for path in out.glob("*.jsonl"):
        if path.name == "documents.jsonl":
            continue
        for record in load(path):
            text = record["source"] + (record["reference"] or "")
            for noise in NOISE:
                assert noise not in text, (path.name, record["seg_id"], noise)


def test_cleaning_log_names_every_noise_line(fresh_build):
    _, report = fresh_build
    logged = " ".join(a.text for d in report.documents for a in d.cleaning_log if a.action == "dropped")
    for noise in ["me0qy", "ueuci", "2afan", "vnigw", "图源:CBC", "图源:BBC", "来源:加西周末综合",
                  "免责声明", "发表评论", "您的电子邮箱地址不会被公开", "Komentarų nėra:",
                  "Rašyti komentarą", "1. Trump To Open Talks"]:
        assert noise in logged, noise
    for d in report.documents:
        for action in d.cleaning_log:
            assert action.reason and action.line >= 1


def test_script_variants_share_ids_and_references(fresh_build):
    out, _ = fresh_build
    hans = load(out / "paired.zh-Hans.jsonl")
    hant = load(out / "paired.zh-Hant.jsonl")
    assert [r["seg_id"] for r in hans] == [r["seg_id"] for r in hant]
    assert [r["reference"] for r in hans] == [r["reference"] for r in hant]
    assert all(r["script"] == "zh-Hant" for r in hant)
    assert sum(a["source"] != b["source"] for a, b in zip(hans, hant)) > 0.9 * len(hans)
    assert "美國" in "".join(r["source"] for r in hant)


def test_segments_keep_all_paragraph_text(fresh_build):
    """Joining a paragraph's segments gives back the paragraph (modulo whitespace)."""
    out, report = fresh_build
    segments = load(out / "paired.zh-Hans.jsonl")
    squash = lambda s: "".join(s.split())
    for d in (d for d in report.documents if d.kind == "paired"):
        for para, (zh, en) in enumerate(zip(d.paragraphs, d.ref_paragraphs)):
            segs = [s for s in segments if s["doc_id"] == d.doc_id and s["para"] == para]
            assert segs, (d.doc_id, para)
            assert squash("".join(s["source"] for s in segs)) == squash(zh)
            assert squash("".join(s["reference"] for s in segs)) == squash(en)


def test_monolingual_segments_have_no_reference(fresh_build):
    out, _ = fresh_build
    for name, lang in (("mono-zh.jsonl", "zh"), ("mono-en.jsonl", "en")):
        records = load(out / name)
        assert records
        assert all(r["reference"] is None and r["src_lang"] == lang and r["bead"] == "mono" for r in records)


def test_build_is_deterministic(fresh_build, tmp_path):
    from evals.corpora.builder import build_corpora

    out, _ = fresh_build
    build_corpora(SEEDS, tmp_path)
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    second = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert first == second


def test_committed_corpora_match_a_fresh_build(fresh_build):
    out, _ = fresh_build
    fresh = {p.name: p.read_bytes() for p in out.iterdir()}
    committed = {p.name: p.read_bytes() for p in CORPORA.iterdir() if p.is_file()}
    assert sorted(committed) == sorted(fresh), "run `mteval corpus build` and commit corpora/"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"corpora/ is stale ({', '.join(stale)}): run `mteval corpus build` and commit"


def test_cli_build_and_script_agree(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    cli = subprocess.run([sys.executable, "-m", "evals", "corpus", "build", "--seeds", str(SEEDS), "--out", str(a)],
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert "paragraph pairs: 57" in cli.stdout
    script = subprocess.run([sys.executable, "scripts/build_corpora.py", "--seeds", str(SEEDS), "--out", str(b)],
                            capture_output=True, text=True, cwd=SEEDS.parent)
    assert script.returncode == 0, script.stderr
    assert {p.name: p.read_bytes() for p in a.iterdir()} == {p.name: p.read_bytes() for p in b.iterdir()}


@pytest.mark.parametrize("args, message", [
    (["--seeds", "no/such/dir"], "seed directory does not exist"),
])
def test_cli_bad_input_is_one_line(tmp_path, args, message):
    run = subprocess.run([sys.executable, "-m", "evals", "corpus", "build", *args, "--out", str(tmp_path)],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
