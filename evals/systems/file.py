"""``file:PATH``: hypotheses produced elsewhere, read from a file.

Two formats, chosen by extension (``.jsonl``/``.ndjson`` → JSONL, anything
else → text) or forced with ``build_system(spec, format="jsonl"|"text")``:

* **JSONL**, one object per line::

      {"seg_id": "...", "hypothesis": "...", "corpus": "...", "doc_id": "..."}

  ``seg_id`` and ``hypothesis`` are required; ``corpus`` and ``doc_id`` are
  optional (``doc_id``, when given, must agree with the segment's).
  ``ALLOWED_EXTRA_KEYS`` (the other ``Segment`` fields and a few bookkeeping
  keys) are accepted and ignored so a corpus file with a ``hypothesis`` column
  added works; any other key is an error (it is usually a misspelt
  ``hypothesis``). Blank lines are skipped.

* **Text**: one hypothesis per line, one line per segment of the corpus in
  corpus order. ``\\n`` separates lines (a final newline is optional, ``\\r``
  before it is dropped); an empty line is an empty hypothesis; a line that
  starts with U+FEFF (a byte-order mark where two files were joined) is an
  error. The line count must equal the corpus size: with a ``TranslationContext`` that is the
  requested corpus as a whole (so the runner may ask for a cached-out subset),
  without one it is the number of requested segments.

Matching JSONL records to segments. One file may serve several corpora in a
run, and ``translate`` is called once per corpus (or for the part of it not
yet cached), so records are matched against the *known* segments: all
segments of the ``TranslationContext`` when one is given (the run's corpora),
else the requested ones. Ids can be qualified:

1. A record's corpus is its ``corpus`` field; failing that, an id written
   ``CORPUS/SEG_ID`` is qualified (split at the first ``/``) unless the whole
   id is itself a known ``seg_id``.
2. Qualified records for corpora that are not known are skipped: they serve
   another call (another suite, or a run without a context).
3. Qualified records for a known corpus match ``(corpus, seg_id)``.
4. Unqualified records match ``seg_id`` alone; that is allowed only while the
   id is unique across the known segments, otherwise it is an error asking
   for a ``corpus`` field.
5. Every requested segment must get exactly one record (else: missing ids);
   a record that matches no known segment and is not skipped by rule 2 is an
   extra id; two records for one segment are duplicates. Each is an
   ``InputError`` naming the first few ids, with line numbers.

The file is read and parsed once, when the system is built, so a broken file
fails before any model runs; ``revision`` is the sha256 of its bytes. It must
be UTF-8 (UTF-16/32 only with a byte-order mark): other bytes are an error
naming the line and byte offset, never a guess.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.corpora.model import Segment
from evals.corpora.reading import iter_lines
from evals.errors import InputError, UsageError, did_you_mean
from evals.inputs import decode, read_bytes
from evals.jsoncheck import JsonReader
from evals.systems.base import System, SystemInfo, TranslationContext

if TYPE_CHECKING:
    from evals.systems.registry import Registry

JSONL_SUFFIXES = (".jsonl", ".ndjson")
FORMATS = ("auto", "jsonl", "text")
RECORD_KEYS = ("seg_id", "hypothesis", "corpus", "doc_id")
ALLOWED_EXTRA_KEYS = frozenset(
    {"source", "reference", "src_lang", "tgt_lang", "script", "para", "bead", "score", "system", "model"}
)
PREVIEW = 5


@dataclass(frozen=True, slots=True)
class HypothesisRecord:
    """One JSONL line: where it was and what it says."""

    line: int
    seg_id: str
    hypothesis: str
    corpus: str | None = None
    doc_id: str | None = None

    def label(self) -> str:
        return f"{self.corpus}/{self.seg_id}" if self.corpus else self.seg_id


class FileSystem(System):
    """Serve hypotheses from a JSONL or line-aligned text file."""

    backend = "file"
    # No per-segment work: take everything the runner has in one call.
    max_batch_size = None
    # Hypotheses are looked up by segment id: two segments with the same source may differ.
    keyed_by_segment = True

    def __init__(
        self,
        arg: str | None,
        /,
        *,
        spec: str | None = None,
        name: str | None = None,
        format: str = "auto",
    ) -> None:
        if not arg or not arg.strip():
            raise UsageError("system 'file' needs a path", field="system", hint="write it as 'file:PATH'")
        super().__init__(spec or f"file:{arg}", name)
        if format not in FORMATS:
            raise UsageError(
                f"unknown file format '{format}'",
                field="format",
                hint=did_you_mean(format, FORMATS) or f"use one of {', '.join(FORMATS)}",
            )
        self.path = Path(arg).expanduser()
        self.format = _choose_format(self.path, format)
        self.sha256: str | None = None
        # Parsed now, so a broken file fails before any model runs; kept for ``check`` or a first
        # ``translate``, whichever comes first (the runner checks each system right after building it).
        self._records, self._lines = self._parse(self._read())

    def _read(self) -> str:
        """The file's text; after the first read, the file must not have changed (its sha256)."""
        data = read_bytes(self.path, what="hypotheses file")
        digest = hashlib.sha256(data).hexdigest()
        if self.sha256 is None:
            self.sha256 = digest
        elif digest != self.sha256:
            raise InputError("hypotheses file changed during the run", path=self.path,
                             hint="run again to use the new file")
        return decode(data, str(self.path)).text  # the bytes go here, before the text is parsed

    def _parse(self, text: str) -> tuple[list[HypothesisRecord], list[str]]:
        if self.format == "jsonl":
            return parse_jsonl(text, self.path), []
        lines = split_lines(text)
        if "\ufeff" in text:  # the C search first: a million-line file pays nothing when there is none
            _reject_inner_bom(lines, self.path)
        return [], lines

    def _load(self) -> None:
        """The parse, made again if ``check`` dropped it (holding every file system's parse from the
        start would multiply a large run's memory by the number of systems)."""
        if self._records is not None:
            return
        self._records, self._lines = self._reparse()

    def _reparse(self) -> tuple[list[HypothesisRecord], list[str]]:
        """The file parsed again; it must not have changed since the system was built."""
        return self._parse(self._read())

    def check(self, requests: Mapping[str, Sequence[Segment]], corpora: Mapping[str, Sequence[Segment]]) -> None:
        """The file against every corpus the run will ask for, as ``translate`` will match it (text: one
        line per segment of each corpus; JSONL: every id there, none unknown or twice). The parse is
        dropped afterwards: kept until this system's turn, a run would hold every file system's at once."""
        self._load()
        records, lines = self._records, self._lines
        self._records = self._lines = None
        wanted = {name: segments for name, segments in requests.items() if segments}
        if self.format == "text":
            for name in wanted:
                self._check_line_count(lines, len(corpora[name]), f"segments in corpus '{name}'")
            return
        known = [segment for segments in corpora.values() for segment in segments]
        match_records(records, [segment for segments in wanted.values() for segment in segments], self.path,
                      known=known)

    def translate(self, segments: list[Segment], context: TranslationContext | None = None) -> list[str]:
        self._load()
        known = _known_segments(segments, context)
        if self.format == "text":
            return self._translate_text(segments, context if known is not segments else None)
        matched = match_records(self._records, segments, self.path, known=known)
        return [record.hypothesis for record in matched]

    def describe(self) -> SystemInfo:
        import evals

        return SystemInfo(
            spec=self.spec,
            name=self.name,
            backend=self.backend,
            version=evals.__version__,
            revision=self.sha256,
            params={"format": self.format},
        )

    def _translate_text(self, segments: Sequence[Segment], context: TranslationContext | None) -> list[str]:
        corpora = sorted({segment.corpus for segment in segments})
        if context is not None and len(corpora) == 1:
            corpus = context.corpus(corpora[0])
            self._check_line_count(self._lines, len(corpus), f"segments in corpus '{corpora[0]}'")
            line_of = {segment.seg_id: index for index, segment in enumerate(corpus)}
            return [self._lines[line_of[segment.seg_id]] for segment in segments]
        self._check_line_count(self._lines, len(segments), "requested segments")
        return list(self._lines)

    def _check_line_count(self, lines: list[str], expected: int, what: str) -> None:
        if len(lines) != expected:
            raise InputError(
                f"file has {len(lines)} lines but there are {expected} {what}",
                path=self.path,
                hint="a text file needs one line per segment in corpus order; "
                "use JSONL with seg_id to cover a subset or several corpora",
            )


