"""`mteval analyze` (and `compare --analyze`, the dashboard payload) on the 12 WMT22 zh→en systems.

Bucket scores are checked against sacrebleu run on exactly each bucket's segments; the
bucketing and the word-accuracy statistics against brute-force references (hypothesis).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evals.analysis.buckets import FREQUENCY_EDGES, edge_buckets, quantile_buckets
from evals.analysis.salient import matched_ngrams, ngrams
from evals.analysis.words import word_accuracy
from evals.cli import main
from tests import wmt22

SYSTEM, BASELINE = "JDExploreAcademy", "Online-W"


def mteval(args, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def run(wmt22_twelve_systems):
    return wmt22_twelve_systems  # shared by the session: read-only


def _args(run) -> list:
    db, run_id = run
    return ["analyze", run_id, BASELINE, SYSTEM, "--db", db, "--resamples", 200]


@pytest.fixture(scope="module")
def report(run):
    """``mteval analyze RUN Online-W JDExploreAcademy --format json`` (Online-W the baseline)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
        main([str(a) for a in [*_args(run), "--format", "json"]])
    assert done.value.code in (0, None)
    return json.loads(out.getvalue())


def _score_text(score: dict) -> str:
    return f"{score['value']:.2f} [{score['ci'][0]:.2f}, {score['ci'][1]:.2f}]"


def _members(cut: dict, values: list[float]) -> list[list[int]]:
    return [[i for i, v in enumerate(values) if b["lo"] <= v <= b["hi"]] for b in cut["buckets"]]


def test_the_cli_prints_every_section_and_its_json_holds_the_same_numbers(run, report, capsys):
    from evals.analysis import render

    code, table, err = mteval(_args(run), capsys)
    assert code == 0, err
    for title in ("by Source length (characters)", "by Reference length (words)", "by Sentence chrf of Online-W",
                  "word accuracy (F-measure of words) by word frequency",
                  "n-grams JDExploreAcademy matches and Online-W misses most",
                  "n-grams Online-W matches and JDExploreAcademy misses most",
                  "segment-level differences against Online-W",
                  "zh→en phenomena: accuracy of the source's items (95% CI)"):
        assert title in table, title
    assert report["baseline"] == BASELINE and report["systems"] == [BASELINE, SYSTEM] and report["metric"] == "chrf"
    corpus = report["corpora"]["wmt22"]
    assert [c["by"] for c in corpus["buckets"]] == ["src_length", "ref_length", "baseline_score"]  # one document
    for cut in corpus["buckets"]:
        assert sum(b["n"] for b in cut["buckets"]) == 1875
        for b in cut["buckets"]:
            for name in (BASELINE, SYSTEM):
                score = b["scores"][name]
                assert f"{score['value']:.2f} [{score['ci'][0]:.2f}, {score['ci'][1]:.2f}]" in table
                assert score["ci"][0] <= score["value"] <= score["ci"][1]
    for b in corpus["word_accuracy"]["buckets"]:
        s = b["scores"][SYSTEM]
        assert f"{s['value']:.2f} ({s['precision']:.2f}/{s['recall']:.2f})" in table
    for entry in corpus["salient"]:
        assert len(entry["ngrams"]) == 10 and all(g["better"] > g["worse"] for g in entry["ngrams"])
        assert entry["ngrams"][0]["ngram"] in table
    diff = corpus["differences"][0]
    s = diff["segments"]
    assert s["win"] + s["tie"] + s["loss"] == 1875 == sum(diff["histogram"]["counts"])
    assert f"{s['win']}/{s['tie']}/{s['loss']}" in table
    assert diff["histogram"]["edges"] == list(range(-100, 101, 10))
    checks = {entry["check"]: entry for entry in corpus["phenomena"]}
    assert list(checks) == ["numbers", "dates", "names", "copies", "quotes"]
    for entry in checks.values():
        for name in (BASELINE, SYSTEM):
            score = entry["scores"][name]
            assert score["ci"][0] <= score["value"] <= score["ci"][1]
            assert f"{_score_text(score)} ({score['items'] - score['matched']} missed)" in table
            assert len(score["missed"]) == min(3, score["items"] - score["matched"])
    # Who renders numbers, dates and copied placeholders better: JDExploreAcademy, as the labelled sample says.
    for check in ("numbers", "dates", "copies", "quotes"):
        assert checks[check]["scores"][SYSTEM]["value"] > checks[check]["scores"][BASELINE]["value"], check
    markdown = render.markdown(report)  # what --format markdown prints
    assert "#### wmt22 · by Source length (characters)" in markdown
    assert f"| {diff['segments']['win']}/{diff['segments']['tie']}/{diff['segments']['loss']} |" in markdown


