"""Everything a run checks before it starts: a suite that cannot run stores nothing.

A mistake found at a system's turn -- a ``file:`` system with one line too
few, a JSONL file missing an id, two systems with one name -- used to come
after earlier systems had been translated and scored into a run that then
ended ``failed``. ``prepare`` finds all of them first, without a store:

* every metric's options are checked (metrics without a model are built;
  those with one have their option names checked, and load on first use);
* the corpora are loaded (each loader validates its file; entries merged into
  one corpus must not share a segment id: ``evals.corpora.specs``);
* every system is built (a ``file:`` system parses its file) and checks
  itself against every corpus it will be asked to translate (``System.check``:
  line counts, ids; cheap, no model loads), one system after the other;
* no two systems have the same name once their names are resolved (a
  suite's ``name:``, else what the backend calls itself).

Errors name the suite file, the line and the field where the entry is
written (``evals.suite.Origin``). ``mteval run`` prepares before it opens
the store, so a suite that cannot run does not even create one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from evals.corpora.model import Segment
from evals.errors import InputError
from evals.suite import MetricRef, Origin, Suite, SystemRef


@dataclass
class Plan:
    """A suite checked to run: its corpora and its systems, built, in suite order.

    Used by one run (``Runner.run``), which lets each system go once it is done.
    """

    suite: Suite
    corpora: dict[str, list[Segment]]
    systems: list[Any]


def supports(system, segment: Segment) -> bool:
    """The system translates the segment's language pair (else the runner skips it, with a notice)."""
    pairs = system.language_pairs
    return pairs is None or (segment.src_lang, segment.tgt_lang) in pairs


def prepare(suite: Suite, corpora: dict[str, list[Segment]] | None = None) -> Plan:
    """Load and check everything ``suite`` needs; ``corpora`` (by name) replaces loading its corpora."""
    from evals.corpora.specs import load_suite_corpora

    check_metrics(suite.metrics)  # the cheapest first
    corpora = load_suite_corpora(suite) if corpora is None else corpora
    systems = []
    for ref in suite.systems:  # each checked as soon as it is built: a file system parses its file once for both
        system = build(ref)
        requests = corpora if system.language_pairs is None else \
            {name: [s for s in segments if supports(system, s)] for name, segments in corpora.items()}
        with _located(ref.origin, f"system '{system.name}'"):
            system.check(requests, corpora)
        systems.append(system)
    check_names(suite.systems, systems)
    return Plan(suite, corpora, systems)


def build(ref: SystemRef):
    """The system of one entry, named as the entry says; an error names the entry's line."""
    from evals.systems.registry import build_system

    with _located(ref.origin):
        system = build_system(ref.spec, **ref.options)
    if ref.name:
        system.name = ref.name
    return system


def check_names(refs: Sequence[SystemRef], systems: Sequence[Any]) -> None:
    """No two systems of a run share a name: their rows would be one system's."""
    seen: dict[str, SystemRef] = {}
    for ref, system in zip(refs, systems):
        first = seen.setdefault(system.name, ref)
        if first is ref:
            continue
        origin = ref.origin or first.origin
        places = (f"lines {first.origin.line} and {ref.origin.line}" if first.origin and ref.origin
                  else f"{_where(first)} and {_where(ref)}")
        error = InputError(
            f"two systems are named '{system.name}' ({places})",
            field="name",
            hint="give each a different 'name:' in the suite" if origin else "give each --system once",
        )
        raise origin.locate(error) if origin else error


def check_metrics(refs: Sequence[MetricRef]) -> None:
    """Unknown names and options fail before a run is created.

    Metrics without a model are built; a metric that loads a model is built
    on first use, where an unavailable checkpoint is a notice, not an error,
    so only its option names are checked here.
    """
    from evals.metrics import check_metric_options, get_metric, metric_class

    for ref in refs:
        with _located(ref.origin):
            if metric_class(ref.name).loads_model:
                check_metric_options(ref.name, ref.options)
            else:
                get_metric(ref.name, **ref.options)


def _where(ref: SystemRef) -> str:
    return f"line {ref.origin.line}" if ref.origin else f"--system {ref.spec}"


@contextmanager
def _located(origin: Origin | None, entry: str | None = None) -> Iterator[None]:
    """Re-raise an ``InputError`` placed at a suite entry (``Origin.locate``); entries from flags have none.

    An error that names a file of its own (a hypotheses file) keeps it; ``entry``
    then names the suite entry in its hint, so the one line says both.
    """
    try:
        yield
    except InputError as error:
        if origin is None:
            raise
        located = origin.locate(error)
        if located is error and entry:
            where = f"{entry}, {origin}"
            located = replace(error, hint=f"{error.hint}; {where}" if error.hint else where)
        raise located from None
