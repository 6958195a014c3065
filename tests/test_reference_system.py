"""Humans as a system (issue 17, point 3): ``reference:K`` is the corpus's K-th reference, scored against the others.

On the shared WMT22 zh→en data (references A and B), one run holds
JDExploreAcademy (``file:``), ``reference:2`` named HUMAN-B, ``reference:1``
named HUMAN-A and the B file as a ``file:`` system: HUMAN-B is scored against
A alone (``nrefs:1``), HUMAN-A against B alone, every other system against
both (``nrefs:2``), each equal to sacrebleu on the same references. The B file
and HUMAN-B have the same hypotheses, so a statistics cache that mixed the
held-out rows with the full-reference ones would show at once. A corpus with
only reference A plus ``file:ref.B.en`` (WMT's way: everyone against A) gives
HUMAN-B the same score. Bad corpora fail before anything is translated.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sacrebleu

from evals.runner import Runner
from evals.store import open_store
from evals.suite import load_suite
from tests.conftest import Quiet
from tests.test_bad_input import cli, subprocess_cli
from tests.wmt22 import PREFIX, hypotheses, lines, require_wmt22

TOL = 1e-9


def data(name: str) -> Path:
    return require_wmt22() / f"{PREFIX}{name}"


def write_suite(folder: Path, name: str, references: list[str], systems: dict[str, str],
                metrics: str = "[bleu, chrf]") -> Path:
    refs = ", ".join(json.dumps(str(data(f"ref.{r}.en"))) for r in references)
    entries = "".join(f"  - {{spec: {json.dumps(spec)}, name: {label}}}\n" for label, spec in systems.items())
    suite = folder / f"{name}.yaml"
    suite.write_text(f"name: {name}\ncorpora:\n  - source: {json.dumps(str(data('src.zh')))}\n"
                     f"    references: [{refs}]\n    name: wmt22\nsystems:\n{entries}metrics: {metrics}\n",
                     encoding="utf-8")
    return suite


def system_rows(db: Path, run: int) -> dict[tuple[str, str], tuple[float, str]]:
    """(system, metric) → (system-level value, signature) on the corpus."""
    with open_store(str(db)) as store:
        frame = store.scores_df(run, level="system")
    frame = frame[frame.corpus == "wmt22"]
    return {(r.system, r.metric): (r.value, r.signature) for r in frame.itertuples(index=False)}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One run through the CLI: JDExploreAcademy, HUMAN-B, HUMAN-A and the B file as a system, on A+B."""
    require_wmt22()
    folder = tmp_path_factory.mktemp("refsys")
    suite = write_suite(folder, "humans", ["A", "B"], {
        "JDExploreAcademy": f"file:{data('hyp.JDExploreAcademy.en')}", "HUMAN-B": "reference:2",
        "HUMAN-A": "reference:1", "B-FILE": f"file:{data('ref.B.en')}"})
    db = folder / "mteval.db"
    outcome = subprocess_cli(["run", suite, "--db", db, "--quiet"], folder)
    assert outcome.code == 0, outcome.text
    return {"db": db, "suite": suite, "folder": folder, "rows": system_rows(db, 1)}


def test_human_b_is_scored_against_reference_a_alone(run):
    ref_a, ref_b = lines("ref.A.en"), lines("ref.B.en")
    bleu, signature = run["rows"][("HUMAN-B", "bleu")]
    assert bleu == pytest.approx(sacrebleu.corpus_bleu(ref_b, [ref_a]).score, abs=TOL)
    assert signature.startswith("nrefs:1|")
    chrf, signature = run["rows"][("HUMAN-B", "chrf")]
    assert chrf == pytest.approx(sacrebleu.corpus_chrf(ref_b, [ref_a]).score, abs=TOL)
    assert signature.startswith("nrefs:1|")


def test_reference_1_is_reference_a_scored_against_b(run):
    ref_a, ref_b = lines("ref.A.en"), lines("ref.B.en")
    bleu, signature = run["rows"][("HUMAN-A", "bleu")]
    assert bleu == pytest.approx(sacrebleu.corpus_bleu(ref_a, [ref_b]).score, abs=TOL)
    assert signature.startswith("nrefs:1|")