def test_bucket_scores_equal_sacrebleu_on_the_buckets_segments(run, report, capsys):
    """chrF from `mteval analyze`, BLEU from `mteval compare --analyze --metric bleu` (the same library)."""
    import sacrebleu

    db, run_id = run
    code, out, err = mteval(["compare", "--run", run_id, "--baseline", BASELINE, "--system", SYSTEM, "--analyze",
                             "--metric", "bleu", "--resamples", 20, "--db", db, "--format", "json"], capsys)
    assert code == 0, err
    bleu = json.loads(out)["analysis"]
    assert bleu["metric"] == "bleu" and bleu["systems"] == [BASELINE, SYSTEM]
    assert bleu["corpora"]["wmt22"]["salient"] == report["corpora"]["wmt22"]["salient"]  # metric-free: the same
    sources, references = wmt22.lines("src.zh"), wmt22.lines("ref.A.en")
    hyps = {name: wmt22.hypotheses(name) for name in (BASELINE, SYSTEM)}
    values = {"src_length": [len(s) for s in sources], "ref_length": [len(r.split()) for r in references]}
    # sacrebleu's chrF takes ~3 s a corpus here: chrF on the source-length buckets, BLEU on both cuts.
    for rep, score, checked in ((report, sacrebleu.corpus_chrf, ["src_length"]),
                                (bleu, sacrebleu.corpus_bleu, ["src_length", "ref_length"])):
        cuts = {c["by"]: c for c in rep["corpora"]["wmt22"]["buckets"]}
        for by, vals in ((k, values[k]) for k in checked):
            for b, members in zip(cuts[by]["buckets"], _members(cuts[by], vals)):
                assert len(members) == b["n"]
                for name in (BASELINE, SYSTEM):
                    expected = score([hyps[name][i] for i in members], [[references[i] for i in members]]).score
                    assert b["scores"][name]["value"] == pytest.approx(expected, abs=1e-4), (by, b["label"], name)


def test_phenomenon_accuracies_equal_the_phenomenon_metrics(report):
    """The section's accuracies are the registered metrics' corpus scores on the same texts."""
    from evals.metrics import build_metric

    sources = wmt22.lines("src.zh")
    checks = {entry["check"]: entry for entry in report["corpora"]["wmt22"]["phenomena"]}
    for check, entry in checks.items():
        metric = build_metric(check, {}, target_lang="en")
        for name in (BASELINE, SYSTEM):
            stats = metric.segment_stats(wmt22.hypotheses(name), None, sources=sources)
            assert entry["scores"][name]["value"] == pytest.approx(metric.score_from_stats(stats), abs=1e-4)
            assert entry["scores"][name]["items"] == int(stats[:, 1].sum())
        assert entry["signature"] == metric.signature()


def test_the_dashboard_payload_holds_the_same_numbers(run, report):
    from evals.analysis import AnalysisSettings
    from evals.dashboard.analysis import analysis_payload
    from evals.store import open_store

    db, run_id = run
    with open_store(str(db), readonly=True) as store:
        payload = analysis_payload(store, run_id, baseline=BASELINE, settings=AnalysisSettings(n_resamples=20))
    assert payload["run"] == run_id and payload["baseline"] == BASELINE and payload["metric"] == "chrf"
    assert payload["systems"][0] == BASELINE and sorted(payload["systems"]) == sorted(wmt22.SYSTEMS)
    ours, theirs = report["corpora"]["wmt22"], payload["corpora"]["wmt22"]
    assert list(theirs) == ["buckets", "word_accuracy", "salient", "differences", "phenomena"]
    for a, b in zip(ours["buckets"], theirs["buckets"], strict=True):
        assert a["by"] == b["by"]
        for x, y in zip(a["buckets"], b["buckets"], strict=True):
            assert (x["label"], x["n"]) == (y["label"], y["n"])
            for name in (BASELINE, SYSTEM):
                assert y["scores"][name]["value"] == x["scores"][name]["value"]
    words = {(b["label"], name): b["scores"][name] for b in theirs["word_accuracy"]["buckets"] for name in b["scores"]}
    assert all(words[(b["label"], SYSTEM)] == b["scores"][SYSTEM] for b in ours["word_accuracy"]["buckets"])
    assert len(theirs["salient"]) == 22 and len(theirs["differences"]) == 11
    assert [d for d in theirs["differences"] if d["system"] == SYSTEM] == ours["differences"]
    pair = [e for e in theirs["salient"] if SYSTEM in (e["better"], e["worse"])]
    assert pair == ours["salient"]


