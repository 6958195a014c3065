"""Benchmark: lexical metrics at three levels, naive sacrebleu calls vs statistics once.

The naive way is what a harness does without sufficient statistics: for every
system and metric, ``sentence_score`` per segment, ``corpus_score`` per
document and ``corpus_score`` for the system -- so every segment's text is
tokenised and matched three times, on one core. Ours extracts each segment's
statistics once (on ``--jobs`` processes) and derives all three levels with
``score_levels``. The run asserts both ways give the same scores (within
1e-9) before reporting times.

    python scripts/bench_lexical.py                      # 5 systems x 10k segments
    python scripts/bench_lexical.py --segments 2000 --jobs 2

Wall-clock speed-up is the goal (>= 5x overall on 2 idle cores); CPU time is
printed too because on a shared machine wall-clock mostly measures the
neighbours. The CPU ratio is what "statistics once" buys; parallel workers
then divide ours' wall-clock by up to ``--jobs``.

``--wmt22 [DIR]`` times statistics extraction alone on the shared WMT22 zh-en
set instead: the 12 systems x 1,875 segments, BLEU, chrF and chrF++, our
numba engine against sacrebleu's own ``_extract_corpus_statistics``, each
side in a fresh process of its own on one core (sacrebleu with its reference
cache, so both count the references once). The rows of both sides must be
identical; the ratio of their times is printed, with the one-off cost of
importing numba and loading the compiled kernels shown apart.

    python scripts/bench_lexical.py --wmt22                # reference A
    python scripts/bench_lexical.py --wmt22 --refs A B     # two references

Data is synthetic and seeded: Zipf-distributed pseudo-English words in
sentences of about 25 tokens, documents of 20 segments, and per system a
hypothesis that is a noisy edit of the reference (deletions, substitutions,
insertions, one moved phrase, case and punctuation slips) at a
system-specific error rate.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sacrebleu.metrics import BLEU, CHRF, TER  # noqa: E402

from evals.metrics import get_metric  # noqa: E402
from evals.metrics.base import LevelScores, score_levels  # noqa: E402

METRICS = ("bleu", "chrf", "chrf++", "ter")
DOC_SIZE = 20
TOLERANCE = 1e-9

_FUNCTION_WORDS = (
    "the of and to a in is that for it was on with as he by at from his an be this "
    "are have not they which but had one were all we there been has their more said"
).split()
_ONSETS = "b c d f g h j k l m n p r s t v w y st tr pl ch sh th br cl gr".split()
_VOWELS = "a e i o u ai ea ou ee oo".split()
_CODAS = ["", "", "", "n", "r", "s", "t", "l", "nd", "ng", "st", "ck", "ll"]


@dataclass(frozen=True)
class Corpus:
    refs: list[str]
    systems: dict[str, list[str]]
    doc_ids: list[str]


def make_corpus(n_segments: int, n_systems: int, seed: int = 13) -> Corpus:
    """Seeded synthetic references and noisy system outputs."""
    rng = random.Random(seed)
    words = _vocabulary(rng, 8000)
    weights = _zipf_cumulative(len(words))

    def draw(k: int) -> list[str]:
        return rng.choices(words, cum_weights=weights, k=k)

    refs = [_sentence(rng, draw) for _ in range(n_segments)]
    systems = {}
    for index in range(n_systems):
        error_rate = 0.06 + 0.05 * index
        systems[f"sys{index + 1}"] = [_corrupt(rng, draw, ref, error_rate) for ref in refs]
    doc_ids = [f"doc{i // DOC_SIZE:05d}" for i in range(n_segments)]
    return Corpus(refs, systems, doc_ids)


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    """Function words first, then pseudo-words that get longer as they get rarer."""
    vocab = list(_FUNCTION_WORDS)
    seen = set(vocab)
    while len(vocab) < size:
        syllables = 1 if len(vocab) < 600 else rng.choice((1, 2, 2, 3))
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
            for _ in range(syllables)
        )
        if word not in seen:
            seen.add(word)
            vocab.append(word)
    return vocab


def _zipf_cumulative(size: int) -> list[float]:
    total, cumulative = 0.0, []
    for rank in range(1, size + 1):
        total += 1.0 / rank
        cumulative.append(total)
    return cumulative


def _sentence(rng: random.Random, draw) -> str:
    tokens = draw(max(3, int(rng.gauss(25, 10))))
    tokens[0] = tokens[0].capitalize()
    for i in range(1, len(tokens) - 1):
        roll = rng.random()
        if roll < 0.05:
            tokens[i] += ","
        elif roll < 0.07:
            tokens[i] = str(rng.randint(2, 2030))
        elif roll < 0.09:
            tokens[i] = tokens[i].capitalize()
    return " ".join(tokens) + rng.choice(".......?!")


def _corrupt(rng: random.Random, draw, ref: str, error_rate: float) -> str:
    """A hypothesis: the reference with word-level noise and one moved phrase."""
    out: list[str] = []
    for token in ref.split():
        roll = rng.random()
        if roll < error_rate / 3:
            continue
        out.append(draw(1)[0] if roll < 2 * error_rate / 3 else token)
        if rng.random() < error_rate / 4:
            out.append(draw(1)[0])
        if rng.random() < error_rate / 5:
            out[-1] = out[-1].lower() if out[-1][:1].isupper() else out[-1].capitalize()
    if len(out) > 5 and rng.random() < 3 * error_rate:
        start = rng.randrange(len(out) - 3)
        phrase = out[start : start + rng.randint(1, 4)]
        del out[start : start + len(phrase)]
        target = rng.randrange(len(out) + 1)
        out[target:target] = phrase
    if out and rng.random() < error_rate:
        out[-1] = out[-1].rstrip(".?!")
    return " ".join(out)


def sacrebleu_metrics(name: str):
    """(sentence-level, corpus-level) sacrebleu objects configured like the CLI."""
    if name == "bleu":
        return BLEU(effective_order=True), BLEU()
    if name in ("chrf", "chrf++"):
        metric = CHRF(word_order=2 if name == "chrf++" else 0)
        return metric, metric
    metric = TER()
    return metric, metric


def naive_levels(name: str, hyps: list[str], refs: list[str], doc_ids: list[str]) -> LevelScores:
    """Score every level straight through sacrebleu's public API."""
    sentence, corpus = sacrebleu_metrics(name)
    segment = [sentence.sentence_score(h, [r]).score for h, r in zip(hyps, refs)]
    documents: dict[str, list[int]] = {}
    for index, doc_id in enumerate(doc_ids):
        documents.setdefault(doc_id, []).append(index)
    document = {
        doc_id: corpus.corpus_score([hyps[i] for i in rows], [[refs[i] for i in rows]]).score
        for doc_id, rows in documents.items()
    }
    system = corpus.corpus_score(hyps, [refs]).score
    return LevelScores(segment, document, system, corpus.get_signature().format())


