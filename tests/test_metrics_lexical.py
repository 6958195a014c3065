"""Lexical metrics: parity with the sacrebleu CLI and API, invariance, properties.

The reference implementation is sacrebleu itself, run as ``python -m sacrebleu``
on temporary files (system, per-document and ``--sentence-level`` scores) and
through its Python ``corpus_score``/``sentence_score``.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sacrebleu.metrics import BLEU as SacreBLEU
from sacrebleu.metrics import CHRF as SacreCHRF
from sacrebleu.metrics import TER as SacreTER

from evals.errors import InputError
from evals.metrics import available_metrics, get_metric
from evals.metrics.base import LevelScores, score_levels

METRICS = ("bleu", "chrf", "chrf++", "ter")
CLI_NAMES = {"bleu": "BLEU", "chrf": "chrF2", "chrf++": "chrF2++", "ter": "TER"}
CLI_ARGS = {
    "bleu": ["-m", "bleu"],
    "chrf": ["-m", "chrf"],
    "chrf++": ["-m", "chrf", "--chrf-word-order", "2"],
    "ter": ["-m", "ter"],
}
# The CLI prints 6 decimals with -w 6: rounding error is at most 5e-7.
CLI_TOLERANCE = 1e-6

WORDS = (
    "the a cat dog sat on mat and was is of to in it that he she they said "
    "quickly over under house big small red 2024 3.5 % , . ! ? ( ) \" ' - "
    "Paris Beijing government report market"
).split()

EDGE_CASES = [
    ("The cat sat on the mat.", "The cat sat on the mat."),
    ("", "There is no hypothesis here."),
    ("A hypothesis for an empty reference.", ""),
    ('He said: "No!" (really?)', 'He said "no" -- really?'),
    ("In 2024, prices rose 3.5% in Beijing.", "Prices rose by 3.5% in Beijing in 2024."),
    ("Café “quoted” text — with an ellipsis…", "Cafe “quoted” text - with ellipsis..."),
    ("THE CAT", "the cat"),
    ("yes", "no"),
    (
        "the report on the market was published by the government on Monday",
        "on Monday the government published the report on the market",
    ),
]


def make_segments(n_random: int = 36, seed: int = 2024) -> tuple[list[str], list[str], list[str]]:
    """Edge cases plus seeded noisy pairs; documents interleave (non-contiguous)."""
    rng = random.Random(seed)
    hyps, refs = [h for h, _ in EDGE_CASES], [r for _, r in EDGE_CASES]
    for _ in range(n_random):
        ref = rng.choices(WORDS, k=rng.randint(3, 25))
        hyp = [w if rng.random() > 0.25 else rng.choice(WORDS) for w in ref if rng.random() > 0.1]
        if len(hyp) > 4 and rng.random() < 0.5:
            hyp = hyp[2:] + hyp[:2]
        refs.append(" ".join(ref))
        hyps.append(" ".join(hyp))
    doc_ids = [("news-1", "news-2", "blog-3")[i % 3] for i in range(len(hyps))]
    return hyps, refs, doc_ids


HYPS, REFS, DOC_IDS = make_segments()
ZH_HYPS = ["我爱北京天安门。", "今天天气很好，我们去公园吧。", "他说：“你好！”", "增长了3.5%。"]
ZH_REFS = ["我爱北京。", "今天的天气很好，我们去公园。", "他说“您好”。", "增长3.5%。"]


# -- the sacrebleu command line --------------------------------------------


def _write_lines(path: Path, lines: list[str]) -> str:
    assert not any("\n" in line or line != line.rstrip() for line in lines)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def _run_cli(workdir: Path, tag: str, hyps: list[str], refs: list[str], args: list[str]) -> str:
    ref_file = _write_lines(workdir / f"{tag}.ref", refs)
    hyp_file = _write_lines(workdir / f"{tag}.hyp", hyps)
    command = [sys.executable, "-m", "sacrebleu", ref_file, "-i", hyp_file, "-w", "6", "-q", *args]
    done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", check=True)
    return done.stdout


def _parse_json(stdout: str) -> dict[str, dict]:
    """CLI JSON (one object, or a list for several metrics) keyed by score name."""
    parsed = json.loads(stdout)
    return {item["name"]: item for item in (parsed if isinstance(parsed, list) else [parsed])}


def _parse_sentences(stdout: str) -> tuple[list[float], set[str]]:
    """Scores and signatures from ``NAME|SIGNATURE = SCORE ...`` lines."""
    scores, signatures = [], set()
    for line in stdout.splitlines():
        head, tail = line.split(" = ", 1)
        signatures.add(head.split("|", 1)[1])
        scores.append(float(tail.split()[0]))
    return scores, signatures


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> dict[str, str]:
    """Every CLI run the parity tests need, run concurrently, stdout by job name."""
    workdir = tmp_path_factory.mktemp("sacrebleu-cli")
    jobs: dict[str, tuple[list[str], list[str], list[str]]] = {}
    corpus_args = {"lexical": ["-m", "bleu", "chrf", "ter"], "chrf++": CLI_ARGS["chrf++"]}
    for kind, args in corpus_args.items():
        jobs[f"system/{kind}"] = (HYPS, REFS, [*args, "-f", "json"])
        for doc_id in sorted(set(DOC_IDS)):
            rows = [i for i, d in enumerate(DOC_IDS) if d == doc_id]
            doc_hyps, doc_refs = [HYPS[i] for i in rows], [REFS[i] for i in rows]
            jobs[f"{doc_id}/{kind}"] = (doc_hyps, doc_refs, [*args, "-f", "json"])
    for name in METRICS:
        jobs[f"sentence/{name}"] = (HYPS, REFS, [*CLI_ARGS[name], "--sentence-level"])
    jobs["zh/bleu"] = (ZH_HYPS, ZH_REFS, ["-m", "bleu", "--tokenize", "zh", "-f", "json"])
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            tag: pool.submit(_run_cli, workdir, tag.replace("/", "_"), *job)
            for tag, job in jobs.items()
        }
        return {tag: future.result() for tag, future in futures.items()}


@pytest.fixture(scope="module")
def levels() -> dict[str, LevelScores]:
    """Our scores: statistics extracted once per metric, all levels from them."""
    result = {}
    for name in METRICS:
        metric = get_metric(name, n_jobs=1)
        result[name] = score_levels(metric, metric.segment_stats(HYPS, REFS), DOC_IDS)
    return result


def _cli_corpus_score(cli: dict[str, str], scope: str, name: str) -> dict:
    kind = "chrf++" if name == "chrf++" else "lexical"
    return _parse_json(cli[f"{scope}/{kind}"])[CLI_NAMES[name]]


@pytest.mark.parametrize("name", METRICS)
def test_system_score_matches_cli(cli, levels, name):
    expected = _cli_corpus_score(cli, "system", name)
    assert levels[name].system == pytest.approx(expected["score"], abs=CLI_TOLERANCE)
    metric = get_metric(name)
    assert metric.sacrebleu_signature("system") == expected["signature"]
    assert levels[name].signature.startswith(expected["signature"] + "|")


@pytest.mark.parametrize("name", METRICS)
def test_full_sacrebleu_score_prints_like_the_cli(cli, name):
    """BLEU's precisions, BP and lengths too: our pooled stats re-create the CLI's JSON."""
    metric = get_metric(name, n_jobs=1)
    score = metric.sacrebleu_score(metric.segment_stats(HYPS, REFS))
    printed = score.format(width=6, signature=metric.sacrebleu_signature(), is_json=True)
    assert json.loads(printed) == _cli_corpus_score(cli, "system", name)


@pytest.mark.parametrize("name", METRICS)
def test_document_scores_match_cli_per_document(cli, levels, name):
    assert list(levels[name].document) == ["news-1", "news-2", "blog-3"]
    for doc_id, score in levels[name].document.items():
        expected = _cli_corpus_score(cli, doc_id, name)["score"]
        assert score == pytest.approx(expected, abs=CLI_TOLERANCE), doc_id


@pytest.mark.parametrize("name", METRICS)
def test_segment_scores_match_cli_sentence_level(cli, levels, name):
    expected, signatures = _parse_sentences(cli[f"sentence/{name}"])
    assert levels[name].segment == pytest.approx(expected, abs=CLI_TOLERANCE)
    assert signatures == {get_metric(name).sacrebleu_signature("segment")}


def test_sentence_bleu_uses_effective_order_like_the_cli():
    metric = get_metric("bleu")
    assert "eff:yes" in metric.sacrebleu_signature("segment")
    assert "eff:no" in metric.sacrebleu_signature("system")
    assert "|seg-eff:yes|doc:pooled" in metric.signature()


# -- the sacrebleu Python API, exactly --------------------------------------


def _sacrebleu_pair(name: str):
    """(sentence, corpus) sacrebleu objects as the CLI configures them."""
    if name == "bleu":
        return SacreBLEU(effective_order=True), SacreBLEU()
    if name == "ter":
        return SacreTER(), SacreTER()
    metric = SacreCHRF(word_order=2 if name == "chrf++" else 0)
    return metric, metric


@pytest.mark.parametrize("name", METRICS)
def test_levels_equal_sacrebleu_api_exactly(levels, name):
    sentence, corpus = _sacrebleu_pair(name)
    assert levels[name].system == corpus.corpus_score(HYPS, [REFS]).score
    for doc_id, score in levels[name].document.items():
        rows = [i for i, d in enumerate(DOC_IDS) if d == doc_id]
        doc_score = corpus.corpus_score([HYPS[i] for i in rows], [[REFS[i] for i in rows]])
        assert score == doc_score.score
    expected = [sentence.sentence_score(h, [r]).score for h, r in zip(HYPS, REFS)]
    assert levels[name].segment == expected


_TEXT = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join),
    st.text(alphabet="abcAB .,!?-'0123456789é我爱北京…“”", max_size=25),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(METRICS),
    rows=st.lists(st.tuples(_TEXT, _TEXT, st.sampled_from("ab")), min_size=1, max_size=8),
)
def test_property_levels_equal_sacrebleu(name, rows):
    hyps, refs, doc_ids = (list(column) for column in zip(*rows))
    metric = get_metric(name, n_jobs=1)
    scores = score_levels(metric, metric.segment_stats(hyps, refs), doc_ids)
    sentence, corpus = _sacrebleu_pair(name)
    assert scores.system == corpus.corpus_score(hyps, [refs]).score
    for doc_id, score in scores.document.items():
        doc_rows = [i for i, d in enumerate(doc_ids) if d == doc_id]
        expected = corpus.corpus_score([hyps[i] for i in doc_rows], [[refs[i] for i in doc_rows]])
        assert score == expected.score
    assert scores.segment == [sentence.sentence_score(h, [r]).score for h, r in zip(hyps, refs)]


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(METRICS), hyp=_TEXT, ref=_TEXT)
def test_property_stats_survive_json(name, hyp, ref):
    metric = get_metric(name, n_jobs=1)
    row = metric.segment_stats([hyp], [ref])[0]
    restored = metric.stats_from_json(json.loads(json.dumps(metric.stats_to_json(row))))
    assert restored.dtype == row.dtype and np.array_equal(restored, row)
    assert metric.segment_score(restored) == metric.segment_score(row)


# -- invariance --------------------------------------------------------------


@pytest.mark.parametrize("name", METRICS)
def test_shuffling_segments_changes_no_score(levels, name):
    order = list(range(len(HYPS)))
    random.Random(5).shuffle(order)
    metric = get_metric(name, n_jobs=1)
    stats = metric.segment_stats([HYPS[i] for i in order], [REFS[i] for i in order])
    shuffled = score_levels(metric, stats, [DOC_IDS[i] for i in order])
    assert shuffled.system == levels[name].system
    assert shuffled.document == levels[name].document
    assert shuffled.segment == [levels[name].segment[i] for i in order]


@pytest.mark.parametrize("name", METRICS)
def test_jobs_and_chunking_change_no_statistic_or_score(levels, name):
    serial = get_metric(name, n_jobs=1).segment_stats(HYPS, REFS)
    for n_jobs, chunk_size in ((2, 1), (2, 7), (3, None)):
        metric = get_metric(name, n_jobs=n_jobs, chunk_size=chunk_size, min_parallel_segments=0)
        parallel = metric.segment_stats(HYPS, REFS)
        assert parallel.dtype == serial.dtype
        assert np.array_equal(parallel, serial), (n_jobs, chunk_size)
        assert score_levels(metric, parallel, DOC_IDS) == levels[name]


def test_small_inputs_stay_in_process(monkeypatch):
    import evals.metrics.lexical as lexical

    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was started for a small input")

    monkeypatch.setattr(lexical, "ProcessPoolExecutor", no_pool)
    metric = get_metric("ter", n_jobs=2)
    assert len(HYPS) < metric.min_parallel_segments
    assert metric.segment_stats(HYPS, REFS).shape == (len(HYPS), 2)


# -- Chinese targets -----------------------------------------------------------


def test_chinese_target_uses_zh_tokenizer(cli):
    metric = get_metric("bleu", target_lang="zh")
    assert "tok:zh" in metric.signature().split("|")
    stats = metric.segment_stats(ZH_HYPS, ZH_REFS)
    assert stats[0, 0] == len("我爱北京天安门。")  # one token per character
    expected = _parse_json(cli["zh/bleu"])["BLEU"]
    assert expected["signature"] == metric.sacrebleu_signature("system")
    levels = score_levels(metric, stats, ["d"] * len(ZH_HYPS))
    assert levels.system == pytest.approx(expected["score"], abs=CLI_TOLERANCE)
    assert get_metric("bleu", target_lang="zh-Hans").signature() == metric.signature()


def test_chinese_target_ter_splits_characters():
    metric = get_metric("ter", target_lang="zh")
    assert "norm:yes" in metric.signature() and "asian:yes" in metric.signature()
    assert metric.segment_stats(["我爱北京"], ["我爱上海"])[0].tolist() == [2.0, 4.0]


def test_zh_tokenizer_bug_documented_in_bleu_is_still_there():
    """Canary: if this fails, sacrebleu fixed mjpost/sacrebleu#298; update BLEU's docstring."""
    from sacrebleu.tokenizers.tokenizer_zh import TokenizerZh

    tokenizer = TokenizerZh()
    assert tokenizer("\U00020000\U00020001") == "\U00020000\U00020001"  # Extension B not split
    assert tokenizer("a…b") == "a … b"  # U+2026 wrongly treated as Chinese
    assert tokenizer("我爱") == "我 爱"