def test_mt_systems_are_scored_against_both_references(run):
    ref_a, ref_b = lines("ref.A.en"), lines("ref.B.en")
    jd = hypotheses("JDExploreAcademy")
    bleu, signature = run["rows"][("JDExploreAcademy", "bleu")]
    assert bleu == pytest.approx(sacrebleu.corpus_bleu(jd, [ref_a, ref_b]).score, abs=TOL)
    assert signature.startswith("nrefs:2|")
    assert run["rows"][("JDExploreAcademy", "chrf")][1].startswith("nrefs:2|")
    # The same hypotheses as HUMAN-B, as an ordinary system: scored against A and B (itself included).
    b_file, signature = run["rows"][("B-FILE", "bleu")]
    assert b_file == pytest.approx(sacrebleu.corpus_bleu(ref_b, [ref_a, ref_b]).score, abs=TOL)
    assert signature.startswith("nrefs:2|") and b_file > run["rows"][("HUMAN-B", "bleu")][0] + 40


def test_flags_are_computed_for_the_human_system(run):
    with open_store(str(run["db"])) as store:
        hyps = store.translations_df(1)
    human = hyps[hyps.system == "HUMAN-B"]
    assert list(human.hypothesis) == lines("ref.B.en")
    assert list(human["flags"]) == list(hyps[hyps.system == "B-FILE"]["flags"])  # the same texts, the same flags


def test_a_rerun_takes_every_statistic_from_the_cache_and_mixes_nothing(run):
    with open_store(str(run["db"])) as store:
        result = Runner(store, progress=Quiet(), reuse_runs=False).run(load_suite(run["suite"]))
    assert result.stats.scored == 0 and result.stats.translated == 0
    assert system_rows(run["db"], result.run_id) == run["rows"]


def test_a_comparison_rebuilds_the_held_out_statistics_from_the_cache(run):
    from evals.compare.runs import load_run_system

    with open_store(str(run["db"])) as store:
        side = load_run_system(store, 1, "HUMAN-B")
    bleu = side.corpora["wmt22"].metrics["bleu"]
    assert bleu.signature.startswith("nrefs:1|")
    assert bleu.metric.score_from_stats(bleu.stats) == pytest.approx(run["rows"][("HUMAN-B", "bleu")][0], abs=TOL)


def test_wmt_style_everyone_against_reference_a(run):
    """A corpus with reference A only and ``file:ref.B.en`` as HUMAN-B: the held-out score, and MT against A."""
    suite = write_suite(run["folder"], "wmt-style", ["A"], {
        "JDExploreAcademy": f"file:{data('hyp.JDExploreAcademy.en')}", "HUMAN-B": f"file:{data('ref.B.en')}"},
        metrics="[bleu]")
    with open_store(str(run["db"])) as store:
        result = Runner(store, progress=Quiet()).run(load_suite(suite))
    rows = system_rows(run["db"], result.run_id)
    assert rows[("HUMAN-B", "bleu")] == run["rows"][("HUMAN-B", "bleu")]  # value and nrefs:1 signature
    jd, signature = rows[("JDExploreAcademy", "bleu")]
    assert jd == pytest.approx(sacrebleu.corpus_bleu(hypotheses("JDExploreAcademy"), [lines("ref.A.en")]).score,
                               abs=TOL)
    assert signature.startswith("nrefs:1|")


# ---- corpora a human system cannot be scored on: one line, before anything is translated -----------


@pytest.mark.parametrize("references, spec, fragments", [
    (["A", "B"], "reference:3", ["segment 'wmt22:1'", "corpus 'wmt22'", "no 3rd reference (2 given)",
                                 "reference:1 to reference:2"]),
    (["A"], "reference:2", ["corpus 'wmt22' has one reference", "system 'HUMAN-B' (reference:2)"]),
    (["A"], "reference:1", ["corpus 'wmt22' has one reference", "another to be scored against"]),
])
def test_a_corpus_without_the_reference_fails_before_anything_runs(tmp_path, capsys, references, spec, fragments):
    require_wmt22()
    suite = write_suite(tmp_path, "bad", references, {
        "JDExploreAcademy": f"file:{data('hyp.JDExploreAcademy.en')}", "HUMAN-B": spec})
    db = tmp_path / "mteval.db"
    outcome = cli(["run", suite, "--db", db], capsys)
    assert outcome.code == 2, outcome.text
    lines_out = outcome.err.strip().splitlines()
    assert len(lines_out) == 1 and "Traceback" not in outcome.text, outcome.text
    for fragment in fragments:
        assert fragment in lines_out[0], lines_out[0]
    assert "bad.yaml:" in lines_out[0]  # the suite entry
    assert not db.exists()  # the store is opened only after every check: nothing translated or stored


