"""Several references per segment, end to end: metrics (parity with sacrebleu), COMET's mean, cache keys,
store, exports, baselines and the gate, and a run on the shared WMT22 data against the sacrebleu CLI."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sacrebleu.metrics import BLEU, CHRF, TER

from evals.corpora.model import Segment
from evals.errors import InputError
from evals.metrics import get_metric
from evals.metrics.base import VARIABLE_REFS, references_count, score_levels
from evals.scoring import key_references, metric_for, n_refs_of, statistics_key
from evals.store import cache_key
from tests.conftest import CORPORA, Quiet

WMT22 = Path(__file__).resolve().parents[2] / "shared" / "data" / "wmt22-zh-en"
PREFIX = "generaltest2022.zh-en."
SACREBLEU_CLI = Path(sys.executable).with_name("sacrebleu")

HYPS = ["The cat sat on the mat .", "A dog barked loudly at night", "He reads books every day.",
        "It is raining in London today", "Nobody knew the answer", "She bought three apples and a pear."]
REF_A = ["The cat sat on the mat.", "The dog barked loudly at night.", "He reads a book every day.",
         "It rains in London today.", "No one knew the answer.", "She bought three apples and one pear."]
REF_B = ["A cat was sitting on the mat.", "At night a dog barked loudly.", "Every day he reads books.",
         "Today it is raining in London.", "Nobody knew what the answer was.", "She purchased 3 apples and a pear."]
DOCS = ["d1", "d1", "d2", "d2", "d2", "d3"]
SACRE = {"bleu": BLEU, "chrf": CHRF, "chrf++": lambda: CHRF(word_order=2), "ter": TER}


# ---- lexical metrics ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bleu", "chrf", "chrf++", "ter"])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_two_references_equal_sacrebleu_at_every_level(name, n_jobs):
    metric = metric_for(name, {"n_jobs": n_jobs, "min_parallel_segments": 0}, "en", n_refs=2)[0]
    stats = metric.segment_stats(HYPS, list(zip(REF_A, REF_B)))
    expected = np.asarray(SACRE[name]()._extract_corpus_statistics(HYPS, [REF_A, REF_B]))
    assert np.array_equal(stats, expected)
    levels = score_levels(metric, stats, DOCS)
    assert levels.system == pytest.approx(SACRE[name]().corpus_score(HYPS, [REF_A, REF_B]).score, abs=1e-6)
    for doc in dict.fromkeys(DOCS):
        rows = [i for i, d in enumerate(DOCS) if d == doc]
        pick = lambda texts: [texts[i] for i in rows]  # noqa: E731
        want = SACRE[name]().corpus_score(pick(HYPS), [pick(REF_A), pick(REF_B)]).score
        assert levels.document[doc] == pytest.approx(want, abs=1e-6)
    assert levels.signature.startswith("nrefs:2|")


def test_one_reference_as_a_tuple_is_the_single_reference_metric():
    single = get_metric("bleu")
    assert np.array_equal(single.segment_stats(HYPS, [(r,) for r in REF_A]), single.segment_stats(HYPS, REF_A))
    assert single.signature() == metric_for("bleu", {}, "en", n_refs=1)[0].signature()
    assert metric_for("bleu", {}, "en")[1] == {"target_lang": "en"}  # single-reference options as before


def test_a_varying_number_of_references_is_nrefs_var_as_in_sacrebleu():
    """sacrebleu's convention: a missing reference is None in its stream, and the signature says nrefs:var."""
    refs = [(a, b) if i % 2 else (a,) for i, (a, b) in enumerate(zip(REF_A, REF_B))]
    assert references_count(len(r) for r in refs) == VARIABLE_REFS
    metric = metric_for("bleu", {}, "en", n_refs=n_refs_of(refs))[0]
    sacre = BLEU()
    want = sacre.corpus_score(HYPS, [REF_A, [b if i % 2 else None for i, b in enumerate(REF_B)]])
    assert metric.score_from_stats(metric.segment_stats(HYPS, refs)) == pytest.approx(want.score, abs=1e-9)
    assert metric.signature().startswith("nrefs:var|") and sacre.get_signature().format().startswith("nrefs:var|")


