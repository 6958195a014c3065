"""The contract every MT backend fulfils: segments in, one hypothesis each out.

A ``System`` is built from a spec string (see ``registry.py``) and is asked to
``translate`` batches of ``Segment`` records. The runner batches by
``max_batch_size`` and checks every answer with ``check_outputs`` so a buggy
backend fails loudly instead of silently shifting hypotheses against their
references. ``describe()`` returns everything that determines the outputs; the
store uses it for provenance and as the translation cache key, so a backend
must put every output-affecting setting into it.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from evals.corpora.model import Segment
from evals.errors import InputError


@dataclass(frozen=True)
class SystemInfo:
    """What a system is and everything that affects its outputs.

    ``version`` is the version of the package doing the work (e.g. jieba,
    transformers); ``revision`` pins the data it uses (model revision,
    dictionary hash, file sha256). ``params`` holds every other setting that
    changes outputs (beam size, prompt, temperature, rule-set version).
    """

    spec: str
    name: str
    backend: str
    version: str
    revision: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Copy so that mutating the caller's dict cannot change a frozen record.
        object.__setattr__(self, "params", dict(self.params))

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "name": self.name,
            "backend": self.backend,
            "version": self.version,
            "revision": self.revision,
            "params": dict(self.params),
        }

    def cache_key(self) -> str:
        """A stable hash of what determines the outputs.

        The display name and the spec are left out on purpose: renaming a
        system, or pointing at an identical file under another path, must not
        invalidate cached translations.
        """
        payload = {
            "backend": self.backend,
            "version": self.version,
            "revision": self.revision,
            "params": self.params,
        }
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TranslationContext:
    """Document context for the segments being translated.

    Built from *all* segments of the corpora in a run (not just one batch), in
    corpus order, so a context-aware backend can look at the segments that
    precede a segment in its document even when the runner splits documents
    across batches or serves some segments from its cache. Backends that
    validate against whole corpora (``file``) use ``corpus``/``segments``.
    Simple backends ignore it.

    The corpora are held as given (``from_corpora`` copies nothing) and each
    index is built on first use: a run of a million segments pays for an
    id index only when a system asks whether a segment is in the context, and
    for document lists only when one asks for a document.
    """

    def __init__(self, segments: Iterable[Segment]) -> None:
        corpora: dict[str, list[Segment]] = {}
        for segment in segments:
            corpora.setdefault(segment.corpus, []).append(segment)
        self._corpora = corpora
        self._positions: dict[str, dict[str, int]] = {}
        self._documents: dict[str, dict[str, list[int]]] = {}
        for name in corpora:  # a repeated id is an error here, not at first use
            self._positions_of(name)

    @classmethod
    def from_corpora(cls, corpora: Mapping[str, Sequence[Segment]]) -> "TranslationContext":
        """The context of corpora already grouped by name, each in corpus order (not copied, not indexed yet)."""
        context = cls.__new__(cls)
        context._corpora = dict(corpora)
        context._positions, context._documents = {}, {}
        return context

    @classmethod
    def from_segments(cls, segments: Iterable[Segment]) -> "TranslationContext":
        return cls(segments)

    @property
    def segments(self) -> tuple[Segment, ...]:
        """Every segment, corpus by corpus, each in corpus order."""
        return tuple(segment for segs in self._corpora.values() for segment in segs)

    def corpus(self, name: str) -> tuple[Segment, ...]:
        """All segments of one corpus in corpus order (empty if unknown)."""
        return tuple(self._corpora.get(name, ()))

    def __contains__(self, segment: object) -> bool:
        if not isinstance(segment, Segment) or segment.corpus not in self._corpora:
            return False
        return segment.seg_id in self._positions_of(segment.corpus)

    def document(self, segment: Segment) -> tuple[Segment, ...]:
        """All segments of ``segment``'s document, in corpus order."""
        corpus, positions, _ = self._locate(segment)
        return tuple(corpus[i] for i in positions)

    def previous(self, segment: Segment, n: int | None = None) -> tuple[Segment, ...]:
        """The segments before ``segment`` in its document (the last ``n`` if given)."""
        corpus, positions, index = self._locate(segment)
        start = 0 if n is None else max(0, index - n)
        return tuple(corpus[i] for i in positions[start:index])

    def _positions_of(self, name: str) -> dict[str, int]:
        """seg_id -> position in corpus ``name``, built once."""
        index = self._positions.get(name)
        if index is None:
            index = {}
            for position, segment in enumerate(self._corpora[name]):
                if index.setdefault(segment.seg_id, position) != position:
                    raise InputError(f"segment id '{segment.seg_id}' occurs twice in corpus '{name}'",
                                     field="seg_id")
            self._positions[name] = index
        return index

    def _locate(self, segment: Segment) -> tuple[Sequence[Segment], list[int], int]:
        """(its corpus, the corpus positions of its document, its index in that document)."""
        from bisect import bisect_left

        position = self._positions_of(segment.corpus).get(segment.seg_id) \
            if segment.corpus in self._corpora else None
        if position is None:
            raise InputError(
                f"segment '{segment.seg_id}' of corpus '{segment.corpus}' is not in the translation context",
                field="seg_id",
            )
        documents = self._documents.get(segment.corpus)
        if documents is None:
            documents = {}
            for i, member in enumerate(self._corpora[segment.corpus]):
                documents.setdefault(member.doc_id, []).append(i)
            self._documents[segment.corpus] = documents
        positions = documents[self._corpora[segment.corpus][position].doc_id]
        return self._corpora[segment.corpus], positions, bisect_left(positions, position)


