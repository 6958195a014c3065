"""zh→en phenomena: checks that need no model, one module per phenomenon, and the report of what each found.

Each check module has ``NAME``, ``items(source) -> list[Item]`` (what the
source holds that a translation must render) and ``matched(items,
hypothesis) -> list[bool]``. They are metrics (``evals.phenomena.metric``:
per-segment ``[matched, items]``), registered under their names in
``evals.metrics``; ``analyze`` lists the items themselves, for reports that
show examples of misses.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

from evals.phenomena import copies, dates, names, numbers, quotes

#: The checks, by name, in display order.
CHECKS = MappingProxyType({module.NAME: module for module in (numbers, dates, names, copies, quotes)})


def check_module(name: str) -> Any:
    """The module of check ``name`` (a KeyError for an unknown one: callers pass registered names)."""
    return CHECKS[name]


def check_segment(name: str, source: str, hypothesis: str) -> list[tuple[Any, bool]]:
    """(item, matched) of every item check ``name`` finds in ``source``."""
    module = CHECKS[name]
    found = module.items(source)
    return list(zip(found, module.matched(found, hypothesis)))


def analyze(sources: Sequence[str], hypotheses: Sequence[str],
            checks: Sequence[str] | None = None) -> list[dict[str, list[dict[str, Any]]]]:
    """Per segment, per check: the items found in the source and whether each was matched.

    ``[{"numbers": [{"text": "3.5亿", "start": 3, "end": 7, "matched": False}, ...], "dates": [...]}, ...]``,
    one dict per segment (every check present, an empty list when the source has no item of it).
    ``start``/``end`` index the NFKC-normalised source.
    """
    if len(sources) != len(hypotheses):
        raise ValueError(f"{len(sources)} sources for {len(hypotheses)} hypotheses")
    names_ = list(CHECKS) if checks is None else list(checks)
    out = []
    for source, hypothesis in zip(sources, hypotheses):
        out.append({name: [{"text": item.text, "start": item.start, "end": item.end, "matched": ok}
                           for item, ok in check_segment(name, source, hypothesis)] for name in names_})
    return out
