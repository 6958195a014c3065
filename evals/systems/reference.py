"""``reference:K``: a human translator as a system -- the corpus's K-th reference as the hypothesis.

WMT ranks its human references among the MT systems (``HUMAN-B`` in WMT22
zh→en): where does a professional translation land by BLEU, chrF or COMET?
``reference:K`` (K counts from 1, in the corpus's reference order: ``SRC:REF1,
REF2``, a WMT XML file's translators, a JSONL ``references`` list) answers
each segment with that segment's K-th reference, and declares
``holds_out_reference``: it is scored against the corpus's *other* references
only, while the run's MT systems are scored against all of them
(``evals.scoring.references``). With references A and B, ``reference:2`` is
scored against A alone (its signatures say ``nrefs:1``) and the MT systems
against both (``nrefs:2``).

``check`` refuses, before a run starts, a corpus where some segment has no
K-th reference or nothing would be left to score against. The hypotheses
depend on the reference texts, not on the source, so translations are keyed
by segment and ``revision`` is the sha256 of the references the system
serves (a corrected reference file is a new system, never a stale cache hit).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from evals.corpora.model import Segment
from evals.errors import InputError, UsageError
from evals.systems.base import System, SystemInfo, TranslationContext

if TYPE_CHECKING:
    from evals.systems.registry import Registry

REFERENCE_VERSION = "1"
HINT = "give the corpus several references (SRC:REF1,REF2, a suite's references: list, or a WMT XML file)"


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


class ReferenceSystem(System):
    """Answer each segment with its K-th reference; scored against the others."""

    backend = "reference"
    max_batch_size = None
    keyed_by_segment = True
    holds_out_reference = True

    def __init__(self, arg: str | None = None, /, *, spec: str = "reference:1", name: str | None = None) -> None:
        super().__init__(spec, name)
        text = (arg or "").strip()
        if not text.isdigit() or int(text) < 1:
            raise UsageError(f"'reference:{arg}': K must be a reference number from 1 (reference:1 is the "
                             "corpus's first reference)", field="system", hint="e.g. 'reference:2'")
        self.k = int(text)
        self.reference_index = self.k - 1
        self._served: str | None = None

    def check(self, requests: Mapping[str, Sequence[Segment]], corpora: Mapping[str, Sequence[Segment]]) -> None:
        """Every requested segment has a K-th reference and at least one other to be scored against."""
        digest = hashlib.sha256()
        for corpus, segments in requests.items():
            counts = [len(s.references) for s in segments]
            if segments and max(counts) < 2:
                have = "no reference" if max(counts) == 0 else "one reference"
                raise InputError(f"corpus '{corpus}' has {have}: {self._shown()} needs its "
                                 f"{_ordinal(self.k)} reference and another to be scored against",
                                 field="system", hint=HINT)
            most = max(counts, default=0)
            for segment, count in zip(segments, counts):
                if count < self.k:
                    raise InputError(f"segment '{segment.seg_id}' of corpus '{corpus}' has no {_ordinal(self.k)} "
                                     f"reference ({count} given) for {self._shown()}", field="system",
                                     hint=f"this corpus's references are reference:1 to reference:{most}"
                                     if most < self.k else "give every segment the same references")
                if count < 2:
                    raise InputError(f"segment '{segment.seg_id}' of corpus '{corpus}' has only its "
                                     f"{_ordinal(self.k)} reference: nothing is left to score {self._shown()} "
                                     "against", field="system", hint="give every segment the same references")
                digest.update(f"{corpus}\x00{segment.seg_id}\x00{segment.references[self.reference_index]}\x00"
                              .encode("utf-8"))
        self._served = digest.hexdigest()

    def _shown(self) -> str:
        """How errors name the system: its name, and its spec when the name is another."""
        return f"system '{self.name}'" + (f" ({self.spec})" if self.name != self.spec else "")

    def translate(self, segments: list[Segment], context: TranslationContext | None = None) -> list[str]:
        out = []
        for segment in segments:
            references = segment.references
            if len(references) < self.k:
                raise InputError(f"segment '{segment.seg_id}' of corpus '{segment.corpus}' has no "
                                 f"{_ordinal(self.k)} reference for {self._shown()}",
                                 field="system", hint=HINT)
            out.append(references[self.reference_index])
        return out

    def describe(self) -> SystemInfo:
        import evals

        return SystemInfo(
            spec=self.spec,
            name=self.name,
            backend=self.backend,
            version=evals.__version__,
            # The references served (known once ``check`` has seen the corpora): they are the outputs.
            revision=self._served or "unchecked",
            params={"reference": self.k, "version": REFERENCE_VERSION},
        )


def register(registry: "Registry") -> None:
    registry.register("reference", ReferenceSystem, arg="required", arg_help="K",
                      description="the corpus's K-th reference as a system (a human translator), "
                                  "scored against the other references")