class System(ABC):
    """An MT system: translates segments, describes itself for provenance.

    Subclasses set ``backend`` and implement ``translate`` and ``describe``.
    ``max_batch_size`` is the most segments the runner passes per call;
    ``None`` means "everything still to translate in one call" (``file``
    validates ids and does no work per segment).
    """

    backend: ClassVar[str] = ""
    max_batch_size: int | None = 64
    # (src_lang, tgt_lang) pairs the system can translate; None means any.
    # The runner skips (with a notice) segments of other pairs.
    language_pairs: frozenset[tuple[str, str]] | None = None
    #: True when outputs depend on *which* segment is asked for, not only on its text
    #: (a file of translations keyed by segment id): the cache key then names the segment.
    keyed_by_segment: bool = False
    #: How many earlier sentences of its document a system sees (0: none); they key its cache entries.
    context: int = 0
    #: True when the system loads a model (hf, llm, ct2): an executor may ship it to workers.
    loads_model: ClassVar[bool] = False
    #: Where the model a spec's argument names comes from, for ``mteval models fetch`` (which asks
    #: before the model is here to build with): "hub" -- a Hugging Face id (``ID[@REV]``, or a
    #: ``revision`` option) to download into the cache, or a local directory used as it is;
    #: "local" -- a path made on this machine, nothing to fetch; None -- no model.
    model_source: ClassVar[str | None] = None
    #: What ``mteval models fetch`` says about a "local" model: how one is made.
    local_model_note: ClassVar[str] = "a local model, nothing to fetch"
    #: True when the hypotheses are one of the corpus's own references (``reference:K``, a human
    #: translator as a system): the runner and comparisons then score it against the *other*
    #: references only (``evals.scoring.references``), never against itself.
    holds_out_reference: ClassVar[bool] = False
    #: With ``holds_out_reference``: which reference (0-based) the hypotheses are.
    reference_index: int = 0

    def __init__(self, spec: str, name: str | None = None) -> None:
        self.spec = spec
        self.name = name if name else spec

    @classmethod
    def expand_spec(cls, spec: str, arg: str | None) -> tuple[str, ...]:
        """The specs ``spec`` stands for; just itself unless a backend can name many at once.

        ``xml:FILE#*`` is every system of a WMT XML file. Called where suites
        and ``--system`` are read (``evals.suite.expand_systems``), so the
        runner only ever builds single systems.
        """
        return (spec,)

    @abstractmethod
    def translate(
        self, segments: list[Segment], context: TranslationContext | None = None
    ) -> list[str]:
        """Return one hypothesis per segment, in the same order."""

    @abstractmethod
    def describe(self) -> SystemInfo:
        """Return what determines this system's outputs (see ``SystemInfo``)."""

    def check(self, requests: Mapping[str, Sequence[Segment]], corpora: Mapping[str, Sequence[Segment]]) -> None:
        """Refuse now, before a run starts, what ``translate`` would refuse at this system's turn.

        ``requests`` is, by corpus, every segment the run will ask this system
        for (those of its ``language_pairs``); ``corpora`` every segment of the
        run, by corpus (what a segment id may refer to). The runner calls it
        for every system before it translates or stores anything
        (``evals.preflight``), so a file of translations that does not fit
        the corpora fails before an earlier system's work is done for
        nothing. It must stay cheap: no model loading, no translating.
        Systems that translate whatever they are given have nothing to check.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}(spec={self.spec!r}, name={self.name!r})"


def check_outputs(system: System, segments: Sequence[Segment], outputs: Any) -> list[str]:
    """Verify a backend's answer: a list with one string per segment.

    Returns the outputs as a list. A wrong count or type would misalign
    hypotheses and references for every later segment, so it is an error,
    never something to pad or truncate.
    """
    where = f"system '{system.name}'"
    if isinstance(outputs, (str, bytes)) or not isinstance(outputs, Sequence):
        raise InputError(
            f"{where} returned {type(outputs).__name__}, expected a list of strings",
            field="translate",
        )
    if len(outputs) != len(segments):
        raise InputError(
            f"{where} returned {len(outputs)} hypotheses for {len(segments)} segments",
            field="translate",
            hint="a backend must return exactly one string per input segment, in order",
        )
    for index, (segment, output) in enumerate(zip(segments, outputs)):
        if not isinstance(output, str):
            raise InputError(
                f"{where} returned {type(output).__name__} for segment '{segment.seg_id}' "
                f"(position {index}), expected a string",
                field="translate",
            )
    return list(outputs)


def package_version(distribution: str) -> str:
    """Installed version of a distribution, or "unknown" (for provenance only)."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def file_sha256(path: Any) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

