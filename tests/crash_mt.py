"""A toy ``cmd:`` translator for the crash tests, able to SIGKILL the mteval that runs it.

It keeps the Latin-script words and numbers of each source line (names such as
"Donald Trump" survive, so BLEU and chrF are not all zero) after a fixed word,
which makes its output deterministic and distinct from ``gloss`` and ``copy``.

With ``MTEVAL_CRASH=cmd:N`` in its environment it counts its invocations (one
per batch) in ``$MTEVAL_CRASH_STATE.count`` and, on the Nth, records where the
kill landed in ``$MTEVAL_CRASH_STATE`` and sends SIGKILL to its parent — the
mteval process — without answering. The kill then comes from outside Python,
at the point where a real backend would be busy, with no hook in mteval at all.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from pathlib import Path

LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'.-]*")


def translate(line: str) -> str:
    return " ".join(["the", *LATIN.findall(line)])


def maybe_kill_parent() -> None:
    """SIGKILL the parent on the Nth batch when ``MTEVAL_CRASH=cmd:N``."""
    spec = os.environ.get("MTEVAL_CRASH", "")
    if not spec.startswith("cmd:"):
        return
    state = Path(os.environ["MTEVAL_CRASH_STATE"])
    counter = state.with_name(state.name + ".count")
    calls = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(calls))
    if calls == int(spec.split(":", 1)[1]):
        state.write_text(json.dumps({"point": spec, "call": calls, "pid": os.getppid()}))
        os.kill(os.getppid(), signal.SIGKILL)
        sys.exit(1)


def main() -> None:
    maybe_kill_parent()
    for line in sys.stdin:
        sys.stdout.write(translate(line.rstrip("\n")) + "\n")


if __name__ == "__main__":
    main()
