"""``xml:FILE#SYSTEM``: one system's hypotheses from a WMT XML file (its ``<hyp system=…>``).

WMT publishes every submission inside the test set's XML, so a whole
campaign is one file: ``--corpus xml:FILE`` for the segments, and for the
systems either ``xml:FILE#SYSTEM`` each or ``xml:FILE#*`` -- every system in
the file, expanded into one ``xml:FILE#SYSTEM`` per ``<hyp>`` where suites
and ``--system`` are read (``System.expand_spec``), so the runner sees plain
systems. The display name defaults to the ``system`` attribute.

Hypotheses are looked up by segment (``keyed_by_segment``): a segment's
``seg_id`` is ``DOC:ID`` as ``evals.corpora.wmtxml`` makes them, so the
corpus must come from the same file (or one with the same documents); a
segment the file has no hypothesis for is an error naming it. The file is
parsed when the system is built, so a broken file fails before anything
runs; ``revision`` is the sha256 of its bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from evals.corpora.model import Segment
from evals.errors import InputError, UsageError, did_you_mean
from evals.inputs import read_bytes
from evals.systems.base import System, SystemInfo, TranslationContext

if TYPE_CHECKING:
    from evals.systems.registry import Registry

EVERY_SYSTEM = "*"


def _split(arg: str | None) -> tuple[Path, str]:
    path, sep, system = (arg or "").rpartition("#")
    if not sep or not path.strip() or not system.strip():
        raise UsageError("system 'xml' needs a file and a system name", field="system",
                         hint="write it as 'xml:FILE#SYSTEM', or 'xml:FILE#*' for every system in the file")
    return Path(path).expanduser(), system


class WmtXmlSystem(System):
    """Serve the hypotheses of one ``<hyp system=…>`` of a WMT XML file."""

    backend = "xml"
    max_batch_size = None  # no work per segment: everything in one call
    keyed_by_segment = True  # looked up by segment id, like file:

    def __init__(self, arg: str | None, /, *, spec: str | None = None, name: str | None = None) -> None:
        from evals.corpora.wmtxml import parse_wmt_xml

        path, system = _split(arg)
        if system == EVERY_SYSTEM:
            raise UsageError(f"'xml:{arg}' stands for every system of the file, not one", field="system",
                             hint="give it in a suite's systems or with --system, where it is expanded")
        super().__init__(spec or f"xml:{arg}", name or system)
        self.path = path
        self.system = system
        self.sha256 = hashlib.sha256(read_bytes(path, what="WMT XML file")).hexdigest()
        parsed = parse_wmt_xml(path, hypotheses_only=True)
        if system not in parsed.hypotheses:
            known = parsed.systems
            raise InputError(f"no <hyp system='{system}'> in the file (systems: {', '.join(known) or 'none'})",
                             path=str(path), field="system", hint=did_you_mean(system, known))
        self._hypotheses = parsed.hypotheses[system]

    @classmethod
    def expand_spec(cls, spec: str, arg: str | None) -> tuple[str, ...]:
        """``xml:FILE#*`` → one ``xml:FILE#SYSTEM`` per system of the file, in file order."""
        path, system = _split(arg)
        if system != EVERY_SYSTEM:
            return (spec,)
        from evals.corpora.wmtxml import parse_wmt_xml

        systems = parse_wmt_xml(path, hypotheses_only=True).systems
        if not systems:
            raise InputError("the file has no <hyp> elements to expand 'xml:FILE#*' into", path=str(path),
                             field="system")
        return tuple(f"xml:{arg[: -len(EVERY_SYSTEM)]}{name}" for name in systems)

    def translate(self, segments: list[Segment], context: TranslationContext | None = None) -> list[str]:
        self._check_covers(segments)
        return [self._hypotheses[segment.seg_id] for segment in segments]

    def check(self, requests: Mapping[str, Sequence[Segment]], corpora: Mapping[str, Sequence[Segment]]) -> None:
        """A hypothesis for every segment the run will ask for, before the run starts."""
        self._check_covers([segment for segments in requests.values() for segment in segments])

    def _check_covers(self, segments: Sequence[Segment]) -> None:
        missing = [segment.seg_id for segment in segments if segment.seg_id not in self._hypotheses]
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            raise InputError(f"<hyp system='{self.system}'> has no hypothesis for segment(s) {shown}",
                             path=str(self.path), field="seg_id",
                             hint="use the corpus from the same file: --corpus xml:FILE")

    def describe(self) -> SystemInfo:
        import evals

        return SystemInfo(spec=self.spec, name=self.name, backend=self.backend, version=evals.__version__,
                          revision=self.sha256, params={"system": self.system})


def register(registry: "Registry") -> None:
    registry.register("xml", WmtXmlSystem, description="one <hyp system=…> of a WMT XML file (#* for every one)",
                      arg="required", arg_help="FILE#SYSTEM")
