"""The main job end to end: `mteval run` on the default suite, caches, parity with sacrebleu's CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from evals.corpora.model import Segment
from evals.runner import Runner, translation_key
from evals.scoring.keys import statistics_key as score_key
from evals.store import cache_key, open_store
from evals.suite import load_suite
from tests.conftest import REPO, Quiet


def mteval(*args, db, cwd=REPO, check=True):
    run = subprocess.run([sys.executable, "-m", "evals", *args, "--db", str(db)],
                         capture_output=True, text=True, cwd=cwd)
    if check:
        assert run.returncode == 0, run.stderr
    return run




@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """The README's main job: the default suite through the CLI, into a fresh database."""
    db = tmp_path_factory.mktemp("store") / "mteval.db"
    first = mteval("run", "--format", "json", db=db)
    return db, first


def board(run):
    return json.loads(run.stdout)


def cell(rows, corpus, system, level, metric):
    (row,) = [r for r in rows if (r["corpus"], r["system"], r["level"]) == (corpus, system, level)]
    return row[metric]


def test_default_suite_leaderboard(default_run):
    _, first = default_run
    rows = board(first)
    for corpus in ("paired.zh-Hans", "paired.zh-Hant"):
        for system in ("gloss", "copy"):
            for level in ("system", "document", "segment"):
                for metric in ("bleu", "chrf", "chrf++", "ter"):
                    assert cell(rows, corpus, system, level, metric) is not None
        for metric in ("bleu", "chrf", "chrf++"):
            assert cell(rows, corpus, "gloss", "system", metric) > cell(rows, corpus, "copy", "system", metric) + 5
        assert cell(rows, corpus, "gloss", "system", "ter") < cell(rows, corpus, "copy", "system", "ter")
        assert cell(rows, corpus, "copy", "system", "untranslated") == 1.0
        assert cell(rows, corpus, "gloss", "system", "untranslated") == 0.0
    # Monolingual corpora are translated and flagged, never scored against a reference.
    assert cell(board(first), "mono-zh", "copy", "system", "untranslated") == 1.0
    assert "mono-zh: 109 segments have no reference" in first.stderr


def test_table_output_is_a_readable_leaderboard(default_run):
    db, _ = default_run
    shown = mteval("show", "latest", db=db)
    for word in ("gloss", "copy", "bleu", "chrf++", "ter", "system", "document", "segment", "paired.zh-Hant"):
        assert word in shown.stdout


@pytest.mark.parametrize("reuse_runs", [False, True], ids=["through-caches", "copied-run"])
def test_rerun_recomputes_nothing(default_run, reuse_runs):
    db, _ = default_run
    with open_store(str(db)) as store:
        first_id = store.resolve_run("latest")
        result = Runner(store, progress=Quiet(), reuse_runs=reuse_runs).run(load_suite("default"))
        assert result.stats.translated == 0 and result.stats.scored == 0
        assert result.stats.translations_cached > 0 and result.stats.scores_cached > 0
        assert any(n.startswith("nothing changed since run") for n in result.notices) == reuse_runs
        first, second = store.scores_df(first_id), store.scores_df(result.run_id)
    key = ["system", "metric", "level", "corpus", "doc_id", "seg_id"]
    a = first.sort_values(key)["value"].tolist()
    b = second.sort_values(key)["value"].tolist()
    assert a == b
    ci = lambda frame: frame[frame.level == "system"].sort_values(key)["details"].tolist()
    assert ci(first) == ci(second)  # cached intervals are the computed ones
    assert all(d["ci"][0] <= d["ci"][1] for d in ci(second))


def _segment(**changes):
    base = Segment(corpus="c", doc_id="d", seg_id="d:1", para=0, source="你好。", reference="Hello.",
                   src_lang="zh", tgt_lang="en", script="zh-Hans")
    return replace(base, **changes)


def test_cache_keys_change_when_inputs_do():
    key = lambda system, seg: cache_key(translation_key(system, seg))
    base = key("sys-a", _segment())
    assert key("sys-a", _segment()) == base
    assert key("sys-b", _segment()) != base  # another system revision or parameters
    assert key("sys-a", _segment(source="你好!")) != base
    assert key("sys-a", _segment(script="zh-Hant")) != base
    assert key("sys-a", _segment(tgt_lang="de")) != base
    assert key("sys-a", _segment(seg_id="other")) == base  # same text, same translation
    with_context = cache_key(translation_key("sys-a", _segment(), ["前一句。"]))
    assert with_context != base  # a context-aware system sees the previous sentences too
    assert cache_key(translation_key("sys-a", _segment(), ["另一句。"])) != with_context
    by_id = lambda seg: cache_key(translation_key("file", seg, by_segment=True))
    assert by_id(_segment()) != by_id(_segment(seg_id="other"))  # a file answers per segment id


