"""Benchmark: flagging the 22,500 WMT22 zh→en hypotheses with the version-1 rules and with the current ones.

Both sides run in one invocation of this script, each in a fresh Python
process per repeat (so neither inherits the other's imports or loaded
langid model), and time the same thing with ``time.process_time()`` (CPU
time of that one process, single-threaded): importing the flag module,
creating a ``LanguageGuesser`` and ``flag_many`` over the 12 systems ×
1,875 segments, langid's model load included when a side needs it. Reading
the files is not timed.

The version-1 rules are ``evals/metrics/flags.py`` as of ``--before``
(default: the commit before issue 15's change), read with ``git show`` and
imported as a module of its own; it needs the git history of the checkout.
The script prints the median of ``--repeat`` runs for each side and their
ratio; CPU time is less noisy than wall-clock on a shared machine, but
still say what else was running.

    python scripts/bench_flags.py [--data ../shared/data/wmt22-zh-en] [--before c94e9b8] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "wmt22-zh-en"
BEFORE = "c94e9b8"  # main before issue 15 point 4: FLAGS_VERSION 1

# Run in a child process: argv = data folder, module path ("" for the checkout's evals.metrics.flags).
CHILD = r"""
import importlib.util, json, sys, time
from pathlib import Path
data, module_path = Path(sys.argv[1]), sys.argv[2]
systems = ("AISP-SJTU", "DLUT", "HuaweiTSC", "JDExploreAcademy", "Lan-Bridge", "LanguageX", "NiuTrans",
           "Online-A", "Online-B", "Online-G", "Online-W", "Online-Y")
prefix = "generaltest2022.zh-en."
sources = (data / f"{prefix}src.zh").read_text("utf-8").splitlines()
hyps = [(data / f"{prefix}hyp.{s}.en").read_text("utf-8").splitlines() for s in systems]
start = time.process_time()
if module_path:
    spec = importlib.util.spec_from_file_location("flags_before", module_path)
    flags = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(flags)
else:
    import evals.metrics.flags as flags
guesser = flags.LanguageGuesser()
out = [flags.flag_many(sources, h, "en", "zh", guesser=guesser) for h in hyps]
cpu = time.process_time() - start
print(json.dumps({"cpu": cpu, "flagged": sum(map(bool, sum(out, []))),
                  "langid": guesser._identifier is not None}))
"""


def run_side(data: Path, module_path: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(data), module_path], capture_output=True, text=True,
                          env=env, cwd=REPO, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--before", default=BEFORE, help="git revision of the version-1 rules")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"no WMT22 data at {args.data}")
    source = subprocess.run(["git", "show", f"{args.before}:evals/metrics/flags.py"], capture_output=True,
                            text=True, cwd=REPO)
    if source.returncode:
        raise SystemExit(f"cannot read the version-1 rules from git ({args.before}): {source.stderr.strip()}")
    with tempfile.TemporaryDirectory() as folder:
        before_path = Path(folder) / "flags_before.py"
        before_path.write_text(source.stdout, encoding="utf-8")
        results: dict[str, list[dict]] = {"before": [], "now": []}
        for _ in range(args.repeat):  # interleaved, so a neighbour's burst hits both sides alike
            results["before"].append(run_side(args.data, str(before_path)))
            results["now"].append(run_side(args.data, ""))
    medians = {}
    for side, runs in results.items():
        medians[side] = statistics.median(r["cpu"] for r in runs)
        each = ", ".join(f"{r['cpu']:.2f}" for r in runs)
        print(f"{side:<7} {medians[side]:6.2f} s CPU (median of {len(runs)}: {each}), "
              f"{runs[0]['flagged']} hypotheses flagged, langid loaded: {runs[0]['langid']}")
    print(f"ratio before/now: {medians['before'] / medians['now']:.1f}x")


if __name__ == "__main__":
    main()