def test_a_segment_with_another_number_of_references_than_the_signature_is_refused():
    metric = get_metric("chrf", n_refs=2)
    with pytest.raises(InputError, match="segment 2 has 1 references.*built for 2"):
        metric.segment_stats(HYPS[:2], [(REF_A[0], REF_B[0]), REF_A[1]])
    with pytest.raises(InputError, match="number of references"):
        get_metric("bleu", n_refs=0)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_extracted_references_are_reused_and_never_mixed(n_jobs):
    """Many systems against the same references: the references are extracted once; other references
    (same hypotheses) get their own rows, identical to a fresh metric's."""
    metric = get_metric("chrf", n_refs=2, n_jobs=n_jobs, min_parallel_segments=0)
    refs = list(zip(REF_A, REF_B))
    systems = [HYPS, [h.upper() for h in HYPS], list(reversed(HYPS))]
    for hyps in systems:
        assert np.array_equal(metric.segment_stats(hyps, refs),
                              np.asarray(CHRF()._extract_corpus_statistics(hyps, [REF_A, REF_B])))
    assert len(metric._references) == len(HYPS)
    swapped = list(zip(REF_B, REF_A))
    assert np.array_equal(metric.segment_stats(HYPS, swapped), get_metric("chrf", n_refs=2).segment_stats(HYPS, swapped))
    small = get_metric("bleu", n_refs=2)
    small.REFERENCE_CACHE = 2  # full: what it has is kept, the rest computed each time
    for _ in range(2):
        assert np.array_equal(small.segment_stats(HYPS, refs),
                              np.asarray(BLEU()._extract_corpus_statistics(HYPS, [REF_A, REF_B])))
    assert list(small._references) == refs[:2]
    chunks = list(metric.iter_segment_stats(HYPS, refs, chunk_size=4))
    assert [start for start, _ in chunks] == [0, 4]
    assert np.array_equal(np.vstack([rows for _, rows in chunks]), metric.segment_stats(HYPS, refs))


# ---- COMET --------------------------------------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("comet") is None or importlib.util.find_spec("torch") is None,
                    reason="unbabel-comet and torch are not installed (pip install 'mteval-zh[comet]')")
def test_comet_scores_each_reference_and_takes_the_mean(tmp_path):
    from tests.tiny_comet import build

    tiny = build(tmp_path)
    spec = f"comet:{tiny['regression']}"
    single = get_metric(spec)
    double = metric_for(spec, {}, "en", n_refs=2)[0]
    srcs = ["猫坐在垫子上。"] * len(HYPS)
    with_a = single.segment_stats(HYPS, REF_A, sources=srcs)[:, 0]
    with_b = single.segment_stats(HYPS, REF_B, sources=srcs)[:, 0]
    both = double.segment_stats(HYPS, list(zip(REF_A, REF_B)), sources=srcs)
    assert np.allclose(both[:, 0], (with_a + with_b) / 2, atol=1e-6)
    assert double.signature() == single.signature() + "|nrefs:2|refs:mean"


# ---- cache keys -----------------------------------------------------------------------------------------


def test_statistics_keys_include_every_reference_and_keep_single_reference_keys():
    key = lambda ref: cache_key(statistics_key("sig", "src", "hyp", ref))  # noqa: E731
    old = cache_key({"metric": "sig", "source": "src", "hypothesis": "hyp", "reference": "A"})
    assert key("A") == key(("A",)) == old  # caches written before several references stay valid
    assert len({key("A"), key(("A", "B")), key(("B", "A")), key(("A", "C")), key(None)}) == 5
    assert key_references(()) is None and key_references(("A",)) == "A" and key_references(("A", "B")) == ("A", "B")


# ---- runs, store, exports, baselines and the gate -----------------------------------------------------


def _segments(count: int = 40) -> list[Segment]:
    from evals.corpora.loaders import load_segments

    return load_segments(str(CORPORA / "paired.zh-Hans.jsonl"))[:count]


def _write_corpus(path: Path, segments: list[Segment]) -> Path:
    path.write_text("".join(json.dumps(s.to_json(), ensure_ascii=False) + "\n" for s in segments), "utf-8")
    return path


def _write_system(path: Path, pairs) -> str:
    path.write_text("".join(json.dumps({"seg_id": seg_id, "hypothesis": hyp}, ensure_ascii=False) + "\n"
                            for seg_id, hyp in pairs), "utf-8")
    return f"file:{path}"


