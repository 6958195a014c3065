"""Scale benchmark: `mteval run` on synthetic corpora of growing size.

For each size (default 10k, 100k and 1M segments) this writes a seeded
synthetic corpus (Chinese-looking sources, English references, documents of
20 segments) and 5 ``file:`` systems (JSONL hypotheses keyed by segment id,
noisy edits of the reference at different error rates), then times one real
``mteval run`` of them with the lexical metrics into a fresh SQLite store, in
a child process. Reported per size: wall time, CPU time of the run and its
workers (``getrusage``: on a shared machine wall time also counts waiting for
cores), CPU time per 1,000 segment x system pairs, and peak memory -- of the
``mteval`` process itself and of its whole process tree (the statistics
workers included), sampled from /proc every 250 ms. The goal is linear time
(the per-1k column stays flat) and a peak under 2 GB for the main process at
1M segments.

    python scripts/bench_scale.py                                   # 10k 100k 1M
    python scripts/bench_scale.py --sizes 10000 100000 --metrics bleu chrf

Generating the data is not timed. The 1M size writes ~1 GB of input files
and a store of several GB under --workdir (default: a temporary directory,
deleted afterwards unless --keep).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from bench_lexical import _corrupt, _vocabulary, _zipf_cumulative  # noqa: E402

DOC_SIZE = 20
N_SYSTEMS = 5
# Frequent CJK characters: sources only need to look Chinese (for the
# untranslated/off-target check and the translation keys), not mean anything.
_HANZI = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理"


@dataclass
class Measurement:
    segments: int
    seconds: float
    cpu_seconds: float
    peak_main_mb: float
    peak_tree_mb: float
    db_mb: float
    summary: str


def write_inputs(directory: Path, n_segments: int, n_systems: int, metrics: list[str], seed: int = 7) -> Path:
    """Corpus, system files and suite for one size; returns the suite path."""
    rng = random.Random(seed)
    words = _vocabulary(rng, 8000)
    weights = _zipf_cumulative(len(words))

    def draw(k: int) -> list[str]:
        return rng.choices(words, cum_weights=weights, k=k)

    directory.mkdir(parents=True, exist_ok=True)
    corpus_path = directory / "scale.jsonl"
    system_files = [(directory / f"sys{i + 1}.jsonl").open("w", encoding="utf-8") for i in range(n_systems)]
    with corpus_path.open("w", encoding="utf-8") as corpus:
        for index in range(n_segments):
            doc = f"d{index // DOC_SIZE:06d}"
            seg_id = f"{doc}.s{index % DOC_SIZE:02d}"
            n_words = max(3, int(rng.gauss(12, 5)))
            tokens = draw(n_words)
            tokens[0] = tokens[0].capitalize()
            reference = " ".join(tokens) + "."
            source = "".join(rng.choice(_HANZI) for _ in range(max(4, int(n_words * 1.6)))) + "。"
            corpus.write(json.dumps({
                "corpus": "scale", "doc_id": doc, "seg_id": seg_id, "para": index % DOC_SIZE // 5,
                "source": source, "reference": reference, "src_lang": "zh", "tgt_lang": "en",
                "script": "zh-Hans",
            }, ensure_ascii=False) + "\n")
            for number, handle in enumerate(system_files):
                hypothesis = _corrupt(rng, draw, reference, 0.06 + 0.05 * number)
                handle.write(json.dumps({"seg_id": seg_id, "hypothesis": hypothesis}, ensure_ascii=False) + "\n")
    for handle in system_files:
        handle.close()
    suite = directory / "suite.yaml"
    suite.write_text(
        "name: scale\n"
        f"description: {n_segments} synthetic segments, {n_systems} file systems\n"
        f"corpora:\n  - {corpus_path}\n"
        "systems:\n" + "".join(f"  - file:{directory / f'sys{i + 1}.jsonl'}\n" for i in range(n_systems))
        + f"metrics: [{', '.join(metrics)}]\n",
        encoding="utf-8",
    )
    return suite


def tree_rss_mb(root: int) -> tuple[float, float]:
    """(RSS of ``root``, RSS of ``root`` and all its descendants), in MB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(entry), int(fields[1])
        children.setdefault(parent, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return rss.get(root, 0) / 2**20, total / 2**20


def timed_run(suite: Path, db: Path) -> Measurement:
    command = [sys.executable, "-m", "evals", "run", str(suite), "--db", str(db), "-q", "--format", "csv"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    peaks = [0.0, 0.0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)

    def sample() -> None:
        while process.poll() is None:
            main, tree = tree_rss_mb(process.pid)
            peaks[0], peaks[1] = max(peaks[0], main), max(peaks[1], tree)
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the run and every worker it reaped
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"mteval run failed ({process.returncode}):\n{err[-3000:]}")
    summary = next((line for line in err.splitlines() if line.startswith("run ")), "")
    db_mb = sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20
    return Measurement(0, seconds, cpu, peaks[0], peaks[1], db_mb, summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--systems", type=int, default=N_SYSTEMS)
    parser.add_argument("--metrics", nargs="+", default=["bleu", "chrf", "chrf++", "ter"])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="Keep inputs and stores.")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mteval-scale-"))
    results = []
    try:
        for size in args.sizes:
            directory = workdir / str(size)
            started = time.perf_counter()
            suite = write_inputs(directory, size, args.systems, args.metrics)
            print(f"{size:>9,} segments: inputs written in {time.perf_counter() - started:.0f} s; running…",
                  flush=True)
            measured = timed_run(suite, directory / "mteval.db")
            measured.segments = size
            results.append(measured)
            print(f"{size:>9,} segments: {measured.seconds:.1f} s wall, {measured.cpu_seconds:.1f} s CPU, peak "
                  f"{measured.peak_main_mb:.0f} MB main, {measured.peak_tree_mb:.0f} MB with workers"
                  f" · {measured.summary}", flush=True)
            if not args.keep:
                shutil.rmtree(directory)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    report(results, args.systems, args.metrics)


def report(results: list[Measurement], n_systems: int, metrics: list[str]) -> None:
    print(f"\n{n_systems} file systems, metrics {', '.join(metrics)}, SQLite store; "
          f"{os.cpu_count()} CPUs")
    # CPU time (the run and its workers) is the linearity measure that survives a shared machine:
    # wall time also counts waiting for cores other jobs hold.
    print(f"{'segments':>10} {'pairs':>10} {'wall s':>9} {'CPU s':>9} {'CPU s/1k pairs':>15} {'vs smallest':>11} "
          f"{'peak main MB':>13} {'peak tree MB':>13} {'store MB':>9}")
    base = results[0].cpu_seconds / (results[0].segments * n_systems) if results else 0.0
    for m in results:
        per_pair = m.cpu_seconds / (m.segments * n_systems)
        print(f"{m.segments:>10,} {m.segments * n_systems:>10,} {m.seconds:>9.1f} {m.cpu_seconds:>9.1f} "
              f"{per_pair * 1000:>15.3f} {per_pair / base:>10.2f}x {m.peak_main_mb:>13.0f} {m.peak_tree_mb:>13.0f} "
              f"{m.db_mb:>9.0f}")
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(f"CPU time grew {last.cpu_seconds / first.cpu_seconds:.1f}x (wall {last.seconds / first.seconds:.1f}x) "
              f"for {last.segments / first.segments:.0f}x the segments (linear = equal factors); peak memory of "
              f"the main process at {last.segments:,}: {last.peak_main_mb / 1024:.2f} GB (goal < 2 GB), "
              f"with its workers {last.peak_tree_mb / 1024:.2f} GB")


if __name__ == "__main__":
    main()