def test_bad_input_is_one_line_and_exit_2(run, tmp_path, capsys):
    db, run_id = run
    bad = tmp_path / "freq.txt"
    bad.write_text("the 10\nof many\n", encoding="utf-8")
    baseline = tmp_path / "base.json"
    assert mteval(["baseline", "save", f"{run_id}:{BASELINE}", "--out", baseline, "--no-hypotheses", "--db", db],
                  capsys)[0] == 0
    cases = {
        "no system 'Online-Q'": ["analyze", run_id, BASELINE, "Online-Q", "--db", db],
        "no segment scores for metric 'chrf2'": ["analyze", run_id, BASELINE, SYSTEM, "--metric", "chrf2", "--db", db],
        f"{bad}:2 [frequencies]": ["analyze", run_id, BASELINE, SYSTEM, "--frequencies", bad, "--db", db],
        "have no hypotheses stored": ["compare", baseline, f"{run_id}:{SYSTEM}", "--analyze", "--db", db],
    }
    from evals.analysis.pos import tagger_available

    if tagger_available() is not None:  # no NLTK tagger here: --pos says what to install, in one line
        cases["pip install 'mteval-zh[pos]'"] = ["analyze", run_id, BASELINE, SYSTEM, "--pos", "--db", db]
    for expected, args in cases.items():
        code, out, err = mteval(args, capsys)
        assert code == 2 and expected in err and len(err.strip().splitlines()) == 1, (args, err)


def test_a_frequency_file_is_used(run, tmp_path, capsys):
    db, run_id = run
    freq = tmp_path / "freq.txt"
    freq.write_text("# word counts\nthe 5000\n\nchina 50\n", encoding="utf-8")
    code, out, err = mteval(["analyze", run_id, BASELINE, SYSTEM, "--frequencies", freq, "--resamples", 10,
                             "--db", db, "--format", "json"], capsys)
    assert code == 0, err
    words = json.loads(out)["corpora"]["wmt22"]["word_accuracy"]
    assert words["source"] == "file freq.txt"
    assert [b["label"] for b in words["buckets"]] == ["0", "10–99", "1000+"]


# ---- properties, against brute force ---------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=60), st.integers(1, 8))
def test_quantile_buckets_partition_in_order_and_keep_ties_together(values, k):
    buckets = quantile_buckets(values, k)
    assert len(buckets) <= k
    assert sorted(i for b in buckets for i in b.indices) == list(range(len(values)))
    for b in buckets:
        assert all(b.lo <= values[i] <= b.hi for i in b.indices) and {values[i] for i in b.indices} >= {b.lo, b.hi}
    for a, b in zip(buckets, buckets[1:]):
        assert a.hi < b.lo
    if values and len(set(values)) >= k:  # every bucket holds at most its share plus one value's ties
        biggest = max(Counter(values).values())
        assert max(b.n for b in buckets) <= len(values) / k + biggest


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 5000), max_size=60))
def test_edge_buckets_match_brute_force(values):
    buckets = edge_buckets(values)
    assert len(buckets) == len(FREQUENCY_EDGES)
    for b in buckets:
        hi = float("inf") if b.hi is None else b.hi
        assert list(b.indices) == [i for i, v in enumerate(values) if b.lo <= v <= hi]