def our_levels(
    name: str, hyps: list[str], refs: list[str], doc_ids: list[str], jobs: int
) -> LevelScores:
    metric = get_metric(name, n_jobs=jobs)
    return score_levels(metric, metric.segment_stats(hyps, refs), doc_ids)


def cpu_seconds() -> float:
    """CPU time of this process and its finished workers (the machine may be shared)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def max_difference(a: LevelScores, b: LevelScores) -> float:
    """Largest absolute score difference over all levels; inf if shapes differ."""
    if len(a.segment) != len(b.segment) or a.document.keys() != b.document.keys():
        return float("inf")
    diffs = [abs(x - y) for x, y in zip(a.segment, b.segment)]
    diffs += [abs(a.document[k] - b.document[k]) for k in a.document]
    diffs.append(abs(a.system - b.system))
    return max(diffs)


WMT22 = Path(__file__).resolve().parents[2] / "shared" / "data" / "wmt22-zh-en"
WMT22_SYSTEMS = ("AISP-SJTU", "DLUT", "HuaweiTSC", "JDExploreAcademy", "Lan-Bridge", "LanguageX", "NiuTrans",
                 "Online-A", "Online-B", "Online-G", "Online-W", "Online-Y")
WMT22_METRICS = ("bleu", "chrf", "chrf++")


def wmt22_texts(data: Path, refs: list[str]) -> tuple[list[list[str]], list[list[str]]]:
    """(reference streams, the 12 systems' hypotheses) of the WMT22 zh-en set."""
    prefix = data / "generaltest2022.zh-en"
    streams = [Path(f"{prefix}.ref.{key}.en").read_text("utf-8").splitlines() for key in refs]
    systems = [Path(f"{prefix}.hyp.{name}.en").read_text("utf-8").splitlines() for name in WMT22_SYSTEMS]
    return streams, systems


def wmt22_side(side: str, name: str, data: Path, refs: list[str]) -> dict:
    """One side's statistics of the 12 systems, timed in this process: wall, CPU, one-off load, rows' digest."""
    import hashlib

    import numpy as np

    streams, systems = wmt22_texts(data, refs)
    tuples = list(zip(*streams))
    load_wall = 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    if side == "sacrebleu":
        metric = BLEU(force=True) if name == "bleu" else CHRF(word_order=2 if name == "chrf++" else 0)
        metric._ref_cache = metric._cache_references(streams)
        rows = [np.asarray(metric._extract_corpus_statistics(hyps, None), np.int64) for hyps in systems]
    else:
        from evals.metrics.ngram_kernels import match_counts  # noqa: F401 -- numba and the kernels, timed apart

        load_wall = time.perf_counter() - wall
        metric = get_metric(name, n_refs=len(refs), engine="numba")
        rows = [metric.segment_stats(hyps, tuples) for hyps in systems]
    digest = hashlib.sha256(b"".join(r.tobytes() for r in rows)).hexdigest()
    return {"wall": time.perf_counter() - wall - load_wall, "cpu": time.process_time() - cpu,
            "load": load_wall, "digest": digest}


def wmt22_main(data: Path, refs: list[str], metrics: list[str]) -> int:
    import json
    import os
    import subprocess

    if not data.is_dir():
        raise SystemExit(f"WMT22 data not found in {data}")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                                        *filter(None, [os.environ.get("PYTHONPATH")])])}
    print(f"WMT22 zh-en statistics, 12 systems x 1875 segments, references {'+'.join(refs)}, one process per side")
    print(f"{'metric':<8} {'sacrebleu s':>12} {'ours s':>8} {'speed-up':>9}   (ours: + numba load, CPU s)")
    for name in metrics:
        results = {}
        for side in ("sacrebleu", "ours"):
            command = [sys.executable, __file__, "--wmt22-side", side, name, "--wmt22", str(data), "--refs", *refs]
            done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
            results[side] = json.loads(done.stdout.strip().splitlines()[-1])
        theirs, ours = results["sacrebleu"], results["ours"]
        assert theirs["digest"] == ours["digest"], f"{name}: statistics differ from sacrebleu's"
        print(f"{name:<8} {theirs['wall']:12.2f} {ours['wall']:8.2f} {theirs['wall'] / ours['wall']:8.1f}x"
              f"   (+{ours['load']:.2f} s load; CPU {theirs['cpu']:.2f} vs {ours['cpu']:.2f})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wmt22", nargs="?", type=Path, const=WMT22, default=None,
                        help="statistics of the WMT22 systems, ours vs sacrebleu (the shared data folder)")
    parser.add_argument("--refs", nargs="+", default=["A"], choices=["A", "B"], help="WMT22 references")
    parser.add_argument("--wmt22-side", nargs=2, metavar=("SIDE", "METRIC"), help=argparse.SUPPRESS)
    parser.add_argument("--segments", type=int, default=10_000)
    parser.add_argument("--systems", type=int, default=5)
    parser.add_argument(
        "--jobs", type=int, default=None, help="worker processes (default: all CPUs)"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--metrics", nargs="+", choices=METRICS, default=list(METRICS))
    args = parser.parse_args(argv)
    if args.wmt22_side:
        import json

        print(json.dumps(wmt22_side(*args.wmt22_side, args.wmt22, args.refs)))
        return 0
    if args.wmt22:
        chosen = [m for m in args.metrics if m in WMT22_METRICS] if "--metrics" in (argv or sys.argv) else None
        return wmt22_main(args.wmt22, args.refs, chosen or list(WMT22_METRICS))

    corpus = make_corpus(args.segments, args.systems, args.seed)
    jobs = get_metric("ter", n_jobs=args.jobs).n_jobs
    print(
        f"{args.systems} systems x {args.segments} segments, documents of {DOC_SIZE}, "
        f"metrics: {' '.join(args.metrics)}, jobs: {jobs}"
    )
    print("seconds: wall-clock (CPU incl. workers); speed-up: wall (CPU)")
    print(f"{'metric':<8} {'naive':>16} {'ours':>16} {'speed-up':>15} {'max |diff|':>11}")
    totals = [0.0, 0.0, 0.0, 0.0]
    for name in args.metrics:
        times = [0.0, 0.0, 0.0, 0.0]  # naive wall, naive cpu, ours wall, ours cpu
        worst = 0.0
        for hyps in corpus.systems.values():
            wall, cpu = time.perf_counter(), cpu_seconds()
            naive = naive_levels(name, hyps, corpus.refs, corpus.doc_ids)
            times[0] += time.perf_counter() - wall
            times[1] += cpu_seconds() - cpu
            wall, cpu = time.perf_counter(), cpu_seconds()
            ours = our_levels(name, hyps, corpus.refs, corpus.doc_ids, jobs)
            times[2] += time.perf_counter() - wall
            times[3] += cpu_seconds() - cpu
            worst = max(worst, max_difference(naive, ours))
            assert worst <= TOLERANCE, f"{name}: scores differ from sacrebleu by {worst}"
            assert ours.signature.startswith(naive.signature + "|"), ours.signature
        totals = [total + part for total, part in zip(totals, times)]
        print(_row(name, times, f"{worst:11.1e}"))
    print(_row("overall", totals, ""))
    return 0


def _row(label: str, times: list[float], tail: str) -> str:
    naive = f"{times[0]:.2f} ({times[1]:.2f})"
    ours = f"{times[2]:.2f} ({times[3]:.2f})"
    speed_up = f"{times[0] / times[2]:.2f}x ({times[1] / times[3]:.2f}x)"
    return f"{label:<8} {naive:>16} {ours:>16} {speed_up:>15} {tail}"


if __name__ == "__main__":
    sys.exit(main())