def _run(db: Path, folder: Path, name: str, corpus: Path, systems: dict[str, str], metrics: str) -> int:
    from evals.runner import Runner
    from evals.store import open_store
    from evals.suite import load_suite

    lines = "\n".join(f"  - {{spec: {json.dumps(spec)}, name: {label}}}" for label, spec in systems.items())
    suite = folder / f"{name}.yaml"
    suite.write_text(f"name: {name}\ncorpora: [{json.dumps(str(corpus))}]\nsystems:\n{lines}\nmetrics: {metrics}\n",
                     encoding="utf-8")
    with open_store(str(db)) as store:
        return Runner(store, progress=Quiet()).run(load_suite(suite)).run_id


def _second_references(segments: list[Segment], variant: str = "") -> list[Segment]:
    return [replace(s, more_references=(" ".join(reversed(s.reference.split())) + variant,),
                    origlang="zh" if i % 2 else "en", domain="news") for i, s in enumerate(segments)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from evals.compare.baseline import save_baseline
    from evals.store import open_store

    folder = tmp_path_factory.mktemp("refs")
    db = folder / "mteval.db"
    plain = _segments()
    hyps = [(s.seg_id, " ".join(s.reference.split()[1:])) for s in plain]
    system = {"cut": _write_system(folder / "cut.jsonl", hyps)}
    one = _run(db, folder, "one", _write_corpus(folder / "one.jsonl", plain), system, "[bleu, chrf]")
    two = _run(db, folder, "two", _write_corpus(folder / "two.jsonl", _second_references(plain)), system,
               "[bleu, chrf]")
    other = _run(db, folder, "other", _write_corpus(folder / "other.jsonl", _second_references(plain, " !")),
                 system, "[bleu, chrf]")
    with open_store(str(db)) as store:
        for run, name in ((one, "one"), (two, "two")):
            save_baseline(store, run, "cut", folder / f"{name}.json")
    return {"db": db, "folder": folder, "one": one, "two": two, "other": other, "segments": plain, "hyps": hyps}


def test_store_keeps_every_reference_and_the_origin(runs):
    from evals.store import open_store

    with open_store(str(runs["db"]), readonly=True) as store:
        frame = store.translations_df(runs["two"])
        plain = store.translations_df(runs["one"])
        worst = store.worst_segments(runs["two"], "chrf", n=3)
        signature = store.scores_df(runs["two"], level="system").iloc[0]["signature"]
    first = runs["segments"][0]
    row = frame.iloc[0]
    assert row["reference"] == first.reference
    assert row["references"] == [first.reference, " ".join(reversed(first.reference.split()))]
    assert (row["origlang"], row["domain"]) == ("en", "news")
    assert plain.iloc[0]["references"] == [first.reference] and plain.iloc[0]["origlang"] is None
    assert all(len(refs) == 2 for refs in worst["references"])
    assert "nrefs:2" in signature


def test_exports_carry_every_reference(runs, tmp_path):
    from evals.store import open_store
    from evals.store.export import export_run

    with open_store(str(runs["db"]), readonly=True) as store:
        for fmt in ("jsonl", "csv", "parquet"):
            export_run(store, runs["two"], tmp_path / f"run.{fmt}")
    first = json.loads((tmp_path / "run.jsonl").read_text("utf-8").splitlines()[0])
    assert len(first["references"]) == 2 and first["references"][0] == first["reference"]
    import pandas as pd

    assert len(json.loads(pd.read_csv(tmp_path / "run.csv")["references"][0])) == 2
    assert len(pd.read_parquet(tmp_path / "run.parquet")["references"][0]) == 2


def test_comparisons_rebuild_the_keys_of_several_references(runs):
    from evals.compare import load_run_system
    from evals.store import open_store

    with open_store(str(runs["db"]), readonly=True) as store:
        side = load_run_system(store, runs["two"], "cut")
        system_scores = store.scores_df(runs["two"], level="system")
    data = side.corpora["c" if "c" in side.corpora else next(iter(side.corpora))].metrics["bleu"]
    stored = float(system_scores[system_scores["metric"] == "bleu"].iloc[0]["value"])
    assert data.metric.score_from_stats(data.stats) == pytest.approx(stored, abs=1e-9)
    assert data.signature.startswith("nrefs:2|")
    record = next(iter(side.corpora[next(iter(side.corpora))].segments.values()))
    assert len(record.references) == 2


def _check(runs, baseline: str, run: str) -> int:
    from evals.cli import main

    with pytest.raises(SystemExit) as done:
        main(["check", "--baseline", str(runs["folder"] / baseline), "--run", str(runs[run]), "--system", "cut",
              "--db", str(runs["db"])])
    return done.value.code


def test_a_baseline_with_other_references_is_refused(runs, capsys):
    assert _check(runs, "two.json", "two") == 0
    capsys.readouterr()
    assert _check(runs, "one.json", "two") == 2  # one reference against two: nrefs differs
    assert "reference" in capsys.readouterr().err
    assert _check(runs, "two.json", "other") == 2  # two references, other texts
    error = capsys.readouterr().err
    assert "different reference" in error and "Traceback" not in error


# ---- the shared WMT22 data against the sacrebleu CLI ----------------------------------------------------


def _wmt22_lines(name: str) -> list[str]:
    return (WMT22 / f"{PREFIX}{name}").read_text("utf-8").splitlines()


@pytest.mark.skipif(not WMT22.is_dir(), reason=f"the shared WMT22 data is not here ({WMT22})")
def test_wmt22_with_two_references_equals_the_sacrebleu_cli(tmp_path):
    """A corpus whose segments carry references A and B, three file: systems: BLEU and chrF at system level
    equal `sacrebleu ref.A.en ref.B.en -i hyp -m bleu chrf -b`, documents equal sacrebleu on their lines.

    148 of the 1,875 lines have identical references A and B; sacrebleu scores them as two references, and
    so must we.
    """
    from evals.store import open_store

    sources, ref_a, ref_b = _wmt22_lines("src.zh"), _wmt22_lines("ref.A.en"), _wmt22_lines("ref.B.en")
    segments = [Segment(corpus="wmt22", doc_id=f"d{i // 250}", seg_id=f"wmt22:{i + 1}", para=0, source=src,
                        reference=a, more_references=(b,), src_lang="zh", tgt_lang="en", script="zh-Hans")
                for i, (src, a, b) in enumerate(zip(sources, ref_a, ref_b))]
    assert sum(s.reference == s.more_references[0] for s in segments) == 148
    corpus = _write_corpus(tmp_path / "wmt22.jsonl", segments)
    names = ["NiuTrans", "Online-B", "JDExploreAcademy"]
    systems = {name: _write_system(tmp_path / f"{name}.jsonl",
                                   [(f"wmt22:{i + 1}", h) for i, h in enumerate(_wmt22_lines(f"hyp.{name}.en"))])
               for name in names}
    db = tmp_path / "mteval.db"
    run = _run(db, tmp_path, "wmt22", corpus, systems, "[bleu, chrf]")
    with open_store(str(db), readonly=True) as store:
        scores = store.scores_df(run)
    command = [str(SACREBLEU_CLI)] if SACREBLEU_CLI.exists() else [sys.executable, "-m", "sacrebleu"]
    for name in names:
        cli = subprocess.run([*command, str(WMT22 / f"{PREFIX}ref.A.en"), str(WMT22 / f"{PREFIX}ref.B.en"),
                              "-i", str(WMT22 / f"{PREFIX}hyp.{name}.en"), "-m", "bleu", "chrf", "-b", "-w", "10", "-f", "text"],
                             capture_output=True, text=True, check=True)
        want = dict(zip(["bleu", "chrf"], map(float, cli.stdout.split())))
        mine = scores[(scores["system"] == name) & (scores["level"] == "system")]
        for metric in ("bleu", "chrf"):
            row = mine[mine["metric"] == metric].iloc[0]
            assert row["value"] == pytest.approx(want[metric], abs=1e-6), (name, metric)
            assert "nrefs:2" in row["signature"]
        hyps = _wmt22_lines(f"hyp.{name}.en")
        docs = scores[(scores["system"] == name) & (scores["level"] == "document") & (scores["metric"] == "bleu")]
        assert len(docs) == 8
        for doc, value in zip(docs["doc_id"], docs["value"]):
            lines = slice(int(doc[1:]) * 250, int(doc[1:]) * 250 + 250)
            assert value == pytest.approx(BLEU().corpus_score(hyps[lines], [ref_a[lines], ref_b[lines]]).score,
                                          abs=1e-6)
