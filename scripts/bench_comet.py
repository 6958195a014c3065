"""Benchmark: COMET for several systems -- ``comet-score``, ``predict`` per system, and mteval.

Four systems over ``corpora/paired.zh-Hans.jsonl``: ``gloss``, ``copy``, gloss
with every fourth word dropped, and the reference with seeded noise (words
swapped, dropped, repeated). The model is a random-weight COMET checkpoint
built by ``scripts/make_tiny_comet.py`` deep enough to cost what a real one
costs per layer (default 12 layers, hidden 384, 6 heads; the estimator is
wmt22-comet-da's 3072-1024 feed-forward). All three ways run in this one
process, one after the other, on the same texts:

1. ``comet-score -s src -t s1 s2 s3 s4 -r ref --gpus 0`` as a subprocess,
   end to end (its imports and model load included). unbabel-comet 2.2.7 calls
   ``model.half()`` there even on CPU, so it runs in **fp16**; its embedding
   cache does not hit (tensors reach it as keyword arguments), so it encodes
   source and reference once per system.
2. ``model.predict(samples, gpus=0)`` once per system, **fp32** (the model is
   loaded once; load time reported apart), what a harness does naively.
3. mteval, **fp32**: ``Runner.run`` on a suite with the four systems as
   ``file:`` outputs and ``comet:CHECKPOINT`` -- the real code path: one metric
   instance shared by the systems, length-sorted token-budget batches, the
   embedding cache, the store writes. Scoring time (``segment_stats``) and
   model load are taken from inside the run; langid flags, bootstrap CIs and
   store writes are in the run total.

Reported: times, the ratios the issue sets goals for (comet-score over
mteval scoring+load: goal >= 8x; predict-per-system over mteval scoring, load
excluded on both sides: goal >= 2.3x), and the largest per-segment difference
from ``predict`` (goal <= 1e-5; comet-score's fp16 differs more, shown apart).

    python scripts/bench_comet.py
    python scripts/bench_comet.py --layers 6 --skip-comet-score
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CORPUS = REPO / "corpora" / "paired.zh-Hans.jsonl"
PARITY_GOAL, COMET_SCORE_GOAL, PREDICT_GOAL = 1e-5, 8.0, 2.3


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def make_systems(segments) -> dict[str, list[str]]:
    """gloss, copy and two cheap seeded variants, one line each (newlines flattened)."""
    from evals.systems.registry import build_system

    rng = random.Random(20250)
    gloss = build_system("gloss").translate(segments)
    dropped = [" ".join(w for i, w in enumerate(h.split()) if i % 4 != 3) for h in gloss]
    noisy = []
    for segment in segments:
        words = segment.reference.split()
        for _ in range(max(1, len(words) // 6)):
            i = rng.randrange(len(words))
            action = rng.choice(("swap", "drop", "repeat"))
            if action == "swap" and i + 1 < len(words):
                words[i], words[i + 1] = words[i + 1], words[i]
            elif action == "drop" and len(words) > 1:
                del words[i]
            else:
                words.insert(i, words[i])
        noisy.append(" ".join(words))
    systems = {"gloss": gloss, "copy": [s.source for s in segments], "gloss-drop": dropped,
               "ref-noise": noisy}
    return {name: [" ".join(h.split("\n")) for h in hyps] for name, hyps in systems.items()}


def run_comet_score(checkpoint: Path, folder: Path, names: list[str]) -> tuple[float, dict[str, list[float]]]:
    binary = Path(sys.executable).with_name("comet-score")
    command = [str(binary) if binary.exists() else "comet-score", "-s", str(folder / "src.txt"),
               "-t", *[str(folder / f"{n}.txt") for n in names], "-r", str(folder / "ref.txt"),
               "--gpus", "0", "--model", str(checkpoint), "--quiet", "--only_system",
               "--to_json", str(folder / "comet-score.json")]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=folder)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"comet-score failed:\n{done.stderr[-2000:]}")
    data = json.loads((folder / "comet-score.json").read_text(encoding="utf-8"))
    scores = {}
    for name in names:
        (key,) = [k for k in data if Path(k).stem == name]
        scores[name] = [row["COMET"] for row in data[key]]
    return elapsed, scores


def run_predict(checkpoint: Path, sources, refs, systems) -> tuple[float, float, dict[str, list[float]]]:
    from comet import load_from_checkpoint

    start = time.perf_counter()
    model = load_from_checkpoint(str(checkpoint), local_files_only=True)
    load = time.perf_counter() - start
    scores = {}
    start = time.perf_counter()
    for name, hyps in systems.items():
        samples = [{"src": s, "mt": h, "ref": r} for s, h, r in zip(sources, hyps, refs)]
        scores[name] = model.predict(samples, batch_size=16, gpus=0, progress_bar=False).scores
    return time.perf_counter() - start, load, scores


def run_mteval(checkpoint: Path, folder: Path, names: list[str], options: dict, order: list[str]) -> dict:
    """``Runner.run`` with timers around the metric's scoring and its model load."""
    from evals.metrics import comet as comet_module
    from evals.metrics import comet_encode
    from evals.runner import Runner
    from evals.store import open_store
    from evals.suite import parse_suite

    timers = {"segment_stats": 0.0, "load": 0.0, "calls": 0}
    original_stats = comet_module.Comet.segment_stats
    original_load = comet_encode.CometScorer.__dict__["load"]  # the classmethod object itself

    def timed_stats(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original_stats(self, *args, **kwargs)
        finally:
            timers["segment_stats"] += time.perf_counter() - start
            timers["calls"] += 1

    def timed_load(cls, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original_load.__func__(cls, *args, **kwargs)
        finally:
            timers["load"] += time.perf_counter() - start

    metric = {"name": f"comet:{checkpoint}", "options": options}
    suite = parse_suite(json.dumps({
        "name": "bench-comet", "corpora": [str(CORPUS)],
        "systems": [{"spec": f"file:{folder / (n + '.txt')}", "name": n} for n in names],
        "metrics": [metric],
    }), "bench")
    comet_module.Comet.segment_stats = timed_stats
    comet_encode.CometScorer.load = classmethod(timed_load)
    try:
        with open_store(f"sqlite:///{folder / 'mteval.db'}") as store:
            start = time.perf_counter()
            result = Runner(store, progress=_Silent()).run(suite)
            total = time.perf_counter() - start
            frame = store.scores_df(result.run_id, level="segment")
    finally:
        comet_module.Comet.segment_stats, comet_encode.CometScorer.load = original_stats, original_load
    scores = {}
    position = {seg_id: i for i, seg_id in enumerate(order)}
    for name in names:
        rows = frame[frame.system == name]
        by_seg = dict(zip(rows["seg_id"], rows["value"]))
        scores[name] = [by_seg[seg_id] for seg_id in sorted(position, key=position.get)]
    return {"total": total, "load": timers["load"], "scoring": timers["segment_stats"] - timers["load"],
            "calls": timers["calls"], "scores": scores, "notices": result.notices}


class _Silent:
    def task(self, description, total):
        import contextlib

        return contextlib.nullcontext(lambda advance: None)

    def notice(self, message):
        pass


def max_difference(a: dict[str, list[float]], b: dict[str, list[float]]) -> float:
    return max(abs(x - y) for name in a for x, y in zip(a[name], b[name], strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "mteval-bench-comet",
                        help="Where the checkpoint is built (reused when the options match).")
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--hidden", type=int, default=384)
    parser.add_argument("--heads", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=None, help="mteval batch_size option.")
    parser.add_argument("--token-budget", type=int, default=None, help="mteval token_budget option.")
    parser.add_argument("--skip-comet-score", action="store_true", help="Skip the (slow) comet-score run.")
    args = parser.parse_args()

    import importlib.util

    spec = importlib.util.spec_from_file_location("make_tiny_comet", REPO / "scripts" / "make_tiny_comet.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    start = time.perf_counter()
    paths = builder.build_tiny_comet(args.out, layers=args.layers, hidden=args.hidden, heads=args.heads,
                                     estimator=(3072, 1024), seed=0)
    checkpoint = paths["regression"]
    print(f"checkpoint: {checkpoint} ({args.layers} layers, hidden {args.hidden}, {args.heads} heads; "
          f"ready in {time.perf_counter() - start:.1f} s)")

    from evals.corpora.loaders import load_segments

    segments = load_segments(str(CORPUS))
    sources, refs = [s.source for s in segments], [s.reference for s in segments]
    systems = make_systems(segments)
    names = list(systems)
    work = Path(tempfile.mkdtemp(prefix="bench-comet-"))
    (work / "src.txt").write_text("\n".join(" ".join(s.split("\n")) for s in sources) + "\n", encoding="utf-8")
    (work / "ref.txt").write_text("\n".join(" ".join(r.split("\n")) for r in refs) + "\n", encoding="utf-8")
    for name, hyps in systems.items():
        (work / f"{name}.txt").write_text("\n".join(hyps) + "\n", encoding="utf-8")

    import torch

    print(f"{len(segments)} segments x {len(names)} systems ({', '.join(names)}); torch threads "
          f"{torch.get_num_threads()}, CPUs {os.cpu_count()}")
    options = {k: v for k, v in (("batch_size", args.batch_size), ("token_budget", args.token_budget)) if v}

    loads = {"start": load_average()}
    if not args.skip_comet_score:
        cs_time, cs_scores = run_comet_score(checkpoint, work, names)
        loads["after comet-score"] = load_average()
    pr_time, pr_load, pr_scores = run_predict(checkpoint, sources, refs, systems)
    loads["after predict"] = load_average()
    ours = run_mteval(checkpoint, work, names, options, [s.seg_id for s in segments])
    loads["after mteval"] = load_average()

    ours_scoring = ours["scoring"]
    print()
    print("load average (1/5/15 min): " + " | ".join(f"{k}: {v}" for k, v in loads.items()))
    if not args.skip_comet_score:
        print(f"comet-score (subprocess, fp16 -- it calls model.half() on CPU), end to end: {cs_time:8.2f} s")
    print(f"model.predict x{len(names)} (fp32, batch 16):            {pr_time:8.2f} s  (+{pr_load:.2f} s load)")
    print(f"mteval Runner.run (fp32), scoring in segment_stats:  {ours_scoring:8.2f} s  (+{ours['load']:.2f} s "
          f"load; whole run incl. flags, CIs, store: {ours['total']:.2f} s; {ours['calls']} calls)")
    print()
    diff_predict = max_difference(ours["scores"], pr_scores)
    ratio_predict = pr_time / ours_scoring
    print(f"vs predict per system (load excluded both sides): {ratio_predict:5.2f}x   goal >= {PREDICT_GOAL}x  "
          f"{'ok' if ratio_predict >= PREDICT_GOAL else 'MISSED'}")
    if not args.skip_comet_score:
        ratio_cs = cs_time / (ours_scoring + ours["load"])
        print(f"vs comet-score (mteval scoring + load):           {ratio_cs:5.2f}x   goal >= {COMET_SCORE_GOAL}x  "
              f"{'ok' if ratio_cs >= COMET_SCORE_GOAL else 'MISSED'}")
        print(f"vs comet-score (mteval whole Runner.run):         {cs_time / ours['total']:5.2f}x")
    print(f"max |mteval - predict| per segment: {diff_predict:.2e}   goal <= {PARITY_GOAL:.0e}  "
          f"{'ok' if diff_predict <= PARITY_GOAL else 'MISSED'}")
    if not args.skip_comet_score:
        print(f"max |comet-score (fp16) - predict (fp32)| per segment: {max_difference(cs_scores, pr_scores):.2e}")
    for notice in ours["notices"]:
        print(f"note: {notice}")


if __name__ == "__main__":
    main()