# -- registry and input errors -------------------------------------------------


def test_registry_names_and_options():
    assert set(METRICS) <= set(available_metrics())
    assert available_metrics() == sorted(available_metrics())
    assert [get_metric(name).name for name in METRICS] == list(METRICS)
    assert get_metric(" chrF++ ").word_order == 2
    assert get_metric("TER").higher_is_better is False
    assert all(get_metric(name).needs_reference for name in METRICS)


@pytest.mark.parametrize(
    ("name", "options", "field", "hint"),
    [
        ("blue", {}, "metric", "did you mean 'bleu'?"),
        ("bleu", {"tokenise": "zh"}, "tokenise", "did you mean 'tokenize'?"),
        ("bleu", {"tokenize": "13b"}, "tokenize", "did you mean '13a'?"),
        ("chrf++", {"word_order": 1}, "word_order", None),
        ("ter", {"target_lang": "de"}, "target_lang", None),
        ("ter", {"n_jobs": 0}, "n_jobs", None),
    ],
)
def test_bad_names_and_options_raise_input_error(name, options, field, hint):
    with pytest.raises(InputError) as caught:
        get_metric(name, **options)
    assert caught.value.field == field
    if hint:
        assert caught.value.hint == hint


def test_bad_segments_raise_input_error():
    metric = get_metric("bleu")
    with pytest.raises(InputError, match="2 hypotheses but 1 references"):
        metric.segment_stats(["a", "b"], ["a"])
    with pytest.raises(InputError, match="needs references"):
        metric.segment_stats(["a"], None)
    with pytest.raises(InputError, match="hypothesis 2 is NoneType"):
        metric.segment_stats(["a", None], ["a", "b"])
    assert metric.segment_stats([], []).shape == (0, metric.n_stats)
    stats = metric.segment_stats(["a"], ["a"])
    with pytest.raises(InputError, match="1 document ids for 2 segments"):
        score_levels(metric, np.vstack([stats, stats]), ["d"])
    with pytest.raises(InputError, match="no segments"):
        score_levels(metric, stats[:0], [])
    with pytest.raises(InputError, match="shape"):
        metric.score_from_stats(stats[:, :3])


