"""Human system names and segment ids → the run's systems and segments (documented in the README).

Systems, rule by rule; the first rule that finds a run system decides, two candidates are an error:

1. ``--map HUMAN=RUNSYSTEM`` (repeatable), the run system named exactly; a run system named by
   ``--map`` is taken by that human name only (the rules below skip it);
2. the same name (``HUMAN-B`` matches a system named ``HUMAN-B``);
3. the name without WMT DA's ``.K`` suffix (``JDExploreAcademy.6`` → ``JDExploreAcademy``);
4. the format's own aliases (MQM: ``ref-A`` ↔ ``ref``, ``ref-B`` ↔ ``refB``);
5. the WMT file pattern: a system whose name or ``file:`` spec is ``…X.hyp.NAME.LANG``
   (``file:…/generaltest2022.zh-en.hyp.DLUT.en`` → ``DLUT``).

Two human systems matching one run system is an error too. Segments match by ``seg_id`` within one
corpus of the run (``--corpus``; by default the run's only corpus): the same ``seg_id``, or
``CORPUS:seg_id`` for a plain-text corpus, whose segments are numbered by line. What does not match is counted
and listed, never dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from evals.errors import InputError, UsageError, did_you_mean
from evals.human.wmt_da import da_name

_WMT_FILE = re.compile(r"(?:^|[./])hyp\.(?P<name>[^/]+?)\.[A-Za-z]{2,3}(?:-[A-Za-z]+)?(?:\.jsonl|\.txt)?$")


@dataclass(frozen=True)
class RunSystem:
    id: int
    name: str
    spec: str


def wmt_file_name(text: str) -> str | None:
    """``NAME`` of a WMT system file ``….hyp.NAME.en`` (a path, a ``file:`` spec or a system name), else None."""
    found = _WMT_FILE.search(text.removeprefix("file:"))
    return found.group("name") if found else None


def parse_map(pairs: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        human, sep, run = pair.partition("=")
        if not sep or not human.strip() or not run.strip():
            raise UsageError(f"--map is HUMAN=RUNSYSTEM, got {pair!r}", field="--map")
        if human.strip() in out:
            raise UsageError(f"--map names {human.strip()!r} twice", field="--map")
        out[human.strip()] = run.strip()
    return out


def match_systems(human_names: Iterable[str], run_systems: Sequence[RunSystem], explicit: Mapping[str, str],
                  aliases: Mapping[str, str]) -> tuple[dict[str, RunSystem], list[str]]:
    """({human name: run system}, [unmatched human names]) by the rules above."""
    by_name = {s.name: s for s in run_systems}
    for human, target in explicit.items():
        if target not in by_name:
            raise UsageError(f"--map {human}={target}: the run has no system {target!r}", field="--map",
                             hint=did_you_mean(target, list(by_name)) or f"systems: {', '.join(by_name)}")
    both_ways = {**aliases, **{v: k for k, v in aliases.items()}}
    reserved = set(explicit.values())  # a system --map names is taken by that name only
    named = dict(by_name)
    explicit_rule = lambda h: [named[explicit[h]]] if h in explicit else []  # noqa: E731
    by_name = {n: s for n, s in by_name.items() if n not in reserved}
    run_systems = [s for s in run_systems if s.name not in reserved]
    rules = (
        explicit_rule,
        lambda h: [by_name[h]] if h in by_name else [],
        lambda h: [by_name[da_name(h)]] if da_name(h) != h and da_name(h) in by_name else [],
        lambda h: [by_name[both_ways[h]]] if both_ways.get(h) in by_name else [],
        lambda h: [s for s in run_systems if {wmt_file_name(s.name), wmt_file_name(s.spec)} & {h, da_name(h)}],
    )
    matched: dict[str, RunSystem] = {}
    unmatched: list[str] = []
    for human in sorted(set(human_names)):
        for rule in rules:
            found = list({s.id: s for s in rule(human)}.values())
            if len(found) > 1:
                raise InputError(f"human system {human!r} matches several systems of the run: "
                                 f"{', '.join(s.name for s in found)}", field="--map",
                                 hint=f"say which with --map {human}=SYSTEM")
            if found:
                matched[human] = found[0]
                break
        else:
            unmatched.append(human)
    taken: dict[int, str] = {}
    for human, system in matched.items():
        if system.id in taken:
            raise InputError(f"human systems {taken[system.id]!r} and {human!r} both match the run's system "
                             f"{system.name!r}", field="--map", hint="say which with --map")
        taken[system.id] = human
    return matched, unmatched


def choose_corpus(index: Mapping[str, Mapping[str, int]], corpus: str | None, run_id: int) -> str:
    """The corpus human segment ids refer to: ``--corpus``, or the run's only one."""
    names = sorted(index)
    if corpus is not None:
        if corpus not in index:
            raise UsageError(f"run {run_id} has no corpus {corpus!r}", field="--corpus",
                             hint=did_you_mean(corpus, names) or f"corpora: {', '.join(names) or 'none'}")
        return corpus
    if not names:
        raise InputError(f"run {run_id} has no translated segments to attach human scores to", field="--run")
    if len(names) > 1:
        raise UsageError(f"run {run_id} has {len(names)} corpora; name the one the human scores are on",
                         field="--corpus", hint=f"corpora: {', '.join(names)}")
    return names[0]


def segment_finder(seg_index: Mapping[str, int], corpus: str):
    """seg_id → the corpus's segment id: the same ``seg_id``, or ``CORPUS:seg_id`` (plain-text corpora
    number their lines that way, so WMT DA's 1-based ``SID`` finds its line); None if neither."""

    def find(seg_id: str) -> int | None:
        found = seg_index.get(seg_id)
        return found if found is not None else seg_index.get(f"{corpus}:{seg_id}")

    return find