def test_same_source_twice_keeps_each_segments_own_hypothesis(tmp_path):
    corpus = tmp_path / "dup.jsonl"
    segs = [_segment(seg_id="d:1", source="他说。", reference="He said."),
            _segment(seg_id="d:2", source="他说。", reference="She said.")]
    corpus.write_text("".join(json.dumps(s.to_json(), ensure_ascii=False) + "\n" for s in segs))
    hyps = tmp_path / "hyps.jsonl"
    hyps.write_text('{"seg_id": "d:1", "hypothesis": "He said."}\n{"seg_id": "d:2", "hypothesis": "She said."}\n')
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"name: dup\ncorpora: ['{corpus}']\nsystems: ['file:{hyps}']\nmetrics: [chrf]\n")
    rows = board(mteval("run", str(suite), "--format", "json", db=tmp_path / "db"))
    assert cell(rows, "c", f"file:{hyps}", "segment", "chrf") == pytest.approx(100.0)
    score = lambda *a: cache_key(score_key(*a))
    ref = score("sig1", "src", "hyp", "ref")
    assert score("sig1", "src", "hyp", "ref") == ref
    for changed in (("sig2", "src", "hyp", "ref"), ("sig1", "src2", "hyp", "ref"),
                    ("sig1", "src", "hyp2", "ref"), ("sig1", "src", "hyp", "ref2"),
                    ("sig1", "src", "hyp", None)):
        assert score(*changed) != ref


def test_gloss_revision_is_part_of_its_translation_key():
    from evals.systems.registry import build_system

    info = build_system("gloss").describe()
    assert info.revision and "cedict" in info.revision
    assert info.cache_key() != replace(info, params={**info.params, "rules": "other"}).cache_key()


def _sacrebleu_cli(refs, hyps, tmp_path, *args):
    ref_file, hyp_file = tmp_path / "ref.txt", tmp_path / "hyp.txt"
    ref_file.write_text("\n".join(refs) + "\n", encoding="utf-8")
    hyp_file.write_text("\n".join(hyps) + "\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "sacrebleu", str(ref_file), "-i", str(hyp_file), "-w", "8",
                          *args], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    return [r["score"] for r in result] if isinstance(result, list) else [result["score"]]


CLI_METRICS = {
    "bleu": ["-m", "bleu"],
    "chrf": ["-m", "chrf"],
    "chrf++": ["-m", "chrf", "--chrf-word-order", "2"],
    "ter": ["-m", "ter"],
}


def test_system_and_document_scores_equal_the_sacrebleu_cli(default_run, tmp_path):
    """Every stored system- and document-level score equals the sacrebleu CLI on the exported text."""
    db, _ = default_run
    export = tmp_path / "run.jsonl"
    mteval("export", "latest", "--format", "jsonl", "--out", str(export), db=db)
    rows = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    with open_store(str(db)) as store:
        stored = store.scores_df("latest")
    checked = 0
    for corpus in ("paired.zh-Hans", "paired.zh-Hant"):
        for system in ("gloss", "copy"):
            mine = [r for r in rows if r["corpus"] == corpus and r["system"] == system]
            groups = {None: mine} | {doc: [r for r in mine if r["doc_id"] == doc]
                                     for doc in dict.fromkeys(r["doc_id"] for r in mine)}
            for doc, group in groups.items():
                refs = [r["reference"] for r in group]
                hyps = [r["hypothesis"] for r in group]
                for metric, args in CLI_METRICS.items():
                    (expected,) = _sacrebleu_cli(refs, hyps, tmp_path, *args)
                    level = "system" if doc is None else "document"
                    sel = stored[(stored.corpus == corpus) & (stored.system == system)
                                 & (stored.metric == metric) & (stored.level == level)]
                    if doc is not None:
                        sel = sel[sel.doc_id == doc]
                    assert len(sel) == 1
                    assert sel["value"].iloc[0] == pytest.approx(expected, abs=1e-6), (corpus, system, doc, metric)
                    checked += 1
    assert checked == 2 * 2 * 3 * 4


