"""``mteval meta --write-policy``: the metrics the humans validate, written into a gate policy.

The policy's ``validated`` section names the metrics ``mteval check`` then
gates on (``evals.policy``). An existing policy keeps everything else, its
comments included: only its top-level ``validated:`` block is replaced (or
appended); a missing file starts from the built-in policy. The result is
parsed before it is written, so a policy the gate cannot read is never left.
"""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from evals.errors import InputError

if TYPE_CHECKING:
    from evals.meta.report import MetaReport

_TOP_LEVEL = re.compile(r"^[^\s#]")


def evidence(report: "MetaReport") -> str:
    """One line saying where the recommendation comes from, with the numbers."""
    from evals.meta.report import RECOMMEND_BY

    parts = []
    for name in report.recommended():
        interval = next(m for m in report.metrics if m.metric == name).agreement[RECOMMEND_BY]
        span = "" if interval.low is None else f" [{interval.low:.3f}, {interval.high:.3f}]"
        parts.append(f"{name} {interval.value:.3f}{span}")
    return (f"mteval meta: run {report.run_id} ({report.corpus}, {len(report.systems)} systems) vs "
            f"{report.human['name']} ({report.human['format']}); system-level pairwise accuracy "
            + ", ".join(parts))


def validated_block(report: "MetaReport") -> str:
    metrics = report.recommended()
    if not metrics:
        raise InputError("no metric's agreement with the humans is defined, so none can be recommended",
                         field="validated")
    return ("validated:   # written by `mteval meta --write-policy`: the gate checks only these metrics\n"
            f"  metrics: [{', '.join(json.dumps(m) for m in metrics)}]\n"
            f"  evidence: {json.dumps(evidence(report), ensure_ascii=False)}\n")


def with_validated(text: str, block: str) -> str:
    """``text`` with its top-level ``validated:`` block replaced by ``block`` (appended when it has none)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith("validated:")), None)
    if start is None:
        return text + ("" if not text or text.endswith("\n") else "\n") + "\n" + block
    end = start + 1
    while end < len(lines) and not _TOP_LEVEL.match(lines[end]):
        end += 1
    return "".join(lines[:start]) + block + "".join(lines[end:])


def write_policy(report: "MetaReport", path: str | os.PathLike[str]) -> Path:
    """Write ``report``'s recommended metrics into the policy at ``path``; returns the path."""
    from evals.inputs import read_text
    from evals.outputs import write_output
    from evals.policy import parse_policy

    target = Path(path)
    if target.exists():
        text = read_text(target, what="policy file")
        parse_policy(text, str(target))  # an unreadable policy is reported as it is, not rewritten
    else:
        text = (resources.files("evals") / "policy.yaml").read_text(encoding="utf-8")
    updated = with_validated(text, validated_block(report))
    parse_policy(updated, str(target))
    return write_output(target, updated, field="--write-policy")
