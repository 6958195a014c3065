"""``mteval score``: sacrebleu's CLI shape, sacrebleu's numbers, mteval's intervals, signatures and store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evals.cli.score import spread_values
from evals.store import open_store
from tests.conftest import REPO

WMT22 = Path(__file__).resolve().parents[2] / "shared" / "data" / "wmt22-zh-en"
SACREBLEU = Path(sys.executable).with_name("sacrebleu")


def mteval(*args, cwd=REPO, stdin=None, check=True):
    run = subprocess.run([sys.executable, "-m", "evals", "score", *map(str, args)], capture_output=True, text=True,
                         cwd=cwd, input=stdin)
    if check:
        assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Source, reference and two hypothesis files from the paired seed corpus (one line per segment)."""
    tmp = tmp_path_factory.mktemp("score")
    rows = [json.loads(line) for line in (REPO / "corpora" / "paired.zh-Hans.jsonl").read_text("utf-8").splitlines()]

    def write(name, lines):
        (tmp / name).write_text("".join(f"{x}\n" for x in lines), "utf-8")
        return tmp / name

    return {
        "src": write("test.zh", [r["source"] for r in rows]),
        "ref": write("test.en", [r["reference"] for r in rows]),
        "a": write("sys-a.en", [" ".join(r["reference"].split()[::2]) for r in rows]),
        "b": write("sys-b.out", [" ".join(reversed(r["reference"].split())) for r in rows]),
        "dir": tmp,
    }


def sacrebleu_cli(ref, hyp, *metrics):
    run = subprocess.run([str(SACREBLEU), str(ref), "-i", str(hyp), "-m", *metrics, "-f", "json", "-w", "10"],
                         capture_output=True, text=True, check=True)
    return [entry["score"] for entry in json.loads(run.stdout)]


def test_multi_value_options_spread_like_sacrebleu():
    assert spread_values(["r", "-i", "a", "b", "-m", "bleu", "chrf", "-s", "x", "--no-store"]) == \
        ["r", "--input", "a", "--input", "b", "--metrics", "bleu", "--metrics", "chrf", "-s", "x", "--no-store"]
    assert spread_values(["-i", "a", "--", "-i"]) == ["--input", "a", "--", "-i"]


def test_scores_equal_the_sacrebleu_cli_and_the_run_is_stored(files):
    db = files["dir"] / "mteval.db"
    out = mteval(files["ref"], "-i", files["a"], files["b"], "-s", files["src"], "-m", "bleu", "chrf", "ter",
                 "--format", "json", "--db", db, "-q")
    records = json.loads(out.stdout)
    assert {r["system"] for r in records} == {"sys-a.en", "sys-b.out"}
    for system in ("a", "b"):
        mine = {r["metric"]: r for r in records if r["system"] == files[system].name}
        bleu, chrf, ter = sacrebleu_cli(files["ref"], files[system], "bleu", "chrf", "ter")
        assert mine["bleu"]["score"] == pytest.approx(bleu, abs=1e-7)
        assert mine["chrf"]["score"] == pytest.approx(chrf, abs=1e-7)
        assert mine["ter"]["score"] == pytest.approx(ter, abs=1e-7)
        for r in mine.values():
            assert r["ci_low"] <= r["score"] <= r["ci_high"] and r["ci_level"] == 0.95
            assert r["signature"].startswith("nrefs:1|")
    with open_store(str(db), readonly=True) as store:
        info = store.get_run(records[0]["run"])
        assert info["status"] == "done" and info["suite_name"] == "score"
        assert [s["name"] for s in info["systems"]] == ["sys-a.en", "sys-b.out"]
        assert info["corpus_hashes"]


def test_table_prints_intervals_and_signatures(files):
    out = mteval(files["ref"], "-i", files["a"], "-m", "bleu", "chrf", "--no-store", "-q").stdout
    assert "sys-a.en" in out and "95% CI" in out and "not stored" in out
    assert "bleu: nrefs:1|case:mixed|eff:no|tok:13a" in out and "\nchrf: nrefs:1|" in out


def test_hypotheses_on_stdin_without_source(files):
    """``cat hyp | mteval score ref``: one system "stdin"; no source, so no hypothesis is "untranslated"."""
    db = files["dir"] / "stdin.db"
    out = mteval(files["ref"], "--format", "csv", "--db", db, stdin=files["a"].read_text("utf-8"))
    lines = out.stdout.splitlines()
    assert lines[0].startswith("corpus,system,metric,score,ci_low,ci_high")
    assert [line.split(",")[1] for line in lines[1:]] == ["stdin"]
    with open_store(str(db), readonly=True) as store:
        translations = store.translations_df("latest")
        assert set(translations["source"]) == {""}
        assert not any("untranslated" in flags for flags in translations["flags"])
    again = mteval(files["ref"], "--format", "json", "--db", db, stdin=files["a"].read_text("utf-8"))
    assert json.loads(again.stdout)[0]["score"] == pytest.approx(float(lines[1].split(",")[3]))


def test_bad_input_is_one_line_and_nothing_stored(files):
    db = files["dir"] / "bad.db"
    short = files["dir"] / "short.en"
    short.write_text("one line\n", "utf-8")
    run = mteval(files["ref"], "-i", short, "--db", db, check=False)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1 and "short.en" in run.stderr
    run = mteval(files["ref"], "-i", files["a"], "-m", "blue", "--db", db, check=False)
    assert run.returncode == 2 and "bleu" in run.stderr  # did you mean
    assert not db.exists() or open_store(str(db), readonly=True).list_runs().empty


@pytest.mark.skipif(not WMT22.is_dir(), reason=f"the shared WMT22 data is not at {WMT22}")
def test_wmt22_scores_equal_the_sacrebleu_cli():
    ref = WMT22 / "generaltest2022.zh-en.ref.A.en"
    hyps = [WMT22 / f"generaltest2022.zh-en.hyp.{name}.en" for name in ("HuaweiTSC", "Online-W", "NiuTrans")]
    out = mteval(ref, "-i", *hyps, "-s", WMT22 / "generaltest2022.zh-en.src.zh", "-m", "bleu", "chrf",
                 "--format", "json", "--no-store", "-q")
    records = {(r["system"], r["metric"]): r["score"] for r in json.loads(out.stdout)}
    for hyp in hyps:
        bleu, chrf = sacrebleu_cli(ref, hyp, "bleu", "chrf")
        assert records[(hyp.name, "bleu")] == pytest.approx(bleu, abs=1e-7)
        assert records[(hyp.name, "chrf")] == pytest.approx(chrf, abs=1e-7)


def test_a_metric_that_needs_the_source_is_skipped_without_one(files, tmp_path):
    pytest.importorskip("comet")
    pytest.importorskip("torch")
    from tests.tiny_comet import build

    tiny = build(tmp_path / "tiny")
    run = mteval(files["ref"], "-i", files["a"], "-m", "bleu", f"comet:{tiny['regression']}", "--format", "json",
                 "--no-store")
    assert {r["metric"] for r in json.loads(run.stdout)} == {"bleu"}
    assert " ".join(run.stderr.split()).count("needs the source text") == 1  # one notice (rich may wrap it)
    with_source = mteval(files["ref"], "-i", files["a"], "-s", files["src"], "-m", f"comet:{tiny['regression']}",
                         "--format", "json", "--no-store", "-q")
    assert {r["metric"] for r in json.loads(with_source.stdout)} == {f"comet:{tiny['regression']}"}