def test_stats_json_types():
    bleu, ter = get_metric("bleu"), get_metric("ter")
    bleu_row = bleu.stats_to_json(bleu.segment_stats(["a b"], ["a c"])[0])
    ter_row = ter.stats_to_json(ter.segment_stats(["a b"], ["a c"])[0])
    assert all(type(value) is int for value in bleu_row)
    assert ter_row == [1.0, 2.0] and all(type(value) is float for value in ter_row)
    with pytest.raises(InputError, match="not an integer"):
        bleu.stats_from_json([1.5] + bleu_row[1:])
    with pytest.raises(InputError, match="list of 10 numbers"):
        bleu.stats_from_json(bleu_row[:-1])
    with pytest.raises(InputError, match="not a number"):
        ter.stats_from_json([True, 2.0])


@pytest.mark.parametrize("name", ["bleu", "chrf", "chrf++", "ter"])
def test_streamed_statistics_equal_one_call(name):
    """The runner streams statistics chunk by chunk from one worker pool; rows must not change."""
    rng = random.Random(5)
    words = "the of a talks Trump said Monday peace Ukraine Russia ceasefire two hour call".split()
    refs = [" ".join(rng.choices(words, k=rng.randint(1, 20))) for _ in range(900)]
    hyps = [" ".join(rng.choices(words, k=rng.randint(0, 20))) for _ in range(900)]
    metric = get_metric(name, n_jobs=2, min_parallel_segments=1)
    chunks = list(metric.iter_segment_stats(hyps, refs, chunk_size=128))
    assert [start for start, _ in chunks] == sorted(start for start, _ in chunks)
    assert all(len(rows) <= 128 for _, rows in chunks)
    assert np.array_equal(np.vstack([rows for _, rows in chunks]), metric.segment_stats(hyps, refs))
