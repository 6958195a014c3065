"""How much the caches save: `mteval run` on a fresh store, then the same run again.

Both runs are real CLI invocations (new processes, cold caches the first time,
same suite), timed side by side in one run of this script. The second run
must translate and score nothing; the ratio is what a user sees when re-running
a suite.

mteval's own modules are byte-compiled first, as ``pip install`` does for an
installed package: an editable checkout under ``PYTHONDONTWRITEBYTECODE=1``
would otherwise recompile them from source in every process (~0.1 s), which
measures the sandbox, not the tool.

    python scripts/bench_rerun.py [--suite default] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_run(suite: str, db: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "evals", "run", suite, "--db", str(db), "-q", "--format", "csv"],
                          capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stderr


def recomputed(db: Path) -> dict:
    """What the newest run translated or scored itself (must be nothing), from its stored notes."""
    with sqlite3.connect(db) as conn:
        (notes,) = conn.execute("SELECT notes_json FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    stats = json.loads(notes)["stats"]
    return {k: stats[k] for k in ("translated", "scored") if stats[k]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="default")
    parser.add_argument("--repeat", type=int, default=5, help="Fresh stores to take medians over.")
    args = parser.parse_args()
    package = Path(__file__).resolve().parents[1] / "evals"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True,
                   env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    firsts, seconds = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "mteval.db"
            first, _ = timed_run(args.suite, db)
            second, _ = timed_run(args.suite, db)
            computed = recomputed(db)
            if computed:
                raise SystemExit(f"the re-run computed something: {computed}")
            firsts.append(first)
            seconds.append(second)
    first, second = statistics.median(firsts), statistics.median(seconds)
    print(f"suite {args.suite}: first run {first:.2f} s, re-run {second:.2f} s "
          f"(medians of {args.repeat}); re-run is {first / second:.1f}x faster")


if __name__ == "__main__":
    main()
