"""Launch the real ``mteval`` CLI with a hook that SIGKILLs it at a chosen point.

``python tests/crash_hooks.py run SUITE --db DB`` behaves exactly like
``mteval run SUITE --db DB``; with ``MTEVAL_CRASH`` set it first installs one
hook, and the process kills *itself* with SIGKILL when the hook fires — no
``finally`` block, no ``atexit``, no rollback runs, as with an OOM kill or a
power cut. The hooks sit at levels the runner cannot route around, so the
tests do not depend on the runner's or the store's method names:

* ``translate:BACKEND:N`` — on entering the Nth ``translate`` call of the
  ``gloss`` or ``copy`` system class (batches 1..N-1 are done);
* ``segment_stats:METRIC:N`` — on entering the Nth request for statistics
  (``segment_stats`` or ``iter_segment_stats``) of the sacrebleu-backed metric
  named METRIC (``bleu``, ``chrf``, ``ter``);
* ``insert:TABLE:N`` or ``insert:TABLE:N:after=OTHER`` — right after the Nth
  INSERT statement into TABLE has executed, before its transaction commits
  (with ``after=OTHER``, only INSERTs after the first one into OTHER count, e.g.
  the ``score_cache`` writes of scoring rather than those of translation flags).

With ``MTEVAL_TEST_BATCH=N`` the run commits translations, segments and statistics every N
rows instead of every 5,000 (``small_batches``), so a test corpus of a few thousand segments
commits mid-run, batch after batch, as a big one does, at a fraction of the run time.

(``cmd:N`` is handled by ``tests/crash_mt.py``, the program a ``cmd:`` system runs.)
Before killing, the hook writes what it hit to ``$MTEVAL_CRASH_STATE`` (JSON),
so a test can tell its kill from any other death.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

INSERT = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+[\"`]?(\w+)", re.IGNORECASE)


def die(**where: Any) -> None:
    """Record where we are, then send this process ``$MTEVAL_CRASH_SIGNAL`` (default KILL: never returns).

    With ``MTEVAL_CRASH_SIGNAL=INT`` it is a real SIGINT (Ctrl-C) instead: Python runs its handler
    right here, so the ``KeyboardInterrupt`` starts exactly at the hook (inside the write it names).
    """
    Path(os.environ["MTEVAL_CRASH_STATE"]).write_text(json.dumps(where, default=str))
    os.kill(os.getpid(), signal.Signals["SIG" + os.environ.get("MTEVAL_CRASH_SIGNAL", "KILL")])


def _system_class(backend: str):
    if backend == "gloss":
        from evals.systems.gloss import GlossSystem

        return GlossSystem
    if backend == "copy":
        from evals.systems.copy import CopySystem

        return CopySystem
    raise ValueError(f"no translate hook for backend {backend!r}")


def hook_translate(backend: str, nth: int) -> None:
    cls = _system_class(backend)
    original, calls = cls.translate, [0]

    def translate(self, segments, context=None):
        calls[0] += 1
        if calls[0] == nth:
            die(point=f"translate:{backend}", call=calls[0], segments=len(segments))
        return original(self, segments, context)

    cls.translate = translate


def hook_segment_stats(metric: str, nth: int) -> None:
    """Counts requests for statistics, whichever entry point the runner uses (one call or streamed)."""
    from evals.metrics.lexical import SacrebleuMetric

    original, original_iter, calls = SacrebleuMetric.segment_stats, SacrebleuMetric.iter_segment_stats, [0]

    def count(self, hyps) -> None:
        if self.name == metric:
            calls[0] += 1
            if calls[0] == nth:
                die(point=f"segment_stats:{metric}", call=calls[0], segments=len(hyps))

    def segment_stats(self, hyps, refs, *, sources=None):
        count(self, hyps)
        return original(self, hyps, refs, sources=sources)

    def iter_segment_stats(self, hyps, refs, *, sources=None, **options):
        count(self, hyps)
        return original_iter(self, hyps, refs, sources=sources, **options)

    SacrebleuMetric.segment_stats = segment_stats
    SacrebleuMetric.iter_segment_stats = iter_segment_stats


def hook_insert(table: str, nth: int, after: str | None) -> None:
    from sqlalchemy import Engine, event

    seen = {"armed": after is None, "count": 0}

    def after_cursor_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        match = INSERT.match(statement)
        if not match:
            return
        if not seen["armed"]:
            seen["armed"] = match.group(1) == after
            return
        if match.group(1) == table:
            seen["count"] += 1
            if seen["count"] == nth:
                die(point=f"insert:{table}", call=nth, in_transaction=conn.in_transaction(),
                    rows=cursor.rowcount)

    event.listen(Engine, "after_cursor_execute", after_cursor_execute)


def small_batches(size: int) -> None:
    """Commit every ``size`` rows: the runner's translation and score batches, the store's segment batches."""
    import evals.runner
    import evals.store.writer

    evals.runner.TRANSLATION_CACHE_BATCH = size
    evals.store.writer.SEGMENT_BATCH = size
    original = evals.runner.Runner.__init__

    def init(self, *args, score_batch: int = size, **options) -> None:
        original(self, *args, score_batch=score_batch, **options)

    evals.runner.Runner.__init__ = init


def install(spec: str) -> None:
    """Install the hook ``spec`` names (see the module docstring); '' installs none."""
    if not spec or spec.startswith("cmd:"):
        return
    kind, name, nth, *rest = spec.split(":")
    if kind == "translate":
        hook_translate(name, int(nth))
    elif kind == "segment_stats":
        hook_segment_stats(name, int(nth))
    elif kind == "insert":
        after = rest[0].removeprefix("after=") if rest else None
        hook_insert(name, int(nth), after)
    else:
        raise ValueError(f"unknown crash point {spec!r}")


def main() -> None:
    if os.environ.get("MTEVAL_TEST_BATCH"):
        small_batches(int(os.environ["MTEVAL_TEST_BATCH"]))
    install(os.environ.get("MTEVAL_CRASH", ""))
    from evals.cli import main as mteval

    sys.argv[0] = "mteval"
    mteval(sys.argv[1:])


if __name__ == "__main__":
    main()
