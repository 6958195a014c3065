"""Benchmark: TER statistics of the 12 WMT22 zh-en systems, compiled (numba) against sacrebleu's Python.

Every side runs in its own process pinned to one CPU (the same one, one after
the other), on reference A, all 1,875 segments of each system:

1. ``compiled, cold``: mteval's ``TER`` (``n_jobs=1``) with an empty numba
   cache (``NUMBA_CACHE_DIR`` set to a new folder): its first call compiles;
2. ``compiled, warm``: the same with that cache filled by (1): the first call
   only loads the compiled code;
3. ``sacrebleu``: ``sacrebleu.metrics.TER()._extract_corpus_statistics`` (what
   ``corpus_score`` sums), one call per system.

The rows of (1) and (2) are checked identical to sacrebleu's, every segment,
before anything is printed. Times are CPU seconds of the process (wall-clock
in brackets: on a shared machine it measures the neighbours too); "import"
is importing numba and the kernel module, "first call" the JIT compile (cold)
or the cache load (warm), "statistics" the 12 systems after that. The
speed-up is sacrebleu's statistics time over the warm compiled one.

    python scripts/bench_ter.py                 # all 12 systems (sacrebleu takes ~20 min)
    python scripts/bench_ter.py --systems 2     # the first two, for a quick look

Measured here (2 shared cores, other helpers' test suites running; two runs):
sacrebleu 1212 s / 1104 s CPU, compiled (warm cache) 8.47 s / 8.45 s: 143x / 131x;
JIT compile on the first call with an empty cache 12.3 s / 12.6 s CPU, loading
it from the cache 0.46 s / 0.42 s, importing numba 0.4-0.6 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "wmt22-zh-en"
PREFIX = "generaltest2022.zh-en."
SYSTEMS = ["AISP-SJTU", "DLUT", "HuaweiTSC", "JDExploreAcademy", "Lan-Bridge", "LanguageX", "NiuTrans",
           "Online-A", "Online-B", "Online-G", "Online-W", "Online-Y"]


def lines(name: str) -> list[str]:
    return (DATA / f"{PREFIX}{name}").read_text(encoding="utf-8").splitlines()


def clocks() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def since(start: tuple[float, float]) -> dict[str, float]:
    cpu, wall = clocks()
    return {"cpu": cpu - start[0], "wall": wall - start[1]}


def run_side(side: str, n_systems: int, out: Path) -> None:
    """One side, in this (child) process: rows to ``out`` (JSON), times to stdout."""
    refs = lines("ref.A.en")
    systems = {name: lines(f"hyp.{name}.en") for name in SYSTEMS[:n_systems]}
    times: dict[str, dict[str, float]] = {}
    rows: dict[str, list] = {}
    if side == "compiled":
        start = clocks()
        import evals.metrics.ter_numba  # noqa: F401  (numba and the kernel module)
        times["import"] = since(start)
        from evals.metrics import get_metric

        metric = get_metric("ter", n_jobs=1)
        start = clocks()
        backend = metric.backend  # loads the kernel: compiles it, or reads numba's cache
        times["first call"] = since(start)
        if backend != "numba":
            raise RuntimeError(f"the compiled TER did not load (backend {backend!r})")
        start = clocks()
        for name, hyps in systems.items():
            rows[name] = metric.segment_stats(hyps, refs).tolist()
        times["statistics"] = since(start)
    else:
        from sacrebleu.metrics.ter import TER

        start = clocks()
        for name, hyps in systems.items():
            rows[name] = TER()._extract_corpus_statistics(hyps, [refs])
        times["statistics"] = since(start)
    out.write_text(json.dumps(rows), encoding="utf-8")
    print(json.dumps(times))


def spawn(side: str, n_systems: int, out: Path, cpu: int, cache: Path) -> dict[str, dict[str, float]]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    command = ["taskset", "-c", str(cpu), sys.executable, __file__, "--side", side,
               "--systems", str(n_systems), "--out", str(out)]
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{side} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fmt(value: dict[str, float] | None) -> str:
    return "" if value is None else f"{value['cpu']:8.2f} s ({value['wall']:7.2f} s wall)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=len(SYSTEMS), help="how many of the 12 systems")
    parser.add_argument("--side", choices=["compiled", "sacrebleu"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not DATA.is_dir():
        parser.error(f"the shared WMT22 data is not here ({DATA})")
    if args.side:
        run_side(args.side, args.systems, args.out)
        return
    cpu = sorted(os.sched_getaffinity(0))[-1]
    with tempfile.TemporaryDirectory(prefix="bench-ter-") as folder:
        tmp = Path(folder)
        cache = tmp / "numba-cache"
        results = {}
        for label, side in (("compiled, cold", "compiled"), ("compiled, warm", "compiled"),
                            ("sacrebleu", "sacrebleu")):
            out = tmp / f"{label.replace(', ', '-')}.json"
            print(f"running {label} on CPU {cpu} ...", file=sys.stderr, flush=True)
            results[label] = (spawn(side, args.systems, out, cpu, cache), json.loads(out.read_text("utf-8")))
    expected = results["sacrebleu"][1]
    for label in ("compiled, cold", "compiled, warm"):
        rows = results[label][1]
        for name in expected:
            if rows[name] != expected[name]:
                bad = next(i for i, (a, b) in enumerate(zip(rows[name], expected[name])) if a != b)
                raise SystemExit(f"{label}: {name} line {bad + 1}: {rows[name][bad]} != sacrebleu's "
                                 f"{expected[name][bad]}")
    n_segments = sum(len(rows) for rows in expected.values())
    print(f"TER statistics, {len(expected)} WMT22 zh-en systems x reference A ({n_segments} segments), "
          f"one CPU (#{cpu}), n_jobs=1: rows identical to sacrebleu's on every segment")
    print(f"{'':16}{'import':>28}{'first call':>28}{'statistics':>28}")
    for label, (times, _) in results.items():
        print(f"{label:16}{fmt(times.get('import')):>28}{fmt(times.get('first call')):>28}"
              f"{fmt(times['statistics']):>28}")
    python, warm = results["sacrebleu"][0]["statistics"], results["compiled, warm"][0]["statistics"]
    print(f"speed-up (statistics, CPU): {python['cpu'] / warm['cpu']:.1f}x "
          f"(wall {python['wall'] / warm['wall']:.1f}x); goal >= 20x")
    cold = results["compiled, cold"][0]
    total = sum(cold[key]["cpu"] for key in ("import", "first call", "statistics"))
    print(f"including the one-off JIT compile and the numba import (cold): {python['cpu'] / total:.1f}x")


if __name__ == "__main__":
    main()