words = st.lists(st.sampled_from("a b c d e f".split()), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(words, words), max_size=8))
def test_word_accuracy_matches_brute_force(pairs):
    hyps, refs = [h for h, _ in pairs], [r for _, r in pairs]
    bucket_of = lambda w: "ab" if w in "ab" else "rest"  # noqa: E731
    got = word_accuracy(hyps, refs, bucket_of)
    for bucket in ("ab", "rest"):
        matched = reference = hypothesis = 0
        for h, r in pairs:
            left = list(h)
            for w in r:  # each reference occurrence matches one unused hypothesis occurrence
                if bucket_of(w) != bucket:
                    continue
                reference += 1
                if w in left:
                    left.remove(w)
                    matched += 1
            hypothesis += sum(1 for w in h if bucket_of(w) == bucket)
        if reference == hypothesis == 0:
            assert bucket not in got
            continue
        c = got[bucket]
        assert (c.matched, c.reference, c.hypothesis) == (matched, reference, hypothesis)
        p = 100 * matched / hypothesis if hypothesis else 0.0
        r = 100 * matched / reference if reference else 0.0
        assert c.f_measure == pytest.approx(2 * p * r / (p + r) if p + r else 0.0)


@settings(max_examples=200, deadline=None)
@given(words, words)
def test_matched_ngrams_are_clipped_counts(hyp, ref):
    got = matched_ngrams(hyp, ref)
    for n in range(1, 5):
        for i in range(len(ref) - n + 1):
            g = tuple(ref[i:i + n])
            in_ref = sum(1 for j in range(len(ref) - n + 1) if tuple(ref[j:j + n]) == g)
            in_hyp = sum(1 for j in range(len(hyp) - n + 1) if tuple(hyp[j:j + n]) == g)
            assert got.get(g, 0) == min(in_ref, in_hyp)
    assert set(got) <= set(ngrams(ref))


def test_documents_domains_and_origlang_are_buckets_where_the_corpus_has_them(tmp_path, capsys):
    """WMT22's segments as four documents of two domains (taken in order from the real set)."""
    from evals.corpora.model import Segment
    from evals.runner import Runner
    from evals.store import open_store
    from evals.suite import load_suite
    from tests.conftest import Quiet

    sources, references = wmt22.lines("src.zh")[:80], wmt22.lines("ref.A.en")[:80]
    corpus = tmp_path / "small.jsonl"
    with corpus.open("w", encoding="utf-8") as stream:
        for i, (src, ref) in enumerate(zip(sources, references)):
            segment = Segment(corpus="small", doc_id=f"doc{i // 20}", seg_id=str(i + 1), para=0, source=src,
                              reference=ref, src_lang="zh", tgt_lang="en", script="zh-Hans",
                              origlang="zh" if i < 60 else "en", domain="news" if i < 40 else "social")
            stream.write(json.dumps(segment.to_json(), ensure_ascii=False) + "\n")
    systems = {name: wmt22.write_system(tmp_path / f"{name}.jsonl", {"small": range(80)}, wmt22.hypotheses(name))
               for name in (BASELINE, SYSTEM)}
    entries = "\n".join(f"  - {{spec: {json.dumps(spec)}, name: {name}}}" for name, spec in systems.items())
    suite = tmp_path / "small.yaml"
    suite.write_text(f"name: small\ncorpora: [{json.dumps(str(corpus))}]\nsystems:\n{entries}\nmetrics: [chrf]\n",
                     encoding="utf-8")
    db = tmp_path / "s.db"
    with open_store(str(db)) as store:
        run_id = Runner(store, progress=Quiet()).run(load_suite(suite)).run_id
    code, out, err = mteval(["analyze", run_id, BASELINE, SYSTEM, "--resamples", 10, "--db", db, "--format", "json"],
                            capsys)
    assert code == 0, err
    small = json.loads(out)["corpora"]["small"]
    cuts = {c["by"]: [(b["label"], b["n"]) for b in c["buckets"]] for c in small["buckets"]}
    assert cuts["document"] == [("doc0", 20), ("doc1", 20), ("doc2", 20), ("doc3", 20)]
    assert cuts["domain"] == [("news", 40), ("social", 40)]
    assert cuts["origlang"] == [("en", 20), ("zh", 60)]
    docs = small["differences"][0]["documents"]
    assert docs["win"] + docs["tie"] + docs["loss"] == 4