def test_show_docs_worst_and_runs(default_run):
    db, _ = default_run
    docs = json.loads(mteval("show", "latest", "--docs", "--format", "json", db=db).stdout)
    assert {d["doc_id"] for d in docs} == {"000_116abdeea9f99068", "001_497e44a6f89bd7b7"}
    worst = mteval("show", "latest", "--worst", "3", "--metric", "chrf", "--system", "gloss", db=db)
    assert worst.stdout.count("src:") == 3 and "ref:" in worst.stdout and "hyp:" in worst.stdout
    runs = json.loads(mteval("runs", "--format", "json", db=db).stdout)
    assert runs and runs[0]["status"] == "done" and runs[0]["suite_name"] == "default"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_formats(default_run, tmp_path, fmt):
    import pandas as pd

    db, _ = default_run
    out = tmp_path / f"run.{fmt}"
    mteval("export", "latest", "--format", fmt, "--out", str(out), db=db)
    frame = {"jsonl": lambda p: pd.read_json(p, lines=True), "csv": pd.read_csv,
             "parquet": pd.read_parquet}[fmt](out)
    assert {"system", "corpus", "seg_id", "source", "reference", "hypothesis", "bleu", "chrf"} <= set(frame.columns)
    assert len(frame) == 2 * (97 * 2 + 109) + 47  # gloss skips the English-only corpus


def test_provenance_is_recorded(default_run):
    db, _ = default_run
    with open_store(str(db)) as store:
        run = store.get_run("latest")
    assert run["git_commit"] and run["mteval_version"]
    assert "sacrebleu" in run["package_versions"]
    assert set(run["corpus_hashes"]) == {"paired.zh-Hans", "paired.zh-Hant", "mono-zh", "mono-en"}
    manifest = json.loads((REPO / "corpora" / "manifest.json").read_text())
    assert run["corpus_hashes"]["paired.zh-Hans"] == manifest["corpora"]["paired.zh-Hans"]["corpus_hash"]
    gloss = next(s for s in run["systems"] if s["name"] == "gloss")
    assert gloss["revision"] and gloss["info"]["version"]
    with open_store(str(db)) as store:
        signatures = set(store.scores_df("latest", level="system")["signature"])
    assert any("tok:13a" in sig for sig in signatures)


def test_file_system_through_run(tmp_path):
    hyps = tmp_path / "hyps.jsonl"
    corpus = [json.loads(line) for line in (REPO / "corpora" / "paired.zh-Hans.jsonl").read_text().splitlines()]
    hyps.write_text("".join(json.dumps({"seg_id": r["seg_id"], "hypothesis": r["reference"]}) + "\n"
                            for r in corpus), encoding="utf-8")
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"name: oracle\ncorpora: [{REPO / 'corpora' / 'paired.zh-Hans.jsonl'}]\n"
                     f"systems: ['file:{hyps}']\nmetrics: [bleu, ter]\n", encoding="utf-8")
    rows = board(mteval("run", str(suite), "--format", "json", db=tmp_path / "db"))
    assert cell(rows, "paired.zh-Hans", f"file:{hyps}", "system", "bleu") == pytest.approx(100.0)
    assert cell(rows, "paired.zh-Hans", f"file:{hyps}", "system", "ter") == pytest.approx(0.0)


@pytest.mark.parametrize("suite_text, message", [
    ("name: x\ncorpora: [a.jsonl]\nsystems: [gloss]\nmetrics: [bleu]\nsystem: [copy]\n",
     "unknown key 'system' in suite"),
    ("name: x\ncorpora: [corpora/paired.zh-Hans.jsonl]\nsystems: [glos]\nmetrics: [bleu]\n",
     "did you mean 'gloss'"),
    ("name: x\ncorpora: [corpora/paired.zh-Hans.jsonl]\nsystems: [gloss]\nmetrics: [bleuu]\n",
     "did you mean 'bleu'"),
    ("name: x\ncorpora: [corpora/nope.jsonl]\nsystems: [gloss]\nmetrics: [bleu]\n", "corpus file not found"),
    ("name: x\ncorpora: [corpora/paired.zh-Hans.jsonl]\nsystems: [gloss]\nmetrics: [bleu]\n"
     "options: {batchsize: 3}\n", "did you mean 'batch_size'"),
])
def test_bad_suites_are_one_line_errors(tmp_path, suite_text, message):
    suite = tmp_path / "suite.yaml"
    suite.write_text(suite_text, encoding="utf-8")
    run = mteval("run", str(suite), db=tmp_path / "db", check=False)
    assert run.returncode == 2, run.stderr
    assert message in run.stderr and "Traceback" not in run.stderr
    assert "suite.yaml" in run.stderr or "nope.jsonl" in run.stderr or "did you mean" in run.stderr


def test_unknown_key_names_its_line(tmp_path):
    suite = tmp_path / "suite.yaml"
    suite.write_text("name: x\ncorpora: [a]\nsystems: [gloss]\nmetrics: [bleu]\nmetric: [ter]\n")
    run = mteval("run", str(suite), db=tmp_path / "db", check=False)
    assert f"{suite}:5" in run.stderr and "did you mean 'metrics'" in run.stderr


def test_missing_run_is_a_clear_error(default_run):
    db, _ = default_run
    run = mteval("show", "999", db=db, check=False)
    assert run.returncode == 2 and "no run 999" in run.stderr
