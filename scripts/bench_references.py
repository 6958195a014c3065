"""Benchmark: statistics of many systems against the same references, in one process.

A run scores every system with one metric instance per metric, and the
systems of a test set share its references. This times what the runner's
statistics step does on the shared WMT22 zh-en data: 12 systems x BLEU and
chrF, ``segment_stats`` of every system's 1,875 hypotheses, one metric
instance per metric for all systems (``--jobs`` worker processes). Since
references are extracted once per metric instance, only the first system
pays for them.

Every row is checked against sacrebleu's own ``_extract_corpus_statistics``
on the same texts before the times are printed (``--no-check`` skips it).

    python scripts/bench_references.py              # reference A, then references A and B
    PYTHONPATH=/path/to/older/checkout python scripts/bench_references.py --refs 1   # "before"

``--refs 1`` works with any mteval (the single-reference API); ``--refs 2``
needs one that takes several references. Wall-clock and CPU time of this
process and its workers are printed: on a shared machine wall-clock mostly
measures the neighbours.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "wmt22-zh-en"
PREFIX = "generaltest2022.zh-en."
SYSTEMS = ["AISP-SJTU", "DLUT", "HuaweiTSC", "JDExploreAcademy", "Lan-Bridge", "LanguageX", "NiuTrans",
           "Online-A", "Online-B", "Online-G", "Online-W", "Online-Y"]


def lines(name: str) -> list[str]:
    return (DATA / f"{PREFIX}{name}").read_text(encoding="utf-8").splitlines()


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench(n_refs: int, jobs: int | None, check: bool) -> None:
    import numpy as np
    from sacrebleu.metrics import BLEU, CHRF

    from evals.metrics import get_metric

    ref_files = [lines("ref.A.en"), lines("ref.B.en")][:n_refs]
    refs = ref_files[0] if n_refs == 1 else list(zip(*ref_files))
    systems = {name: lines(f"hyp.{name}.en") for name in SYSTEMS}
    options = {"n_jobs": jobs} if jobs else {}
    if n_refs != 1:
        options["n_refs"] = n_refs
    metrics = {"bleu": get_metric("bleu", **options), "chrf": get_metric("chrf", **options)}
    wall, cpu = time.perf_counter(), cpu_seconds()
    stats = {(m, s): metric.segment_stats(hyps, refs) for s, hyps in systems.items() for m, metric in metrics.items()}
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    if check:
        sacre = {"bleu": BLEU(), "chrf": CHRF()}
        for (m, s), rows in stats.items():
            expected = np.asarray(sacre[m]._extract_corpus_statistics(systems[s], ref_files))
            assert np.array_equal(rows, expected), f"{m} {s}: statistics differ from sacrebleu's"
    print(f"references: {n_refs}  systems: {len(systems)}  metrics: bleu+chrf  jobs: {jobs or 'all CPUs'}  "
          f"wall {wall:.2f} s  cpu {cpu:.2f} s" + ("  (rows equal sacrebleu's)" if check else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--refs", type=int, choices=[1, 2], action="append",
                        help="references per segment (repeatable; default: 1 and 2)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes per metric (default: all CPUs)")
    parser.add_argument("--no-check", action="store_true", help="skip the comparison with sacrebleu")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"the shared WMT22 data is not at {DATA}")
    sys.path.insert(0, os.environ.get("PYTHONPATH") or str(Path(__file__).resolve().parents[1]))
    for n_refs in args.refs or [1, 2]:
        bench(n_refs, args.jobs, not args.no_check)


if __name__ == "__main__":
    main()