def test_a_segment_missing_the_reference_is_named(tmp_path, capsys):
    """Segments with different numbers of references: the first one lacking the K-th is named."""
    def segment(seg_id, references):
        return json.dumps({"corpus": "mixed", "doc_id": "d1", "seg_id": seg_id, "source": "你好。", "src_lang": "zh",
                           "tgt_lang": "en", "script": "zh-Hans", "references": references}, ensure_ascii=False)
    corpus = tmp_path / "mixed.jsonl"
    corpus.write_text("\n".join([segment("s1", ["Hello.", "Hi."]), segment("s2", ["Hello there."]),
                                 segment("s3", ["Hey.", "Hi there."])]) + "\n", encoding="utf-8")
    for spec, fragment in (("reference:2", "segment 's2' of corpus 'mixed' has no 2nd reference (1 given)"),
                           ("reference:1", "segment 's2' of corpus 'mixed' has only its 1st reference")):
        outcome = cli(["run", "--only", "--corpus", corpus, "--system", "copy", "--system", spec, "--metric", "bleu",
                       "--db", tmp_path / "mteval.db"], capsys)
        assert outcome.code == 2 and fragment in outcome.err and len(outcome.err.strip().splitlines()) == 1, \
            outcome.text
        assert not (tmp_path / "mteval.db").exists()


def test_the_backend_declares_what_it_holds_out():
    from evals.scoring.references import held_out_of_spec, scored_references
    from evals.systems.registry import system_class

    assert system_class("reference:2").holds_out_reference
    assert not system_class("copy").holds_out_reference and not system_class("file:x").holds_out_reference
    assert held_out_of_spec("reference:2") == 1 and held_out_of_spec("file:missing.txt") is None
    assert scored_references(("A", "B", "C"), 1) == ("A", "C") and scored_references(("A", "B"), None) == ("A", "B")


# ---- flags work as for any system (CometKiwi: tests/test_metrics_comet.py) ---------------------------


def tiny_corpus(folder: Path) -> tuple[Path, list[tuple[str, str, list[str]]]]:
    """Three segments with two references each; the second reference of s2 was left in Chinese."""
    rows = [("s1", "今天下雨。", ["It is raining today.", "It rains today."]),
            ("s2", "我喜欢读书。", ["I like reading.", "我喜欢读书。"]),
            ("s3", "他明天来。", ["He comes tomorrow.", "He will come tomorrow."])]
    corpus = folder / "tiny.jsonl"
    corpus.write_text("".join(json.dumps({"corpus": "tiny", "doc_id": "d1", "seg_id": seg_id, "source": source,
                                          "src_lang": "zh", "tgt_lang": "en", "script": "zh-Hans",
                                          "references": references}, ensure_ascii=False) + "\n"
                              for seg_id, source, references in rows), encoding="utf-8")
    return corpus, rows


def test_flags_are_raised_on_the_human_system(tmp_path, capsys):
    corpus, _ = tiny_corpus(tmp_path)
    db = tmp_path / "mteval.db"
    outcome = cli(["run", "--only", "--corpus", corpus, "--system", "reference:2", "--metric", "bleu",
                   "--db", db, "--quiet"], capsys)
    assert outcome.code == 0, outcome.text
    with open_store(str(db)) as store:
        hyps = store.translations_df(1)
        bleu = store.scores_df(1, level="segment", metric="bleu")
    flags = dict(zip(hyps.seg_id, hyps["flags"]))
    assert "untranslated" in flags["s2"] and not flags["s1"] and not flags["s3"]
    assert len(bleu) == 3 and bleu.signature.iloc[0].startswith("nrefs:1|")