def _choose_format(path: Path, requested: str) -> str:
    if requested != "auto":
        return requested
    return "jsonl" if path.name.lower().endswith(JSONL_SUFFIXES) else "text"


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only: hypotheses may legitimately contain U+2028 etc."""
    return list(_lines_of(text))


def _reject_inner_bom(lines: Sequence[str], path: Path) -> None:
    """A line starting with U+FEFF: a byte-order mark where files were joined (``decode`` removed the
    file's own). Kept, it would glue itself to the first word and silently change every score."""
    for number, line in enumerate(lines, start=1):
        if line.startswith("\ufeff"):
            raise InputError("line starts with a byte-order mark (U+FEFF): were files joined together?",
                             path=path, line=number, field="hypothesis", hint="remove it")


def _lines_of(text: str) -> Iterator[str]:
    """``split_lines`` one line at a time (a CRLF file's lines lose their CR)."""
    for line in iter_lines(text):
        yield line[:-1] if line.endswith("\r") else line


def parse_jsonl(text: str, path: Path) -> list[HypothesisRecord]:
    """Parse and validate every line; duplicates of (corpus, seg_id) are errors."""
    records: list[HypothesisRecord] = []
    reader = JsonReader(str(path))
    for number, raw in enumerate(_lines_of(text), start=1):
        if raw.strip():
            records.append(_parse_record(reader.parse(raw, number), path, number))
    _reject_duplicates(((record, (record.corpus, record.seg_id)) for record in records), path)
    return records


def _parse_record(obj: Any, path: Path, number: int) -> HypothesisRecord:
    def fail(message: str, field: str | None = None, hint: str | None = None) -> InputError:
        return InputError(message, path=path, line=number, field=field, hint=hint)

    if not isinstance(obj, dict):
        raise fail(f"expected a JSON object, got {type(obj).__name__}")
    for key in sorted(obj):
        if key not in RECORD_KEYS and key not in ALLOWED_EXTRA_KEYS:
            raise fail(
                f"unknown key '{key}'",
                field=key,
                hint=_key_hint(key),
            )
    for key in ("seg_id", "hypothesis"):
        if key not in obj:
            raise fail("missing required key", field=key)
    if not isinstance(obj["hypothesis"], str):
        raise fail(f"must be a string, got {type(obj['hypothesis']).__name__}", field="hypothesis")
    values: dict[str, str | None] = {}
    for key in ("seg_id", "corpus", "doc_id"):
        value = obj.get(key)
        if value is None and key != "seg_id":
            values[key] = None
            continue
        if not isinstance(value, str):
            raise fail(f"must be a string, got {type(value).__name__}", field=key)
        if not value.strip():
            raise fail("must not be empty", field=key)
        values[key] = value
    return HypothesisRecord(
        line=number,
        seg_id=values["seg_id"] or "",
        hypothesis=obj["hypothesis"],
        corpus=values["corpus"],
        doc_id=values["doc_id"],
    )


def _key_hint(key: str) -> str:
    """"did you mean" for misspellings and abbreviations ("hyp" → "hypothesis")."""
    hint = did_you_mean(key, RECORD_KEYS)
    if hint:
        return hint
    prefixed = [known for known in RECORD_KEYS if len(key) >= 3 and known.startswith(key.lower())]
    if prefixed:
        return f"did you mean '{prefixed[0]}'?"
    return f"expected {', '.join(RECORD_KEYS)}"


def _reject_duplicates(keyed: Iterable[tuple[HypothesisRecord, Any]], path: Path) -> None:
    """Raise naming every duplicated id (first few) with all its line numbers.

    Only the first line of each key is kept until a repeat shows up: a list and
    a label per record would cost a million of each on a million-line file.
    """
    first: dict[Any, HypothesisRecord] = {}
    repeats: dict[Any, list[int]] = {}
    for record, key in keyed:
        earlier = first.setdefault(key, record)
        if earlier is not record:
            repeats.setdefault(key, [earlier.line]).append(record.line)
    duplicated = [(first[key].label(), lines) for key, lines in repeats.items()]
    if not duplicated:
        return
    duplicated.sort(key=lambda item: item[1][1])
    described = [f"'{name}' (lines {', '.join(map(str, lines))})" for name, lines in duplicated]
    raise InputError(
        f"duplicate id{'s' if len(described) > 1 else ''}: {_preview(described)}",
        path=path,
        line=duplicated[0][1][1],
        field="seg_id",
    )


def _known_segments(segments: Sequence[Segment], context: TranslationContext | None) -> Sequence[Segment]:
    """The context's segments when it covers the request, else the request itself."""
    if context is not None and all(segment in context for segment in segments):
        return context.segments
    return segments


def match_records(
    records: Sequence[HypothesisRecord],
    requested: Sequence[Segment],
    path: Path,
    known: Sequence[Segment] | None = None,
) -> list[HypothesisRecord]:
    """One record per requested segment, in request order (rules in the module doc).

    ``known`` (default: ``requested``) is every segment a record may belong to;
    it must include the requested ones.
    """
    segments = requested if known is None else known
    corpora = {segment.corpus for segment in segments}
    by_key = {(segment.corpus, segment.seg_id): index for index, segment in enumerate(segments)}
    # seg_id -> its first position; ids shared by several corpora also list every position
    # (a list per id would cost a million lists on a million-segment corpus).
    by_plain: dict[str, int] = {}
    shared_ids: dict[str, list[int]] = {}
    for index, segment in enumerate(segments):
        first = by_plain.setdefault(segment.seg_id, index)
        if first != index:
            shared_ids.setdefault(segment.seg_id, [first]).append(index)

    assigned: list[tuple[HypothesisRecord, int]] = []
    extra: list[HypothesisRecord] = []
    skipped_corpora: set[str] = set()
    for record in records:
        corpus, seg_id = _qualify(record, by_plain)
        if corpus is not None:
            if corpus not in corpora:
                skipped_corpora.add(corpus)
                continue
            index = by_key.get((corpus, seg_id))
        else:
            candidates = shared_ids.get(seg_id) or ([by_plain[seg_id]] if seg_id in by_plain else [])
            if len(candidates) > 1:
                names = sorted({segments[i].corpus for i in candidates})
                raise InputError(
                    f"id '{seg_id}' is ambiguous: it occurs in corpora {', '.join(names)}",
                    path=path,
                    line=record.line,
                    field="seg_id",
                    hint=f"add a \"corpus\" key or write the id as '{names[0]}/{seg_id}'",
                )
            index = candidates[0] if candidates else None
        if index is None:
            extra.append(record)
        else:
            assigned.append((record, index))

    _reject_duplicates(assigned, path)
    matched: dict[int, HypothesisRecord] = {index: record for record, index in assigned}
    wanted = [by_key[(segment.corpus, segment.seg_id)] for segment in requested]
    missing = [segments[index] for index in wanted if index not in matched]
    if missing or extra:
        raise _mismatch_error(missing, extra, skipped_corpora, path)
    for index in wanted:
        record, segment = matched[index], segments[index]
        if record.doc_id is not None and record.doc_id != segment.doc_id:
            raise InputError(
                f"doc_id '{record.doc_id}' does not match segment '{segment.seg_id}' "
                f"(document '{segment.doc_id}')",
                path=path,
                line=record.line,
                field="doc_id",
            )
    return [matched[index] for index in wanted]


def _qualify(record: HypothesisRecord, by_plain: dict[str, int]) -> tuple[str | None, str]:
    """(corpus, seg_id) of a record; corpus None when it is unqualified."""
    if record.corpus is not None:
        return record.corpus, record.seg_id
    if "/" in record.seg_id and record.seg_id not in by_plain:
        corpus, _, seg_id = record.seg_id.partition("/")
        return corpus, seg_id
    return None, record.seg_id


def _mismatch_error(
    missing: list[Segment], extra: list[HypothesisRecord], skipped: set[str], path: Path
) -> InputError:
    parts = []
    if missing:
        ids = [f"'{segment.seg_id}'" for segment in missing]
        parts.append(f"{len(missing)} missing id{'s' if len(missing) > 1 else ''}: {_preview(ids)}")
    if extra:
        ids = [f"'{record.label()}' (line {record.line})" for record in extra]
        parts.append(f"{len(extra)} extra id{'s' if len(extra) > 1 else ''}: {_preview(ids)}")
    hint = None
    if skipped:
        hint = f"records for other corpora were skipped: {', '.join(sorted(skipped))}"
    line = extra[0].line if extra and not missing else None
    return InputError(
        "hypotheses do not match the requested segments; " + "; ".join(parts),
        path=path,
        line=line,
        field="seg_id",
        hint=hint,
    )


def _preview(items: Sequence[str], limit: int = PREVIEW) -> str:
    """The first few items, then how many more."""
    shown = ", ".join(items[:limit])
    if len(items) > limit:
        shown += f" and {len(items) - limit} more"
    return shown


def register(registry: "Registry") -> None:
    registry.register(
        "file",
        FileSystem,
        description="hypotheses from a JSONL (seg_id, hypothesis) or line-aligned text file",
        arg="required",
        arg_help="PATH",
    )
